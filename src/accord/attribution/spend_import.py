"""Spend from a CSV file, as ad platforms and finance export it: one line a row, columns
month, side, channel and amount (any order, any case; `label` optional).

Each row goes through the verb the spend form uses (`actions.save_spend`), so the same rules
apply: the month near the company's data, an amount over 10x the largest month confirmed.
As the CRM import does, the good rows are kept and every bad row is reported (which row,
which field, why) and stored nothing. A row matching a line already kept (month, side,
channel, label) updates its amount, so importing a file again changes nothing.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from accord.attribution import actions
from accord.attribution.models import Spend
from accord.core.formulas import restore
from accord.crm.models import Channel
from accord.people import permissions

COLUMNS = ("month", "side", "channel", "amount")
DEFAULT_LABEL = "Imported spend"
MAX_ROWS = 5000
_MONTH = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")


class SpendFileError(ValueError):
    """The file as a whole cannot be read: nothing was stored."""


@dataclass
class RowError:
    row: int  # the line of the file, the header being line 1
    field: str
    message: str


@dataclass
class SpendImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.created + self.updated


def import_spend(actor, content: bytes, *, confirm_large: bool = False) -> SpendImport:
    """Read `content` (CSV, UTF-8) and keep its good rows; a SpendFileError when the file
    itself is wrong (not text, no header, a column missing, too many rows)."""
    permissions.require(permissions.can_edit_spend(actor), actions.SPEND_DENIED)
    rows = _rows(content)
    channels = {c.key.lower(): c for c in Channel.objects.all()}
    channels |= {c.name.lower(): c for c in channels.values()}
    report = SpendImport()
    seen: dict[tuple, int] = {}
    for number, row in rows:
        values, problems = _parse(row, channels)
        if problems:
            report.errors += [RowError(number, name, why) for name, why in problems.items()]
            continue
        key = (values["month"], values["side"], values["channel"], values["label"])
        if key in seen:
            why = f"Row {seen[key]} already has this month, side, channel and label."
            report.errors.append(RowError(number, "month", why))
            continue
        seen[key] = number
        line = Spend.objects.filter(
            month=values["month"],
            side=values["side"],
            channel=values["channel"],
            label=values["label"],
        ).first()
        if line is not None and line.amount == values["amount"]:
            report.unchanged += 1
            continue
        try:  # one transaction a row: a refused row leaves nothing behind
            actions.save_spend(actor, line or Spend(), values, confirm_large=confirm_large)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                report.errors += [RowError(number, name, why) for why in messages]
            continue
        if line is None:
            report.created += 1
        else:
            report.updated += 1
    return report


def _rows(content: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpendFileError("The file is not UTF-8 text; export it as CSV (UTF-8).") from None
    if "\x00" in text:
        raise SpendFileError("The file is not a CSV text file.")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise SpendFileError("The file is empty; its first row names the columns.")
    names = [cell.strip().lower() for cell in header]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise SpendFileError(
            f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"The first row names the columns: {', '.join(COLUMNS)} (and label, optional)."
        )
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise SpendFileError(f"More than {MAX_ROWS:,} rows; split the file.")
        rows.append(
            (number, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(names)})
        )
    if not rows:
        raise SpendFileError("The file has a header and no rows.")
    return rows


def _parse(row: dict[str, str], channels: dict[str, Channel]) -> tuple[dict, dict[str, str]]:
    """A row's line, and what is wrong with it by column."""
    text = {name: restore(value.strip()) for name, value in row.items()}
    values: dict = {"label": (text.get("label") or DEFAULT_LABEL)[:80]}
    problems = {}
    month = _MONTH.fullmatch(text["month"])
    try:
        values["month"] = date(int(month[1]), int(month[2]), int(month[3] or 1)).replace(day=1)
    except (TypeError, ValueError):
        problems["month"] = f"{text['month']!r} is not a month: write 2026-03 or 2026-03-01."
    side = text["side"].lower()
    if side in Spend.Side.values:
        values["side"] = side
    else:
        problems["side"] = f"{text['side']!r} is not a side: marketing or sales."
    if text["channel"]:
        values["channel"] = channels.get(text["channel"].lower())
        if values["channel"] is None:
            problems["channel"] = f"No channel {text['channel']!r} (its key or its name)."
    else:
        values["channel"] = None
    amount = text["amount"].replace("$", "").replace(",", "").strip()
    try:
        values["amount"] = Decimal(amount)
        if not values["amount"].is_finite() or values["amount"] < 0:
            raise InvalidOperation
        if values["amount"] != values["amount"].quantize(Decimal("0.01")):
            problems["amount"] = f"{text['amount']!r} has more than two decimals."
        elif values["amount"] >= Decimal("1e12"):
            problems["amount"] = f"{text['amount']!r} is more than Accord keeps for one line."
    except InvalidOperation:
        problems["amount"] = f"{text['amount']!r} is not an amount of dollars (0 or more)."
    return values, problems
