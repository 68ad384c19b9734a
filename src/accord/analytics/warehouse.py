"""The engines Accord names by URL, and copies of the contract's tables on them.

No Django imports here.

URLs. `connect(url)` accepts four schemes, with paths written as Ibis writes them for SQLite
and DuckDB (three slashes for an absolute path, two for one relative to the working folder):

    sqlite:///srv/accord/accord.sqlite3      an SQLite file
    postgres://user@host:5432/accord         a PostgreSQL database (postgresql:// too)
    duckdb:///srv/accord/copy.duckdb         a DuckDB file
    pyspark:///srv/accord/warehouse          a local Spark session on a warehouse folder

A Spark warehouse is a folder with one folder of Parquet files per app table (crm_lead/,
crm_touchpoint/...), which `copy_contract` writes. Connecting starts a Spark session in this
process (master `local[*]` unless the URL says `?master=local[4]`; other `spark.*` query
parameters become its settings, e.g. `?spark.driver.memory=4g`), on that folder as its
warehouse, and registers each app table found there as a temporary view of that name. Spark
allows one session per process, so a process reads one warehouse: naming another while a
session runs is an error, not a silent switch.

Ibis's own `pyspark://` URL reads the path as relative to the working folder even after
three slashes, and a table Ibis creates in a warehouse is known to the session's catalog
only, which (without a Hive metastore) forgets it when the process ends: hence the scheme
is handled here, and the tables are found by their folders.

Copies. `copy_contract(source, target)` copies the columns the contract reads of every
contract table's app table, under the app's names (`id`, not `lead_id`), from any engine to
a DuckDB or Spark one, replacing what was there. Rows travel in Arrow batches of
`chunk_rows`: DuckDB receives them one insert at a time in one transaction, Spark as one
Parquet file written batch by batch; so neither side holds a whole table in memory (except
a Spark source, whose Ibis backend collects a query's whole result). Each table is replaced
on its own: a copy that fails leaves the tables before the failing one new, the rest old.
"""

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa
from ibis.backends import BaseBackend

from accord.analytics.tables import CONTRACT

SCHEMES = ("sqlite", "postgres", "duckdb", "pyspark")
COPY_TARGETS = ("duckdb", "pyspark")
CHUNK_ROWS = 100_000
CENT = Decimal("0.01")
# Settings of the Spark sessions `connect` starts, below those a URL gives: quiet and small.
SPARK_DEFAULTS = {
    "spark.app.name": "accord",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Python workers, if Spark ever needs them, run this interpreter (with pyspark).
    "spark.pyspark.python": sys.executable,
}


class EngineError(ValueError):
    """The engine named cannot be reached or read; the message says which and why."""


# --- URLs -------------------------------------------------------------------------------------


def connect(url: str, *, create: bool = False) -> BaseBackend:
    """An Ibis backend on the engine `url` names (module docstring).

    Files and folders must exist, unless `create` (a copy's target): then only their
    folder must. Raises EngineError, with a message fit for a user, when the URL names no
    engine Accord knows or the engine cannot be reached.
    """
    shown = redacted(url)
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower().replace("postgresql", "postgres")
    if not rest and not url.endswith("://"):
        raise EngineError(
            f"{url!r} is not an engine URL; write it like duckdb:///path/copy.duckdb, "
            "pyspark:///path/warehouse, sqlite:///path/accord.sqlite3 or "
            "postgres://user@host/db."
        )
    if scheme not in SCHEMES:
        raise EngineError(
            f"Cannot use the engine {shown!r}: Accord knows no engine {scheme!r}; "
            "it reads sqlite://, postgres://, duckdb:// and pyspark:// URLs."
        )
    if create and scheme not in COPY_TARGETS:
        raise EngineError(_not_a_target(scheme))
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if scheme == "postgres":
        options.setdefault("connect_timeout", "10")
        return _connecting(shown, lambda: ibis.connect(url, **options))
    path = _path(parts)
    if scheme == "pyspark":
        if path is None:
            raise EngineError(f"{shown!r} names no folder; write pyspark:///path/warehouse.")
        _check_place(shown, path, create, folder=True)
        return _spark(shown, path, options, create)
    if path is None:
        raise EngineError(f"{shown!r} names no file; write {scheme}:///path/to/the/file.")
    _check_place(shown, path, create, folder=False)
    return _connecting(shown, lambda: ibis.connect(url))


