"""Lead value for the page, the API and `accord qualify lead-value`.

What each lead type is worth comes from the analytics engine (`accord.analytics.lead_value`,
which says how). This module chooses its inputs, and measures marketing by it.

Inputs. The grouping (default source x fit grade) and the horizon (default 365 days) are
checked by the analytics module. The cohort defaults to the 12 whole months (UTC) that end
on the first of the month the horizon reaches back to, so that every lead in it has had
its whole horizon: on 2026-11-23 with 365 days, leads created from 2024-11-01 to
2025-10-31. A chosen cohort whose horizon has not passed yet is computed with a warning.

Delivered value. A marketing-sourced lead (its source channel is in the marketing group)
is delivered in the month it first reached MQL or a later lifecycle status, in the
configured time zone: the scoreboard's marketing-sourced MQLs. It is worth the value of its
type among the cohort's leads that reached MQL: an MQL has already passed the step most new
leads fail, so valuing it like any new lead of its type would understate it (by about a
third on the demo company, with source x grade types). An MQL of a type that had no MQLs in
the cohort has no value yet: it is counted apart, never guessed.

The quota. The plan in force (the scoreboard's default plan) gives marketing a share of the
plan's MQLs, month by month. In dollars, a month's quota is that MQL quota x the plan's
MQL -> won rate x its average selling price: the bookings the planned MQLs are planned to
bring, which is what a lead's value estimates. The marketing-sourced pipeline quota (the
plan's other marketing dollar figure) is shown beside it but not compared: pipeline is
counted before the win rate, so it is several times the value of the same leads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accord.analytics import lead_value
from accord.analytics.months import add_months, next_month, starting
from accord.analytics.pacing import BEHIND_BELOW
from accord.core import figures
from accord.crm.filters import day_bounds, first_reaches
from accord.crm.models import Channel, Lead
from accord.plan.models import PlanRevision
from accord.plan.queries import default_plan, kept_funnel, plan_by_month

if TYPE_CHECKING:
    from accord.analytics.lead_value import LeadType, LeadValues

COHORT_MONTHS = 12
SMALL_SAMPLE = 30  # leads; below it a type's interval is wide and its rank unreliable
CHART_TYPES = 15
CENTS = Decimal("0.01")
# Grouping key -> the lead's field it reads.
LEAD_FIELDS = {
    "source": "source__key",
    "grade": "fit_grade",
    "source_group": "source__group",
    "country": "account__country",
    "industry": "account__industry",
}
# The steps from MQL to won in the plan's rates.


@dataclass(frozen=True)
class Options:
    group_by: tuple[str, ...]
    horizon_days: int
    cohort_from: date
    cohort_to: date
    warnings: tuple[str, ...] = ()


def default_cohort(horizon_days: int, today: date) -> tuple[date, date]:
    """The 12 whole months ending on the first of the month `horizon_days` before today."""
    end = (today - timedelta(days=horizon_days)).replace(day=1)
    return add_months(end, -COHORT_MONTHS), end


def choose_options(
    *,
    group_by: list[str] | tuple[str, ...] | None = None,
    horizon_days: int | None = None,
    cohort_from: date | None = None,
    cohort_to: date | None = None,
    today: date | None = None,
) -> Options:
    """Checked inputs with their defaults filled in; ValueError says what is wrong.

    Give either bound of the cohort alone and the other is 12 months away from it.
    """
    today = today or timezone.localdate()
    keys = lead_value.check_group_by(lead_value.DEFAULT_GROUP_BY if group_by is None else group_by)
    horizon = lead_value.check_horizon(
        lead_value.DEFAULT_HORIZON_DAYS if horizon_days is None else horizon_days
    )
    if cohort_from is None and cohort_to is None:
        cohort_from, cohort_to = default_cohort(horizon, today)
    elif cohort_from is None:
        cohort_from = add_months(cohort_to, -COHORT_MONTHS)
    elif cohort_to is None:
        cohort_to = min(add_months(cohort_from, COHORT_MONTHS), today)
    if cohort_from >= cohort_to:
        raise ValueError(f"The cohort must start before it ends; got {cohort_from} to {cohort_to}.")
    if cohort_to > today + timedelta(days=1):
        raise ValueError(f"The cohort cannot end in the future ({cohort_to}).")
    warnings = []
    complete = cohort_to - timedelta(days=1) + timedelta(days=horizon)
    if complete > today:
        warnings.append(
            f"Leads created after {today - timedelta(days=horizon):%Y-%m-%d} have not had "
            f"their whole {horizon}-day horizon yet: some that will be won are not won yet, "
            "so these probabilities and values are too low."
        )
    return Options(keys, horizon, cohort_from, cohort_to, tuple(warnings))


# The app tables the analytics contract reads (accord.analytics.tables.CONTRACT).
VALUE_TABLES = (
    "crm_account",
    "crm_campaign",
    "crm_campaigncost",
    "crm_channel",
    "crm_lead",
    "crm_leadstatuschange",
    "crm_opportunity",
    "crm_touchpoint",
)


def kept_lead_values(opts: Options, reached: str | None = None) -> figures.Kept[LeadValues]:
    """`lead_values`, kept until the data changes, when the analytics run on the app
    database (a copy on another engine changes without the app knowing: not kept)."""
    from accord.core import engine

    if engine.analytics_url():
        return figures.Kept(lead_values(opts, reached), timezone.now(), {}, None)
    key = (
        f"qualify.lead_values:{timezone.get_current_timezone_name()}:{reached}:"
        f"{','.join(opts.group_by)}:{opts.horizon_days}:{opts.cohort_from}:{opts.cohort_to}"
    )
    return figures.kept(key, VALUE_TABLES, lambda: lead_values(opts, reached))


def lead_values(opts: Options, reached: str | None = None) -> LeadValues:
    """The value of each lead type (of those that reached `reached`), computed by the
    analytics engine."""
    # Imported here: Ibis takes most of a second to load, and only lead value needs it.
    from accord.core import engine

    return lead_value.lead_values(
        engine.app_tables(),
        group_by=opts.group_by,
        horizon_days=opts.horizon_days,
        cohort_from=opts.cohort_from,
        cohort_to=opts.cohort_to,
        reached=reached,
    )


def as_json(opts: Options, values: LeadValues) -> dict[str, Any]:
    return {**values.as_json(), "warnings": list(opts.warnings)}


def cli_lead_value(options: dict[str, Any]) -> dict[str, Any]:
    """`accord qualify lead-value --json`: options group_by (list of keys), horizon_days,
    cohort_from and cohort_to (dates), each None for its default. ValueError for bad input.
    """
    unknown = set(options) - {"group_by", "horizon_days", "cohort_from", "cohort_to"}
    if unknown:
        raise ValueError(f"Unknown lead value options: {', '.join(sorted(unknown))}.")
    for name in ("cohort_from", "cohort_to"):
        value = options.get(name)
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise ValueError(f"{name} must be a date like 2025-01-01; got {value!r}.")
    group_by = options.get("group_by")
    if group_by is not None:
        # "source,grade" and ["source", "grade"] alike: a command line or a query string.
        items = [group_by] if isinstance(group_by, str) else group_by
        group_by = [part.strip() for item in items for part in str(item).split(",")]
        group_by = [part for part in group_by if part]
    opts = choose_options(
        group_by=group_by,
        horizon_days=options.get("horizon_days"),
        cohort_from=options.get("cohort_from"),
        cohort_to=options.get("cohort_to"),
    )
    return as_json(opts, lead_values(opts))


# --- Marketing's delivered value against the plan ---------------------------------------------


def kept_marketing_mqls(months: list[date], group_by: tuple[str, ...]) -> figures.Kept[dict]:
    key = (
        f"qualify.marketing_mqls:{timezone.get_current_timezone_name()}:{months[0]}:"
        f"{len(months)}:{','.join(group_by)}"
    )
    return figures.kept(
        key,
        VALUE_TABLES,
        lambda: {m: dict(types) for m, types in marketing_mqls(months, group_by).items()},
    )


def marketing_mqls(months: list[date], group_by: tuple[str, ...]) -> dict[date, dict[tuple, int]]:
    """Month -> type key -> marketing-sourced leads that first reached MQL in the month."""
    since, until = day_bounds(months[0], next_month(months[-1]) - timedelta(days=1))
    fields = [f"lead__{LEAD_FIELDS[key]}" for key in group_by]
    rows = (
        first_reaches(Lead.Status.MQL)
        .filter(
            lead__source__group=Channel.Group.MARKETING,
            changed_at__gte=since,
            changed_at__lt=until,
        )
        .annotate(month=TruncMonth("changed_at"))
        .values("month", *fields)
        .annotate(n=Count("id"))
        .order_by()
    )
    found: dict[date, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = timezone.localtime(month).date()
        values = {key: row[f"lead__{LEAD_FIELDS[key]}"] for key in group_by}
        found[month.replace(day=1)][lead_value.type_key(group_by, values)] += row["n"]
    return found


def plan_in_force(today: date) -> PlanRevision | None:
    plan = default_plan(today)
    return plan.in_force if plan else None


def value_quota(revision: PlanRevision) -> dict[str, Any]:
    """Marketing's quota per plan month: "months", "mqls", their "value" in dollars, the
    "pipeline" dollars, and the plan's "start_gap" (deals, never added to a month)."""
    funnel = kept_funnel(revision).value
    planned = plan_by_month(funnel, revision)
    per_mql = funnel.value_per_mql()
    mqls = planned["mql_marketing"]
    return {
        "months": list(funnel.months),
        "mqls": mqls,
        "value": [_cents(n * per_mql) for n in mqls],
        "pipeline": [_cents(amount) for amount in planned["marketing_pipeline"]],
        "start_gap": funnel.start_gap_message,
    }


