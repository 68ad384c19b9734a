"""`accord content influence`: each asset's credit under one attribution model, as stored by
the worker's refresh. Not a web request, so it may compute: `--refresh` computes and stores
first, and with nothing stored yet it computes and stores without being asked."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from accord.content import influence
from accord.core import engine


class Command(BaseCommand):
    help = "The content library from the command line: influence of each asset on revenue."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        action = sub.add_parser(
            "influence",
            help="Each asset's credit under one model, with the opportunities and won deals "
            "it reached; every asset listed, unused ones with zero.",
        )
        # Checked by the read model, not by argparse: one message for every door.
        action.add_argument("--model", required=True, help=", ".join(influence.MODELS))
        action.add_argument("--basis", default="pipeline", help="pipeline (default) or revenue")
        action.add_argument("--json", action="store_true", help="Print one JSON object.")
        action.add_argument(
            "--refresh",
            action="store_true",
            help="Compute every model on both bases and store them first (minutes on a large "
            "company), instead of printing the figures the worker stored last.",
        )

    def handle(self, *args, action, **options):
        try:
            influence.check(options["model"], options["basis"])
            if options["refresh"] or influence.latest_run() is None:
                influence.refresh(force=True)
            result = influence.summary(options["model"], options["basis"])
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        except engine.EngineError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, cls=DjangoJSONEncoder))
            return
        period = result["period"]
        self.stdout.write(
            f"{influence.LABELS[result['model']]} on {result['basis']}: {result['total']} "
            f"credited to content, {period['from']} to {period['to']}; computed "
            f"{result['computed_at']:%Y-%m-%d %H:%M %Z}"
            + (" (the data has changed since)" if result["stale"] else "")
        )
        for row in result["assets"]:
            self.stdout.write(
                f"  {row['credit']:>14}  {row['opportunities']:>4} opps  {row['won']:>4} won  "
                f"{row['title']}"
            )