def unreadable_tables(backend: BaseBackend) -> dict[str, str]:
    """The contract's app tables the engine cannot give (missing, or short of a column the
    contract reads), each with the engine's first line about it. Asks for no rows."""
    if backend.name == "pyspark":
        # Asking Spark for a missing table logs the error, too; and the tables of a warehouse
        # `connect` reads are views with the contract's columns, whatever the files hold.
        catalog = backend._session.catalog
        return {
            app_table: "not in the warehouse"
            for app_table, _ in _app_schemas().values()
            if not catalog.tableExists(app_table)
        }
    unreadable = {}
    for app_table, schema in _app_schemas().values():
        query = backend.sql(_select(app_table, schema), schema=schema, dialect="postgres")
        try:
            result = backend.raw_sql(backend.compile(query.limit(0)))
        except Exception as error:  # noqa: BLE001 - any driver's failure, reported by name
            unreadable[app_table] = _first_line(error)
        else:
            if backend.name in ("sqlite", "postgres"):
                result.close()  # a cursor; DuckDB gives its connection
    return unreadable


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _path(parts) -> Path | None:
    # As Ibis reads sqlite:// and duckdb:// URLs: sqlite:///abs/x.db, sqlite://rel/x.db.
    text = unquote(parts.netloc + parts.path)
    if not text or text == ":memory:":
        return None
    # sqlite:////srv/x (a fourth slash) means /srv/x too; POSIX would keep "//" in the name.
    return Path("/" + text.lstrip("/")) if text.startswith("/") else Path(text).absolute()


def _check_place(shown: str, path: Path, create: bool, *, folder: bool) -> None:
    kind = "folder" if folder else "file"
    if path.exists():
        if path.is_dir() != folder:
            raise EngineError(f"Cannot use the engine {shown!r}: {path} is not a {kind}.")
    elif not create:
        raise EngineError(f"Cannot use the engine {shown!r}: there is no {kind} {path}.")
    elif not path.parent.is_dir():
        raise EngineError(f"Cannot use the engine {shown!r}: there is no folder {path.parent}.")


def _connecting(shown: str, connecting: Callable[[], BaseBackend]) -> BaseBackend:
    try:
        return connecting()
    except Exception as error:  # noqa: BLE001 - any driver's failure, reported by name
        raise EngineError(f"Cannot use the engine {shown!r}: {_first_line(error)}") from None


def _not_a_target(scheme: str) -> str:
    return f"Accord copies its tables to DuckDB or Spark engines, not to {scheme}."


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# --- Spark ------------------------------------------------------------------------------------


def _spark(shown: str, folder: Path, options: dict[str, str], create: bool) -> BaseBackend:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            f"Cannot use the engine {shown!r}: PySpark is not installed "
            "(pip install 'accord[spark]'; it needs Java 17)."
        ) from None
    settings = dict(SPARK_DEFAULTS)
    master = options.pop("master", "local[*]")
    for key, value in options.items():
        if not key.startswith("spark."):
            raise EngineError(
                f"Cannot use the engine {shown!r}: {key!r} is neither master nor a spark.* setting."
            )
        settings[key] = value
    settings["spark.sql.warehouse.dir"] = str(folder)
    session = SparkSession.getActiveSession()
    if session is None:
        builder = SparkSession.builder.master(master)
        for key, value in settings.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as error:  # noqa: BLE001 - the JVM's failure, reported by name
            raise EngineError(
                f"Cannot start Spark for {shown!r}: {_first_line(error)} "
                "(Spark needs Java 17: java on the PATH, or JAVA_HOME)."
            ) from None
    running = spark_warehouse(session)
    if running != folder:
        raise EngineError(
            f"Cannot use the engine {shown!r}: this process already runs a Spark session "
            f"on the warehouse {running}, and Spark allows one session per process."
        )
    if create:
        folder.mkdir(exist_ok=True)
    backend = ibis.pyspark.connect(session)
    for app_table, schema in _app_schemas().values():
        if (folder / app_table).is_dir():
            _register(session, folder, app_table, schema)
    return backend


