"""The web import's files: refused past the size limit while they arrive, deleted some days
after their import ends (a day if it never starts), by `accord imports clean` and daily by
the worker."""

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.core import recurring
from accord.crm.models import ImportJob
from accord.imports import retention, tasks
from tests.factories import PRODUCTION_SECRET_KEY

pytestmark = pytest.mark.django_db

BAD_ROW = "email\ngood@x.example\nnot-an-email\n"


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def clean(**options) -> str:
    out = io.StringIO()
    call_command("imports", "clean", stdout=out, **options)
    return out.getvalue()


def test_a_file_over_the_size_limit_is_refused_while_it_arrives_and_nothing_is_kept(
    login, cast, upload, settings, tmp_path, monkeypatch
):
    settings.IMPORT_MAX_MEGABYTES = 1
    # Every file deleted during the request, with the size it had reached on disk.
    deleted = []
    unlink = os.unlink

    def measuring_unlink(path, *args, **kwargs):
        try:
            deleted.append(os.stat(path).st_size)
        except OSError:
            pass
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", measuring_unlink)
    big = "email\n" + "someone.with.a.long.name@example.com\n" * 80_000  # 3 MB
    response = upload(login(cast["sam"]), text=big)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The file is larger than 1 MB." in page
    assert "This field is required" not in page
    assert not ImportJob.objects.exists()
    assert files_in(tmp_path / "imports") == []
    assert deleted and max(deleted) <= 1024 * 1024  # never more than the limit on disk


def test_a_file_within_the_limit_is_stored_once_where_the_import_reads_it(
    login, cast, upload, settings, tmp_path
):
    settings.IMPORT_MAX_MEGABYTES = 1
    upload(login(cast["sam"]), text=BAD_ROW)
    job = ImportJob.objects.get()
    assert files_in(tmp_path / "imports") == [Path(job.path).name]
    assert job.size == len(BAD_ROW)


def test_an_upload_refused_for_its_content_or_its_form_keeps_no_file(login, cast, upload, tmp_path):
    client = login(cast["sam"])
    upload(client, text="\x00\x01PK\x03\x04binary")
    upload(client, text=BAD_ROW, kind="planets")
    assert not ImportJob.objects.exists()
    assert files_in(tmp_path / "imports") == []


@pytest.fixture
def finished(login, cast, upload, start, tmp_path):
    """A web import that ended (done, with a rejected row): its upload, progress and rejects."""
    client = login(cast["sam"])
    upload(client, text=BAD_ROW)
    job = ImportJob.objects.get()
    start(client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.report["rejects_file"]
    assert len(files_in(tmp_path / "imports")) == 3
    return client, job


def test_an_imports_files_are_deleted_the_configured_days_after_it_ends(
    finished, settings, tmp_path
):
    client, job = finished
    settings.IMPORT_FILES_KEEP_DAYS = 7

    with time_machine.travel(job.finished_at + timedelta(days=6, hours=23), tick=False):
        assert clean().startswith("Deleted 0 files")
    assert len(files_in(tmp_path / "imports")) == 3

    with time_machine.travel(job.finished_at + timedelta(days=7, minutes=1), tick=False):
        assert clean(dry_run=True).startswith("Would delete 3 files")
        assert len(files_in(tmp_path / "imports")) == 3
        assert clean().startswith("Deleted 3 files (0.0 MB): those of 1 imports and 0 that")
    assert files_in(tmp_path / "imports") == []
    job.refresh_from_db()
    assert job.files_deleted_at is not None
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The file and its rejected rows were deleted on" in page
    assert reverse("imports:rejects", args=[job.pk]) not in page
    assert client.get(reverse("imports:rejects", args=[job.pk])).status_code == 404


def test_an_upload_nobody_started_is_deleted_after_a_day(login, cast, upload, tmp_path):
    client = login(cast["sam"])
    upload(client, text=BAD_ROW)
    job = ImportJob.objects.get()

    with time_machine.travel(job.created_at + timedelta(hours=23), tick=False):
        clean()
    assert files_in(tmp_path / "imports") == [Path(job.path).name]

    with time_machine.travel(job.created_at + timedelta(hours=25), tick=False):
        clean()
    assert files_in(tmp_path / "imports") == []
    page = client.get(job.get_absolute_url()).content.decode()
    assert "This upload was never started, and its file was deleted" in page


def test_a_file_no_import_knows_is_deleted_after_a_day(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    stray = tmp_path / "imports" / "0123abcd.csv"
    stray.parent.mkdir()
    stray.write_text("email\n")
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        assert "and 0 that no import knew" in clean()
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert "and 1 that no import knew" in clean()
    assert not stray.exists()


def test_the_worker_cleans_the_files_daily(finished, settings, tmp_path):
    _, job = finished
    settings.IMPORT_FILES_KEEP_DAYS = 0
    assert tasks.CLEAN_EVERY == timedelta(days=1)
    recurring.start_all()  # registers the imports' entry points
    assert "accord.imports.tasks.schedule_cleaning" in recurring._ENTRY_POINTS

    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        tasks.clean_import_files.call()
    assert files_in(tmp_path / "imports") == []


def test_an_interrupted_import_whose_file_was_deleted_cannot_be_retried(
    finished, django_capture_on_commit_callbacks
):
    client, job = finished
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.INTERRUPTED, files_deleted_at=timezone.now()
    )
    Path(job.path).unlink()
    page = client.get(job.get_absolute_url()).content.decode()
    assert reverse("imports:retry", args=[job.pk]) not in page
    response = client.post(reverse("imports:retry", args=[job.pk]), follow=True)
    assert "The file of this import has been deleted; upload it again." in (
        response.content.decode()
    )
    assert retention.expired(timezone.now() + timedelta(days=365)).count() == 0


@pytest.mark.parametrize(
    "name,value", [("IMPORT_FILES_KEEP_DAYS", "-1"), ("IMPORT_MAX_MEGABYTES", "0")]
)
def test_a_retention_or_size_setting_out_of_range_stops_the_process(tmp_path, name, value):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "ACCORD_HOME": str(tmp_path),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        name: value,
    }
    code = "import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert f"{name}={value!r} is less than" in result.stderr


def test_the_upload_form_still_checks_its_csrf_token(cast, upload, tmp_path):
    """The upload handler is set before the form is read, so the view checks CSRF itself."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["sam"])
    assert upload(client, text=BAD_ROW).status_code == 403
    client.get(reverse("imports:list"))  # sets the CSRF cookie
    assert upload(client, text=BAD_ROW).status_code == 403  # a cookie but no token
    assert files_in(tmp_path / "imports") == []
    assert not ImportJob.objects.exists()

    token = client.cookies["csrftoken"].value
    response = upload(client, text=BAD_ROW, csrfmiddlewaretoken=token)
    assert response.status_code == 302
    assert ImportJob.objects.count() == 1
