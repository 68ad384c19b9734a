"""`accord attribution run` and `accord attribution paths` on a small hand-made company."""
# ruff: noqa: F811 - `world` is a fixture imported from the journeys tests

import csv
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accord.analytics.attribution.markov import read_paths
from tests.test_attribution_journeys import AS_OF, world  # noqa: F401 - the fixture

AT = AS_OF.isoformat()


def run(*args) -> str:
    out = StringIO()
    call_command("attribution", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("model", ["markov", "shapley"])
@pytest.mark.parametrize("basis", ["pipeline", "revenue"])
def test_run_credits_every_dollar_to_channels_or_reports_it_unattributed(world, model, basis):  # noqa: F811
    result = json.loads(run("run", "--model", model, "--basis", basis, "--as-of", AT, "--json"))

    assert (result["model"], result["basis"]) == (model, basis)
    credited = sum(Decimal(row["credit"]) for row in result["by_channel"])
    assert abs(credited - Decimal(result["total"])) <= Decimal("0.01") * len(result["by_channel"])
    assert sum(row["share"] for row in result["by_channel"]) == pytest.approx(1, abs=1e-5)
    assert all(Decimal(row["credit"]) >= 0 for row in result["by_channel"])
    assert result["by_campaign"] == []  # data-driven models credit channels
    assert set(result["unattributed"]) == {"opportunities", "amount"}


def test_paths_are_written_in_channel_attributions_format_and_read_back(world, tmp_path):  # noqa: F811
    out = tmp_path / "paths.csv"
    assert "paths to" in run("paths", "--out", str(out), "--as-of", AT)
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
        (["run", "--model", "markov", "--as-of", "someday"], "is not a date"),
        (["paths", "--out", "/no/such/folder/x.csv"], "does not exist"),
    ],
)
def test_bad_arguments_get_a_clear_answer(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
