"""Service levels' recurring work: the tick the worker runs every minute."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.core import recurring
from accord.sla import alerts

TICK_EVERY = timedelta(minutes=1)


@task
def sla_tick() -> None:
    """Raise the alerts due, then queue the next tick a minute on."""
    try:
        alerts.tick()
    finally:
        schedule_tick(timezone.now() + TICK_EVERY)


@recurring.entry_point
def schedule_tick(at=None) -> bool:
    """Queue a tick (now by default) unless one is already waiting; True if queued."""
    return recurring.schedule(sla_tick, at)
