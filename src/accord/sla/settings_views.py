"""Service-level settings: follow-up policies and business hours.

Everybody signed in reads them; the people `can_edit_service_levels` allows change them.
Views parse input and call one verb in `accord.sla.actions`; the verbs decide.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.core.forms import errors_onto
from accord.people import permissions
from accord.sla import actions, queries
from accord.sla.forms import CalendarForm, DayOffForm, PolicyForm
from accord.sla.models import BusinessCalendar, DayOff, FollowUpPolicy

COMMON_TIME_ZONES = (
    "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Phoenix", "America/Toronto", "America/Vancouver", "America/Mexico_City",
    "America/Sao_Paulo", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris",
    "Europe/Berlin", "Europe/Madrid", "Europe/Amsterdam", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Zurich", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Hong_Kong", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip


# --- Read models ---------------------------------------------------------------------------


# --- Pages -----------------------------------------------------------------------------------


def policies(request):
    return render(
        request,
        "sla/policies.html",
        {
            "rows": queries.policy_rows(),
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
    rows = queries.calendar_rows()
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
