"""Figures computed once and kept until the data under them changes.

The pages leaders open every morning (the overview, the scoreboard, the follow-up board,
*Both ways*, lead value) add up hundreds of thousands of rows. Computing them on every
view made them take seconds at a real company's size. Here a read model is computed by
its own from-scratch code, once, and kept in the `figures` cache with what it was
computed from:

- the **generation** of every table it reads. Database triggers (installed by each app's
  migration with `watch`) bump a table's generation on every insert, update and delete,
  in the writer's own transaction, so a write through any door (a page, the API, an
  import, raw SQL in a verb, the shell) makes every figure that reads the table stale.
  Nothing has to remember to invalidate anything.
- a **validity limit** for figures that change with time alone (a follow-up clock turning
  at risk at 10:42, a deal leaving a 365-day window): the earliest moment the from-scratch
  computation would answer differently on unchanged data.

A kept figure whose generations and limit still hold is exactly what the from-scratch
code would answer now: the equality tests check that across random changes. When the
data has changed, a page may still show the kept figure for up to
`FIGURES_MAX_AGE_SECONDS` (60 s by default; 0 in the tests), saying how old it is, while
the worker (`accord.scoreboard.tasks.refresh_figures`, every minute) computes it again;
after that the page computes it itself.

The cache is Django's (`CACHES["figures"]`: files under var/cache/ by default, shared by
the web workers and the task worker of one machine). Keys name the database, so two
databases served from one checkout (a bench copy, a PostgreSQL and a SQLite run) never
share figures.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.db import connection, migrations
from django.db.models import Model, Sum
from django.utils import timezone

from accord.core.models import Generation

CACHE_ALIAS = "figures"
log = logging.getLogger(__name__)


# --- Which tables a figure reads --------------------------------------------------------------


def table_names(models: Iterable[type[Model] | str]) -> tuple[str, ...]:
    """The database tables of `models` (a model class or a table name each), sorted."""
    return tuple(sorted({m if isinstance(m, str) else m._meta.db_table for m in models}))


def generations(tables: Iterable[str]) -> dict[str, int]:
    """Each table's generation now: the writes committed to it so far (0 if none yet).

    Inside `one_reading()` (a page being read) every table's generation is read once, at the
    first figure that asks, and the page's other figures compare against that reading: a
    scoreboard of six kept figures makes one query for them, not six. A reading taken before
    a figure is computed is never newer than the data the figure reads, so a figure kept
    with it is at worst computed again once more, never shown past a change it missed."""
    tables = tuple(tables)
    reading = _READING.get()
    if reading is not None and not _EXACT.get():
        if not reading:
            reading.update(_read_all())
            reading.setdefault("", 0)  # read, even when no table has been written yet
        found = reading
    else:
        found = _read(Generation.objects.filter(name__in=tables))
    return {name: int(found.get(name) or 0) for name in tables}


def fold_generations() -> int:
    """PostgreSQL keeps a table's generation in one row per server process that wrote to it;
    a process that has ended never writes again, so its rows are added into the table's row
    of pid 0 and deleted, in one statement: every generation (the sum) stays what it was,
    and reading them does not slow down as connections come and go. How many rows went."""
    if connection.vendor != "postgresql":
        return 0  # SQLite keeps one row per table
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (DELETE FROM core_generation g WHERE g.pid <> 0 AND NOT EXISTS "
            "(SELECT 1 FROM pg_stat_activity a WHERE a.pid = g.pid) RETURNING name, value) "
            "INSERT INTO core_generation (name, pid, value) "
            "SELECT name, 0, SUM(value) FROM gone GROUP BY name "
            "ON CONFLICT (name, pid) DO UPDATE SET value = core_generation.value + EXCLUDED.value"
        )
        return cursor.rowcount


def _read(rows) -> dict[str, int]:
    return dict(rows.values_list("name").annotate(total=Sum("value")).order_by())


def _read_all() -> dict[str, int]:
    """Every table's generation, in a statement written once: a page with kept figures reads
    them first, and building the same query through the ORM cost more than running it."""
    table = Generation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "name", SUM("value") FROM "{table}" GROUP BY "name"')  # noqa: S608
        return dict(cursor.fetchall())


_READING: ContextVar[dict | None] = ContextVar("accord_figures_reading", default=None)


@contextmanager
def one_reading():
    """Inside, the kept figures compare against one reading of the generations (see
    `generations`)."""
    token = _READING.set({})
    try:
        yield
    finally:
        _READING.reset(token)


class OneReadingMiddleware:
    """A page that only reads (GET, HEAD) reads the generations once for all its kept
    figures. A request that writes reads them afresh each time: a figure it shows after its
    own write must see that write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with one_reading():
            return self.get_response(request)


