"""Service-level settings: follow-up policies and business hours.

Everybody signed in reads them; the people `can_edit_service_levels` allows change them.
Views parse input and call one verb in `accord.sla.actions`; the verbs decide.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.analytics import business_hours
from accord.core.forms import as_percent, errors_onto, plain_number
from accord.crm.models import Activity, Channel, Touchpoint
from accord.people import permissions
from accord.sla import actions
from accord.sla.clocks import as_calendar
from accord.sla.forms import CalendarForm, DayOffForm, PolicyForm
from accord.sla.models import BusinessCalendar, DayOff, FollowUpPolicy

UPCOMING_CLOSED_DAYS = 5
# How far ahead to look for them: a year covers every public holiday.
LOOK_AHEAD_DAYS = 400
COMMON_TIME_ZONES = (
    "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Phoenix", "America/Toronto", "America/Vancouver", "America/Mexico_City",
    "America/Sao_Paulo", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris",
    "Europe/Berlin", "Europe/Madrid", "Europe/Amsterdam", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Zurich", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Hong_Kong", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip


# --- Read models ---------------------------------------------------------------------------


def _plural(count: int | Decimal, word: str) -> str:
    number = plain_number(count) if isinstance(count, Decimal) else str(count)
    return f"{number} {word}{'' if count == 1 else 's'}"


def _listed(items: list[str]) -> str:
    return ", ".join(items)


def segment_text(policy: FollowUpPolicy, channel_names: dict[str, str]) -> str:
    """The leads a policy covers, in words: 'Grades A, B · sources Webinar · leads with a
    Demo request', or 'Every MQL'."""
    parts = []
    if policy.grades:
        parts.append(("Grade " if len(policy.grades) == 1 else "Grades ") + _listed(policy.grades))
    if policy.sources:
        names = [channel_names.get(key, key) for key in policy.sources]
        parts.append(("source " if len(names) == 1 else "sources ") + _listed(names))
    if policy.touch_kind:
        label = dict(Touchpoint.Kind.choices).get(policy.touch_kind, policy.touch_kind)
        article = "an" if label[:1].lower() in "aeiou" else "a"
        parts.append(f"leads with {article} {label}")
    if not parts:
        return "Every MQL"
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class PolicyRow:
    policy: FollowUpPolicy
    segment: str
    first_response: str
    attempts: str
    counts: str
    at_risk: str


def policy_rows() -> list[PolicyRow]:
    channel_names = dict(Channel.objects.values_list("key", "name"))
    kind_labels = dict(Activity.Kind.choices)
    rows = []
    for policy in FollowUpPolicy.objects.order_by("priority"):
        kinds = [label for key, label in kind_labels.items() if key in policy.attempt_kinds]
        rows.append(
            PolicyRow(
                policy=policy,
                segment=segment_text(policy, channel_names),
                first_response=_plural(policy.first_response_hours, "business hour"),
                attempts=f"{policy.attempts} within "
                + _plural(policy.attempt_days, "business day"),
                counts=_listed(kinds),
                at_risk=f"{as_percent(policy.at_risk_share)}%",
            )
        )
    return rows


def week_summary(week: dict) -> str:
    """{"mon": [["09:00", "17:00"]], ...} -> 'Mon–Fri 09:00–17:00 · Sat 10:00–14:00'."""
    texts = actions.week_text(week)
    groups: list[list] = []  # [first day, last day, hours]
    for index, day in enumerate(business_hours.WEEKDAYS):
        if groups and groups[-1][2] == texts[day]:
            groups[-1][1] = index
        else:
            groups.append([index, index, texts[day]])
    names = [name[:3] for name in business_hours.DAY_NAMES]
    parts = [
        (names[first] if first == last else f"{names[first]}–{names[last]}")
        + " "
        + hours.replace("-", "–")
        for first, last, hours in groups
        if hours
    ]
    return " · ".join(parts) or "Closed every day"


@dataclass(frozen=True)
class CalendarRow:
    calendar: BusinessCalendar
    week: str
    days_off: int
    closed_days: list[tuple[date, str]]
    problem: str = ""


def closed_days(row: BusinessCalendar, count: int = UPCOMING_CLOSED_DAYS) -> list:
    """The next `count` days the calendar would be open but for a public holiday or a day
    off, from today in the calendar's time zone, with their names."""
    calendar = as_calendar(row)
    names = {day_off.date: day_off.name for day_off in row.days_off.all()}
    day = timezone.now().astimezone(calendar.zone).date()
    found = []
    for _ in range(LOOK_AHEAD_DAYS):
        if calendar.week[day.weekday()]:
            name = names.get(day) or calendar.holiday_name(day)
            if name:
                found.append((day, name))
                if len(found) == count:
                    break
        day += timedelta(days=1)
    return found


