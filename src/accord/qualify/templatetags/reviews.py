"""The sales review panel on a lead's page: accept or reject it, and its review history."""

from django import template

from accord.people import permissions
from accord.qualify import reviews

register = template.Library()


@register.inclusion_tag("qualify/_lead_review.html", takes_context=True)
def lead_review_panel(context, lead) -> dict:
    user = context["request"].user
    may_review = permissions.can_review_lead(user, lead)
    can_accept = may_review and reviews.can_be_accepted(lead)
    can_reject = may_review and reviews.can_be_rejected(lead)
    return {
        "lead": lead,
        "can_accept": can_accept,
        "can_reject": can_reject,
        "reasons": list(reviews.active_reasons()) if can_reject else [],
        "history": reviews.lead_reviews(lead),
        "comment_max": reviews.COMMENT_MAX,
        "csrf_token": context.get("csrf_token"),
    }
