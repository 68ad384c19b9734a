"""The moments of the attribution tests' hand-made companies (conftest.py), and the
reference journey of an opportunity, built in plain Python from the ORM."""

from datetime import UTC, datetime, timedelta

from accord.analytics.attribution import rules
from accord.crm.models import Lead, Opportunity, Touchpoint

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Acme's big deal
CLOSED = OPENED + timedelta(days=44)
AS_OF = datetime(2026, 6, 30, tzinfo=UTC)  # the period: a year back from here


def days(n, seconds=0):
    return timedelta(days=n, seconds=seconds)


def at(year, month, day, hour=0, second=0):
    return datetime(year, month, day, hour, 0, second, tzinfo=UTC)


def rules_journey(deal: Opportunity) -> rules.Journey:
    leads = {lead.pk: lead for lead in Lead.objects.filter(account=deal.account_id)}
    if deal.primary_lead:
        leads[deal.primary_lead_id] = deal.primary_lead
    earliest = min((lead.created_at for lead in leads.values()), default=None)
    return rules.Journey(
        opportunity=deal.pk,
        amount=deal.amount,
        created_at=deal.created_at,
        lead_created_at=deal.primary_lead.created_at if deal.primary_lead else earliest,
        closed_won_at=deal.closed_at if deal.stage == "won" else None,
        touches=tuple(
            rules.Touch(touch.pk, touch.occurred_at, touch.channel.key, touch.campaign_id)
            for touch in Touchpoint.objects.filter(lead__in=leads).select_related("channel")
        ),
    )
