"""`accord sla`: evaluate every follow-up clock, or raise the alerts that are due."""

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accord.sla import alerts, queries


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{text!r} is not a date and time; write it as ISO 8601, "
            "e.g. 2026-11-02T09:00:00+00:00."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # read in the server's time zone
    return moment


class Command(BaseCommand):
    help = "Follow-up service levels: evaluate clocks (sending nothing) or tick (send alerts)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser(
            "evaluate", help="Where every clock stands at a moment; sends nothing."
        )
        evaluate.add_argument(
            "--at", help="ISO date-time (default: now); without an offset, the server's zone."
        )
        evaluate.add_argument("--json", action="store_true", help="Print one JSON object.")
        sub.add_parser("tick", help="Raise alerts for clocks that turned at risk or breached.")

    def handle(self, *args, action, **options):
        if action == "tick":
            raised = alerts.tick()
            self.stdout.write(json.dumps(raised))
            return
        at = _moment(options["at"]) if options.get("at") else timezone.now()
        result = queries.evaluate(at)
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        share = result["never_followed_up_share"]
        self.stdout.write(
            f"As of {result['as_of']}: {result['leads_due']} leads due, {result['met']} met, "
            f"{result['breached']} breached, {result['at_risk']} at risk, "
            f"{result['on_track']} on track; never followed up: {result['never_followed_up']}"
            + (f" ({share:.1%})" if share is not None else "")
        )
        for rep in result["by_rep"]:
            hours = rep["median_first_touch_hours"]
            self.stdout.write(
                f"  {rep['rep']:<20} due {rep['due']:>5}  met {rep['met']:>5}  "
                f"breached {rep['breached']:>5}  median first touch "
                + (f"{hours:.1f} business hours" if hours is not None else "-")
            )
