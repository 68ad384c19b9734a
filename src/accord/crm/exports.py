"""Exporting CRM records as CSV and XLSX, in Accord's own import format.

The columns carry the importer's names (see `imports/formats.py`) written for people
("First name" for `first_name`: the importer reads a header whatever its case, spaces or
underscores), so an exported file can be imported again. A few columns are for reading only
(a lead's score, grade and when its status last changed); the importer passes them by.
Rows are read with `values_list(...).iterator()`: a few queries and constant memory,
however many rows there are. The other tables Accord exports (the follow-up board, the
scoreboard, the sales reviews) use the same columns and cells.

Text a spreadsheet would run as a formula is made inert by `core.formulas.neutralise`, the
rule every file Accord writes follows (the importer undoes it). Numbers never get it: a
negative amount is a number, not a formula.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any

import xlsxwriter
from django.db.models import Model, QuerySet
from django.utils import timezone

from accord.core.formulas import neutralise
from accord.crm.kinds import Kind
from accord.crm.models import Account, Activity, Campaign, Lead, Opportunity, Touchpoint

CHUNK_SIZE = 2000
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, header included
CSV_ROWS_PER_CHUNK = 500


class Cell(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"
    DATE = "date"
    MOMENT = "moment"  # a time-zone aware datetime
    NUMBER = "number"  # a count or figure that may have decimals (a plan's 12.5 leads)
    PERCENT = "percent"  # a fraction, written as a percentage


@dataclass(frozen=True)
class Column:
    name: str
    lookups: tuple[str, ...]  # read from the database; the first non-empty one fills the cell
    cell: Cell = Cell.TEXT
    label: str = ""  # the header; by default the name for people: "created_at" -> "Created at"

    @property
    def header(self) -> str:
        return self.label or readable(self.name)


def readable(name: str) -> str:
    """An import field's name as a header: "external_id" -> "External ID"."""
    text = name.replace("_", " ").capitalize()
    return text[: -len(" id")] + " ID" if text.endswith(" id") else text


class TooManyRows(ValueError):
    """More rows than a spreadsheet holds."""


def _column(name: str, *lookups: str, cell: Cell = Cell.TEXT, label: str = "") -> Column:
    return Column(name, lookups or (name,), cell, label)


# A person is exported as their email, or their username when they have none: the
# importer finds users by either.
_OWNER = ("owner__email", "owner__username")

_COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.LEADS: (
        _column("external_id"),
        _column("email"),
        _column("first_name"),
        _column("last_name"),
        _column("title"),
        _column("company", "account__name"),
        _column("source", "source__key"),
        _column("status"),
        _column("owner", *_OWNER),
        _column("created_at", cell=Cell.MOMENT),
        # For reading: computed by Accord, not imported.
        _column("score", "engagement_score", cell=Cell.INTEGER, label="Engagement score"),
        _column("grade", "fit_grade", label="Fit grade"),
        _column("status_changed_at", cell=Cell.MOMENT),
    ),
    Kind.ACCOUNTS: (
        _column("external_id"),
        _column("name"),
        _column("domain"),
        _column("industry"),
        _column("employees", cell=Cell.INTEGER),
        _column("country"),
        _column("owner", *_OWNER),
        _column("created_at", cell=Cell.MOMENT),
    ),
    Kind.OPPORTUNITIES: (
        _column("external_id"),
        _column("name"),
        _column("account", "account__name"),
        _column("amount", cell=Cell.MONEY),
        _column("stage"),
        _column("created_at", cell=Cell.MOMENT),
        _column("close_date", cell=Cell.DATE),
        _column("owner", *_OWNER),
        _column("source", "source__key"),
        _column("primary_lead", "primary_lead__email"),
    ),
    Kind.CAMPAIGNS: (
        _column("external_id"),
        _column("name"),
        _column("channel", "channel__key"),
        _column("kind"),
        _column("starts_on", cell=Cell.DATE),
        _column("ends_on", cell=Cell.DATE),
        _column("owner", *_OWNER),
    ),
    Kind.TOUCHPOINTS: (
        _column("external_id"),
        _column("lead", "lead__email"),
        _column("channel", "channel__key"),
        _column("campaign", "campaign__name"),
        _column("kind"),
        _column("occurred_at", cell=Cell.MOMENT),
    ),
    Kind.ACTIVITIES: (
        _column("external_id"),
        _column("lead", "lead__email"),
        _column("user", "user__email", "user__username"),
        _column("kind"),
        _column("occurred_at", cell=Cell.MOMENT),
        _column("outcome"),
        _column("notes"),
    ),
}
# Last, so the importer (which ignores it) still sees its own columns first.
COLUMNS: dict[Kind, tuple[Column, ...]] = {
    kind: (*columns, _column("source_system")) for kind, columns in _COLUMNS.items()
}

MODELS: dict[Kind, type[Model]] = {
    Kind.LEADS: Lead,
    Kind.ACCOUNTS: Account,
    Kind.OPPORTUNITIES: Opportunity,
    Kind.CAMPAIGNS: Campaign,
    Kind.TOUCHPOINTS: Touchpoint,
    Kind.ACTIVITIES: Activity,
}


def all_records(kind: Kind | str) -> QuerySet:
    """Every record of a kind, in the order they were stored; list filters narrow it down."""
    return MODELS[Kind(kind)].objects.order_by("pk")


