"""`accord attribution run` and `accord attribution paths` on a small hand-made company."""

import csv
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accord.analytics.attribution.markov import read_paths
from accord.attribution.compute import MODELS
from tests.attribution.factories import AS_OF

PERIOD = ("--from", "2025-07-01", "--to", AS_OF.date().isoformat())


def run(*args) -> str:
    out = StringIO()
    call_command("attribution", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("basis", ["pipeline", "revenue"])
def test_run_credits_every_dollar_to_channels_or_reports_it_unattributed(world, model, basis):
    result = json.loads(run("run", "--model", model, "--basis", basis, *PERIOD, "--json"))

    assert (result["model"], result["basis"]) == (model, basis)
    assert (result["from"], result["to"]) == (PERIOD[1], PERIOD[3])
    credited = sum(Decimal(row["credit"]) for row in result["by_channel"])
    assert abs(credited - Decimal(result["total"])) <= Decimal("0.01") * len(result["by_channel"])
    assert sum(row["share"] for row in result["by_channel"]) == pytest.approx(1, abs=1e-5)
    assert all(Decimal(row["credit"]) >= 0 for row in result["by_channel"])
    if model in ("markov", "shapley"):
        assert result["by_campaign"] == []  # data-driven models credit channels
    else:
        assert sum(Decimal(row["credit"]) for row in result["by_campaign"]) == Decimal(
            result["total"]
        )
    assert set(result["unattributed"]) == {"opportunities", "amount"}


def test_the_u_shape_option_and_the_plain_output(world):
    lead = json.loads(run("run", "--model", "u_shaped", *PERIOD, "--json"))
    last = json.loads(
        run("run", "--model", "u_shaped", "--u-shape", "last_touch", *PERIOD, "--json")
    )
    assert lead["total"] == last["total"] and lead["by_channel"] != last["by_channel"]
    text = run("run", "--model", "time_decay", "--half-life-days", "3", *PERIOD)
    assert text.startswith("Time decay on pipeline, 2025-07-01 to 2026-06-30:")


def test_paths_are_written_in_channel_attributions_format_and_read_back(world, tmp_path):
    out = tmp_path / "paths.csv"
    assert "paths to" in run("paths", "--out", str(out), *PERIOD)
    with open(out, newline="") as f:
        header = f.readline().strip()
        f.seek(0)
        rows = read_paths(csv.DictReader(f))
    assert header == "path,total_conversions,total_conversion_value,total_null"
    assert rows and all(row.path for row in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--model", "markov", "--engine", "nonsense"], "is not an engine URL"),
        (["run", "--model", "markov", "--engine", "foo://bar"], "Cannot use the engine"),
        (["run", "--model", "markov", "--lookback-days", "0"], "at least 1"),
        (["run", "--model", "linear", "--lookback-days", "99999"], "at most 1095"),
        (["run", "--model", "markov", "--from", "someday"], "is not a date"),
        (
            ["run", "--model", "linear", "--from", "2026-02-01", "--to", "2026-01-01"],
            "after it ends",
        ),
        (["run", "--model", "linear", "--half-life-days", "0"], "half_life_days must be"),
        (["paths", "--out", "/no/such/folder/x.csv"], "does not exist"),
    ],
)
def test_bad_arguments_get_a_clear_answer(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
