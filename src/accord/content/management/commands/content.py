"""`accord content influence`: each asset's credit under one attribution model."""

import json

from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, action, **options):
        try:
            result = influence.summary(options["model"], options["basis"])
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        except engine.EngineError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{influence.LABELS[result['model']]} on {result['basis']}: {result['total']} "
            "credited to content"
        )
        for row in result["assets"]:
            self.stdout.write(
                f"  {row['credit']:>14}  {row['opportunities']:>4} opps  {row['won']:>4} won  "
                f"{row['title']}"
            )
