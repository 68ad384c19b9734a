"""The same models on every engine: the app database (SQLite or PostgreSQL, as the suite
runs), a DuckDB copy and a local Spark copy must give the same numbers.

The hand-made companies of the journeys and the credits tests are copied from the app
database (`warehouse.copy_contract`, reading Django's own connection) into a DuckDB file and
into a Spark warehouse; then the journeys' transitions and path summary, every rule-based
model's credits (to the cent) and the data-driven models' results must equal the app
database's. One Spark session serves the module: it takes a while to start.
"""

import gc
import json
import os
import re
import shutil
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command

from accord.analytics import tables, warehouse
from accord.analytics.attribution import credits, journeys, rules
from accord.attribution import compute
from accord.core.engine import connect
from accord.crm.models import Touchpoint
from tests.attribution.factories import AS_OF

pytestmark = [
    pytest.mark.django_db,
    # PySpark 4.0 collects Spark's results through local sockets it leaves to the garbage
    # collector, and turns them into pandas frames with options and keywords that pandas 3
    # deprecates (for pandas 4). The `copies` fixture collects the garbage before it ends.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]

# Small and quick to warm up for a few dozen rows: two cores, 512 MB, one shuffle partition,
# no adaptive re-planning between stages, expressions interpreted rather than compiled to
# Java, and a JVM that compiles its own code only quickly (C1) and collects its garbage in
# one thread: this halves the CPU time Spark takes. `warehouse.connect` adds its defaults:
# no web UI, no progress bars, only errors logged, session time zone UTC.
SPARK_SETTINGS = {
    "master": "local[2]",
    "spark.driver.memory": "512m",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


@pytest.fixture(scope="module")
def spark_url(tmp_path_factory):
    """A local Spark session on a warehouse folder of its own, started through Accord's own
    URL; the URL."""
    if not os.environ.get("JAVA_HOME") and (java := shutil.which("java")):
        # Spark runs $JAVA_HOME/bin/java, else the java on the PATH: the same one.
        os.environ["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    folder = tmp_path_factory.mktemp("spark") / "warehouse"
    url = f"pyspark://{folder}?{urlencode(SPARK_SETTINGS)}"
    backend = warehouse.connect(url, create=True)
    yield url
    backend.disconnect()


@pytest.fixture
def copies(tmp_path, spark_url):
    """copy(): the app database's contract tables copied to a DuckDB file and to the Spark
    warehouse; their URLs."""

    def copy() -> dict[str, str]:
        source = connect()  # Django's own connection, in the test's transaction
        urls = {"duckdb": f"duckdb://{tmp_path / 'copy.duckdb'}", "pyspark": spark_url}
        counts = {
            name: warehouse.copy_contract(source, warehouse.connect(url, create=True))
            for name, url in urls.items()
        }
        assert counts["duckdb"] == counts["pyspark"]
        assert counts["duckdb"]["crm_touchpoint"] == Touchpoint.objects.count() > 0
        return urls

    yield copy
    gc.collect()  # the sockets PySpark left open, while this module's filters apply


def on_each_engine(copies, compute_it) -> dict[str, object]:
    """compute_it(tables) on the app database, then on each copy: the results by engine."""
    urls = copies()
    results = {"app": compute_it(tables.load(connect()))}
    for name, url in urls.items():
        results[name] = compute_it(tables.load(warehouse.connect(url)))
    return results


def assert_same_everywhere(results):
    """Every engine's results equal the app database's; else the first that differ, named."""
    app = results.pop("app")
    for name, got in results.items():
        assert got.keys() == app.keys(), name
        for key, expected in app.items():
            assert got[key] == expected, (name, key)


def test_journeys_agree(journeys_world, copies):
    def journeys_of(t):
        return {
            (basis, kind): query(t, basis=basis, as_of=AS_OF)
            for basis in rules.BASES
            for kind, query in (
                ("transitions", journeys.transitions),
                ("paths", journeys.path_rows),
            )
        }

    results = on_each_engine(copies, journeys_of)

    app = results["app"]
    # Nothing vacuous: conversions, null journeys and unattributed deals, several paths.
    assert app["pipeline", "transitions"].journeys and app["pipeline", "transitions"].unattributed
    assert app["revenue", "transitions"].null_journeys and len(app["revenue", "paths"]) > 2
    assert_same_everywhere(results)


def test_rule_based_credits_agree_to_the_cent(credits_world, copies):
    def credits_of(t):
        """`credits.credits()` of every model and basis, but with the query of the deals
        run once per basis: it is the same for every model."""
        found = {}
        for basis in rules.BASES:
            options = rules.Options(basis=basis)
            deals = None
            for model in rules.MODELS:
                queries = credits.summary_queries(t, model, options)
                deals = deals or tables.rows(queries["deals"])[0]
                cells = tables.rows(queries["cells"])
                found[basis, model] = credits.summarise(cells, deals, model, options)
        return found

    results = on_each_engine(copies, credits_of)

    assert len(results["app"]) == 2 * 8
    assert all(result["total"] and result["by_month"] for result in results["app"].values())
    assert_same_everywhere(results)


def test_data_driven_models_agree(journeys_world, copies):
    urls = copies()
    start, end = compute.default_period(AS_OF.date())

    def runs(url):
        return {
            (basis, model): compute.run(model, basis=basis, start=start, end=end, url=url)
            for basis in rules.BASES
            for model in compute.DATA_DRIVEN
        }

    results = {"app": runs(None)} | {name: runs(url) for name, url in urls.items()}

    assert all(len(result["by_channel"]) > 1 for result in results["app"].values())
    assert_same_everywhere(results)


# --- Engine URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "is not an engine URL"),
        ("foo://bar", "knows no engine 'foo'"),
        ("duckdb://", "names no file"),
        ("duckdb:///no/such/copy.duckdb", "there is no file /no/such/copy.duckdb"),
        ("sqlite:///no/such/accord.sqlite3", "there is no file"),
        ("pyspark:///no/such/warehouse", "there is no folder /no/such/warehouse"),
        ("pyspark://", "names no folder"),
        ("postgres://nobody:secret@127.0.0.1:1/accord", "Cannot use the engine"),
    ],
)
def test_unusable_engine_urls_get_a_clear_answer(url, message):
    with pytest.raises(warehouse.EngineError, match=message) as raised:
        warehouse.connect(url)
    assert "secret" not in str(raised.value)


def test_a_copy_needs_an_existing_folder_and_a_copy_engine(db, tmp_path):
    with pytest.raises(warehouse.EngineError, match="there is no folder /no/such"):
        warehouse.connect("duckdb:///no/such/copy.duckdb", create=True)
    with pytest.raises(
        warehouse.EngineError, match="to DuckDB or Spark engines, not to (sqlite|postgres)"
    ):
        warehouse.copy_contract(connect(), connect())


def test_an_engine_without_the_tables_says_so(db, tmp_path, settings):
    url = f"duckdb://{tmp_path / 'empty.duckdb'}"
    warehouse.connect(url, create=True).disconnect()
    day = AS_OF.date()

    with pytest.raises(
        compute.EngineError, match="lacks tables the analytics read: crm_lead, .*attribution copy"
    ):
        compute.run("markov", start=day, end=day, url=url)
    settings.ACCORD_ANALYTICS_URL = url  # the engine configured, where no URL is given
    with pytest.raises(compute.EngineError, match="lacks tables .*crm_lead"):
        compute.run("markov", start=day, end=day)


def test_a_second_spark_warehouse_in_one_process_is_refused(spark_url, tmp_path):
    with pytest.raises(warehouse.EngineError, match="already runs a Spark session"):
        warehouse.connect(f"pyspark://{tmp_path}")


# --- The command ------------------------------------------------------------------------------


def command(*args) -> str:
    out = StringIO()
    call_command("attribution", *args, stdout=out)
    return out.getvalue()


def test_the_copy_command_copies_and_counts(journeys_world, tmp_path):
    url = f"duckdb://{tmp_path / 'cli.duckdb'}"

    printed = command("copy", "--to", url)

    touches = Touchpoint.objects.count()
    assert re.search(rf"crm_touchpoint +{touches} rows", printed)
    assert command("copy", "--to", url) == printed  # replaced, not added to
    run = ("run", "--model", "markov", "--to", AS_OF.date().isoformat(), "--json")
    assert json.loads(command(*run, "--engine", url)) == json.loads(command(*run))


def test_the_copy_command_copies_from_one_engine_to_another(journeys_world, tmp_path, spark_url):
    duckdb = f"duckdb://{tmp_path / 'cli.duckdb'}"
    command("copy", "--to", duckdb)

    printed = command("copy", "--from", duckdb, "--to", spark_url)

    touches = Touchpoint.objects.count()
    assert re.search(rf"crm_touchpoint +{touches} rows", printed)
    assert "crm_campaigncost" in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "foo://bar"], "knows no engine 'foo'"),
        (["--to", "postgres://x@127.0.0.1/accord"], "DuckDB or Spark"),
        (["--to", "duckdb:///no/such/copy.duckdb"], "there is no folder"),
        (["--to", "duckdb:///tmp/x.duckdb", "--from", "duckdb:///tmp/x.duckdb"], "the same"),
    ],
)
def test_the_copy_command_answers_bad_urls_clearly(db, args, message):
    with pytest.raises(CommandError, match=message):
        command("copy", *args)
