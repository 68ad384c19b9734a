"""The content library's recurring work: every hour, owners are reminded of reviews that
fall due within a week or today (each reminder once per review-by date); every minute, the
suggestions' alerts (at risk, breached, escalated) that fell due are raised; every ten minutes
content influence is computed again and stored if the data under it changed (pages, the API
and the library only ever read the stored figures)."""

from datetime import datetime, timedelta

from django.db.models import Min
from django.tasks import TaskResultStatus, task
from django.utils import timezone

from accord.content import actions, influence, suggestions
from accord.core import recurring

CHECK_EVERY = timedelta(hours=1)
TICK_EVERY = timedelta(minutes=1)


@task
def remind_reviews() -> None:
    try:
        actions.remind_reviews()
    finally:
        schedule_reminders(timezone.now() + CHECK_EVERY)


@recurring.entry_point
def schedule_reminders(at=None) -> bool:
    return recurring.schedule(remind_reviews, at)


@task
def suggestion_tick() -> None:
    """Raise the suggestions' alerts due, then queue the next tick a minute on."""
    try:
        suggestions.tick()
    finally:
        schedule_suggestion_tick(timezone.now() + TICK_EVERY)


@recurring.entry_point
def schedule_suggestion_tick(at=None) -> bool:
    return recurring.schedule(suggestion_tick, at)


INFLUENCE_EVERY = timedelta(minutes=10)


@task
def refresh_influence() -> None:
    """Compute content influence for both bases and store it when the data under it changed
    (or the period moved on a day), so that pages, the API and the library read stored
    figures instead of computing them (minutes at a large company's size)."""
    try:
        influence.refresh()
    finally:
        schedule_influence(timezone.now() + INFLUENCE_EVERY)


@recurring.entry_point
def schedule_influence(at=None) -> bool:
    return recurring.schedule(refresh_influence, at)


def request_influence(now: datetime | None = None) -> datetime | None:
    """A page or the API found nothing stored: have the worker refresh now rather than at its
    next turn (at most ten minutes away), queueing the refresh once whoever asks. When the
    refresh was asked for (now, or earlier by another reader); None where nothing can be
    queued (the immediate backend of the tests, which would compute inside the request)."""
    if not refresh_influence.get_backend().supports_defer:
        return None
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    waiting = DBTaskResult.objects.filter(
        task_path=refresh_influence.module_path, status=TaskResultStatus.READY
    )
    # Bring the waiting turn forward; a turn already due keeps its (earlier) time.
    waiting.filter(run_after__gt=now).update(run_after=now)
    if not waiting.exists():
        schedule_influence(now)
    return waiting.aggregate(first=Min("run_after"))["first"]
