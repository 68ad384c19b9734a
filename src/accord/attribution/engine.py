"""Which analytics engine attribution runs on: the app database, ACCORD_ANALYTICS_URL or an
`--engine` URL, checked to hold the contract's tables (`compute.py` runs the models)."""

import ibis
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from ibis.backends import BaseBackend

from accord.analytics import tables, warehouse
from accord.analytics.django_source import analytics_url, app_tables
from accord.analytics.warehouse import EngineError  # raised here; callers catch it from here


def engine_tables(url: str | None) -> tables.Tables:
    """The contract's tables on `url` (an engine URL: `warehouse.connect`), else on the
    configured analytics engine: ACCORD_ANALYTICS_URL, else the app database."""
    url = url or analytics_url()
    if not url:
        try:
            return app_tables()
        except ImproperlyConfigured as error:
            raise EngineError(str(error)) from None
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


def app_database() -> BaseBackend:
    """The app database as an Ibis backend, even where ACCORD_ANALYTICS_URL names another
    engine: what `accord attribution copy` reads by default. As `django_source.connect()`
    does without that setting, it wraps Django's own connection."""
    connection = connections["default"]
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        backend = ibis.sqlite.from_connection(raw)
        raw.execute("PRAGMA case_sensitive_like = OFF")  # as django_source.connect() says
        return backend
    if connection.vendor == "postgresql":
        return ibis.postgres.from_connection(raw)
    raise EngineError(f"Accord cannot read its tables from a {connection.vendor} database.")
