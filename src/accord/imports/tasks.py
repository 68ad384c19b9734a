"""The web import's recurring work: noticing imports whose worker is gone, every half
minute, and deleting the files it no longer keeps, daily."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.core import recurring
from accord.imports import jobs, retention

CHECK_EVERY = timedelta(seconds=30)
CLEAN_EVERY = timedelta(days=1)


@task
def check_running_imports() -> None:
    """Mark the imports whose worker stopped reporting as interrupted, then come back."""
    try:
        jobs.mark_interrupted()
    finally:
        schedule_check(timezone.now() + CHECK_EVERY)


@recurring.entry_point
def schedule_check(at=None) -> bool:
    return recurring.schedule(check_running_imports, at)


@task
def clean_import_files() -> None:
    """`accord imports clean`, once a day."""
    try:
        retention.clean()
    finally:
        schedule_cleaning(timezone.now() + CLEAN_EVERY)


@recurring.entry_point
def schedule_cleaning(at=None) -> bool:
    return recurring.schedule(clean_import_files, at)