# --- Kept figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept[T]:
    """A figure and what it was computed from. `behind` is set when the data has changed
    since (the page says so); `computed_at` is when the figure was computed."""

    value: T
    computed_at: datetime
    generations: dict[str, int]
    valid_until: datetime | None
    behind: bool = False

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.computed_at


def _database_key() -> str:
    db = connection.settings_dict
    where = f"{connection.vendor}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


def cache_key(key: str) -> str:
    return f"figures:{_database_key()}:{key}"


# Asked about a moment this close to now, a figure is kept; about another (a replay with
# `--at`, a digest of a past week), it is computed on the spot and not kept.
NOW_TOLERANCE = timedelta(seconds=1)


_HELD_NOW: ContextVar[datetime | None] = ContextVar("accord_figures_held_now", default=None)


def is_now(moment: datetime | None) -> bool:
    """Whether a figure asked for `moment` (None: now) may be kept: it is now, or the moment
    a computation in progress took as now (`holding_now`)."""
    if moment is None or moment == _HELD_NOW.get():
        return True
    return abs(moment - timezone.now()) <= NOW_TOLERANCE


@contextmanager
def holding_now(moment: datetime):
    """Within, `moment` counts as now however long the work takes. A page, or the worker's
    refresh, reads the clock once and asks for several kept figures as of that moment: those
    it reached after the first second were computed afresh and never kept (*Both ways* took
    its plan's funnel from scratch on every refresh, and with it the follow-up clocks)."""
    if not is_now(moment):
        yield
        return
    token = _HELD_NOW.set(moment)
    try:
        yield
    finally:
        _HELD_NOW.reset(token)


def max_age() -> timedelta:
    return timedelta(seconds=settings.FIGURES_MAX_AGE_SECONDS)


def kept[T](
    key: str,
    tables: Iterable[str],
    compute: Callable[[], T],
    *,
    valid_until: Callable[[T], datetime | None] | None = None,
    stale_ok: bool = True,
) -> Kept[T]:
    """The figure `compute()` answers, kept under `key` while the `tables` it reads are
    unchanged and `valid_until(value)` (if given) has not passed.

    A figure computed less than FIGURES_MAX_AGE_SECONDS ago is returned even when its tables
    changed since or its limit passed, marked `behind` (the page says so, and the worker
    computes it again within a minute), unless `stale_ok` is False or inside `exact()` (the
    worker's refresh itself).
    """
    tables = tuple(tables)
    stale_ok = stale_ok and not _EXACT.get()
    full_key = cache_key(key)
    now = timezone.now()
    current = generations(tables)
    try:
        entry: Kept | None = caches[CACHE_ALIAS].get(full_key)
    except Exception:  # noqa: BLE001 (an unreadable cache costs speed, never the page)
        log.exception("figures: could not read %s from the cache", key)
        entry = None
    if entry is not None:
        in_time = entry.valid_until is None or now < entry.valid_until
        if entry.generations == current and in_time:
            return entry
        if stale_ok and timedelta(0) <= now - entry.computed_at < max_age():
            return Kept(entry.value, entry.computed_at, entry.generations, entry.valid_until, True)
    return _compute(full_key, current, compute, valid_until)


_EXACT: ContextVar[bool] = ContextVar("accord_figures_exact", default=False)


@contextmanager
def exact():
    """Inside, `kept` never answers with a figure the data has moved past: the worker's
    refresh computes those again, so that the pages find them exact."""
    token = _EXACT.set(True)
    try:
        yield
    finally:
        _EXACT.reset(token)


def _compute(full_key: str, current: dict, compute, valid_until) -> Kept:
    computed_at = timezone.now()
    value = compute()
    until = valid_until(value) if valid_until else None
    entry = Kept(value, computed_at, current, until)
    try:
        caches[CACHE_ALIAS].set(full_key, entry, timeout=None)
    except Exception:  # noqa: BLE001 (a full or read-only disk: the page still answers)
        log.exception("figures: could not keep %s", full_key)
    return entry


def forget_all() -> None:
    """Drop every kept figure (after a restore, whose generations may repeat old ones)."""
    caches[CACHE_ALIAS].clear()


