"""Read models for plan pages and the API: the funnel of a revision, revision diffs."""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accord.analytics.funnel import (
    SOURCES,
    STAGE_LABELS,
    STAGES,
    STEP_LABELS,
    STEPS,
    Funnel,
    reverse_funnel,
)
from accord.analytics.months import next_month
from accord.crm.models import Channel
from accord.plan.models import Plan, PlanRevision

MARKETING = Channel.Group.MARKETING
SOURCE_NAMES = {"marketing": "Marketing", "sales": "Sales (outbound)", "partner": "Partner"}


def funnel_of(revision: PlanRevision) -> Funnel:
    return reverse_funnel(revision.funnel_inputs())


def plan_page(revision: PlanRevision) -> dict:
    """Everything the plan page shows about one revision."""
    funnel = funnel_of(revision)
    asp = revision.asp
    goals = {g.stage: g for g in revision.goals.select_related("owner")}
    stages = []
    for i, stage in enumerate(reversed(STAGES)):
        step = STEPS[len(STEPS) - i] if i else None  # the step leading out of this stage
        stages.append(
            {
                "stage": stage,
                "label": STAGE_LABELS[stage],
                "count": funnel.counts[stage],
                "marketing": funnel.by_source.get("marketing", {}).get(stage, 0),
                "amount": funnel.counts[stage] * asp if stage in ("won", "opportunity") else None,
                "rate_out": Decimal(revision.rates[step]) if step else None,
                "step_label": STEP_LABELS[step] if step else "",
                "early": funnel.before_start.get(stage, 0),
                "goal": goals.get(stage),
            }
        )
    months = []
    for i, month in enumerate(funnel.months):
        months.append(
            {
                "month": month,
                "counts": [funnel.monthly[s][i] for s in STAGES],
                "bookings": funnel.monthly["won"][i] * asp,
                "flagged": i == 0 and bool(funnel.before_start),
            }
        )
    labels = [f"{m:%b %Y}" for m in funnel.months]
    return {
        "funnel": funnel,
        "stages": stages,
        "months": months,
        "stage_labels": [STAGE_LABELS[s] for s in STAGES],
        "quarters": [
            {**q, "cells": [q["counts"][s] for s in STAGES], "bookings": q["counts"]["won"] * asp}
            for q in funnel.quarters()
        ],
        "year_cells": [funnel.counts[s] for s in STAGES],
        "quotas": funnel.quotas(),
        "by_source": [
            {
                "source": SOURCE_NAMES[s],
                "share": Decimal(revision.shares.get(s, "0")),
                "mqls": funnel.by_source[s]["mql"],
                "opportunities": funnel.by_source[s]["opportunity"],
                "pipeline": funnel.by_source[s]["opportunity"] * asp,
            }
            for s in SOURCES
            if s in funnel.by_source
        ],
        "steps": [
            {
                "label": STEP_LABELS[s],
                "rate": Decimal(revision.rates[s]),
                "lag": revision.lags.get(s, 0),
                "basis": revision.basis.get(s, "assumed"),
                "observed": (revision.observed or {}).get(s),
            }
            for s in STEPS
        ],
        "funnel_chart": {
            "labels": [STAGE_LABELS[s] for s in reversed(STAGES)],
            "values": [funnel.counts[s] for s in reversed(STAGES)],
        },
        "monthly_chart": {
            "labels": labels,
            "datasets": [
                {"label": STAGE_LABELS[s], "values": funnel.monthly[s]}
                for s in ("mql", "sql", "opportunity", "won")
            ],
        },
        "bookings_chart": {
            "labels": labels,
            "values": [float(funnel.monthly["won"][i] * asp) for i in range(len(labels))],
        },
    }


