"""The demo company's service levels: its teams' hours and two follow-up policies."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from accord.crm.models import Activity, Touchpoint
from accord.people.models import Notification, Team
from accord.sla import alerts
from accord.sla.models import BusinessCalendar, DayOff, FollowUpPolicy, TickState

ATTEMPT_KINDS = [Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.LINKEDIN,
                 Activity.Kind.MEETING]  # fmt: skip
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
COMPANY_DAYS_OFF = (
    (date(2024, 12, 24), "Christmas Eve (company)"),
    (date(2025, 12, 24), "Christmas Eve (company)"),
    (date(2025, 11, 28), "Day after Thanksgiving (company)"),
    (date(2026, 11, 27), "Day after Thanksgiving (company)"),
    (date(2026, 12, 24), "Christmas Eve (company)"),
)
TEAM_HOURS = {
    Team.Kind.SALES: ("America/New_York", {d: [["08:30", "17:30"]] for d in NINE_TO_FIVE}),
    Team.Kind.SDR: (
        "America/Chicago",
        {d: [["08:00", "12:00"], ["13:00", "17:00"]] for d in NINE_TO_FIVE},
    ),
}


def install() -> None:
    default = BusinessCalendar.objects.create(
        team=None, time_zone="America/New_York", week=NINE_TO_FIVE, country="US"
    )
    for team in Team.objects.filter(kind__in=TEAM_HOURS):
        zone, week = TEAM_HOURS[team.kind]
        calendar = BusinessCalendar.objects.create(
            team=team, time_zone=zone, week=week, country="US"
        )
        DayOff.objects.bulk_create(
            DayOff(calendar=calendar, date=day, name=name) for day, name in COMPANY_DAYS_OFF
        )
    DayOff.objects.bulk_create(
        DayOff(calendar=default, date=day, name=name) for day, name in COMPANY_DAYS_OFF
    )
    FollowUpPolicy.objects.create(
        name="Demo requests: call back fast",
        priority=10,
        touch_kind=Touchpoint.Kind.DEMO_REQUEST,
        first_response_hours=2,
        attempts=5,
        attempt_days=5,
        attempt_kinds=ATTEMPT_KINDS,
    )
    FollowUpPolicy.objects.create(
        name="Every MQL: a working day to respond, 5 attempts in 2 weeks",
        priority=20,
        first_response_hours=8,
        attempts=5,
        attempt_days=10,
        attempt_kinds=ATTEMPT_KINDS,
    )


# A first day with the demo opens on the alerts of its last week, not an empty list.
ALERTS_LOOK_BACK = timedelta(days=7)


def raise_last_weeks_alerts(until: datetime) -> dict:
    """The alerts the worker would have raised in the week up to `until` (or now, if
    sooner), as if it had been running. They are the company's past: marked as emailed, so
    building the demo sends no mail; the sign-off requests of its history are marked read."""
    moment = min(timezone.now(), until)
    TickState.objects.create(last_tick_at=moment - ALERTS_LOOK_BACK)
    raised = alerts.tick(moment)
    past = Notification.objects.filter(emailed_at=None)
    past.exclude(kind__startswith="sla.").update(read_at=moment)
    past.update(emailed_at=moment)
    return raised