def oldest(kept: Iterable[Kept]) -> Kept[None]:
    """How fresh a page built on several kept figures is: the oldest of them, behind if any
    of them is."""
    kept = list(kept)
    first = min(kept, key=lambda k: k.computed_at)
    return Kept(None, first.computed_at, {}, None, any(k.behind for k in kept))


def earliest(moments: Iterable[datetime | None]) -> datetime | None:
    """The first of the moments that are set, or None."""
    found = [m for m in moments if m is not None]
    return min(found) if found else None


def in_company_time(view):
    """A page of figures everybody is held to: its days, months and periods are the
    company's (TIME_ZONE), so a reader in New York and one in London count the same
    November. Its times are still rendered on the reader's clock (base.html renders in
    `viewer_zone`)."""

    @wraps(view)
    def in_company_zone(request, *args, **kwargs):
        with timezone.override(timezone.get_default_timezone()):
            return view(request, *args, **kwargs)

    return in_company_zone


# --- The triggers -------------------------------------------------------------------------------

_SQLITE_TRIGGER = """
CREATE TRIGGER "accord_gen_{table}_{op}" AFTER {op}{columns} ON "{table}"
BEGIN
    INSERT INTO core_generation (name, pid, value) VALUES ('{table}', 0, 1)
    ON CONFLICT (name, pid) DO UPDATE SET value = value + 1;
END
"""
_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION accord_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_generation (name, pid, value) VALUES (TG_TABLE_NAME, pg_backend_pid(), 1)
    ON CONFLICT (name, pid) DO UPDATE SET value = core_generation.value + 1;
    RETURN NULL;
END
$$
"""
_POSTGRES_TRIGGER = """
CREATE OR REPLACE TRIGGER "accord_gen_{table}"
AFTER INSERT OR UPDATE{columns} OR DELETE OR TRUNCATE ON "{table}"
FOR EACH STATEMENT EXECUTE FUNCTION accord_bump_generation()
"""
SQLITE_OPERATIONS = ("INSERT", "UPDATE", "DELETE")
# Columns an update of which alone changes nothing a figure reads: bookkeeping no figure
# reads. Signing in sets the user's last_login, and sending a digest marks its reader:
# counted as writes to people_user, every sign-in made every clock and every figure that reads
# people (the board, *Both ways*, every lead's kept clocks) compute again.
QUIET_COLUMNS = {"people_user": ("last_login", "last_digest_at", "last_weekly_digest")}


def counted_columns(connection, table: str) -> list[str] | None:
    """The columns whose update counts as a write to `table`; None for all of them."""
    quiet = QUIET_COLUMNS.get(table)
    if not quiet:
        return None
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, table)
    return [column.name for column in described if column.name not in quiet]


def install_triggers(schema_editor, tables: Iterable[str]) -> None:
    """Count writes to `tables`, replacing any counting trigger they had (a migration that
    changes a table with quiet columns watches it again, so that its new columns count)."""
    vendor = schema_editor.connection.vendor
    remove_triggers(schema_editor, tables)
    for table in tables:
        columns = counted_columns(schema_editor.connection, table)
        # Column names from the database's own description of a table this code names.
        update_of = " OF " + ", ".join(f'"{c}"' for c in columns) if columns else ""
        if vendor == "sqlite":
            for op in SQLITE_OPERATIONS:
                of = update_of if op == "UPDATE" else ""
                schema_editor.execute(_SQLITE_TRIGGER.format(table=table, op=op, columns=of))
        elif vendor == "postgresql":
            schema_editor.execute(_POSTGRES_FUNCTION)
            schema_editor.execute(_POSTGRES_TRIGGER.format(table=table, columns=update_of))
        else:
            raise NotImplementedError(f"No generation triggers for {vendor}.")


def remove_triggers(schema_editor, tables: Iterable[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "sqlite":
            for op in SQLITE_OPERATIONS:
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "accord_gen_{table}_{op}"')
        else:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "accord_gen_{table}" ON "{table}"')


def watch(*tables: str) -> migrations.RunPython:
    """A migration operation: count every write to `tables` (table names) from now on."""

    def forwards(apps, schema_editor):
        install_triggers(schema_editor, tables)

    def backwards(apps, schema_editor):
        remove_triggers(schema_editor, tables)

    forwards.watched = tables  # for the test that every watched table keeps its triggers
    return migrations.RunPython(forwards, backwards, elidable=False)


def watched_tables() -> set[str]:
    """The tables that have generation triggers in this database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'accord_gen_%'"
            )
        else:
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE 'accord_gen_%'"
            )
        return {row[0] for row in cursor.fetchall()}
