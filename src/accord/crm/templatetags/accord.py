"""Presentation helpers shared by every page: money, percentages and charts."""

import itertools
from decimal import Decimal
from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, json_script
from django.utils.safestring import mark_safe

from accord.analytics import sla

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
        '<time datetime="{}">{} {}</time>', value.isoformat(), local_format(local, pattern),
        date_format(local, "T"),
    )  # fmt: skip


@register.filter
def when(value, pattern: str = "M j, Y H:i") -> str:
    """An instant on the reader's clock in a <time> element (the date filter's pattern):
    <time datetime="2026-12-08T17:30:00-05:00">Dec 8, 2026 17:30</time>."""
    if value is None or value == "":
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return mark_safe(  # noqa: S308 (digits, month and day names and the pattern's escaped text)
        f'<time datetime="{local.isoformat()}">{escape(local_format(local, pattern))}</time>'
    )


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The date filter's letters the pages use, formatted directly (Django's formatter, which
# knows every letter, resolves each through a method and the active language's names, was
# a tenth of a list's time); any other letter is left to it.
_LETTERS = {
    "Y": lambda d: str(d.year),
    "y": lambda d: f"{d.year % 100:02d}",
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "M": lambda d: _MONTHS[d.month - 1],
    "d": lambda d: f"{d.day:02d}",
    "j": lambda d: str(d.day),
    "D": lambda d: _DAYS[d.weekday()],
    "H": lambda d: f"{d.hour:02d}",
    "i": lambda d: f"{d.minute:02d}",
    "s": lambda d: f"{d.second:02d}",
}
_PLAIN = set(" ,.:-/()")


def local_format(moment, pattern: str) -> str:
    """`moment` (already on the reader's clock) as Django's date filter formats `pattern`."""
    if not all(c in _LETTERS or c in _PLAIN for c in pattern):
        return date_format(moment, pattern)
    return "".join(_LETTERS[c](moment) if c in _LETTERS else c for c in pattern)


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


# The lead list's rows, drawn in Python: fifty rows of eleven cells through the template
# engine took about a third of the list's time (every variable, filter and date is resolved
# node by node, every value escaped through Django's lazy-aware wrappers). The markup is the
# one the template had; every value is escaped (html.escape, as Django's escape does).

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LEAD_ROW = (
    '<tr><td><a href="{}">{}</a><div class="muted small">{}</div></td><td>{}</td><td>{}</td>'
    '<td>{}</td><td><span class="status status-{}">{}</span></td><td class="nowrap">{}</td>'
    '<td>{}</td><td class="num">{}</td><td>{}</td><td class="nowrap">{}</td>'
    '<td class="nowrap" title="{}">{}</td></tr>\n'
)
_DASH = '<span class="muted">–</span>'
_PK = 987654321  # stands for the row's id in a link reversed once per list


def _e(value) -> str:
    return escape(str(value))


def _lead_row(lead, e, lead_url: str, account_url: str) -> str:
    account = lead.account
    clock, due = _DASH, _DASH
    if e:
        label = sla.STATUS_LABELS.get(e.status, e.status)
        clock = f'<span class="clock status-{_e(e.status)}">{_e(label)}</span>'
        if e.needs_follow_up:
            at = timezone.localtime(e.next_due)
            shown = f"{_MONTHS[at.month - 1]} {at.day}, {at:%H:%M}"
            due = f'<time datetime="{_e(at.isoformat())}">{shown}</time>'
    created = timezone.localtime(lead.created_at)
    return _LEAD_ROW.format(
        _e(lead_url.replace(str(_PK), str(lead.pk))),
        _e(lead.name),
        _e(lead.email),
        _e(lead.title),
        f'<a href="{_e(account_url.replace(str(_PK), str(account.pk)))}">{_e(account.name)}</a>'
        if account
        else "",
        _e(lead.source or "—"),
        _e(lead.status),
        _e(lead.get_status_display()),
        _e(lead.owner or "Unassigned"),
        f'<span class="grade">{_e(lead.fit_grade)}</span>' if lead.fit_grade else "–",
        _e(lead.engagement_score),
        clock,
        due,
        _e(f"{created:%Y-%m-%d %H:%M} {created.tzname() or ''}".rstrip()),
        f"{_MONTHS[created.month - 1]} {created.day}, {created.year}",
    )


@register.simple_tag
def lead_rows(leads, clocks) -> str:
    """The <tr> of each lead of a list page; `clocks`: {lead id: its newest spell's clocks}."""
    lead_url, account_url = reverse("crm:lead", args=[_PK]), reverse("crm:account", args=[_PK])
    rows = "".join(_lead_row(lead, clocks.get(lead.pk), lead_url, account_url) for lead in leads)
    return mark_safe(rows)  # noqa: S308 (every value above is escaped)


@register.simple_tag
def timeline_items(entries) -> str:
    """The <li> of each event of a lead's timeline (crm.queries.TimelineEntry), drawn in
    Python as the lead list's rows are: the same markup the template had, every value
    escaped."""
    items = []
    for entry in entries:
        detail = f' <span class="muted">{_e(entry.detail)}</span>' if entry.detail else ""
        who = f' <span class="tl-who">by {_e(entry.who)}</span>' if entry.who else ""
        items.append(
            f'<li class="tl tl-{_e(entry.kind)}">{when(entry.at)} '
            f'<span class="tl-kind">{_e(entry.kind)}</span> <strong>{_e(entry.title)}</strong>'
            f"{detail}{who}</li>\n"
        )
    return mark_safe("".join(items))  # noqa: S308 (every value above is escaped)
