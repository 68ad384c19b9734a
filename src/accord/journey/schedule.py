"""Who a piece of journey work belongs to and when it is due: the one place both are worked
out, for the verbs (which store `due_on`) and the read models alike.

- Owner: the deliverable's person, else the holder of its role on the stage's team, else the
  holder of the stage's role. Read each time, never stored: a change of staff in
  `JourneyRole` moves the work.
- Calendar: the stage's team's business calendar (the service levels' calendars), else the
  company's, else Monday to Friday in UTC.
- Due date: the anchor's date shifted by `offset_days` business days (`analytics.journey`).
"""

from datetime import date

from django.core.exceptions import ValidationError

from accord.analytics import journey as clock
from accord.analytics.business_hours import Calendar
from accord.journey.models import Deliverable, JourneyRole, Stage
from accord.sla.clocks import FALLBACK, as_calendar
from accord.sla.models import BusinessCalendar

Anchor = Deliverable.Anchor


class Calendars:
    """The calendars of teams, read once per request or task."""

    def __init__(self):
        rows = list(BusinessCalendar.objects.select_related("team").prefetch_related("days_off"))
        self.default = next((as_calendar(r) for r in rows if r.team_id is None), FALLBACK)
        self.by_team = {r.team_id: as_calendar(r) for r in rows if r.team_id is not None}

    def of(self, team_id: int | None) -> Calendar:
        return self.by_team.get(team_id, self.default)


class Roles:
    """(team, role name) -> holder, read once."""

    def __init__(self):
        self.holders = {
            (r.team_id, r.name.casefold()): r.holder
            for r in JourneyRole.objects.select_related("holder")
        }

    def exists(self, team_id: int, name: str) -> bool:
        return (team_id, name.strip().casefold()) in self.holders

    def holder(self, team_id: int, name: str):
        person = self.holders.get((team_id, name.strip().casefold()))
        return person if person is not None and person.is_active else None


def stage_owner(stage: Stage, roles: Roles):
    return roles.holder(stage.team_id, stage.role)


def owner_of(deliverable: Deliverable, roles: Roles):
    """The person the deliverable belongs to now (None: the role has no holder)."""
    if deliverable.owner_id is not None:
        return deliverable.owner
    stage = deliverable.stage
    return roles.holder(stage.team_id, deliverable.owner_role or stage.role)


def owner_label(deliverable: Deliverable) -> str:
    """How the owner is named: the person, or the role."""
    if deliverable.owner_id is not None:
        return str(deliverable.owner)
    return deliverable.owner_role or deliverable.stage.role


def anchor_date(deliverable: Deliverable, calendars: Calendars, *, seen=()) -> date:
    """The date the deliverable's due date hangs on."""
    kind = deliverable.anchor
    if kind == Anchor.FIXED:
        return deliverable.fixed_on
    if kind == Anchor.JOURNEY_START:
        return deliverable.stage.journey.starts_on
    if kind == Anchor.CAMPAIGN:
        return deliverable.anchor_campaign.starts_on
    if kind == Anchor.PLAN_MONTH:
        return deliverable.anchor_month
    other = deliverable.anchor_deliverable
    if other.pk in seen:
        raise ValidationError({"anchor_deliverable": "The anchors go round in a circle."})
    if other.completed_at is not None:
        return other.completed_at.date()
    return due_date(other, calendars, seen=(*seen, deliverable.pk))


def due_date(deliverable: Deliverable, calendars: Calendars, *, seen=()) -> date:
    """The due date the anchor and the offset give, on the stage team's calendar. A fixed
    date is the date itself (the offset is not used)."""
    day = anchor_date(deliverable, calendars, seen=seen)
    if deliverable.anchor == Anchor.FIXED:
        return day
    return clock.shift(calendars.of(deliverable.stage.team_id), day, deliverable.offset_days)