def calendar_rows() -> list[CalendarRow]:
    rows = BusinessCalendar.objects.select_related("team").prefetch_related("days_off")
    result = []
    # The company default first, then the teams by name.
    for row in sorted(rows, key=lambda r: (r.team_id is not None, r.name.lower())):
        try:
            upcoming, problem = closed_days(row), ""
        except business_hours.CalendarError as error:
            upcoming, problem = [], str(error)
        result.append(
            CalendarRow(
                calendar=row,
                week=week_summary(row.week or {}),
                days_off=len(row.days_off.all()),
                closed_days=upcoming,
                problem=problem,
            )
        )
    return result


# --- Pages -----------------------------------------------------------------------------------


def policies(request):
    return render(
        request,
        "sla/policies.html",
        {
            "rows": policy_rows(),
            "can_edit": permissions.can_edit_service_levels(request.user),
            "tab": "policies",
        },
    )


def policy_edit(request, pk: int | None = None):
    permissions.require(permissions.can_edit_service_levels(request.user), actions.DENIED)
    policy = get_object_or_404(FollowUpPolicy, pk=pk) if pk is not None else None
    initial = PolicyForm.initial_from(policy)
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.save_policy(request.user, form.values(), policy)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            verb = "Saved" if policy else "Created"
            messages.success(request, f"{verb} “{saved.name}” (priority {saved.priority}).")
            for other in actions.overlaps(saved):
                winner = min(saved, other, key=lambda p: p.priority)
                messages.warning(
                    request,
                    f"Overlaps with “{other.name}” (priority {other.priority}): leads matching "
                    f"both follow “{winner.name}” (priority {winner.priority}).",
                )
            return redirect("sla:policies")
    return render(
        request,
        "sla/policy_form.html",
        {
            "form": form,
            "policy": policy,
            "title": f"Change “{policy.name}”" if policy else "New follow-up policy",
            "tab": "policies",
        },
        status=400 if form.is_bound else 200,
    )


def calendars(request):
    rows = calendar_rows()
    return render(
        request,
        "sla/calendars.html",
        {
            "rows": rows,
            "has_default": any(row.calendar.team_id is None for row in rows),
            "can_edit": permissions.can_edit_service_levels(request.user),
            "tab": "calendars",
        },
    )


def calendar_edit(request, pk: int):
    """The calendar's place and week, and its days off: two forms on one page."""
    permissions.require(permissions.can_edit_service_levels(request.user), actions.DENIED)
    calendar = get_object_or_404(BusinessCalendar.objects.select_related("team"), pk=pk)
    posted = request.POST if request.method == "POST" else None
    adding = posted is not None and posted.get("form") == "day_off"
    form = CalendarForm(None if adding else posted, initial=CalendarForm.initial_from(calendar))
    day_off_form = DayOffForm(posted if adding else None, prefix="day_off")
    if adding and day_off_form.is_valid():
        data = day_off_form.cleaned_data
        try:
            day_off = actions.add_day_off(request.user, calendar, data["date"], data["name"])
        except ValidationError as error:
            errors_onto(day_off_form, error)
        else:
            messages.success(request, f"{day_off.date:%a %d %b %Y} is a day off: {day_off.name}.")
            return redirect("sla:calendar_edit", pk=calendar.pk)
    elif form.is_bound and form.is_valid():
        try:
            actions.save_calendar(request.user, calendar, form.values())
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Saved the business hours: {calendar.name}.")
            return redirect("sla:calendars")
    return render(
        request,
        "sla/calendar_form.html",
        {
            "calendar": calendar,
            "form": form,
            "day_off_form": day_off_form,
            "days_off": calendar.days_off.all(),
            "today": timezone.localdate(),
            "time_zones": COMMON_TIME_ZONES,
            "tab": "calendars",
        },
        status=400 if posted is not None else 200,
    )


@require_POST
def day_off_remove(request, pk: int):
    permissions.require(permissions.can_edit_service_levels(request.user), actions.DENIED)
    day_off = get_object_or_404(DayOff.objects.select_related("calendar__team"), pk=pk)
    calendar = day_off.calendar
    actions.remove_day_off(request.user, day_off)
    messages.success(
        request, f"{day_off.date:%a %d %b %Y} is no longer a day off ({day_off.name})."
    )
    return redirect("sla:calendar_edit", pk=calendar.pk)
