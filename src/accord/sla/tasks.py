"""Background work of service levels: the tick the worker runs every minute."""

from datetime import timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone

from accord.sla import alerts

TICK_EVERY = timedelta(minutes=1)


@task
def sla_tick() -> None:
    """Raise the alerts due, then queue the next tick a minute on."""
    try:
        alerts.tick()
    finally:
        schedule_tick(timezone.now() + TICK_EVERY)


def schedule_tick(at=None) -> bool:
    """Queue a tick (now by default) unless one is already waiting; True if queued.

    The database backend queues it for the worker; the immediate backend used by tests
    would run it on the spot, and a tick that queues its successor would never end, so
    there nothing is queued: tests call `alerts.tick()` themselves.
    """
    backend = sla_tick.get_backend()
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=sla_tick.module_path, status=TaskResultStatus.READY
    ).exists()
    if waiting:
        return False
    sla_tick.using(run_after=at or timezone.now()).enqueue()
    return True
