"""The calculator page's "Promised against realised" card gathers its own figures, so that
the page's view and template each need one line for it (`_promised_realised.html`)."""

from django import template

from accord.calculators import deal_queries

register = template.Library()


@register.simple_tag
def promised_realised(calculator) -> dict:
    return deal_queries.promised_realised(calculator)