def delivered_value(mql_values: LeadValues, now: datetime) -> dict[str, Any]:
    """Marketing's delivered lead value per month, against the plan in force if any (its
    months), else over the last 12 months. `mql_values`: the types' values as MQLs."""
    today = timezone.localdate(now)
    revision = plan_in_force(today)
    this_month = today.replace(day=1)
    start_gap = ""
    if revision is not None:
        planned = value_quota(revision)
        months, start_gap = planned["months"], planned["start_gap"]
        mql_quota, quota, pipeline_quota = planned["mqls"], planned["value"], planned["pipeline"]
    else:
        months = starting(add_months(this_month, -(COHORT_MONTHS - 1)), COHORT_MONTHS)
        mql_quota = quota = pipeline_quota = [None] * len(months)
    found = kept_marketing_mqls(months, mql_values.group_by).value
    rows = []
    for i, month in enumerate(months):
        started = month <= this_month
        counts = found.get(month, {})
        valued = {key: n for key, n in counts.items() if mql_values.value_of(key) is not None}
        value = sum((mql_values.value_of(key) * n for key, n in valued.items()), Decimal(0))
        rows.append(
            {
                "month": month,
                "started": started,
                "current": month == this_month,
                "mqls": sum(counts.values()) if started else None,
                "unvalued": sum(counts.values()) - sum(valued.values()),
                "value": _cents(value) if started else None,
                "mql_quota": mql_quota[i],
                "quota": quota[i],
                "pipeline_quota": pipeline_quota[i],
                "ratio": value / quota[i] if started and quota[i] else None,
            }
        )
    done = [row for row in rows if row["started"]]
    total_value = sum((row["value"] for row in done), Decimal(0))
    total_quota = sum((row["quota"] for row in done), Decimal(0)) if revision else None
    return {
        "revision": revision,
        "plan": revision.plan if revision else None,
        "months": rows,
        "start_gap": start_gap,
        "total": {
            "mqls": sum(row["mqls"] for row in done),
            "unvalued": sum(row["unvalued"] for row in done),
            "value": total_value,
            "quota": total_quota,
            "ratio": total_value / total_quota if total_quota else None,
        },
        "chart": {
            # The month under way is partial: its bar says so, or it reads as a bad month.
            "labels": [
                f"{row['month']:%b %Y}" + (" (so far)" if row["current"] else "") for row in rows
            ],
            "datasets": [
                {
                    "label": "Delivered lead value",
                    "values": [float(row["value"]) if row["started"] else None for row in rows],
                },
                *(
                    [{"label": "Quota in value", "values": [float(q) for q in quota]}]
                    if revision
                    else []
                ),
            ],
        },
    }


