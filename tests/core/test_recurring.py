"""The worker keeps every app's recurring work queued, found without naming the apps."""

import pytest
from django_tasks_db.models import DBTaskResult

from accord.core import recurring

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_starting_the_worker_queues_each_recurring_task_once(settings):
    settings.TASKS = DATABASE_QUEUE

    started = recurring.start_all()
    recurring.start_all()  # a second worker, or a restart: nothing queued twice

    queued = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert queued == [
        "accord.attribution.tasks.refresh",
        "accord.calculators.tasks.capture_pending",
        "accord.content.tasks.refresh_influence",
        "accord.content.tasks.remind_reviews",
        "accord.content.tasks.suggestion_tick",
        "accord.core.tasks.prune_finished_tasks",
        "accord.imports.tasks.check_running_imports",
        "accord.imports.tasks.clean_import_files",
        "accord.journey.tasks.escalation_tick",
        "accord.scoreboard.tasks.refresh_figures",
        "accord.scoreboard.tasks.send_weekly_digest",
        "accord.sla.tasks.sla_tick",
        "accord.webhooks.tasks.webhooks_sweep",
    ]
    assert started == [
        "accord.attribution.tasks.schedule_refresh",
        "accord.calculators.tasks.schedule_capture_pending",
        "accord.content.tasks.schedule_influence",
        "accord.content.tasks.schedule_reminders",
        "accord.content.tasks.schedule_suggestion_tick",
        "accord.core.tasks.schedule_pruning",
        "accord.imports.tasks.schedule_check",
        "accord.imports.tasks.schedule_cleaning",
        "accord.journey.tasks.schedule_escalation",
        "accord.scoreboard.tasks.schedule_figures",
        "accord.scoreboard.tasks.schedule_weekly_digest",
        "accord.sla.tasks.schedule_tick",
        "accord.webhooks.tasks.schedule_sweep",
    ]


@pytest.mark.django_db
def test_tasks_queued_before_the_upgrade_still_run_from_their_new_place(settings):
    from importlib import import_module

    from django.apps import apps
    from django.utils.module_loading import import_string

    moved = import_module("accord.core.migrations.0001_tasks_beside_their_work")
    settings.TASKS = DATABASE_QUEUE
    for old in moved.MOVED:
        DBTaskResult.objects.create(
            task_path=old, args_kwargs={"args": [1], "kwargs": {}}, backend_name="default"
        )

    moved.forwards(apps, None)

    for path in DBTaskResult.objects.values_list("task_path", flat=True):
        assert import_string(path).module_path == path  # the worker can load each one


@pytest.mark.django_db
def test_finished_task_results_are_pruned_after_a_week_and_failed_ones_after_a_month(settings):
    from datetime import timedelta

    from django.tasks import TaskResultStatus
    from django.utils import timezone

    from accord.core import tasks

    settings.TASKS = DATABASE_QUEUE
    now = timezone.now()

    def result(status, days_ago):
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="accord.sla.tasks.sla_tick",
            backend_name="default",
            run_after=now - timedelta(days=days_ago),
            finished_at=now - timedelta(days=days_ago),
        ).pk

    old_ok = result(TaskResultStatus.SUCCESSFUL, 8)
    new_ok = result(TaskResultStatus.SUCCESSFUL, 2)
    old_failed = result(TaskResultStatus.FAILED, 31)
    new_failed = result(TaskResultStatus.FAILED, 8)
    waiting = DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="accord.sla.tasks.sla_tick",
        backend_name="default",
        run_after=now - timedelta(days=40),
    ).pk
    tasks.prune_task_results()
    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == {new_ok, new_failed, waiting}
    assert old_ok not in left and old_failed not in left
