"""Where the analytics read from: the one module of `accord.analytics` that imports Django.

`ACCORD_ANALYTICS_URL` names another engine as an Ibis URL (duckdb:///var/copy.duckdb,
postgres://...); empty means the app database itself. There the Ibis backend wraps Django's
own connection (`from_connection`), so the analytics see exactly what Django sees,
including rows a test wrote in its still-open transaction, and no second set of
credentials or pool is needed.

The backend borrows the connection of the current thread for one unit of work (a request,
a task): open it when needed and do not keep it, because Django closes and reopens its
connections between requests.
"""

import ibis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from ibis.backends import BaseBackend

from accord.analytics import tables, warehouse
from accord.env import envstr


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
    """The app database itself as an Ibis backend, whatever ACCORD_ANALYTICS_URL says."""
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
    raise ImproperlyConfigured(
        f"The analytics cannot read a {connection.vendor} database; "
        "set ACCORD_ANALYTICS_URL to an engine that holds a copy of the CRM tables."
    )


def app_tables(alias: str = "default") -> tables.Tables:
    """The contract's tables on the analytics engine."""
    return tables.load(connect(alias))
