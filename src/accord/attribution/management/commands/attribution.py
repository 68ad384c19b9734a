"""`accord attribution`: data-driven attribution on the analytics engine, and its paths."""

import json
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accord.attribution import engine


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date or date-time; write it as ISO 8601.") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Attribute pipeline or revenue to channels; export the journeys' path summary."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("run", "Credit channels with a data-driven model."),
            ("paths", "Write the path summary in ChannelAttribution's CSV format."),
        ):
            action = sub.add_parser(name, help=text)
            action.add_argument(
                "--engine", help="An Ibis URL; default ACCORD_ANALYTICS_URL, else the app database."
            )
            action.add_argument("--basis", default="pipeline", choices=engine.BASES)
            action.add_argument(
                "--lookback-days",
                type=int,
                default=365,
                help="Journeys of the days before --as-of, and each one's touches (365).",
            )
            action.add_argument("--as-of", help="ISO date-time ending the period (default now).")
            if name == "run":
                action.add_argument("--model", required=True, choices=engine.DATA_DRIVEN)
                action.add_argument("--json", action="store_true", help="Print one JSON object.")
            else:
                action.add_argument("--out", required=True, help="The CSV file to write.")

    def handle(self, *args, action, **options):
        if options["lookback_days"] < 1:
            raise CommandError("--lookback-days must be at least 1.")
        common = {
            "url": options.get("engine"),
            "basis": options["basis"],
            "lookback_days": options["lookback_days"],
            "as_of": _moment(options["as_of"]) if options.get("as_of") else None,
        }
        try:
            if action == "paths":
                path = Path(options["out"])
                if not path.parent.is_dir():
                    raise CommandError(f"The folder {path.parent} does not exist.")
                with open(path, "w", newline="", encoding="utf-8") as out:
                    count = engine.write_paths(out, **common)
                self.stdout.write(f"Wrote {count:,} paths to {path}.")
                return
            result = engine.run(options["model"], **common)
        except engine.EngineError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{result['model']} on {result['basis']}: {result['total']} attributed; "
            f"unattributed {result['unattributed']['opportunities']} opportunities "
            f"({result['unattributed']['amount']})"
        )
        for row in result["by_channel"]:
            self.stdout.write(f"  {row['channel']:<22} {row['credit']:>16}  {row['share']:.1%}")
