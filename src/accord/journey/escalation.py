"""Lateness that escalates instead of staying silent. The tick (`journey/tasks.py`, every
hour) looks at every open deliverable and sends, once each for a due date:

- at risk (a share of its working days gone): to its owner;
- late (past its due date): to its owner;
- stuck (late by more than the journey's `stuck_after_days` business days): to the owner's
  managers (the managers of the owner's teams; with none, the accountable team's leaders);
- still stuck after as many business days again: to the leaders of the accountable team.

A tick that finds a deliverable already further along sends only the furthest line and
counts the ones before it as sent. A due date that moves (its anchor moved) starts again.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.analytics import journey as clock
from accord.journey import queries
from accord.journey.models import DeliverableAlert
from accord.people import notify
from accord.people.models import User
from accord.sla.alerts import managers_of

Level = DeliverableAlert.Level


def levels_reached(row: queries.Row) -> list[str]:
    """The alert levels the deliverable has reached, in order."""
    status, journey = row.status, row.deliverable.stage.journey
    reached = []
    if status in (clock.AT_RISK, clock.LATE, clock.STUCK):
        reached.append(Level.AT_RISK)
    if status in (clock.LATE, clock.STUCK):
        reached.append(Level.LATE)
    if status == clock.STUCK:
        reached.append(Level.STUCK)
        if row.standing.late_days > 2 * journey.stuck_after_days:
            reached.append(Level.ESCALATED)
    return reached


def team_leaders(team_id: int) -> list[User]:
    return list(
        User.objects.filter(is_active=True, role=User.Role.LEADER, teams=team_id).distinct()
    )


def tick(now: datetime | None = None) -> dict:
    """Send the alerts due; how many of each level, and how many notifications."""
    now = now or timezone.now()
    sent = {level: 0 for level in Level.values} | {"notifications": 0}
    open_ones = queries.deliverables().filter(completed_at__isnull=True)
    for row in queries.rows(open_ones, now):
        reached = levels_reached(row)
        if not reached:
            continue
        with transaction.atomic():
            new = _record(row, reached, now)
            if new is None:
                continue
            sent[new] += 1
            sent["notifications"] += _tell(row, new, now)
    return sent


def _record(row: queries.Row, reached: list[str], now: datetime) -> str | None:
    """Store the levels reached not stored yet; the furthest new one, or None."""
    d = row.deliverable
    known = set(
        DeliverableAlert.objects.filter(deliverable=d, due_on=d.due_on).values_list(
            "level", flat=True
        )
    )
    new = [level for level in reached if level not in known]
    if not new:
        return None
    try:
        with transaction.atomic():
            DeliverableAlert.objects.bulk_create(
                DeliverableAlert(deliverable=d, level=level, due_on=d.due_on, raised_at=now)
                for level in new
            )
    except IntegrityError:
        return None  # Another tick got there first.
    return new[-1]


def _tell(row: queries.Row, level: str, now: datetime) -> int:
    d, owner = row.deliverable, row.owner
    team_id = d.stage.team_id
    who = str(owner) if owner else f"nobody ({row.owner_label})"
    due = f"{d.due_on:%a %d %b}"
    where = f"{d.stage.journey.name}, {d.stage.name}"
    if level == Level.AT_RISK:
        people = [owner] if owner else []
        title = f"At risk: {d.title} is due {due}"
        body = f"{where}. Most of its working days are gone."
    elif level == Level.LATE:
        people = [owner] if owner else team_leaders(team_id)
        title = f"Late: {d.title} was due {due}"
        body = f"{where}. Mark it done when it is, or agree a new date."
    elif level == Level.STUCK:
        people = (managers_of(owner.pk) if owner else []) or team_leaders(team_id)
        title = f"Stuck: {d.title} is {row.standing.late_days} business days late"
        body = f"{where}. It was due {due}; {who} owns it. Please follow it up."
    else:
        people = team_leaders(team_id)
        title = f"Escalated: {d.title} is {row.standing.late_days} business days late"
        body = f"{where}. It was due {due}; {who} owns it and their manager was told."
    return len(
        notify.notify(
            people, kind=f"journey.{level}", title=title, body=body, url=d.get_absolute_url(),
            key=f"journey.alert:{d.pk}:{level}:{d.due_on.isoformat()}", at=now,
        )
    )  # fmt: skip
