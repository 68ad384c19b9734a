"""`accord backup` and `accord restore`: a restored database tells the same numbers.

Each test runs the real commands in their own processes on databases of their own (on
SQLite, files under a temporary ACCORD_HOME; on PostgreSQL, when the suite runs there, two
scratch databases on the same server), so the backup sees committed data as it would in
production.
"""

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection

# The numbers a CMO would compare: every count and the scoreboard of the plan in force.
FIGURES = """
import json
from datetime import UTC, datetime
from accord.analytics.pacing import default_period
from accord.crm.queries import company_counts
from accord.plan.queries import default_plan, revision_shown
from accord.scoreboard.queries import scoreboard
now = datetime(2026, 3, 2, 12, tzinfo=UTC)  # the demo's last day: the same moment twice
plan = default_plan(now.date())
revision = revision_shown(plan)
board = scoreboard(revision, default_period(plan.months, now.date()), now)
print(json.dumps({"counts": company_counts(), "scoreboard": board}, default=str, sort_keys=True))
"""


@contextmanager
def databases(tmp_path):
    """Two empty databases of the suite's engine, as the environments that reach them."""
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base.update(
        ACCORD_DEMO="1",
        DJANGO_SETTINGS_MODULE="accord.settings",
        NEW_PASSWORD="a-long-pass-phrase-1",
    )
    if connection.vendor != "postgresql":
        homes = [tmp_path / "first", tmp_path / "second"]
        for home in homes:
            (home / "var").mkdir(parents=True)
        yield [{**base, "ACCORD_HOME": str(home)} for home in homes]
        return
    settings = connection.settings_dict
    names = [f"accord_backup_{uuid.uuid4().hex[:8]}_{n}" for n in (1, 2)]
    server = dict(host=settings["HOST"], port=settings["PORT"], user=settings["USER"],
                  password=settings["PASSWORD"], dbname="postgres", autocommit=True)  # fmt: skip
    with psycopg.connect(**server) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            user, host, port = settings["USER"], settings["HOST"], settings["PORT"]
            yield [
                {
                    **base,
                    "ACCORD_HOME": str(tmp_path),
                    "DATABASE_URL": f"postgres://{user}@{host}:{port}/{name}",
                }  # fmt: skip
                for name in names
            ]
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def accord(env, *args, check=True):
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(f"accord {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def test_a_restored_database_tells_the_same_numbers_and_a_full_one_is_not_overwritten(tmp_path):
    with databases(tmp_path) as (first, second):
        accord(first, "migrate", "--noinput", "-v0")
        accord(first, "demo", "--scale", "0.02", "--months", "6", "--until", "2026-03-02")
        figures = accord(first, "shell", "-c", FIGURES).stdout.splitlines()[-1]
        backup = tmp_path / "northwind.backup"
        assert "Backed up to" in accord(first, "backup", str(backup)).stdout

        accord(second, "migrate", "--noinput", "-v0")
        accord(
            second,
            "createuser",
            "someone",
            "--email",
            "someone@example.com",
            "--password-env",
            "NEW_PASSWORD",
        )
        refused = accord(second, "restore", str(backup), check=False)
        assert refused.returncode != 0
        assert "holds data (1 users and their work)" in refused.stderr
        accord(second, "restore", str(backup), "--replace")

        restored = accord(second, "shell", "-c", FIGURES).stdout.splitlines()[-1]
        assert json.loads(restored) == json.loads(figures)
        assert json.loads(figures)["counts"]["leads"] > 0


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(tmp_path):
    with databases(tmp_path) as (env, _):
        accord(env, "migrate", "--noinput", "-v0")
        accord(
            env,
            "createuser",
            "someone",
            "--email",
            "someone@example.com",
            "--password-env",
            "NEW_PASSWORD",
        )
        junk = tmp_path / "notes.txt"
        junk.write_text("not a database\n" * 10)
        refused = accord(env, "restore", str(junk), "--replace", check=False)
        assert refused.returncode != 0 and "is not a" in refused.stderr
        missing = accord(env, "restore", str(tmp_path / "nowhere.backup"), check=False)
        assert "There is no backup file" in missing.stderr
        counts = accord(env, "stats", "--json").stdout.splitlines()[-1]
        assert json.loads(counts)["users"] == 1


@pytest.fixture(autouse=True)
def _db(db):
    """The suite's connection tells which engine to back up on (nothing is written here)."""
