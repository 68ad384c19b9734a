"""The journey's recurring work: every hour, the deliverables that turned at risk, late or
stuck are escalated (`escalation.tick`), each alert once."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.core import recurring
from accord.journey import escalation

TICK_EVERY = timedelta(hours=1)


@task
def escalation_tick() -> None:
    try:
        escalation.tick()
    finally:
        schedule_escalation(timezone.now() + TICK_EVERY)


@recurring.entry_point
def schedule_escalation(at=None) -> bool:
    return recurring.schedule(escalation_tick, at)
