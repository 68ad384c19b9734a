"""`accord attribution`: credit pipeline or revenue with any model on the analytics engine,
export the journeys' path summary, copy the tables to another engine."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.analytics import warehouse
from accord.analytics.attribution.rules import U_SHAPES
from accord.attribution import compute
from accord.core import engine


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{flag} {text!r} is not a date; write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Attribute pipeline or revenue; export the path summary; copy tables to an engine."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("run", "Credit channels (and campaigns, months) with one model."),
            ("paths", "Write the path summary in ChannelAttribution's CSV format."),
        ):
            action = sub.add_parser(name, help=text)
            action.add_argument(
                "--engine", help="An Ibis URL; default ACCORD_ANALYTICS_URL, else the app database."
            )
            action.add_argument("--basis", default="pipeline", choices=compute.BASES)
            action.add_argument(
                "--from",
                dest="start",
                help="First day of the period, YYYY-MM-DD (default 364 days before --to).",
            )
            action.add_argument("--to", dest="end", help="Last day, YYYY-MM-DD (default today).")
            action.add_argument(
                "--lookback-days",
                type=int,
                default=365,
                help="How far before its opportunity's creation a journey reaches (365).",
            )
            if name == "run":
                action.add_argument("--model", required=True, choices=compute.MODELS)
                action.add_argument(
                    "--half-life-days", type=float, default=7.0, help="time_decay's (7)."
                )
                action.add_argument(
                    "--u-shape",
                    choices=U_SHAPES,
                    default="lead_creation",
                    help="The U-shape's second milestone: lead creation (HubSpot, Marketo "
                    "Measure; the default) or the last touch (Google, Salesforce).",
                )
                action.add_argument("--json", action="store_true", help="Print one JSON object.")
            else:
                action.add_argument("--out", required=True, help="The CSV file to write.")
        copy = sub.add_parser(
            "copy", help="Copy the CRM tables the analytics read to a DuckDB or Spark engine."
        )
        copy.add_argument(
            "--to",
            required=True,
            help="duckdb:///path/copy.duckdb or pyspark:///path/warehouse (replaced there).",
        )
        copy.add_argument("--from", dest="source", help="An engine URL; default the app database.")

    def handle(self, *args, action, **options):
        if action == "copy":
            self._copy(options["to"], options.get("source"))
            return
        if options["lookback_days"] < 1:
            raise CommandError("--lookback-days must be at least 1.")
        start, end = compute.default_period()
        if options.get("end"):
            end = _day(options["end"], "--to")
            start = compute.default_period(end)[0]
        if options.get("start"):
            start = _day(options["start"], "--from")
        common = {
            "url": options.get("engine"),
            "basis": options["basis"],
            "lookback_days": options["lookback_days"],
            "start": start,
            "end": end,
        }
        try:
            if action == "paths":
                path = Path(options["out"])
                if not path.parent.is_dir():
                    raise CommandError(f"The folder {path.parent} does not exist.")
                with open(path, "w", newline="", encoding="utf-8") as out:
                    count = compute.write_paths(out, **common)
                self.stdout.write(f"Wrote {count:,} paths to {path}.")
                return
            result = compute.run(
                options["model"],
                half_life_days=options["half_life_days"],
                u_shape=options["u_shape"],
                **common,
            )
        except (engine.EngineError, ValueError) as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{compute.LABELS[result['model']]} on {result['basis']}, {result['from']} to "
            f"{result['to']}: {result['total']} attributed; unattributed "
            f"{result['unattributed']['opportunities']} opportunities "
            f"({result['unattributed']['amount']})"
        )
        for row in result["by_channel"]:
            self.stdout.write(f"  {row['channel']:<22} {row['credit']:>16}  {row['share']:.1%}")

    def _copy(self, to: str, source: str | None) -> None:
        if source == to:
            raise CommandError("--from and --to name the same engine.")
        try:
            reader = engine.engine_backend(source) if source else engine.app_database()
            counts = warehouse.copy_contract(reader, warehouse.connect(to, create=True))
        except engine.EngineError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Copied to {warehouse.redacted(to)}:")
        for table, count in counts.items():
            self.stdout.write(f"  {table:<22} {count:>12,} rows")
