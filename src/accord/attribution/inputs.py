"""What an attribution run reads besides the engine's tables: the fingerprint of its data,
which says when a stored run has gone stale, and the spend lines of its months."""

import hashlib
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from accord.analytics.months import first_of
from accord.attribution.models import Spend, UnitEconomics
from accord.crm.models import (
    CampaignCost,
    Lead,
    LeadFieldChange,
    Opportunity,
    OpportunityStageChange,
    Touchpoint,
)


def data_version() -> str:
    """A fingerprint of what attribution reads: it changes when opportunities, their stages,
    touchpoints, leads' imported fields (account, creation), campaign costs, spend or the
    unit-economics inputs change. Deals and touches are changed only by imports and the API,
    which stamp `updated_at`; leads' imported changes leave a LeadFieldChange row."""
    changed = Max("updated_at")
    parts = [
        Opportunity.objects.aggregate(
            n=Count("id"), last=Max("id"), amount=Sum("amount"), changed=changed
        ),
        OpportunityStageChange.objects.aggregate(n=Count("id"), last=Max("id")),
        Touchpoint.objects.aggregate(n=Count("id"), last=Max("id"), changed=changed),
        LeadFieldChange.objects.aggregate(last=Max("id")),
        CampaignCost.objects.aggregate(n=Count("id"), amount=Sum("amount")),
        Spend.objects.aggregate(n=Count("id"), amount=Sum("amount")),
        UnitEconomics.objects.aggregate(changed=Max("updated_at"), n=Count("id")),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def spend_lines(first_month: date | None, last_month: date) -> list[dict]:
    """The spend of the months from `first_month` (None: the first there is) to
    `last_month`, as `compute.run_all` reads it."""
    lines = Spend.objects.filter(month__lte=last_month)
    if first_month is not None:
        lines = lines.filter(month__gte=first_month)
    return [
        {"month": month, "side": side, "channel": channel, "amount": amount}
        for month, side, channel, amount in lines.values_list(
            "month", "side", "channel__key", "amount"
        )
    ]


def data_months(today: date) -> tuple[date, date]:
    """The first and last month of the company's own data (leads, opportunities, touches,
    campaign costs) with this month included: the months spend can belong to, give or take
    a year. Spend itself is left out, so a mistyped line never widens them."""
    days = [today]
    for model, field in (
        (Lead, "created_at"),
        (Opportunity, "created_at"),
        (Touchpoint, "occurred_at"),
        (CampaignCost, "month"),
    ):
        found = model.objects.aggregate(first=Min(field), last=Max(field))
        days += [value for value in found.values() if value is not None]
    days = [day.date() if isinstance(day, datetime) else day for day in days]
    return first_of(min(days)), first_of(max(days))


def largest_month_cost() -> Decimal:
    """The most that sales and marketing cost in one month so far: spend lines and campaign
    costs together (0 before anything was spent)."""
    totals: dict[date, Decimal] = {}
    for rows in (
        Spend.objects.values("month").annotate(total=Sum("amount")),
        CampaignCost.objects.values("month").annotate(total=Sum("amount")),
    ):
        for row in rows.order_by():
            totals[row["month"]] = totals.get(row["month"], Decimal(0)) + row["total"]
    return max(totals.values(), default=Decimal(0))
