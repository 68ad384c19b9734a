"""The content library's recurring work: every hour, owners are reminded of reviews that
fall due within a week or today (each reminder once per review-by date); every minute, the
suggestions' alerts (at risk, breached, escalated) that fell due are raised."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.content import actions, suggestions
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