def rows(kind: Kind | str, queryset: QuerySet | None = None) -> Iterator[tuple]:
    """The export's cells for each record of `queryset`, in `COLUMNS[kind]` order."""
    kind = Kind(kind)
    queryset = all_records(kind) if queryset is None else queryset
    columns = COLUMNS[kind]
    lookups = list(dict.fromkeys(lookup for c in columns for lookup in c.lookups))
    picks = [[lookups.index(lookup) for lookup in c.lookups] for c in columns]
    for values in queryset.values_list(*lookups).iterator(chunk_size=CHUNK_SIZE):
        yield tuple(_first(values, pick) for pick in picks)


def _first(values: tuple, positions: list[int]) -> Any:
    for i in positions:
        if values[i] not in (None, ""):
            return values[i]
    return values[positions[-1]]


def csv_text(value: Any, cell: Cell) -> str:
    if value is None:
        return ""
    match cell:
        case Cell.MONEY:
            return f"{value:.2f}"
        case Cell.INTEGER:
            return str(value)
        case Cell.NUMBER:
            return _plain(Decimal(str(value)).quantize(Decimal("0.01")))
        case Cell.PERCENT:
            return _plain((Decimal(str(value)) * 100).quantize(Decimal("0.1")))
        case Cell.DATE:
            return value.isoformat()
        case Cell.MOMENT:
            # Full precision: touchpoints and activities are matched on their exact time.
            return timezone.localtime(value).isoformat()
    return neutralise(str(value))


def _plain(number: Decimal) -> str:
    """12.50 -> "12.5", 3.00 -> "3": no trailing zeros, never an exponent."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _csv_row(columns: tuple[Column, ...], row: tuple) -> list[str]:
    return [csv_text(value, c.cell) for value, c in zip(row, columns, strict=True)]


class _Echo:
    """A file for csv.writer that hands back each line instead of storing it."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(columns: tuple[Column, ...], records: Iterable[tuple]) -> Iterator[str]:
    """CSV text, a few hundred rows at a time, for a streamed response."""
    writer = csv.writer(_Echo())
    lines = [writer.writerow([c.header for c in columns])]
    for row in records:
        lines.append(writer.writerow(_csv_row(columns, row)))
        if len(lines) >= CSV_ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def write_csv(stream: IO[str], columns: tuple[Column, ...], records: Iterable[tuple]) -> int:
    """Write CSV to an open text file (opened with newline=""); returns the rows written."""
    writer = csv.writer(stream)
    writer.writerow([c.header for c in columns])
    count = 0
    for row in records:
        writer.writerow(_csv_row(columns, row))
        count += 1
    return count


_XLSX_FORMATS = {
    Cell.MONEY: "#,##0.00",
    Cell.NUMBER: "#,##0.##",
    Cell.PERCENT: "0.0%",
    Cell.DATE: "yyyy-mm-dd",
    Cell.MOMENT: "yyyy-mm-dd hh:mm:ss",
}
_XLSX_WIDTHS = {Cell.INTEGER: 10, Cell.MONEY: 14, Cell.DATE: 11, Cell.MOMENT: 19}


def write_xlsx(
    target: str | IO[bytes],
    columns: tuple[Column, ...],
    records: Iterable[tuple],
    *,
    sheet_name: str = "Export",
) -> int:
    """Write one worksheet to a path or binary file; returns the rows written.

    Numbers are numbers and dates are dates (in the current time zone: Excel has none).
    Text is always written as text, never parsed as a formula, number or link.
    """
    with tempfile.TemporaryDirectory(prefix="accord-xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,  # rows go to disk as they are written
                "tmpdir": scratch,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        try:
            return _fill_sheet(workbook, sheet_name, columns, records)
        finally:
            workbook.close()


def _fill_sheet(workbook, sheet_name: str, columns, records) -> int:
    sheet = workbook.add_worksheet(sheet_name[:31])
    header = workbook.add_format({"bold": True})
    formats = {cell: workbook.add_format({"num_format": f}) for cell, f in _XLSX_FORMATS.items()}
    sheet.freeze_panes(1, 0)
    for i, column in enumerate(columns):
        sheet.set_column(i, i, _XLSX_WIDTHS.get(column.cell, 20))
        sheet.write_string(0, i, column.header, header)
    count = 0
    for r, row in enumerate(records, start=1):
        if r >= XLSX_MAX_ROWS:
            raise TooManyRows(
                f"More than {XLSX_MAX_ROWS - 1:,} rows do not fit in a spreadsheet; use CSV."
            )
        for i, (value, column) in enumerate(zip(row, columns, strict=True)):
            if value is None or value == "":
                continue
            match column.cell:
                case Cell.MONEY:
                    sheet.write_number(r, i, float(value), formats[Cell.MONEY])
                case Cell.INTEGER:
                    sheet.write_number(r, i, value)
                case Cell.NUMBER | Cell.PERCENT:
                    sheet.write_number(r, i, float(value), formats[column.cell])
                case Cell.DATE:
                    sheet.write_datetime(r, i, value, formats[Cell.DATE])
                case Cell.MOMENT:
                    moment = timezone.localtime(value).replace(tzinfo=None)
                    sheet.write_datetime(r, i, moment, formats[Cell.MOMENT])
                case _:
                    sheet.write_string(r, i, neutralise(str(value)))
        count += 1
    return count
