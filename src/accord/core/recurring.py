"""Queueing a task once: the ones that queue their own next run (the service-level tick, the
attribution refresh) and the delayed scoring pass; and the registry of recurring work.

An app's `tasks.py` holds only its recurring entry points, each marked `@entry_point`; the
worker imports every app's `tasks` module (`start_all`) and calls them once, and each then
keeps itself queued. Other tasks live beside the work they run.
"""

from collections.abc import Callable
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


_ENTRY_POINTS: dict[str, Callable[[], object]] = {}


def entry_point(start: Callable[[], object]) -> Callable[[], object]:
    """Register `start` (called with no argument, it queues the first run of a recurring task)
    for the worker to call when it starts."""
    _ENTRY_POINTS[f"{start.__module__}.{start.__qualname__}"] = start
    return start


def start_all() -> list[str]:
    """Find every app's recurring entry points and queue each one's first run; their names."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    for start in _ENTRY_POINTS.values():
        start()
    return sorted(_ENTRY_POINTS)
