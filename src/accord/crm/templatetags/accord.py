"""Presentation helpers shared by every page: money, percentages and charts."""

import itertools
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
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
def moment(value, pattern: str = "D M j, H:i") -> str:
    """One instant on the reader's clock with its zone's abbreviation, machine-readable too:
    <time datetime="2026-12-08T22:30:00+00:00">Tue Dec 8, 17:30 EST</time>."""
    if value is None or value == "":
        return "—"
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{} {}</time>',
        value.isoformat(),
        date_format(local, pattern),
        date_format(local, "T"),
    )


@register.filter
def percent(fraction, digits: int = 0) -> str:
    """A stored fraction shown as a percentage: 0.254 -> 25%."""
    if fraction is None or fraction == "":
        return "—"
    return f"{Decimal(fraction) * 100:.{int(digits)}f}%"


@register.filter
def points(fraction, other) -> str:
    """The difference of two fractions in percentage points: 0.25, 0.2 -> +5.0 pts."""
    if fraction is None or other is None or fraction == "" or other == "":
        return "—"
    return f"{(Decimal(str(fraction)) - Decimal(str(other))) * 100:+.1f} pts"


@register.filter
def times(value) -> str:
    """A multiple: 3.456 -> 3.46×; nothing to divide by -> —."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}×"


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
