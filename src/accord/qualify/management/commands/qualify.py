"""`accord qualify`: backtest a lead definition, price lead types, rescore every lead."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accord.analytics.scoring import DefinitionError
from accord.qualify import backtest, scoring
from accord.qualify.models import LeadDefinition, ScoringRun


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; write it as YYYY-MM-DD.") from None


def _definition(ref: str) -> LeadDefinition:
    if ref == "active":
        definition = scoring.active_definition()
        if definition is None:
            raise CommandError("No lead definition is active yet.")
        return definition
    try:
        return LeadDefinition.objects.get(pk=int(ref))
    except (ValueError, LeadDefinition.DoesNotExist):
        raise CommandError(
            f"No lead definition with id {ref!r}; give an id from the definitions page or 'active'."
        ) from None


class Command(BaseCommand):
    help = "Backtest lead definitions, value lead types, rescore leads."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        test = sub.add_parser(
            "backtest", help="What a definition would have made MQL, and how those leads did."
        )
        test.add_argument("--definition", required=True, help="A definition id, or 'active'.")
        test.add_argument("--from", dest="start", help="First day of the window (YYYY-MM-DD).")
        test.add_argument("--to", dest="end", help="Day after the window (YYYY-MM-DD).")
        test.add_argument("--json", action="store_true", help="Print one JSON object.")
        value = sub.add_parser("lead-value", help="Value of each lead type in dollars.")
        value.add_argument(
            "--group-by", action="append", help="source, grade, source_group, country, industry."
        )
        value.add_argument("--horizon-days", type=int, help="Days to become a customer (365).")
        value.add_argument("--from", dest="start", help="Leads created from (YYYY-MM-DD).")
        value.add_argument("--to", dest="end", help="Up to, not including (YYYY-MM-DD).")
        value.add_argument("--json", action="store_true", help="Print one JSON object.")
        sub.add_parser("rescore", help="Rescore every lead under the active definition now.")

    def handle(self, *args, action, **options):
        return getattr(self, action.replace("-", "_"))(options)

    def backtest(self, options):
        definition = _definition(options["definition"])
        start, end = backtest.default_window()
        if options["start"]:
            start = _day(options["start"])
        if options["end"]:
            end = _day(options["end"])
        try:
            result = backtest.backtest([definition], start, end)
        except (ValueError, DefinitionError) as error:
            raise CommandError(str(error)) from None
        totals = result["definitions"][0]["totals"]
        keys = ("leads", "mqls", "precision", "recall", "base_rate")
        keys += ("mql_to_opportunity", "mql_to_won")
        if options["json"]:
            self.stdout.write(json.dumps({k: totals[k] for k in keys}))
            return
        self.stdout.write(
            f"v{definition.version} {definition.name} on leads created {start} to {end} "
            f"(scored {result['window_days']} days after creation)"
        )
        self.stdout.write(f"{'month':<10}{'leads':>8}{'MQLs':>8}{'to opp':>9}{'won':>7}")
        for row in result["definitions"][0]["months"]:
            self.stdout.write(
                f"{row['month'][:7]:<10}{row['leads']:>8}{row['mqls']:>8}"
                f"{row['mql_opportunities']:>9}{row['mql_won']:>7}"
            )

        def pct(value):
            return "-" if value is None else f"{value:.1%}"

        self.stdout.write(
            f"precision {pct(totals['precision'])}, recall {pct(totals['recall'])}, "
            f"base rate {pct(totals['base_rate'])}"
        )
        self.stdout.write(f"hits by rule (of {totals['leads']} leads):")
        for rule in result["definitions"][0]["rules"]:
            never = "  never matched" if totals["leads"] and not rule["hits"] else ""
            self.stdout.write(f"{rule['hits']:>8}  {rule['kind']}: {rule['rule']}{never}")

    def lead_value(self, options):
        from accord.qualify.value import cli_lead_value

        try:
            result = cli_lead_value(
                {
                    "group_by": options["group_by"],
                    "horizon_days": options["horizon_days"],
                    "cohort_from": _day(options["start"]) if options["start"] else None,
                    "cohort_to": _day(options["end"]) if options["end"] else None,
                }
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"Lead value within {result['horizon_days']} days, leads created "
            f"{result['cohort']['from']} to {result['cohort']['to']}; average won "
            f"${result['average_won_amount']}"
        )
        for row in result["types"]:
            label = ", ".join(f"{k} {v}" for k, v in row["type"].items())
            if row["value"] is None:  # nothing in the cohort was won: no average to price by
                self.stdout.write(f"{label}: no value, {row['won']} of {row['leads']} won")
                continue
            low, high = row["value_interval"]
            self.stdout.write(
                f"{label}: ${row['value']} (90% ${low}-${high}), {row['won']} of {row['leads']}"
            )

    def rescore(self, options):
        definition = _definition("active")
        run = scoring.rescore(definition, trigger=ScoringRun.Trigger.MANUAL)
        self.stdout.write(
            f"Scored {run.leads_scored} leads under v{definition.version}; "
            f"{run.promoted} became MQL."
        )
