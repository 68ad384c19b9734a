"""Importing one CSV file: detect, profile, upsert, report.

Two passes over the file, both streamed: the first checks the columns, counts rows and
decides the day/month order of the date columns (asking, never guessing, when a file only
has dates like 03/04/2026); the second upserts.

By default the whole import is one transaction: killed halfway, it leaves nothing, and it
can simply be run again; `strict` and `dry_run` roll it back at the end. A web import
(`jobs.run`) passes `checkpoint` instead: each batch of rows is then stored in its own
short transaction with the state to go on from (`Resume`), so a long import never keeps
other people's writes waiting more than a batch, and one that stops goes on from where it
stopped, never storing a row twice or leaving the file half imported.

Cells are read through `core.formulas.restore`, the inverse of the quote Accord's exports
put before formula-looking text, so an export imported again changes nothing; the
rejects file is written through `neutralise`, like every file Accord writes.
"""

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.utils import timezone

from accord.core import formulas
from accord.crm.kinds import Kind
from accord.imports import reading
from accord.imports.actions import Upserted, upsert_items
from accord.imports.formats import FIELDS, Format, Mapping, mapping_for
from accord.imports.items import CREATE, REJECT, REJECTED, ItemResult, Options
from accord.imports.values import DateOrder, date_order_hint

DATE_FIELDS = {"created_at", "close_date", "starts_on", "ends_on", "month", "occurred_at"}
MAX_ERRORS_REPORTED = 1000


class ImportProblem(ValueError):
    """The file cannot be imported at all; the message says why and what to do."""


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class Resume:
    """Where a batched import stands after its last stored batch (kept by the job, in the
    batch's own transaction): the last row stored, the counts and errors so far, how much
    of the rejects file belongs to stored rows, and what the rows created on the way."""

    row: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    rejects_bytes: int = 0
    new_references: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict | None) -> "Resume | None":
        return cls(**data) if data else None


@dataclass
class ImportReport:
    kind: str
    format: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    merged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejects_file: str | None = None
    dry_run: bool = False
    strict: bool = False
    committed: bool = False
    date_order: str | None = None
    encoding: str = ""
    delimiter: str = ""
    created_owners: list[str] = field(default_factory=list)
    created_channels: list[str] = field(default_factory=list)
    created_accounts: int = 0

    def as_json(self) -> dict:
        data = asdict(self)
        order = [
            "kind",
            "format",
            "rows",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "errors",
            "rejects_file",
        ]
        return {key: data[key] for key in order} | {k: v for k, v in data.items() if k not in order}


def detect_date_order(path: Path, layout: reading.Layout, mapping: Mapping) -> DateOrder | None:
    """The one day/month order every date in the file allows, or None if all are ISO."""
    columns = {name: i for name, i in mapping.columns.items() if name in DATE_FIELDS}
    if not columns:
        return None
    possible = {DateOrder.ISO, DateOrder.MDY, DateOrder.DMY}
    votes = {DateOrder.MDY: 0, DateOrder.DMY: 0}
    for _, cells in reading.rows(path, layout):
        for i in columns.values():
            if i < len(cells) and cells[i].strip():
                hint = date_order_hint(cells[i])
                if hint:
                    possible &= hint
                    if len(hint) == 1:
                        votes[next(iter(hint))] += 1
        if len(possible) == 1:
            break
    if DateOrder.ISO in possible:
        return None
    if len(possible) == 1:
        return next(iter(possible))
    if not possible and votes[DateOrder.MDY] and votes[DateOrder.DMY]:
        raise ImportProblem(
            "The dates contradict each other: some can only be month/day (like 12/31/2025) "
            "and some only day/month (like 31/12/2025). Fix the file, or pass the date "
            "order to use and let the other rows be rejected."
        )
    if not possible:
        return max(votes, key=lambda o: votes[o])
    raise ImportProblem(
        "Every date in this file could be read as day/month or as month/day "
        "(like 03/04/2026). Say which: --date-order dmy or --date-order mdy."
    )


