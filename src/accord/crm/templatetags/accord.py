"""Presentation helpers shared by every page: money, percentages and charts."""

import itertools
from decimal import Decimal

from django import template
from django.utils.html import format_html, json_script

register = template.Library()
_chart_ids = itertools.count(1)


@register.filter
def money(value) -> str:
    """Whole dollars with thousands separators; cents only for small non-zero amounts."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if 0 < amount < 100:
        return f"{sign}${amount:,.2f}"
    return f"{sign}${amount:,.0f}"


@register.filter
def percent(fraction, digits: int = 0) -> str:
    """A stored fraction shown as a percentage: 0.254 -> 25%."""
    if fraction is None or fraction == "":
        return "—"
    return f"{Decimal(fraction) * 100:.{int(digits)}f}%"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def chart(kind: str, data: dict, label: str, *, series: str = "", money: bool = False):
    """A Chart.js chart drawn by static/accord/app.js from a JSON block (no inline script).

    `data` is {"labels": [...], "values": [...]} for one series, or
    {"labels": [...], "datasets": [{"label", "values"}, ...]} for several.
    """
    element_id = f"chart-data-{next(_chart_ids)}"
    payload = {"kind": kind, "series": series or label, "money": money, **data}
    return format_html(
        '<figure class="chart chart-{}">'
        '<canvas data-chart="{}" role="img" aria-label="{}"></canvas>'
        "<figcaption>{}</figcaption></figure>{}",
        kind,
        element_id,
        label,
        label,
        json_script(payload, element_id),
    )
