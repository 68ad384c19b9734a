"""`accord export KIND FILE`: write every record of a kind as CSV or XLSX."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.crm import exports
from accord.crm.kinds import Kind

FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


class Command(BaseCommand):
    help = (
        "Export every lead, account, opportunity, campaign, touchpoint or activity as CSV "
        "(in Accord's import format, so it can be imported again) or XLSX."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k.value for k in Kind])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            choices=sorted(set(FORMATS.values())),
            help="csv or xlsx (default: from the file's extension)",
        )

    def handle(self, *args, kind, file, format, **options):
        kind = Kind(kind)
        fmt = self._format(file, format)
        if not file.parent.is_dir():
            raise CommandError(f"No folder {file.parent} to write {file.name} in.")
        columns, records = exports.COLUMNS[kind], exports.rows(kind)
        try:
            if fmt == "csv":
                with open(file, "w", newline="", encoding="utf-8") as stream:
                    count = exports.write_csv(stream, columns, records)
            else:
                count = exports.write_xlsx(str(file), columns, records, sheet_name=kind.title())
        except exports.TooManyRows as problem:
            file.unlink(missing_ok=True)
            raise CommandError(str(problem)) from None
        self.stdout.write(f"Exported {count} {kind} to {file}")

    def _format(self, file: Path, chosen: str | None) -> str:
        implied = FORMATS.get(file.suffix.lower())
        if chosen and implied and chosen != implied:
            raise CommandError(f"{file.name} is named like {implied}, but --format says {chosen}.")
        if not (chosen or implied):
            known = " or ".join(FORMATS)
            raise CommandError(
                f"Cannot tell the format of {file.name}: name it {known}, or pass --format."
            )
        return chosen or implied
