"""SQL snapshots: the SQL that Ibis writes for a query on each engine, kept in plain .sql files
under tests/<area>/snapshots/ and compared exactly, so a change to a query, to Ibis or to
sqlglot shows up as a diff of the SQL itself rather than as "it still compiles".

To accept new SQL, run the tests that failed with ACCORD_UPDATE_SNAPSHOTS=1: instead of
comparing, they rewrite their files (and create missing ones). Read the diff
(`git diff tests/*/snapshots/`) before committing it: the files are the review.

    ACCORD_UPDATE_SNAPSHOTS=1 .venv/bin/pytest -m "not browser" -k compile tests
"""

import difflib
import os
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

import ibis
import pytest

DIALECTS = ("sqlite", "postgres", "duckdb", "pyspark")
UPDATE = "ACCORD_UPDATE_SNAPSHOTS"


def sql_of(queries: Mapping[str, ibis.Table], dialect: str) -> str:
    """Each query's SQL in the dialect, under a comment with its name, in the given order."""
    return "\n".join(
        f"-- {name}\n{ibis.to_sql(query, dialect=dialect)};\n" for name, query in queries.items()
    )


def assert_sql_snapshot(path: Path, queries: Mapping[str, ibis.Table], dialect: str) -> None:
    """The queries compile, in `dialect`, to exactly the SQL stored at `path`."""
    got = sql_of(queries, dialect)
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != got:
            path.write_text(got)
        return
    if not path.exists():
        pytest.fail(f"There is no SQL snapshot {path}: run with {UPDATE}=1 to write it.")
    expected = path.read_text()
    if got != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            got.splitlines(keepends=True),
            fromfile=str(path),
            tofile=f"{dialect} SQL now",
        )
        shown = "".join(list(diff)[:200])
        pytest.fail(
            f"The {dialect} SQL differs from {path} (ibis {version('ibis-framework')}, "
            f"sqlglot {version('sqlglot')}). If the change is intended, run with {UPDATE}=1 "
            f"and review the diff.\n{shown}",
            pytrace=False,
        )