def preview(path: Path, kind: Kind, fmt: Format | None = None, limit: int = 10) -> dict:
    """The detected layout, format, column mapping and first rows, for a person to check."""
    layout = inspect_file(path)
    mapping = mapping_for(kind, layout.header, fmt)
    sample = []
    for _, cells in reading.rows(path, layout):
        sample.append(cells)
        if len(sample) >= limit:
            break
    return {
        "layout": layout,
        "mapping": mapping,
        "header": layout.header,
        "rows": sample,
        "missing": mapping.missing_required(kind),
        "unused": [h for i, h in enumerate(layout.header) if i not in mapping.columns.values()],
    }


def inspect_file(path: Path) -> reading.Layout:
    return inspect_and_count(path)[0]


def inspect_and_count(path: Path) -> tuple[reading.Layout, int]:
    """The file's layout and its number of data rows, in one pass over it."""
    try:
        layout = reading.inspect(path)
    except reading.FileProblem as problem:
        raise ImportProblem(str(problem)) from None
    try:
        # Read it through once now: a bad byte far into a "UTF-8" file means Windows-1252.
        return layout, sum(1 for _ in reading.rows(path, layout))
    except reading.EncodingProblem as problem:
        if layout.encoding != "utf-8":
            raise ImportProblem(str(problem)) from None
        layout = reading.Layout("cp1252", layout.delimiter, layout.header)
    except reading.FileProblem as problem:
        raise ImportProblem(str(problem)) from None
    try:
        return layout, sum(1 for _ in reading.rows(path, layout))
    except reading.FileProblem as problem:
        raise ImportProblem(str(problem)) from None


