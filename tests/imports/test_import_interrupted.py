"""A web import whose worker goes away is marked interrupted within a minute, says so, and
can be started again; a worker asked to stop gives its import back to the queue."""

import os
import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accord.crm.models import ImportJob, Lead
from accord.imports import csv_import, handlers, items, jobs, tasks

pytestmark = pytest.mark.django_db

LEADS = "email,first_name\n" + "".join(f"p{i}@x.example,P{i}\n" for i in range(1200))


@pytest.fixture
def queued(login, cast, upload, start):
    """An uploaded file of 1,200 leads, started, its task queued but not yet run."""
    client = login(cast["otto"])
    upload(client, text=LEADS)
    job = ImportJob.objects.get()
    start(client, job, run=False)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    return client, job


def claimed_by_a_worker_that_died(job: ImportJob, *, seconds_ago: float) -> None:
    """What a worker killed mid-import leaves behind: the job running, its heartbeat old."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now() - timedelta(seconds=60)
    )
    heartbeat = jobs.progress_path(job)
    heartbeat.write_text('{"done": 75}')
    then = time.time() - seconds_ago
    os.utime(heartbeat, (then, then))


def test_a_running_import_whose_worker_went_quiet_is_marked_interrupted_within_a_minute(queued):
    _, job = queued
    assert jobs.STALE_AFTER + tasks.CHECK_EVERY.total_seconds() < 60
    claimed_by_a_worker_that_died(job, seconds_ago=0)

    tasks.check_running_imports.call()  # the worker's recurring check
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING  # it was alive a moment ago

    later = timezone.now() + timedelta(seconds=jobs.STALE_AFTER + 1)
    with time_machine.travel(later, tick=False):
        tasks.check_running_imports.call()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INTERRUPTED
    assert job.finished_at is not None


def test_the_page_of_an_interrupted_import_says_so_and_retrying_imports_the_whole_file(
    queued, django_capture_on_commit_callbacks
):
    client, job = queued
    claimed_by_a_worker_that_died(job, seconds_ago=jobs.STALE_AFTER + 5)

    # The page notices by itself, even with no worker left to run the check.
    progress = client.get(reverse("imports:progress", args=[job.pk]))
    assert progress["HX-Refresh"] == "true"
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Interrupted" in page
    assert "Nothing from this file was stored." in page
    assert "Importing" not in page and "hx-trigger" not in page  # no longer polling
    retry = reverse("imports:retry", args=[job.pk])
    assert f'action="{retry}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.report["created"], job.report["rejected"]) == (1200, 0)
    assert Lead.objects.count() == 1200


def test_only_an_interrupted_import_can_be_retried_and_only_by_importers(login, cast, queued):
    client, job = queued
    response = client.post(reverse("imports:retry", args=[job.pk]), follow=True)
    assert "Only an interrupted import can be started again." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert login(cast["alice"]).post(reverse("imports:retry", args=[job.pk])).status_code == 403


def test_a_worker_asked_to_stop_mid_import_keeps_the_stored_batches_and_the_next_goes_on(
    queued, monkeypatch, django_capture_on_commit_callbacks
):
    _, job = queued
    monkeypatch.setattr(items, "BATCH_SIZE", 500)
    real_import = csv_import.run_import

    def stopped_after_1000_rows(*args, progress, **kwargs):
        def report(done):
            progress(done)
            if done >= 1000:
                raise SystemExit(1)  # what the worker raises on its second TERM

        return real_import(*args, progress=report, **kwargs)

    monkeypatch.setattr(csv_import, "run_import", stopped_after_1000_rows)
    with django_capture_on_commit_callbacks() as queued_again, pytest.raises(SystemExit):
        jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    # Rows 1-500 were stored in their batch; the batch of 501-1000 was being written.
    assert Lead.objects.count() == 500 == job.resume["row"]
    assert len(queued_again) == 1

    monkeypatch.setattr(csv_import, "run_import", real_import)
    queued_again[0]()  # the next worker
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.resume is None
    assert (job.report["created"], job.report["rows"]) == (1200, 1200)
    assert Lead.objects.count() == Lead.objects.values("email").distinct().count() == 1200


def test_a_long_import_shows_its_worker_is_alive_before_it_reports_any_row(queued, monkeypatch):
    """Reading a large file can take minutes before the first row is stored."""
    _, job = queued
    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", 0.01)
    real_inspect = csv_import.inspect_file
    beats = []

    def slow_inspect(path):
        heartbeat = jobs.progress_path(job)
        os.utime(heartbeat, (0, 0))
        deadline = time.monotonic() + 10
        while heartbeat.stat().st_mtime == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # waiting for the heartbeat thread, not for a moment in time
        beats.append(heartbeat.stat().st_mtime)
        assert not jobs.mark_interrupted()
        return real_inspect(path)

    monkeypatch.setattr(csv_import, "inspect_file", slow_inspect)
    jobs.run(job.pk)
    assert beats and beats[0] > 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


def test_an_unexpected_error_marks_the_import_interrupted_not_running_for_ever(queued, monkeypatch):
    _, job = queued

    def broken(*args, **kwargs):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(csv_import, "run_import", broken)
    with pytest.raises(RuntimeError):
        jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INTERRUPTED
    assert "RuntimeError" in job.error
    assert jobs.can_retry(job)


def test_an_import_stopped_by_an_error_after_some_batches_says_so_and_imports_the_rest_once(
    login, cast, upload, start, monkeypatch, django_capture_on_commit_callbacks
):
    """Every 100th row is bad; the import breaks in its third batch of 500. The page says how
    far it got; "Import the rest" stores the other rows once, and the report and the rejects
    file count every bad row once."""
    monkeypatch.setattr(items, "BATCH_SIZE", 500)
    rows = [f"p{i}@x.example,P{i}" if i % 100 else f"not-an-email-{i},P{i}" for i in range(1, 1501)]
    client = login(cast["otto"])
    upload(client, text="email,first_name\n" + "\n".join(rows) + "\n")
    job = ImportJob.objects.get()
    real_saved = handlers.LeadHandler.saved
    calls = []

    def breaks_in_the_third_batch(self, created, updated):
        calls.append(len(created))
        real_saved(self, created, updated)
        if len(calls) == 3:
            raise RuntimeError("disk went away")

    monkeypatch.setattr(handlers.LeadHandler, "saved", breaks_in_the_third_batch)
    start(client, job)  # the worker records the task as failed
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INTERRUPTED
    # Two batches (rows 1-1000) stored, with their 10 bad rows left out.
    assert job.resume["row"] == 1000
    assert Lead.objects.count() == 990
    page = client.get(job.get_absolute_url()).content.decode()
    assert "RuntimeError" in page
    assert "Rows 1 to 1,000 of the file were stored; the rest were not." in page
    assert "Import the rest" in page

    monkeypatch.setattr(handlers.LeadHandler, "saved", real_saved)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    r = job.report
    assert (r["rows"], r["created"], r["rejected"]) == (1500, 1485, 15)
    assert sorted(e["row"] for e in r["errors"]) == list(range(100, 1501, 100))
    assert Lead.objects.count() == Lead.objects.values("email").distinct().count() == 1485
    rejects = client.get(reverse("imports:rejects", args=[job.pk]))
    lines = b"".join(rejects.streaming_content).decode().splitlines()
    assert len(lines) == 1 + 15  # the header once, each bad row once
    assert [line.split(",")[0] for line in lines[1:]] == [
        f"not-an-email-{i}" for i in range(100, 1501, 100)
    ]
