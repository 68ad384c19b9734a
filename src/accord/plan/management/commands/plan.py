"""`accord plan funnel` computes a reverse funnel; `accord plan show` prints a stored plan."""

import argparse
import csv
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from accord.analytics.funnel import STEPS, FunnelError, FunnelInputs, reverse_funnel, validate
from accord.core.periods import OUT_OF_RANGE, in_range
from accord.crm.queries import OPEN_STAGES
from accord.plan import rolling
from accord.plan.models import Plan
from accord.plan.queries import funnel_of


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value.replace(",", "").replace("$", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount like 18984000") from None
    if not amount.is_finite():
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount like 18984000")
    return amount


def _pairs(kind):
    def parse(text: str) -> dict:
        out = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, raw = part.partition("=")
            key = key.strip()
            if not sep or key not in STEPS:
                raise argparse.ArgumentTypeError(
                    f"{part!r}: expected STEP=VALUE with STEP one of {', '.join(STEPS)}"
                )
            try:
                out[key] = kind(raw.strip())
            except (ValueError, InvalidOperation):
                raise argparse.ArgumentTypeError(f"{part!r}: {raw!r} is not a number") from None
        return out

    return parse


def _month(value: str) -> date:
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month like 2027-01") from None


def _weights(text: str) -> tuple[Decimal, ...]:
    try:
        return tuple(Decimal(w.strip()) for w in text.split(","))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of numbers") from None


class Command(BaseCommand):
    help = "Revenue plans: compute a reverse funnel (nothing stored), or show a stored plan."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        funnel = sub.add_parser(
            "funnel",
            help="From a revenue target down to leads per month; stores nothing.",
            description="Rates are fractions in (0, 1]; lags are days between the steps.",
        )
        funnel.add_argument("--target", type=_amount, required=True, help="revenue, e.g. 18984000")
        funnel.add_argument("--asp", type=_amount, required=True, help="average selling price")
        funnel.add_argument(
            "--rates",
            type=_pairs(Decimal),
            required=True,
            help="lead_mql=0.1,mql_sal=0.7,sal_sql=0.6,sql_opp=0.8,opp_won=0.25",
        )
        funnel.add_argument("--lags", type=_pairs(int), default={}, help="e.g. opp_won=90,...")
        funnel.add_argument("--start", type=_month, default=None, help="first month, YYYY-MM")
        funnel.add_argument("--months", type=int, default=12, help="months in the plan (12)")
        funnel.add_argument(
            "--seasonality", type=_weights, default=(), help="one weight per month, comma-separated"
        )
        funnel.add_argument(
            "--shares",
            default="",
            help="pipeline share per source, e.g. marketing=0.6,sales=0.3,partner=0.1",
        )
        funnel.add_argument(
            "--growth",
            type=_amount,
            default=Decimal(0),
            help="next year's months: this year's same month x (1 + growth); 0.1 = 10%% (0)",
        )
        funnel.add_argument(
            "--carry-in",
            default="",
            metavar="FILE|db",
            help="records open at the start: a CSV of stage,date,count (stage mql, sal, sql or "
            "an open opportunity stage; date the stage date or the expected close), or db for "
            "this database's open records",
        )
        funnel.add_argument("--json", action="store_true", dest="as_json")
        show = sub.add_parser("show", help="A stored plan's current revision and its funnel.")
        show.add_argument("plan", help="the plan's id or exact name")
        show.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action: str, **options):
        if action == "funnel":
            self._funnel(**options)
        else:
            self._show(**options)

    def _funnel(
        self,
        *,
        target,
        asp,
        rates,
        lags,
        start,
        months,
        seasonality,
        shares,
        growth,
        carry_in,
        as_json,
        **_,
    ):
        start = start or date(date.today().year, 1, 1)
        try:
            share_map = {}
            for part in filter(None, (p.strip() for p in shares.split(","))):
                key, _, raw = part.partition("=")
                share_map[key.strip()] = Decimal(raw.strip())
        except InvalidOperation:
            raise CommandError(
                f"--shares: {shares!r} is not like marketing=0.6,sales=0.4"
            ) from None
        inputs = FunnelInputs(
            target=target,
            asp=asp,
            rates=rates,
            lags=lags,
            start=start,
            months=months,
            seasonality=seasonality,
            shares=share_map,
            growth=growth,
        )
        try:
            validate(inputs)
            if carry_in:
                inputs = replace(inputs, carry_in=self._carry_in(inputs, carry_in))
            funnel = reverse_funnel(inputs)
        except FunnelError as error:
            raise CommandError(f"{error.field}: {error.message}") from None
        self._print(funnel.as_json(), as_json)

    def _carry_in(self, inputs: FunnelInputs, source: str) -> dict:
        if source == "db":
            return rolling.carry_in(inputs)
        try:
            with open(source, newline="", encoding="utf-8-sig") as f:
                rows = list(csv.DictReader(f))
        except OSError as error:
            raise CommandError(f"--carry-in: cannot read {source}: {error.strerror}") from None
        except (UnicodeDecodeError, csv.Error):
            raise CommandError(f"--carry-in: {source} is not a UTF-8 CSV file") from None
        known = ("mql", "sal", "sql", *OPEN_STAGES)
        records = []
        for number, row in enumerate(rows, start=1):
            stage = (row.get("stage") or "").strip().lower()
            if stage not in known:
                raise CommandError(
                    f"--carry-in row {number}: unknown stage {stage!r}; "
                    f"use one of {', '.join(known)}."
                )
            try:
                day = date.fromisoformat((row.get("date") or "").strip())
            except ValueError:
                raise CommandError(
                    f"--carry-in row {number}: date {row.get('date')!r} is not like 2026-01-31."
                ) from None
            if not in_range(day):
                raise CommandError(f"--carry-in row {number}: {OUT_OF_RANGE}")
            count = (row.get("count") or "1").strip()
            if not count.isdigit():
                raise CommandError(
                    f"--carry-in row {number}: count {count!r} is not a whole number."
                )
            records.append((stage, day, int(count)))
        return rolling.placed(inputs, records, lambda _stage: inputs.rates["opp_won"])

    def _show(self, *, plan, as_json, **_):
        found = Plan.objects.filter(pk=int(plan)) if plan.isdigit() else Plan.objects.none()
        found = found or Plan.objects.filter(name=plan)
        if len(found) != 1:
            raise CommandError(
                f"No plan {plan!r}." if not found else f"{len(found)} plans are named {plan!r}."
            )
        plan = found[0]
        revision = plan.current
        in_force = plan.in_force
        data = {
            "id": plan.pk,
            "name": plan.name,
            "starts": f"{plan.start:%Y-%m}",
            "revision": revision.number,
            "status": revision.status,
            "in_force_revision": in_force.number if in_force else None,
            "approvals": [
                {"side": a.side, "user": a.user.username, "at": a.approved_at.isoformat()}
                for a in revision.approvals.select_related("user")
            ],
            "inputs": revision.snapshot(),
            **funnel_of(revision).as_json(),
        }
        self._print(data, as_json)

    def _print(self, data: dict, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(data))
            return
        if "name" in data:
            self.stdout.write(
                f"{data['name']} (from {data['starts']}), revision {data['revision']}: "
                f"{data['status']}"
            )
        for row in data["stages"]:
            amount = f"  ${Decimal(row['amount']):,.0f}" if "amount" in row else ""
            self.stdout.write(f"  {row['stage']:<12} {row['count']:>10,}{amount}")
        carry = data["carry_in"]
        if Decimal(carry["deals"]):
            self.stdout.write(f"  carry-in: {carry['deals']} deals expected from open records")
        for stage, months in data["for_next_year"].items():
            months_text = ", ".join(f"{m['month']} {m['count']:,}" for m in months)
            self.stdout.write(f"  for next year, {stage}: {months_text}")
        if data["start_gap"]["deals"]:
            self.stdout.write(f"  ! {data['start_gap']['message']}")
        for warning in data["warnings"]:
            self.stdout.write(f"  ! {warning}")
