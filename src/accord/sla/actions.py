"""Verbs that change service levels: each checks the role, validates, audits.

Who may: `people.permissions.can_edit_service_levels`. Every change goes to the audit log
with the values before and after.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict

from accord.analytics import business_hours
from accord.crm.models import Activity, Channel, Touchpoint
from accord.people import audit, permissions
from accord.sla.models import (
    DEFAULT_TOUCH_WINDOW_DAYS,
    MAX_TOUCH_WINDOW_DAYS,
    BusinessCalendar,
    DayOff,
    FollowUpPolicy,
)

DENIED = "Only admins, leaders and sales ops managers change service levels."
GRADES = ("A", "B", "C", "D")
MAX_PRIORITY = 1_000_000
POLICY_FIELDS = (
    "name", "priority", "active", "grades", "sources", "touch_kind", "touch_window_days",
    "first_response_hours", "attempts", "attempt_days", "attempt_kinds", "at_risk_share",
)  # fmt: skip


def _snapshot(obj, fields) -> dict:
    data = model_to_dict(obj, fields=fields)
    return {k: str(v) if isinstance(v, Decimal | date) else v for k, v in data.items()}


def check_policy(values: dict, *, pk: int | None = None) -> dict:
    """Validate a policy's values; returns them cleaned or raises ValidationError naming
    each field. Values: as POLICY_FIELDS (hours and share as Decimal, lists as lists)."""
    errors: dict[str, str] = {}
    name = str(values.get("name", "")).strip()
    if not name:
        errors["name"] = "Give the policy a name."
    priority = values.get("priority")
    if not isinstance(priority, int) or priority < 1:
        errors["priority"] = "Priority must be a whole number of 1 or more."
    elif priority > MAX_PRIORITY:
        # Beyond this the database's integer column overflows.
        errors["priority"] = f"Priority must be at most {MAX_PRIORITY:,}."
    else:
        taken = FollowUpPolicy.objects.filter(priority=priority).exclude(pk=pk).first()
        if taken:
            errors["priority"] = (
                f"Priority {priority} is taken by “{taken.name}”; each policy needs its own, "
                "because the lowest number wins when a lead matches several."
            )
    hours = values.get("first_response_hours")
    if isinstance(hours, Decimal) and hours.is_finite() and 0 < hours <= 1000:
        # As stored (two decimals), so 0.001 hours is not saved as no time at all, and the
        # audit log's "after" reads like its next "before".
        hours = hours.quantize(Decimal("0.01"))
    if not isinstance(hours, Decimal) or not hours.is_finite() or hours <= 0:
        errors["first_response_hours"] = "The first response needs more than 0 business hours."
    elif hours > 1000:
        errors["first_response_hours"] = "At most 1,000 business hours."
    attempts = values.get("attempts")
    if not isinstance(attempts, int) or attempts < 1:
        errors["attempts"] = "At least 1 attempt."
    elif attempts > 50:
        errors["attempts"] = "At most 50 attempts."
    days = values.get("attempt_days")
    if not isinstance(days, int) or days < 1:
        errors["attempt_days"] = "The attempts need a window of at least 1 business day."
    elif days > 60:
        errors["attempt_days"] = "At most 60 business days."
    share = values.get("at_risk_share")
    if isinstance(share, Decimal) and share.is_finite() and 0 < share < 1:
        share = share.quantize(Decimal("0.001"))  # as stored
    if (
        not isinstance(share, Decimal)
        or not share.is_finite()
        or not (Decimal("0.05") <= share <= Decimal("0.99"))
    ):
        errors["at_risk_share"] = "At risk must be between 5% and 99% of the time allowed."
    grades = list(values.get("grades") or [])
    if bad := [g for g in grades if g not in GRADES]:
        errors["grades"] = f"Unknown grade {bad[0]!r}; grades are A, B, C and D."
    sources = list(values.get("sources") or [])
    known = set(Channel.objects.values_list("key", flat=True))
    if bad := [s for s in sources if s not in known]:
        errors["sources"] = f"Unknown source {bad[0]!r}; use a channel key."
    touch_kind = values.get("touch_kind") or ""
    if touch_kind and touch_kind not in Touchpoint.Kind.values:
        errors["touch_kind"] = f"Unknown touchpoint kind {touch_kind!r}."
    window = values.get("touch_window_days")
    if window is None:
        window = DEFAULT_TOUCH_WINDOW_DAYS
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        errors["touch_window_days"] = "Look back at least 1 day before the lead became MQL."
    elif window > MAX_TOUCH_WINDOW_DAYS:
        errors["touch_window_days"] = (
            f"Look back at most {MAX_TOUCH_WINDOW_DAYS} days: an older touch says nothing "
            "about why the lead is an MQL now."
        )
    kinds = list(values.get("attempt_kinds") or [])
    if not kinds:
        errors["attempt_kinds"] = "Choose at least one kind of follow-up that counts."
    elif bad := [k for k in kinds if k not in Activity.Kind.values or k == Activity.Kind.NOTE]:
        errors["attempt_kinds"] = f"{bad[0]!r} does not count as an attempt."
    if errors:
        raise ValidationError(errors)
    return {
        "name": name[:120],
        "priority": priority,
        "active": bool(values.get("active", True)),
        "grades": sorted(set(grades)),
        "sources": sorted(set(sources)),
        "touch_kind": touch_kind,
        "touch_window_days": window,
        "first_response_hours": hours,
        "attempts": attempts,
        "attempt_days": days,
        "attempt_kinds": sorted(set(kinds)),
        "at_risk_share": share,
    }


def overlaps(policy: FollowUpPolicy) -> list[FollowUpPolicy]:
    """Active policies whose segment can match a lead this one matches too; none for a
    paused policy, which matches no lead.

    A lead has one grade and one source but may have touchpoints of several kinds, so the
    touchpoint condition never keeps two policies apart.
    """

    def meet(a: list, b: list) -> bool:
        return not a or not b or bool(set(a) & set(b))

    if not policy.active:
        return []
    return [
        other
        for other in FollowUpPolicy.objects.filter(active=True).exclude(pk=policy.pk)
        if meet(policy.grades, other.grades) and meet(policy.sources, other.sources)
    ]


@transaction.atomic
def save_policy(actor, values: dict, policy: FollowUpPolicy | None = None) -> FollowUpPolicy:
    permissions.require(permissions.can_edit_service_levels(actor), DENIED)
    cleaned = check_policy(values, pk=policy.pk if policy else None)
    before = _snapshot(policy, POLICY_FIELDS) if policy else None
    policy = policy or FollowUpPolicy()
    for field, value in cleaned.items():
        setattr(policy, field, value)
    policy.save()
    audit.record(
        actor,
        "sla.policy.changed" if before else "sla.policy.created",
        policy,
        before=before,
        after=_snapshot(policy, POLICY_FIELDS),
        summary=f"Follow-up policy “{policy.name}” (priority {policy.priority})",
    )
    return policy


def parse_hours(text: str) -> list[list[str]]:
    """'09:00-12:00, 13:00-17:00' -> [["09:00", "12:00"], ["13:00", "17:00"]]; '' -> closed."""
    spans = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        start, dash, end = part.partition("-")
        if not dash:
            raise ValidationError(f"“{part}” is not a span of hours; write it as 09:00-17:00.")
        spans.append([start.strip(), end.strip()])
    return spans


def week_text(week: dict) -> dict[str, str]:
    return {
        day: ", ".join(f"{a}-{b}" for a, b in week.get(day, [])) for day in business_hours.WEEKDAYS
    }


CALENDAR_FIELDS = ("time_zone", "week", "country", "subdivision")


@transaction.atomic
def save_calendar(actor, calendar: BusinessCalendar, values: dict) -> BusinessCalendar:
    """values: time_zone, week (dict day -> spans), country, subdivision."""
    permissions.require(permissions.can_edit_service_levels(actor), DENIED)
    errors = {}
    zone = str(values.get("time_zone", "")).strip()
    country = str(values.get("country", "")).strip().upper()
    subdivision = str(values.get("subdivision", "")).strip().upper()
    try:
        business_hours.check_time_zone(zone)
    except business_hours.CalendarError as error:
        errors["time_zone"] = str(error)
    # An unknown country is the country's error even when a subdivision is given too.
    field = "country"
    try:
        business_hours.check_country(country)
        field = "subdivision" if country else "country"
        business_hours.check_country(country, subdivision)
    except business_hours.CalendarError as error:
        errors[field] = str(error)
    week = values.get("week") or {}
    try:
        business_hours.parse_week(week)
    except business_hours.CalendarError as error:
        errors["week"] = str(error)
    if errors:
        raise ValidationError(errors)
    before = _snapshot(calendar, CALENDAR_FIELDS)
    calendar.time_zone, calendar.week = zone, week
    calendar.country, calendar.subdivision = country, subdivision
    calendar.save()
    audit.record(
        actor, "sla.calendar.changed", calendar, before=before,
        after=_snapshot(calendar, CALENDAR_FIELDS), summary=f"Business hours of {calendar.name}",
    )  # fmt: skip
    return calendar


@transaction.atomic
def add_day_off(actor, calendar: BusinessCalendar, day: date, name: str) -> DayOff:
    permissions.require(permissions.can_edit_service_levels(actor), DENIED)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Say what the day off is for."})
    if calendar.days_off.filter(date=day).exists():
        raise ValidationError({"date": f"{day:%a %d %b %Y} is already a day off."})
    day_off = DayOff.objects.create(calendar=calendar, date=day, name=name[:80])
    audit.record(
        actor, "sla.day_off.added", calendar, after={"date": str(day), "name": day_off.name},
        summary=f"Day off {day} for {calendar.name}",
    )  # fmt: skip
    return day_off


@transaction.atomic
def remove_day_off(actor, day_off: DayOff) -> None:
    permissions.require(permissions.can_edit_service_levels(actor), DENIED)
    calendar = day_off.calendar
    audit.record(
        actor, "sla.day_off.removed", calendar,
        before={"date": str(day_off.date), "name": day_off.name},
        summary=f"Day off {day_off.date} removed from {calendar.name}",
    )  # fmt: skip
    day_off.delete()
