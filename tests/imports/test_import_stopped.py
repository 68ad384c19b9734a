"""`accord serve` stopped with a plain TERM in the middle of a web import: the worker may
finish it within `--grace` seconds; after that the batch being written rolls back and the
job goes back in the queue, and the next worker goes on from the last stored batch. Never
"Importing" for ever, never a row twice, never a file half imported.

This runs the real `accord serve` (gunicorn and the worker) on a SQLite file, queues a web
import of 50,000 leads, and sends TERM to `accord serve` once the worker is storing rows.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import PRODUCTION_SECRET_KEY

ROWS = 50_000
REPO = Path(__file__).resolve().parents[2]

QUEUE_AN_IMPORT = """
from accord.crm.models import ImportJob
from accord.imports.jobs import run_import_job
from accord.people.models import User

ops = User.objects.create(username="ops", email="ops@stop-test.example", role="admin")
job = ImportJob.objects.create(
    created_by=ops, kind="leads", original_name="leads.csv", path={path!r}, size=1,
    rows_total={rows}, format="accord", source_system="crm", status="queued",
    columns={{"external_id": "external_id", "email": "email", "first_name": "first_name"}},
)
run_import_job.enqueue(job.pk)
print(job.pk)
"""


def accord(env, *args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "accord.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **kwargs,
    )


def finished(process, timeout) -> str:
    output = process.communicate(timeout=timeout)[0].decode()
    assert process.returncode == 0, output
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """An empty Accord database, migrated once for this module's servers."""
    database = tmp_path_factory.mktemp("stop-test") / "template.sqlite3"
    env = server_env(database, database.parent)
    finished(accord(env, "migrate", "--noinput", "-v0"), 120)
    return database


def server_env(database: Path, home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "ACCORD_HOME": str(home),
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "accord.settings",
    }
    env.pop("ACCORD_TESTING", None)
    return env


def term_mid_import(tmp_path: Path, migrated: Path, grace: str) -> tuple[sqlite3.Connection, int]:
    """Queue an import, start `accord serve --grace GRACE`, TERM it once rows are being stored;
    the database afterwards, and the job's id."""
    home = tmp_path / "home"
    uploads = home / "var" / "imports"
    uploads.mkdir(parents=True)
    (home / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    database = tmp_path / "accord.sqlite3"
    shutil.copy(migrated, database)
    env = server_env(database, home)
    leads = uploads / "leads.csv"
    with open(leads, "w") as f:
        f.write("external_id,email,first_name\n")
        for i in range(ROWS):
            f.write(f"S{i},person{i}@stop-test.example,P{i}\n")
    code = QUEUE_AN_IMPORT.format(path=str(leads), rows=ROWS)
    job_id = int(finished(accord(env, "shell", "-c", code), 60).strip().splitlines()[-1])

    port = str(free_port())
    serve = accord(env, "serve", "--port", port, "--web-workers", "1", "--grace", grace)
    progress = uploads / f"job-{job_id}.progress"
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and serve.poll() is None and done < 1000:
        try:
            done = json.loads(progress.read_text())["done"]
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)  # waiting for the worker to get there, not for a moment in time
    assert done >= 1000, "the import did not start storing rows"
    serve.send_signal(signal.SIGTERM)
    output = serve.communicate(timeout=180)[0].decode()
    assert serve.returncode == 0, output
    return sqlite3.connect(database), job_id


def test_a_term_of_accord_serve_mid_import_queues_it_again_and_the_next_worker_goes_on(
    tmp_path, migrated
):
    db, job_id = term_mid_import(tmp_path, migrated, grace="1")
    with db:
        status, started_at, resume = db.execute(
            "select status, started_at, resume from crm_importjob where id = ?", (job_id,)
        ).fetchone()
        assert (status, started_at) == ("queued", None)
        resume = json.loads(resume)
        stored = db.execute("select count(*) from crm_lead").fetchone()[0]
        # What is stored is exactly the batches the job says it stored, no half batch.
        assert 0 < stored == resume["row"] == resume["counts"]["created"] < ROWS
        waiting = db.execute(
            "select count(*) from django_tasks_database_dbtaskresult "
            "where task_path = 'accord.imports.jobs.run_import_job' and status = 'READY'"
        ).fetchone()[0]
        assert waiting == 1  # the next `accord serve` or `accord worker` runs it
    db.close()

    env = server_env(tmp_path / "accord.sqlite3", tmp_path / "home")
    go_on = f"from accord.imports.jobs import run; run({job_id})"
    finished(accord(env, "shell", "-c", go_on), 180)
    db = sqlite3.connect(tmp_path / "accord.sqlite3")
    with db:
        status, report = db.execute(
            "select status, report from crm_importjob where id = ?", (job_id,)
        ).fetchone()
        report = json.loads(report)
        assert status == "done"
        assert (report["rows"], report["created"], report["rejected"]) == (ROWS, ROWS, 0)
        leads, emails = db.execute(
            "select count(*), count(distinct email) from crm_lead"
        ).fetchone()
        assert leads == emails == ROWS
    db.close()


def test_a_term_of_accord_serve_lets_an_import_that_ends_within_the_grace_finish(
    tmp_path, migrated
):
    db, job_id = term_mid_import(tmp_path, migrated, grace="170")
    with db:
        status = db.execute("select status from crm_importjob where id = ?", (job_id,))
        assert status.fetchone()[0] == "done"
        assert db.execute("select count(*) from crm_lead").fetchone()[0] == ROWS
    db.close()
