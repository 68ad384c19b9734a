"""How the scoreboard shows its figures: whole counts, whole dollars, ratios."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from accord.crm.templatetags.accord import money

register = template.Library()


@register.filter
def whole(value) -> str:
    """A count, planned counts being fractional: rounded half up, thousands separated."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


@register.filter
def figure(value, metric) -> str:
    """A metric's value as money or as a whole count."""
    return money(value) if metric.money else whole(value)


@register.filter
def one_decimal(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"