def spark_warehouse(session) -> Path:
    """The session's warehouse folder, which must be on this machine."""
    location = session.conf.get("spark.sql.warehouse.dir")
    parts = urlsplit(location)
    if parts.scheme not in ("", "file"):
        raise EngineError(
            f"The Spark warehouse {location} is not a folder on this machine; Accord keeps "
            "a Spark copy as Parquet files in a local folder."
        )
    return Path(unquote(parts.path)).absolute()


def _register(session, folder: Path, app_table: str, schema: ibis.Schema) -> None:
    """The app table's Parquet folder as a temporary view of its name. The schema is given,
    so Spark reads no file to infer it; a new view also drops the file listing an earlier
    one of the name kept."""
    columns = ", ".join(f"`{name}` {_spark_type(dtype)}" for name, dtype in schema.items())
    frame = session.read.schema(columns).parquet(str(folder / app_table))
    frame.createOrReplaceTempView(app_table)


def _spark_type(dtype: dt.DataType) -> str:
    if dtype.is_int64():
        return "BIGINT"
    if dtype.is_string():
        return "STRING"
    if dtype.is_timestamp():
        return "TIMESTAMP"
    if dtype.is_date():
        return "DATE"
    if dtype.is_decimal():
        return f"DECIMAL({dtype.precision}, {dtype.scale})"
    raise TypeError(f"no Spark type for {dtype}")  # the contract uses no other


# --- Copies -----------------------------------------------------------------------------------


def copy_contract(
    source: BaseBackend, target: BaseBackend, *, chunk_rows: int = CHUNK_ROWS
) -> dict[str, int]:
    """Copy every contract table's app table from `source` to `target` (DuckDB or PySpark),
    replacing it there; the rows copied per app table."""
    if target.name == "duckdb":
        write = _to_duckdb
    elif target.name == "pyspark":
        write = _to_spark
    else:
        raise EngineError(_not_a_target(target.name))
    counts = {}
    for app_table, schema in _app_schemas().values():
        counts[app_table] = write(target, app_table, schema, batches(source, app_table, chunk_rows))
    return counts


