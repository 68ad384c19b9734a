"""The content library's recurring work: every hour, owners are reminded of reviews that
fall due within a week or today (each reminder once per review-by date); every minute, the
suggestions' alerts (at risk, breached, escalated) that fell due are raised; every ten minutes
content influence is computed again if the data under it changed."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.content import actions, influence, suggestions
from accord.core import figures, recurring

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
    """Keep content influence computed for both bases, so that pages, the API and the
    command read it instead of computing it (minutes at a large company's size)."""
    try:
        with figures.exact():
            for basis in influence.BASES:
                influence.figures(basis)
    finally:
        schedule_influence(timezone.now() + INFLUENCE_EVERY)


@recurring.entry_point
def schedule_influence(at=None) -> bool:
    return recurring.schedule(refresh_influence, at)