# --- The page ----------------------------------------------------------------------------------


def type_parts(lead_type: LeadType, names: dict[str, dict[str, str]]) -> list[str]:
    """A type's values as people read them: channels and source groups by name."""
    return [names.get(key, {}).get(value, value) for key, value in lead_type.type.items()]


def lead_value_page(opts: Options, now: datetime) -> dict[str, Any]:
    """Everything the lead value page shows."""
    kept_values = kept_lead_values(opts)
    kept_mqls = kept_lead_values(opts, reached=Lead.Status.MQL)
    values = kept_values.value
    names = {
        "source": dict(Channel.objects.values_list("key", "name")),
        "source_group": dict(Channel.Group.choices),
    }
    rows = [
        {
            "type": t,
            "parts": type_parts(t, names),
            "label": " · ".join(type_parts(t, names)),
            "small": t.leads < SMALL_SAMPLE,
        }
        for t in values.types
    ]
    # Tiny types top a ranking by value by chance: chart the types with enough leads.
    sizable = [row for row in rows if not row["small"]]
    charted = (sizable or rows)[:CHART_TYPES]
    return {
        "options": opts,
        "values": values,
        "overall": values.overall,
        "rows": rows,
        "small_sample": SMALL_SAMPLE,
        "behind_below": BEHIND_BELOW,
        "has_small": any(row["small"] for row in rows),
        "group_labels": [lead_value.GROUP_KEYS[key] for key in opts.group_by],
        "value_chart": {
            "labels": [row["label"] for row in charted],
            "datasets": [
                {
                    "label": f"{values.confidence:.0%} interval: low",
                    "values": [_float(row["type"].value_interval, 0) for row in charted],
                },
                {"label": "Value", "values": [_float(row["type"].value) for row in charted]},
                {
                    "label": f"{values.confidence:.0%} interval: high",
                    "values": [_float(row["type"].value_interval, 1) for row in charted],
                },
            ],
        },
        "charted": len(charted),
        "charted_sizable": bool(sizable),
        "delivered": delivered_value(kept_mqls.value, now),
        "kept": figures.oldest([kept_values, kept_mqls]),
    }


def _float(amount, index: int | None = None) -> float | None:
    if amount is None:
        return None
    return float(amount if index is None else amount[index])


def _cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENTS, ROUND_HALF_UP)
