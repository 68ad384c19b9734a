"""Which analytics engine attribution runs on: the app database, ACCORD_ANALYTICS_URL or an
`--engine` URL, checked to hold the contract's tables (`compute.py` runs the models)."""

from django.core.exceptions import ImproperlyConfigured
from ibis.backends import BaseBackend

from accord.analytics import django_source, tables, warehouse
from accord.analytics.warehouse import EngineError  # raised here; callers catch it from here


def engine_tables(url: str | None) -> tables.Tables:
    """The contract's tables on `url` (an engine URL: `warehouse.connect`), else on the
    configured analytics engine: ACCORD_ANALYTICS_URL, else the app database."""
    url = url or django_source.analytics_url()
    if not url:
        try:
            return django_source.app_tables()
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
    engine: what `accord attribution copy` reads by default."""
    try:
        return django_source.app_database()
    except ImproperlyConfigured as error:
        raise EngineError(str(error)) from None