def run_import(
    kind: Kind | str,
    path: Path | str,
    *,
    fmt: Format | None = None,
    mapping: Mapping | None = None,
    source_system: str | None = None,
    date_order: DateOrder | None = None,
    tz=None,
    dry_run: bool = False,
    strict: bool = False,
    actor=None,
    rejects_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
    checkpoint: Callable[[dict], None] | None = None,
    resume: Resume | None = None,
    name: str = "",
    unknown_owners: str = REJECT,
    unknown_sources: str = CREATE,
) -> ImportReport:
    """Import `path`; see the module's docstring. With `checkpoint`, each stored batch
    hands it the `Resume` state (as a dict) inside the batch's transaction; `resume` goes
    on after such a state, skipping the rows it says are stored. `name` is the file's name
    as its owner knows it (an upload's), for the history rows; `unknown_owners` and
    `unknown_sources` say what becomes of owners and sources nobody mapped (`Options`)."""
    kind, path = Kind(kind), Path(path)
    batched = checkpoint is not None and not dry_run and not strict
    if not batched:
        resume = None
    layout = inspect_file(path)
    mapping = mapping or mapping_for(kind, layout.header, fmt)
    if missing := mapping.missing_required(kind):
        found = ", ".join(h for h in layout.header if h) or "none"
        raise ImportProblem(
            f"Columns missing for {kind} ({mapping.format} format): {', '.join(missing)}. "
            f"The file has: {found}."
        )
    order = date_order or detect_date_order(path, layout, mapping)
    report = ImportReport(
        kind=kind.value,
        format=mapping.format.value,
        dry_run=dry_run,
        strict=strict,
        date_order=order.value if order else None,
        encoding=layout.encoding,
        delimiter=layout.delimiter,
    )
    options = Options(
        source_system=(source_system or mapping.format.value).strip()[:40],
        value_maps=mapping.values,
        date_order=order,
        tz=tz or timezone.get_current_timezone(),
        actor=actor,
        via=f"import of {mapping.format} {kind} {name or path.name}",
        unknown_owners=unknown_owners,
        unknown_sources=unknown_sources,
    )
    known = {spec.name for spec in FIELDS[kind]}
    columns = {name: i for name, i in mapping.columns.items() if name in known}
    rejected_rows: dict[int, list[str]] = {}
    folder = rejects_dir or path.parent
    if not os.access(folder, os.W_OK):
        folder = Path(tempfile.gettempdir())
    rejects_path = folder / f"{path.stem}.rejects.csv"
    after_row = 0
    if resume and rejects_path.is_file():
        # Going on: keep the rejected rows of the stored batches, drop any of the batch
        # that was not stored (it is read again).
        with open(rejects_path, "r+b") as kept:
            kept.truncate(resume.rejects_bytes)
        rejects = open(rejects_path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        writer = csv.writer(rejects)
    else:
        rejects = open(rejects_path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        writer = csv.writer(rejects)
        writer.writerow(
            [
                *map(formulas.neutralise, layout.header),
                "accord_row",
                "accord_column",
                "accord_reason",
            ]
        )
    resumed = None
    if resume:
        after_row = resume.row
        report.errors = [RowError(**e) for e in resume.errors]
        resumed = Upserted.resumed(resume.counts, resume.new_references)
    stored_some = resume is not None

    def items():
        restore = formulas.restore
        for number, cells in reading.rows(path, layout):
            if number <= after_row:
                continue  # stored before the import stopped
            rejected_rows[number] = cells
            yield (
                number,
                {name: restore(cells[i]) if i < len(cells) else "" for name, i in columns.items()},
            )

    def each(result: ItemResult, upserted: Upserted) -> None:
        cells = rejected_rows.pop(result.index)
        if result.status == REJECTED:
            reasons = "; ".join(f"{e.column}: {e.message}" for e in result.errors)
            # Each cell as the import read it, quoted again: a fixed file imports the same way.
            row = [*map(formulas.restore, cells), str(result.index), result.errors[0].column]
            writer.writerow([formulas.neutralise(cell) for cell in [*row, reasons]])
            for e in result.errors:
                if len(report.errors) < MAX_ERRORS_REPORTED:
                    report.errors.append(RowError(result.index, e.column, e.value, e.message))
        if progress and upserted.items % 1000 == 0:
            progress(upserted.items)

    def stored(last_row: int, upserted: Upserted) -> None:
        nonlocal stored_some
        rejects.flush()
        state = Resume(
            row=last_row,
            counts=upserted.counts(),
            errors=[asdict(e) for e in report.errors],
            rejects_bytes=os.fstat(rejects.fileno()).st_size,
            new_references=upserted.new_references,
        )
        checkpoint(json.loads(json.dumps(asdict(state), default=str)))
        stored_some = True

    try:
        upserted = upsert_items(
            kind,
            items(),
            options,
            dry_run=dry_run,
            strict=strict,
            each=each,
            checkpoint=stored if batched else None,
            resumed=resumed,
        )
    except BaseException as error:
        rejects.close()
        if not stored_some:  # nothing was stored: keep no rejects either
            rejects_path.unlink(missing_ok=True)
        if isinstance(error, reading.FileProblem):
            raise ImportProblem(str(error)) from None
        raise
    rejects.close()
    report.rows = upserted.items
    report.created, report.updated = upserted.created, upserted.updated
    report.unchanged, report.rejected = upserted.unchanged, upserted.rejected
    report.merged = upserted.merged
    report.committed = upserted.committed
    if report.rejected:
        report.rejects_file = str(rejects_path)
    else:
        rejects_path.unlink(missing_ok=True)
    created = upserted.new_references
    report.created_owners = created["owners"]
    report.created_channels = created["channels"]
    report.created_accounts = len(created["accounts"])
    if progress:
        progress(report.rows)
    return report


class _Echo:
    """A file for csv.writer that hands back each line instead of storing it."""

    def write(self, text: str) -> str:
        return text


def inert_rejects(path: Path, rows_per_chunk: int = 500) -> Iterator[str]:
    """A rejects file as CSV text to download, every cell through the formula rule again.

    Files written before the rule covered fullwidth signs and `|` are served inert too; a
    file written since comes out as it is (quoting what the importer reads is idempotent).
    """
    stream = open(path, newline="", encoding="utf-8")  # noqa: SIM115 (closed below)

    def chunks() -> Iterator[str]:
        with stream:
            writer = csv.writer(_Echo())
            lines = []
            for row in csv.reader(stream):
                lines.append(
                    writer.writerow([formulas.neutralise(formulas.restore(c)) for c in row])
                )
                if len(lines) >= rows_per_chunk:
                    yield "".join(lines)
                    lines = []
            yield "".join(lines)

    return chunks()
