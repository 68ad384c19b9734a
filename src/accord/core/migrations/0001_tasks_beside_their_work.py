"""Tasks moved beside the work they run (issue 15): a task queued under its old path before an
upgrade would no longer load in the worker, so the queue is told the new paths."""

from django.db import migrations

MOVED = {
    "accord.crm.tasks.run_import_job": "accord.imports.jobs.run_import_job",
    "accord.qualify.tasks.run_backtest": "accord.qualify.backtest.run_backtest",
    "accord.qualify.tasks.score_pending": "accord.qualify.scoring.scoring_pass",
    "accord.attribution.tasks.compute_run": "accord.attribution.compute.compute_run",
}


def forwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=old).update(task_path=new)


def backwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [("django_tasks_database", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
