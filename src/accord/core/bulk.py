"""Bulk writes faster than the ORM: one insert path for imports and the demo company.

`insert_rows` (imports: plain objects) and `insert_values` (the demo: tuples) store rows
with one COPY (PostgreSQL) or one executemany per batch, values prepared as the ORM would;
`OneOf` and `by_external_id` look thousands of keys up in one query;
`sqlite_cache_for_bulk_writes` keeps SQLite fast through one large transaction. Only Django
and the standard library: callers pass the models.
"""

import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Lookup
from django.db.models.fields import AutoFieldMixin


def by_external_id(model, source_system: str, ids):
    """Rows of `model` with these external ids, through the unique index.

    The index on (source_system, external_id) is partial (external_id != ''); neither
    SQLite nor PostgreSQL (beyond 100 values) can tell that `external_id IN (...)` implies
    that, and without the repeated condition they scan the whole table for every batch.
    """
    return (
        model.objects.filter(OneOf(F("external_id"), ids), source_system=source_system)
        .exclude(external_id="")
        .order_by()
    )


class OneOf(Lookup):
    """`text_column IN (values)` with the values as one parameter: an array on PostgreSQL,
    a JSON list read by json_each on SQLite. For the thousands of keys a batch looks up,
    `__in` prepares and binds every value on its own, which costs more than the query;
    the rows found are the same. `OneOf(F("email"), ["a@x.example", ...])`."""

    lookup_name = "one_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = [str(v) for v in self.rhs]
        if not values:
            raise EmptyResultSet  # as `__in=[]`: no rows, no query
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*params, values)
        if connection.vendor == "sqlite":
            # `lhs` is the compiled column; the values go in as the one parameter.
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
            return sql, (*params, json.dumps(values))
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*params, *values)


def refresh_statistics(using: str = DEFAULT_DB_ALIAS) -> None:
    """Let SQLite's query planner know the tables' sizes again, after a bulk write (an
    import, the demo) and daily: without statistics it may pick a status index over a
    lead's own and read 100,000 rows to show one lead. A sampled ANALYZE (1,000 rows an
    index) takes tens of milliseconds. PostgreSQL's autovacuum keeps its own."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")


@contextmanager
def sqlite_cache_for_bulk_writes(megabytes: int | None = None):
    """On SQLite, give one large transaction a page cache big enough for its indexes.

    With SQLite's default 2 MB cache, a transaction that inserts hundreds of thousands of
    rows spills dirty index pages to the WAL again and again: the WAL grew past 500 MB for
    a 136 MB file and the import slowed down as it went. The cache only grows as pages are
    touched, and the previous size comes back afterwards. Elsewhere this does nothing.
    """
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite":
        yield
        return
    megabytes = max(1, settings.SQLITE_BULK_CACHE_MEGABYTES if megabytes is None else megabytes)
    with sqlite_pragma_for_a_while(db, "cache_size", -1024 * int(megabytes)):
        yield


@contextmanager
def sqlite_pragma_for_a_while(db, name: str, value: int):
    """Set an integer PRAGMA of this SQLite connection inside the block, and put its previous
    value back after it."""
    with db.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA {name} = {int(value):d}")
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute(f"PRAGMA {name} = {int(previous):d}")


def _prepared(f, db, values: list) -> list:
    """`[f.get_db_prep_save(v, db) for v in values]`, None kept, with the same answers by a
    shorter way for the values imports produce: a str for a text field, an int for an auto
    id, an aware datetime. Anything else takes the ORM's own way."""
    full = f.get_db_prep_save
    if type(f) in (models.CharField, models.TextField):
        # get_prep_value -> to_python: a str is itself; get_db_prep_value adds nothing.
        return [v if v is None or type(v) is str else full(v, db) for v in values]
    if isinstance(f, AutoFieldMixin) and isinstance(f, models.IntegerField):
        # int(value), then the backend's check of an auto id value.
        check = db.ops.validate_autopk_value
        return [v if v is None else check(v) if type(v) is int else full(v, db) for v in values]
    if type(f) is models.DateTimeField:
        # to_python keeps a datetime; an aware one needs no default zone, only the backend's.
        if db.vendor == "sqlite" and settings.USE_TZ:
            # SQLite's adapter: the instant in the connection's zone, naive, as text.
            zone = db.timezone
            return [
                v
                if v is None
                else str(v.astimezone(zone).replace(tzinfo=None))
                if type(v) is datetime and v.utcoffset() is not None
                else full(v, db)
                for v in values
            ]
        adapt = db.ops.adapt_datetimefield_value
        return [
            v
            if v is None
            else adapt(v)
            if type(v) is datetime and v.utcoffset() is not None
            else full(v, db)
            for v in values
        ]
    return [v if v is None else full(v, db) for v in values]


def insert_rows(model, rows: list[SimpleNamespace]) -> None:
    """Store plain rows with one COPY (PostgreSQL) or one executemany (elsewhere), values
    prepared as the ORM would."""
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the real wrapper, not the thread-local proxy
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # Column by column: one comprehension per field instead of a call per value.
    prepared = []
    for f in fields:
        if f.is_relation:
            name, attname = f.name, f.attname
            ids = [
                # the related object's id, or (no object) the id itself, if any
                value.pk
                if (value := getattr(row, name, None)) is not None
                else getattr(row, attname, None)
                for row in rows
            ]
            prepared.append(_prepared(f.target_field, db, ids))
        else:
            name = f.attname
            prepared.append(_prepared(f, db, [getattr(row, name, None) for row in rows]))
    _write_columns(db, model, fields, prepared)


def insert_values(model, names: Sequence[str], rows: Iterable[Sequence], batch_size: int = 5000):
    """Store rows given as tuples of the named fields' values (`account_id` for a relation's
    id), in batches of `batch_size`, the same way as `insert_rows`: the demo company's
    hundreds of thousands of rows, where `bulk_create` took over a minute."""
    db = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    kinds = [f.target_field if f.is_relation else f for f in fields]
    iterator = iter(rows)
    while chunk := list(islice(iterator, batch_size)):
        columns = zip(*chunk, strict=True)
        prepared = [
            _prepared(f, db, list(values)) for f, values in zip(kinds, columns, strict=True)
        ]
        _write_columns(db, model, fields, prepared)


def _write_columns(db, model, fields: list, prepared: list[list]) -> None:
    """Write prepared values, one list per field, with one COPY (PostgreSQL) or one
    executemany (elsewhere)."""
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    if db.vendor == "postgresql":
        # COPY: PostgreSQL's own bulk load, the rows streamed in one command and each value
        # written as text by psycopg's C adapters. It checks the same constraints as INSERT
        # and keeps the transaction; per 5,000 rows it took 0.08 s where one INSERT from
        # unnest(arrays) took 0.11 s and executemany 0.12 s (psycopg writes arrays in Python).
        # The command is built from model metadata only; the values travel as data.
        # Errors come out as Django's (IntegrityError, DataError), as from a query.
        with db.wrap_database_errors, db.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in zip(*prepared, strict=True):
                    copy.write_row(row)
        return
    # The SQL is built from model metadata only; every value goes in as a parameter.
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with db.cursor() as cursor:
        cursor.executemany(sql, list(zip(*prepared, strict=True)))
