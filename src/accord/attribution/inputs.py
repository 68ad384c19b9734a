"""What an attribution run reads besides the engine's tables: the fingerprint of its data,
which says when a stored run has gone stale, and the spend lines of its months."""

import hashlib
from datetime import date

from django.db.models import Count, Max, Sum

from accord.attribution.models import Spend, UnitEconomics
from accord.crm.models import (
    CampaignCost,
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
