"""An import killed halfway leaves nothing behind and can simply be run again.

This runs the real `accord import` in its own process on a SQLite file and kills it with
SIGKILL while its transaction is writing (the write-ahead log is growing).
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.factories import PRODUCTION_SECRET_KEY

ROWS = 50_000


def accord(env, *args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "accord.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **kwargs,
    )


def test_a_killed_import_leaves_no_rows_and_the_rerun_imports_everything(tmp_path: Path):
    database = tmp_path / "accord.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        # A small page cache spills the transaction's pages to the write-ahead log as it
        # goes, so the log grows while the import is still writing, not only at its commit
        # (with the default cache a kill could land after the commit under a busy machine).
        "SQLITE_BULK_CACHE_MEGABYTES": "2",
    }
    env.pop("ACCORD_TESTING", None)
    migrate = accord(env, "migrate", "--noinput", "-v0")
    migrate.communicate(timeout=120)
    assert migrate.returncode == 0
    leads = tmp_path / "leads.csv"
    with open(leads, "w") as f:
        f.write("external_id,email,first_name,company,status,created_at\n")
        for i in range(ROWS):
            f.write(f"K{i},person{i}@kill-test.example,P{i},Company {i % 900},new,2025-01-02\n")

    wal = Path(f"{database}-wal")
    before = wal.stat().st_size if wal.exists() else 0
    process = accord(env, "import", "leads", str(leads), "--source-system", "crm")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > before + 1_000_000:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed: make ROWS larger"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)

    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from crm_lead").fetchone()[0] == 0
        assert db.execute("select count(*) from crm_account").fetchone()[0] == 0

    rerun = accord(env, "import", "leads", str(leads), "--source-system", "crm", "--json")
    output = rerun.communicate(timeout=600)[0].decode()
    assert rerun.returncode == 0, output
    assert f'"created": {ROWS}' in output
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from crm_lead").fetchone()[0] == ROWS
