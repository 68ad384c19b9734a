"""Queueing a task once: the ones that queue their own next run (the service-level tick, the
attribution refresh) and the delayed scoring pass."""

from datetime import datetime

from django.tasks import Task, TaskResultStatus
from django.utils import timezone


def schedule(task: Task, at: datetime | None = None) -> bool:
    """Queue `task` (now by default) unless a run of it is already waiting; True if queued.

    The database backend queues it for the worker. The immediate backend used by tests would
    run it on the spot, and a task that queues its successor would never end, so there
    nothing is queued: tests call the task's work themselves.
    """
    if not task.get_backend().supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).exists()
    if waiting:
        return False
    task.using(run_after=at or timezone.now()).enqueue()
    return True
