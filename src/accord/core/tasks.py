"""Keeping the task queue's own table small: the results of finished tasks are pruned daily
(the recurring tasks alone leave some 2,900 a day). Successful ones go after
TASK_RESULTS_KEEP_DAYS, failed ones (their tracebacks explain what went wrong) after
FAILED_TASK_RESULTS_KEEP_DAYS. The pruning is django_tasks_db's own command."""

from datetime import timedelta

from django.core.management import call_command
from django.tasks import task
from django.utils import timezone

from accord.core import recurring
from accord.core.bulk import refresh_statistics

PRUNE_EVERY = timedelta(days=1)
TASK_RESULTS_KEEP_DAYS = 7
FAILED_TASK_RESULTS_KEEP_DAYS = 30


def prune_task_results() -> None:
    call_command(
        "prune_db_task_results",
        min_age_days=TASK_RESULTS_KEEP_DAYS,
        failed_min_age_days=FAILED_TASK_RESULTS_KEEP_DAYS,
        verbosity=0,
    )


@task
def prune_finished_tasks() -> None:
    try:
        prune_task_results()
        refresh_statistics()
    finally:
        schedule_pruning(timezone.now() + PRUNE_EVERY)


@recurring.entry_point
def schedule_pruning(at=None) -> bool:
    return recurring.schedule(prune_finished_tasks, at)
