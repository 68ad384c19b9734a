"""Read models for plan pages and the API: the funnel of a revision, revision diffs."""

import calendar
from datetime import date, datetime, timedelta
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
from accord.core import figures
from accord.crm.filters import day_bounds
from accord.crm.models import Channel, Lead, LeadStatusChange, Opportunity, OpportunityStageChange
from accord.crm.queries import kept_win_rates
from accord.plan import goals as goal_status
from accord.plan import rolling
from accord.plan.models import Plan, PlanRevision

MARKETING = Channel.Group.MARKETING
SOURCE_NAMES = {"marketing": "Marketing", "sales": "Sales (outbound)", "partner": "Partner"}


def funnel_of(revision: PlanRevision, now=None) -> Funnel:
    """The revision's rolling funnel: credited with what the pipeline in flight at its start
    will win, continued into the next plan's months (`plan.rolling`)."""
    following, warning = rolling.next_deals(revision.plan)
    carry_in = rolling.carry_in(revision.funnel_inputs(), now)
    funnel = reverse_funnel(revision.funnel_inputs(carry_in=carry_in, next_deals=following))
    if warning:
        funnel.warnings.append(warning)
    return funnel


# What a revision's rolling funnel reads besides the revision: the records in flight at the
# plan's start (leads, deals and their histories) and the plans around it.
FUNNEL_TABLES = figures.table_names(
    [
        Lead,
        LeadStatusChange,
        Opportunity,
        OpportunityStageChange,
        Plan,
        PlanRevision,
        "plan_plangoal",
        "plan_planapproval",
    ]
)


def kept_funnel(revision: PlanRevision, now: datetime | None = None) -> figures.Kept[Funnel]:
    """`funnel_of`, kept until the data under it changes, the observed win rates it uses
    change (`kept_win_rates`), or (for a plan not started, whose carry-in is taken now)
    the day ends."""
    moment = timezone.now()
    if not figures.is_now(now):
        return figures.Kept(funnel_of(revision, now), now, {}, None)
    started = rolling.as_of(revision.plan.start, moment) < moment

    def until(_funnel: Funnel):
        rates = kept_win_rates(moment, revision.funnel_inputs().rates["opp_won"])
        midnight = None if started else day_bounds(None, timezone.localdate(moment))[1]
        return figures.earliest([rates.valid_until, midnight])

    return figures.kept(
        f"plan.funnel:{revision.pk}:{timezone.get_current_timezone_name()}",
        FUNNEL_TABLES,
        lambda: funnel_of(revision, moment),
        valid_until=until,
    )


def plan_page(revision: PlanRevision) -> dict:
    """Everything the plan page shows about one revision."""
    kept = kept_funnel(revision)
    funnel = kept.value
    asp = revision.asp
    goals = {g.stage: g for g in revision.goals.select_related("owner")}
    statuses = goal_status.statuses(revision)
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
                "for_next": sum(funnel.for_next[stage]),
                "goal": goals.get(stage),
                "goal_status": statuses.get(stage),
            }
        )
    months = []
    for i, month in enumerate(funnel.months):
        months.append(
            {
                "month": month,
                "counts": [funnel.monthly[s][i] for s in STAGES],
                "bookings": funnel.monthly["won"][i] * asp,
                "cells": [(funnel.monthly[s][i], funnel.for_next[s][i]) for s in STAGES],
                "feeds_next": any(funnel.for_next[s][i] for s in STAGES),
            }
        )
    labels = [f"{m:%b %Y}" for m in funnel.months]
    return {
        "kept": kept,
        "funnel": funnel,
        "rolling": rolling_summary(funnel, revision),
        "stages": stages,
        "goal_rows": [s for s in stages if s["goal"]],
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
                *(
                    {"label": STAGE_LABELS[s], "values": funnel.monthly[s]}
                    for s in ("mql", "sql", "opportunity", "won")
                ),
                # The part of this year's MQLs that next year's first months close.
                *(
                    [
                        {
                            "label": f"MQLs for {next_year_label(revision.plan)}",
                            "values": funnel.for_next["mql"],
                        }
                    ]
                    if any(funnel.for_next["mql"])
                    else []
                ),
            ],
        },
        "bookings_chart": {
            "labels": labels,
            "values": [float(funnel.monthly["won"][i] * asp) for i in range(len(labels))],
        },
    }


def next_year_label(plan: Plan) -> str:
    return f"FY{plan.fiscal_year + 1}"


def rolling_summary(funnel: Funnel, revision: PlanRevision) -> dict:
    """The rolling plan's figures in words and dollars: what the pipeline in flight will
    win, what is left to source, the start gap, and this year's work for next year."""
    asp = revision.asp
    carry = Decimal(funnel.carry_in.numerator) / Decimal(funnel.carry_in.denominator)
    to_source = sum(funnel.deals_to_source)
    to_source = Decimal(to_source.numerator) / Decimal(to_source.denominator)
    return {
        "carry_in_deals": carry.quantize(Decimal("0.1")),
        "carry_in_amount": (carry * asp).quantize(Decimal(1)),
        "to_source_deals": to_source.quantize(Decimal("0.1")),
        "start_gap": funnel.start_gap,
        "start_gap_amount": funnel.start_gap_amount,
        "growth": revision.growth,
        "next_label": next_year_label(revision.plan),
        "for_next": {s: sum(funnel.for_next[s]) for s in STAGES},
        "starts_in_past": revision.plan.start <= timezone.localdate(),
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
    growth = Decimal(snapshot.get("growth", "0")) * 100
    out["Growth for next year"] = f"{growth.normalize():f}%"
    out["Pipeline coverage"] = f"{Decimal(snapshot.get('coverage', '3')).normalize():f}×"
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