def batches(source: BaseBackend, app_table: str, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """The contract's columns of an app table, under the app's names, in Arrow batches of at
    most `chunk_rows` rows, typed as the contract says."""
    schema = dict(_app_schemas().values())[app_table]
    arrow = schema.to_pyarrow()
    sql = _select(app_table, schema)
    if source.name in ("sqlite", "duckdb"):
        # Ibis reads SQLite through pandas, one frame of the whole result (which warns with
        # pandas 3.1), and DuckDB with `fetch_record_batch`, which DuckDB 2 removed: their
        # DB-API cursors stream. SQLite's values are text where Django's connection would
        # parse them: both are read. A DuckDB cursor is a connection of its own.
        if source.name == "sqlite":
            cursor = source.raw_sql(sql)
        else:
            cursor = source.con.cursor().execute(sql)
        try:
            while chunk := cursor.fetchmany(chunk_rows):
                values = zip(*chunk, strict=True)
                columns = zip(values, schema.types, strict=True)
                yield pa.record_batch([_arrow(c, dtype) for c, dtype in columns], schema=arrow)
        finally:
            cursor.close()
        return
    query = source.sql(sql, schema=schema, dialect="postgres")
    for batch in source.to_pyarrow_batches(query, chunk_size=chunk_rows):
        yield batch.cast(arrow)


def _select(app_table: str, schema: ibis.Schema) -> str:
    """The columns of `schema` from the app table, in PostgreSQL's dialect (and SQLite's and
    DuckDB's)."""
    columns = ", ".join(f'"{name}"' for name in schema.names)
    return f'SELECT {columns} FROM "{app_table}"'  # noqa: S608 - fixed names, no input


def _app_schemas() -> dict[str, tuple[str, ibis.Schema]]:
    """Per contract table: its app table and the schema of the columns the contract reads
    there, under the app's names."""
    return {
        name: (app_table, ibis.schema({renamed.get(c, c): t for c, t in schema.items()}))
        for name, (app_table, schema, renamed) in CONTRACT.items()
    }


def _arrow(values: tuple, dtype: dt.DataType) -> pa.Array:
    """A column of Python values (SQLite's: text, numbers, or what a connection's
    converters made of them) as the Arrow type of `dtype`."""
    convert = _CONVERTERS.get(type(dtype))
    if convert is not None:
        values = [None if v is None else convert(v) for v in values]
    return pa.array(values, type=dtype.to_pyarrow())


def _timestamp(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:  # UTC without a zone, as the contract says
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _decimal(value: Any) -> Decimal:
    # SQLite keeps money as a float or an integer; its shortest repr is the stored amount.
    return Decimal(str(value)).quantize(CENT)


_CONVERTERS: dict[type, Callable[[Any], Any]] = {
    dt.Timestamp: _timestamp,
    dt.Date: _date,
    dt.Decimal: _decimal,
}


def _to_duckdb(
    target: BaseBackend, app_table: str, schema: ibis.Schema, rows: Iterator[pa.RecordBatch]
) -> int:
    """Replace the table in one transaction, inserting one batch at a time: the batches are
    made in this thread (a source's connection may not be shared with DuckDB's threads)."""
    con = target.con
    view = f"accord_copy_{uuid.uuid4().hex}"
    count = 0
    con.begin()
    try:
        # Created from no rows of the Arrow schema: DuckDB gives each column its type.
        con.register(view, schema.to_pyarrow().empty_table())
        con.execute(f'CREATE OR REPLACE TABLE "{app_table}" AS SELECT * FROM "{view}"')  # noqa: S608
        con.unregister(view)
        for batch in rows:
            con.register(view, pa.Table.from_batches([batch]))
            con.execute(f'INSERT INTO "{app_table}" SELECT * FROM "{view}"')  # noqa: S608
            con.unregister(view)
            count += batch.num_rows
    except BaseException:
        con.rollback()
        with contextlib.suppress(Exception):
            con.unregister(view)
        raise
    con.commit()
    return count


def _to_spark(
    target: BaseBackend, app_table: str, schema: ibis.Schema, rows: Iterator[pa.RecordBatch]
) -> int:
    """Write the table as one Parquet file, batch by batch, beside the old one's folder,
    then put it in that folder's place and register it anew."""
    import pyarrow.parquet as pq

    session = target._session  # Ibis's PySpark backend gives its session no public name
    folder = spark_warehouse(session)
    folder.mkdir(parents=True, exist_ok=True)
    # Spark reads timestamps marked UTC as its TIMESTAMP (the session's zone is UTC);
    # unmarked ones would be TIMESTAMP_NTZ.
    arrow = pa.schema(
        pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f
        for f in schema.to_pyarrow()
    )
    fresh = folder / f".{app_table}.{uuid.uuid4().hex}"
    fresh.mkdir()
    count = 0
    try:
        with pq.ParquetWriter(fresh / "part-00000.parquet", arrow) as writer:
            for batch in rows:
                writer.write_batch(batch.cast(arrow))
                count += batch.num_rows
        final, old = folder / app_table, folder / f".{app_table}.{uuid.uuid4().hex}.old"
        if final.exists():
            os.replace(final, old)
        os.replace(fresh, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    # Nothing Spark cached of the folder's old files may answer for the new ones.
    session.catalog.refreshByPath(str(folder / app_table))
    _register(session, folder, app_table, schema)
    return count
