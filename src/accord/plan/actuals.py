"""What actually happened, month by month: leads, each funnel stage reached, opportunities
opened and won with their amounts, each split by the source channel's group. The plan's
numbers are set against these by the scoreboard and by the plan goals of the customer
journey, so they are counted here once, below both, and kept (`core.figures`) until a table
they read changes."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accord.analytics.months import next_month
from accord.core import figures
from accord.crm.filters import day_bounds, first_reaches
from accord.crm.models import Channel, Lead, LeadStatusChange, Opportunity

# Plan stage -> the lead status that marks it.
LEAD_STATUS = {"mql": "mql", "sal": "accepted", "sql": "sql", "opportunity": "opportunity"}


@dataclass
class Actuals:
    """Figures per month (lists aligned with `months`), each also split by source group."""

    months: list[date]
    counts: dict[str, list[int]] = field(default_factory=dict)
    amounts: dict[str, list[Decimal]] = field(default_factory=dict)
    # metric -> source group ("" for none) -> per month
    by_group: dict[str, dict[str, list]] = field(default_factory=dict)

    def group(self, metric: str, group: str) -> list:
        zero = Decimal(0) if metric in self.amounts else 0
        return self.by_group[metric].get(group, [zero] * len(self.months))


def _month_of(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date().replace(day=1)
    return value.replace(day=1)


def _monthly(
    queryset: QuerySet, field_name: str, months: Sequence[date], group="source__group", **aggregates
):
    """{aggregate: {group: [per month]}} for rows whose `field_name` falls in the months,
    split by the source group the path `group` reaches."""
    since, until = day_bounds(months[0], next_month(months[-1]) - timedelta(days=1))
    rows = (
        queryset.filter(**{f"{field_name}__gte": since, f"{field_name}__lt": until})
        .annotate(month=TruncMonth(field_name))
        .values("month", group)
        .annotate(**aggregates)
        .order_by()
    )
    index = {m: i for i, m in enumerate(months)}
    out = {name: defaultdict(lambda: [0] * len(months)) for name in aggregates}
    for row in rows:
        i = index[_month_of(row["month"])]
        for name in aggregates:
            out[name][row[group] or ""][i] += row[name] or 0
    return out


def _total(by_group: dict[str, list], length: int) -> list:
    return [sum(values[i] for values in by_group.values()) for i in range(length)]


# What the actuals read: kept until one of these tables changes.
ACTUALS_TABLES = figures.table_names([Lead, LeadStatusChange, Opportunity, Channel])


def kept_actuals(months: Sequence[date]) -> figures.Kept[Actuals]:
    months = list(months)
    key = f"scoreboard.actuals:{timezone.get_current_timezone_name()}:{months[0]}:{len(months)}"
    return figures.kept(key, ACTUALS_TABLES, lambda: actuals(months))


def actuals(months: Sequence[date]) -> Actuals:
    months = list(months)
    result = Actuals(months)

    def keep(metric: str, by_group: dict, money: bool = False) -> None:
        groups = dict(by_group)
        total = _total(groups, len(months))
        if money:
            groups = {g: [Decimal(v) for v in values] for g, values in groups.items()}
            result.amounts[metric] = [Decimal(v) for v in total]
        else:
            result.counts[metric] = total
        result.by_group[metric] = groups

    keep("lead", _monthly(Lead.objects.all(), "created_at", months, n=Count("id"))["n"])
    for stage, status in LEAD_STATUS.items():
        metric = "lead_opportunity" if stage == "opportunity" else stage
        reached = _monthly(
            first_reaches(status), "changed_at", months, "lead__source__group", n=Count("id")
        )
        keep(metric, reached["n"])
    created = _monthly(
        Opportunity.objects.all(), "created_at", months, n=Count("id"), amount=Sum("amount")
    )
    keep("opportunity", created["n"])
    keep("pipeline", created["amount"], money=True)
    won = _monthly(
        Opportunity.objects.filter(stage=Opportunity.Stage.WON),
        "closed_at",
        months,
        n=Count("id"),
        amount=Sum("amount"),
    )
    keep("won", won["n"])
    keep("bookings", won["amount"], money=True)
    return result
