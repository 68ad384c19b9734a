"""The content library's recurring work: every hour, owners are reminded of reviews that
fall due within a week or today (each reminder once per review-by date)."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.content import actions
from accord.core import recurring

CHECK_EVERY = timedelta(hours=1)


@task
def remind_reviews() -> None:
    try:
        actions.remind_reviews()
    finally:
        schedule_reminders(timezone.now() + CHECK_EVERY)


@recurring.entry_point
def schedule_reminders(at=None) -> bool:
    return recurring.schedule(remind_reviews, at)
