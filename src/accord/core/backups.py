"""Backing the database up and restoring it, whole, on the engine it runs on.

SQLite: the online backup API copies a consistent snapshot page by page while the app keeps
serving (readers and the worker go on), into a new file written beside the target and
renamed over it once complete. PostgreSQL: `pg_dump` in its custom format and `pg_restore`,
with the connection settings Django uses. A restore replaces every table; it refuses a
database that holds data unless told to replace it, and checks that the file is a backup
of this kind before touching anything.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection

from accord.core import figures

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backup(target: Path) -> None:
    """Write a backup of the whole database to `target` (replaced if it exists)."""
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent} to write the backup into.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            copy = sqlite3.connect(partial)
            try:
                connection.connection.backup(copy)
            finally:
                copy.close()
        elif connection.vendor == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial)])
        else:
            raise BackupError(f"Backups of a {connection.vendor} database are not supported.")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def restore(source: Path, *, replace: bool = False) -> None:
    """Replace the whole database with the backup at `source`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    header = _head(source)
    if connection.vendor == "sqlite":
        if not header.startswith(SQLITE_HEADER):
            raise BackupError(f"{source} is not a SQLite backup (this database is SQLite).")
        _check_sqlite_backup(source)
    elif connection.vendor == "postgresql":
        if not header.startswith(PG_CUSTOM_HEADER):
            raise BackupError(
                f"{source} is not a PostgreSQL backup made by `accord backup` (pg_dump's "
                "custom format); this database is PostgreSQL."
            )
    else:
        raise BackupError(f"Restoring a {connection.vendor} database is not supported.")
    if not replace and (users := _users()):
        raise BackupError(
            f"This database holds data ({users:,} users and their work); a restore replaces "
            "all of it. Run it again with --replace to do so."
        )
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            backup_file.backup(connection.connection)
        finally:
            backup_file.close()
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                str(source),
            ],  # fmt: skip
            database_flag=True,
        )
    # The restored tables' write counts may repeat ones this machine kept figures for.
    figures.forget_all()


def _users() -> int:
    """How many people this database knows (0 before it is migrated)."""
    users = get_user_model()
    if users._meta.db_table not in connection.introspection.table_names():
        return 0
    return users.objects.count()


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(16)


def _check_sqlite_backup(path: Path) -> None:
    try:
        backup_file = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (ok,) = backup_file.execute("PRAGMA quick_check").fetchone()
            has_migrations = backup_file.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
        finally:
            backup_file.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a SQLite database: {error}.") from None
    if ok != "ok":
        raise BackupError(f"{path} is damaged: {ok}.")
    if not has_migrations:
        raise BackupError(f"{path} is a SQLite database but not a backup of Accord's.")


def _run(command: list[str], *, database_flag: bool = False) -> None:
    """Run a PostgreSQL client program against Django's database."""
    settings = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": str(settings.get("HOST") or ""),
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": str(settings.get("USER") or ""),
        "PGPASSWORD": str(settings.get("PASSWORD") or ""),
        "PGDATABASE": str(settings["NAME"]),
    }
    env = {key: value for key, value in env.items() if value != ""}
    if database_flag:
        command = [*command[:-1], "--dbname", str(settings["NAME"]), command[-1]]
    connection.close()  # pg_restore drops tables this connection may hold locks on
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client programs."
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
