"""Which analytics engine the app reads: the one Django-side door into `accord.analytics`.

`ACCORD_ANALYTICS_URL` names another engine as an Ibis URL (duckdb:///var/copy.duckdb,
postgres://...); empty means the app database itself. There the Ibis backend wraps Django's
own connection (`from_connection`), so the analytics see exactly what Django sees,
including rows a test wrote in its still-open transaction, and no second set of
credentials or pool is needed.

The backend borrows the connection of the current thread for one unit of work (a request,
a task): open it when needed and do not keep it, because Django closes and reopens its
connections between requests. Every failure to reach an engine is an `EngineError` with a
sentence a person can act on, on a page, in a task and on the command line alike.
"""

import ibis
from django.conf import settings
from django.db import connections
from ibis.backends import BaseBackend

from accord.analytics import tables, warehouse
from accord.analytics.warehouse import EngineError  # raised here; callers catch it from here
from accord.env import envstr

__all__ = [
    "EngineError",
    "analytics_url",
    "app_database",
    "app_tables",
    "connect",
    "engine_backend",
    "engine_tables",
]


def analytics_url() -> str:
    """The setting if the settings module defines it, else the environment variable."""
    url = getattr(settings, "ACCORD_ANALYTICS_URL", None)
    return envstr("ACCORD_ANALYTICS_URL") if url is None else url


def connect(alias: str = "default") -> BaseBackend:
    """An Ibis backend on the analytics engine: ACCORD_ANALYTICS_URL or the app database.

    A URL goes through `warehouse.connect`, so a misspelt or unreachable engine gives the
    same clear EngineError on a page or in a task as on the command line."""
    if url := analytics_url():
        return warehouse.connect(url)
    return app_database(alias)


def app_database(alias: str = "default") -> BaseBackend:
    """The app database itself as an Ibis backend, whatever ACCORD_ANALYTICS_URL says (what
    `accord attribution copy` reads by default)."""
    connection = connections[alias]
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        backend = ibis.sqlite.from_connection(raw)
        # Ibis turns on case-sensitive LIKE; Django's icontains on SQLite relies on the
        # default, and this connection is Django's. Nothing in the analytics uses LIKE.
        raw.execute("PRAGMA case_sensitive_like = OFF")
        return backend
    if connection.vendor == "postgresql":
        return ibis.postgres.from_connection(raw)
    raise EngineError(
        f"The analytics cannot read a {connection.vendor} database; "
        "set ACCORD_ANALYTICS_URL to an engine that holds a copy of the CRM tables."
    )


def app_tables(alias: str = "default") -> tables.Tables:
    """The contract's tables on the analytics engine."""
    return tables.load(connect(alias))


def engine_tables(url: str | None) -> tables.Tables:
    """The contract's tables on `url` (an engine URL: `warehouse.connect`), else on the
    configured analytics engine: ACCORD_ANALYTICS_URL, else the app database."""
    url = url or analytics_url()
    if not url:
        return app_tables()
    return tables.load(engine_backend(url))


def engine_backend(url: str) -> BaseBackend:
    """The engine `url` names, holding every table the contract reads, or an EngineError."""
    backend = warehouse.connect(url)
    if unreadable := warehouse.unreadable_tables(backend):
        first, why = next(iter(unreadable.items()))
        raise EngineError(
            f"The engine {warehouse.redacted(url)!r} lacks tables the analytics read: "
            f"{', '.join(unreadable)} ({first}: {why}). Copy them there with "
            "`accord attribution copy --to URL`."
        )
    return backend
