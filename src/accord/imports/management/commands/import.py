"""`accord import KIND FILE`: bring a HubSpot, Salesforce or Accord CSV export in."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.crm.kinds import Kind
from accord.imports.csv_import import ImportProblem, run_import
from accord.imports.formats import Format
from accord.imports.items import PLACEHOLDER, REJECT, UNASSIGN
from accord.imports.values import DateOrder


class Command(BaseCommand):
    help = (
        "Import a CSV file of leads, accounts, opportunities, campaigns, touchpoints or "
        "activities. Re-importing the same file changes nothing; bad rows are reported and "
        "written to a rejects file while the good rows are imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k.value for k in Kind])
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["auto", *Format], default="auto")
        parser.add_argument(
            "--source-system", help="Name of the system the ids come from (default: the format)"
        )
        parser.add_argument(
            "--date-order",
            choices=[o.value for o in DateOrder if o != DateOrder.ISO],
            help="How to read dates like 03/04/2026: dmy or mdy (asked for when ambiguous)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count; store nothing")
        parser.add_argument(
            "--strict", action="store_true", help="Import nothing if any row is bad"
        )
        parser.add_argument(
            "--unknown-owners",
            choices=[REJECT, UNASSIGN, PLACEHOLDER],
            default=REJECT,
            help="Owners Accord does not know: reject their rows (default), leave them "
            "unassigned, or create inactive placeholder users",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON")

    def handle(
        self,
        *args,
        kind,
        file,
        format,
        source_system,
        date_order,
        dry_run,
        strict,
        unknown_owners,
        json: bool,
        **options,
    ):
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            report = run_import(
                kind,
                file,
                fmt=None if format == "auto" else Format(format),
                source_system=source_system,
                date_order=DateOrder(date_order) if date_order else None,
                dry_run=dry_run,
                strict=strict,
                unknown_owners=unknown_owners,
            )
        except ImportProblem as problem:
            if json:
                self.stdout.write(_json({"kind": kind, "error": str(problem)}))
            raise CommandError(str(problem)) from None
        if json:
            self.stdout.write(_json(report.as_json()))
        else:
            self._summary(report)
        if strict and report.rejected:
            raise CommandError(f"{report.rejected} bad rows: nothing was imported (--strict).")

    def _summary(self, report):
        verb = "Would import" if report.dry_run else "Imported"
        if report.strict and report.rejected:
            verb = "Checked"
        self.stdout.write(
            f"{verb} {report.rows} {report.kind} rows ({report.format} format): "
            f"{report.created} created, {report.updated} updated, "
            f"{report.merged} merged, {report.unchanged} unchanged, {report.rejected} rejected."
        )
        for error in report.errors[:20]:
            self.stdout.write(f"  row {error.row}, {error.column} “{error.value}”: {error.message}")
        if len(report.errors) > 20:
            self.stdout.write(f"  … and {len(report.errors) - 20} more")
        if report.rejects_file:
            self.stdout.write(f"Rejected rows with reasons: {report.rejects_file}")
        if report.created_owners:
            names = ", ".join(report.created_owners[:10])
            self.stdout.write(f"Owners not found, added as inactive placeholder users: {names}")
        if report.created_channels:
            self.stdout.write(f"New channels: {', '.join(report.created_channels)}")


def _json(data) -> str:
    return json.dumps(data, default=str, ensure_ascii=False)
