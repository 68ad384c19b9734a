"""How the calculator pages show a version's parts."""

from django import template

from accord.calculators import queries

register = template.Library()


@register.filter
def assumptions_shown(version) -> list[dict]:
    """A version's assumptions, each with `shown`: 80% for a share written as a percentage,
    1,800 for a number (`queries.assumption_shown`)."""
    return queries.assumptions_shown(version)