def _describe(snapshot: dict, plan: Plan) -> dict[str, str]:
    """A revision's inputs as label -> shown value, for side-by-side comparison."""
    out = {
        "Revenue target": f"${Decimal(snapshot['target']):,.0f}",
        "Average selling price": f"${Decimal(snapshot['asp']):,.0f}",
    }
    for step in STEPS:
        rate = Decimal(snapshot["rates"].get(step, "0")) * 100
        out[f"{STEP_LABELS[step]} rate"] = (
            f"{rate.normalize():f}% ({snapshot['basis'].get(step, 'assumed')})"
        )
        out[f"{STEP_LABELS[step]} lag"] = f"{snapshot['lags'].get(step, 0)} days"
    for source in SOURCES:
        share = Decimal(snapshot["shares"].get(source, "0")) * 100
        out[f"{SOURCE_NAMES[source]} share"] = f"{share.normalize():f}%"
    for i, weight in enumerate(snapshot.get("seasonality") or []):
        month = (plan.first_month - 1 + i) % 12 + 1
        out[f"Seasonality {calendar.month_abbr[month]}"] = f"{Decimal(weight).normalize():f}"
    for stage in STAGES:
        goal = snapshot.get("goals", {}).get(stage)
        if goal:
            out[f"{STAGE_LABELS[stage]} goal"] = (
                f"{goal['owner'] or 'nobody'}, due {goal['due'] or 'no date'}"
            )
    return out


def revision_diff(older: PlanRevision, newer: PlanRevision) -> list[dict]:
    """The inputs that differ between two revisions, in form order."""
    before = _describe(older.snapshot(), older.plan)
    after = _describe(newer.snapshot(), newer.plan)
    rows = []
    for label in dict.fromkeys([*before, *after]):
        if before.get(label) != after.get(label):
            rows.append(
                {"label": label, "before": before.get(label, "—"), "after": after.get(label, "—")}
            )
    return rows


def observed_window(months: int, today: date | None = None) -> tuple[date, date]:
    """The last `months` whole months before the current one: [start, end)."""
    today = today or timezone.localdate()
    end = today.replace(day=1)
    start = end
    for _ in range(months):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, end


def observed_rates(months: int) -> dict:
    """Step -> {rate, numerator, denominator, lag_days, lag_sample} over the last `months`
    whole months of the company's own history (cohorts by lead creation month), computed
    by the analytics engine; the plan form shows them beside the assumed rates.
    """
    # Imported here: Ibis takes most of a second to load, and only plan forms need it.
    from accord.analytics.funnel_rates import observed_funnel
    from accord.core import engine

    start, end = observed_window(months)
    found = observed_funnel(
        engine.app_tables(), cohort_start=start, cohort_end=end, as_of=timezone.now()
    )
    return {
        step: {**figures, "rate": str(figures["rate"]) if figures["rate"] is not None else None}
        for step, figures in found["steps"].items()
    }


def default_plan(today: date) -> Plan | None:
    """The plan in force for today's fiscal year, else the latest plan in force, else the
    latest plan (which is then only a draft)."""
    in_force = list(Plan.objects.filter(revisions__status=PlanRevision.Status.APPROVED).distinct())
    for plan in in_force:
        if plan.start <= today < next_month(plan.months[-1]):
            return plan
    return in_force[0] if in_force else Plan.objects.first()


def revision_shown(plan: Plan) -> PlanRevision | None:
    """The revision both teams signed; the draft under discussion if none is signed yet."""
    return plan.in_force or plan.current


def plan_by_month(funnel, revision: PlanRevision) -> dict[str, list[Decimal]]:
    """Metric -> the plan's figure for each plan month."""
    asp = revision.asp
    monthly = {s: [Decimal(n) for n in funnel.monthly[s]] for s in STAGES}
    marketing = funnel.by_source.get(MARKETING, {})

    def share(stage: str) -> Decimal:
        # Marketing's quota of a stage, spread over the months like the stage itself.
        total = funnel.counts[stage]
        return Decimal(marketing.get(stage, 0)) / Decimal(total) if total else Decimal(0)

    return {
        **monthly,
        "bookings": [n * asp for n in monthly["won"]],
        "pipeline": [n * asp for n in monthly["opportunity"]],
        "mql_marketing": [n * share("mql") for n in monthly["mql"]],
        "marketing_pipeline": [n * share("opportunity") * asp for n in monthly["opportunity"]],
    }
