"""The scoreboard's recurring work: the weekly digest, checked every hour (it goes out on
Monday from ACCORD_DIGEST_HOUR, once a week per person); and every minute, the figures the
leaders' pages keep (`accord.core.figures`) computed again where the data moved under them,
so that a page seldom computes them itself."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.core import figures, recurring
from accord.scoreboard import digest, refresh

CHECK_EVERY = timedelta(hours=1)
REFRESH_EVERY = timedelta(minutes=1)


@task
def send_weekly_digest() -> None:
    try:
        digest.send()
    finally:
        schedule_weekly_digest(timezone.now() + CHECK_EVERY)


@recurring.entry_point
def schedule_weekly_digest(at=None) -> bool:
    return recurring.schedule(send_weekly_digest, at)


@task
def refresh_figures() -> None:
    try:
        figures.fold_generations()
        refresh.refresh_all()
    finally:
        schedule_figures(timezone.now() + REFRESH_EVERY)


@recurring.entry_point
def schedule_figures(at=None) -> bool:
    return recurring.schedule(refresh_figures, at)
