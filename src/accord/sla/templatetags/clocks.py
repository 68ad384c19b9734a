"""Template helpers for service levels: status words and the lead page's clocks panel."""

from django import template
from django.utils import timezone

from accord.analytics import sla
from accord.crm.models import Lead
from accord.sla import queries

register = template.Library()


@register.filter
def sla_status(status: str) -> str:
    return sla.STATUS_LABELS.get(status, status)


@register.simple_tag
def clocks_of(leads) -> dict:
    """{lead id: its newest MQL spell's evaluation} for a page of leads (a list's columns)."""
    return queries.clocks_by_lead([lead.pk for lead in leads])


@register.inclusion_tag("sla/_lead_clocks.html")
def lead_sla_panel(lead):
    """The follow-up clocks of a lead's MQL spells, newest first."""
    evaluations = queries.lead_clocks(lead)
    named = (
        {e.owner for e in evaluations}
        | {c.owner for e in evaluations for c in (e.first, e.attempts)}
        | {e.hand_close.by for e in evaluations if e.hand_close}
    )
    # Most spells were worked by the lead's owner, whom the page has read already.
    owner_read = lead.owner_id is not None and type(lead).owner.is_cached(lead)
    known = {lead.owner_id: lead.owner} if owner_read else {}
    users = known | queries.people(named - set(known))
    return {
        "lead": lead,
        "spells": [
            {
                "e": e,
                "owner": users.get(e.owner),
                "hand_closed_by": users.get(e.hand_close.by) if e.hand_close else None,
                "hand_closed_to": Lead.Status(e.hand_close.to_status).label if e.hand_close else "",
                "clocks": [
                    (
                        "First response",
                        e.first,
                        f"{_hours(e.policy.first_response)} business hours",
                    ),
                    (
                        "Attempts",
                        e.attempts,
                        f"{e.policy.attempts} within {e.policy.attempt_days} business days",
                    ),
                ],
            }
            for e in evaluations
        ],
        "time_zone": timezone.get_current_timezone_name(),
    }


def _hours(duration) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g}"
