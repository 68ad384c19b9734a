"""Journeys in the engine: the touches of each opportunity's window, the channel transitions
and the path summary, read by Ibis from the app database (SQLite or PostgreSQL).

A hand-made company (`world`, in conftest.py) pins the rules: touches just outside and
exactly at the lookback's start, at the creation and the close and just after, two touches at
one instant, repeats, a primary lead outside the account, a won, a lost and an open
opportunity (the open one with no touch in its window), and visitors with touches but no
opportunity. The engine must select what `rules.window()` selects, and count the transitions
and paths that plain Python builds from the same rows.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from accord.analytics import tables
from accord.analytics.attribution import rules
from accord.analytics.attribution.journeys import (
    CONVERSION,
    NULL,
    START,
    journey_touches,
    path_query,
    path_rows,
    transitions,
    transitions_query,
)
from accord.analytics.attribution.markov import (
    PathRow,
    collapse,
    markov,
    markov_from_transitions,
)
from accord.core.engine import app_tables
from accord.crm.models import Lead, Opportunity, Touchpoint
from tests.attribution.factories import AS_OF, rules_journey
from tests.sql_snapshots import DIALECTS, assert_sql_snapshot

pytestmark = pytest.mark.django_db

BASES = ("pipeline", "revenue")
SNAPSHOTS = Path(__file__).with_name("snapshots")


# --- Plain Python, from the ORM: what the engine must agree with -------------------------------


def visitor(lead: Lead) -> tuple[str, int]:
    return ("account", lead.account_id) if lead.account_id else ("lead", lead.pk)


def python_journeys(basis: str, as_of=AS_OF, lookback_days=365):
    """(converted, path, amount) of every journey of the period, and the unattributed deals,
    built from the module docstring's definitions with `rules.window()`."""
    start = as_of - timedelta(days=lookback_days)
    options = rules.Options(basis=basis, lookback_days=lookback_days)
    journeys, unattributed, converted = [], [], set()
    for deal in Opportunity.objects.order_by("pk"):
        if basis == "revenue" and deal.stage != "won":
            continue
        moment = deal.created_at if basis == "pipeline" else deal.closed_at
        if not start <= moment <= as_of:
            continue
        converted.add(("account", deal.account_id))
        if deal.primary_lead:
            converted.add(visitor(deal.primary_lead))
        window = rules.window(rules_journey(deal), options)
        if window:
            journeys.append((True, collapse(t.channel for t in window), deal.amount))
        else:
            unattributed.append((deal.pk, deal.amount))
    lost: dict[tuple[str, int], list[Touchpoint]] = {}
    for touch in Touchpoint.objects.filter(occurred_at__range=(start, as_of)).select_related(
        "lead", "channel"
    ):
        if visitor(touch.lead) not in converted:
            lost.setdefault(visitor(touch.lead), []).append(touch)
    for visited in lost.values():
        visited.sort(key=lambda touch: (touch.occurred_at, touch.pk))
        journeys.append((False, collapse(touch.channel.key for touch in visited), None))
    return journeys, unattributed


def counted(journeys) -> dict[tuple[str, str], int]:
    counts = Counter()
    for converted, path, _ in journeys:
        states = (START, *path, CONVERSION if converted else NULL)
        counts.update(zip(states, states[1:], strict=False))
    return dict(counts)


def moment(value) -> datetime:
    """A timestamp as the engine gives it (SQLite: text), as an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


# --- Journey touches --------------------------------------------------------------------------


@pytest.mark.parametrize("basis", BASES)
def test_the_engine_selects_what_the_rules_select_touch_for_touch(world, basis):
    rows = tables.rows(journey_touches(app_tables(), basis=basis))

    got: dict[int, list[dict]] = {}
    for row in sorted(rows, key=lambda row: (moment(row["occurred_at"]), row["touchpoint_id"])):
        got.setdefault(row["opportunity_id"], []).append(row)
    options = rules.Options(basis=basis)
    for deal in Opportunity.objects.all():
        journey = rules_journey(deal)
        if basis == "revenue" and journey.closed_won_at is None:
            assert deal.pk not in got
            continue
        window = rules.window(journey, options)
        touched = got.get(deal.pk, [])
        assert [row["touchpoint_id"] for row in touched] == [t.id for t in window], deal.name
        for row, touch in zip(touched, window, strict=True):
            assert moment(row["occurred_at"]) == touch.at
            assert (row["channel"], row["campaign_id"]) == (touch.channel, touch.campaign)
            assert money(row["amount"]) == deal.amount
            assert moment(row["opp_created_at"]) == deal.created_at
            assert moment(row["lead_created_at"]) == journey.lead_created_at
            closed = row["closed_at"]
            assert (moment(closed) if closed else None) == deal.closed_at


def test_the_window_keeps_its_inclusive_ends_and_the_primary_lead_once(world):
    names = {touch.pk: name for name, touch in world["touches"].items()}
    deals = world["deals"]

    def selected(basis):
        found: dict[str, list[str]] = {}
        for row in tables.rows(journey_touches(app_tables(), basis=basis)):
            deal = next(name for name, d in deals.items() if d.pk == row["opportunity_id"])
            found.setdefault(deal, []).append(names[row["touchpoint_id"]])
        return {deal: sorted(touched) for deal, touched in found.items()}

    pipeline, revenue = selected("pipeline"), selected("revenue")

    big = ["ann_edge_in", "ann_email", "ann_search", "ben_at_open", "ben_sdr", "ben_web1"]
    assert pipeline["big"] == sorted([*big, "ben_web2"])
    assert revenue["big"] == sorted([*big, "ben_web2", "ben_after_open", "ann_at_close"])
    assert pipeline["last_year"] == ["ann_edge_in", "ann_edge_out", "ann_old", "ann_search"]
    assert pipeline["lost"] == ["cat_search", "cat_web", "fay_sdr"]
    assert "open" not in pipeline
    assert set(revenue) == {"big", "last_year"}


def test_the_lead_creation_is_the_primary_leads_else_the_accounts_earliest(world):
    rows = tables.rows(journey_touches(app_tables()))

    created = {row["opportunity_id"]: moment(row["lead_created_at"]) for row in rows}

    deals, leads = world["deals"], world["leads"]
    assert created[deals["big"].pk] == leads["ann"].created_at
    assert created[deals["last_year"].pk] == leads["ben"].created_at
    assert created[deals["lost"].pk] == leads["fay"].created_at


# --- Transitions ------------------------------------------------------------------------------


def test_it_counts_the_transitions_of_a_hand_made_year(world):
    result = transitions(app_tables(), as_of=AS_OF)

    # Converting: big   paid_search > webinar > outbound_sdr > email_nurture > paid_search
    #             last_year  paid_search;   lost  webinar > paid_search > outbound_sdr
    # Not:        Initech    webinar > paid_search;   gus  email_nurture
    assert result.transitions == {
        (START, "paid_search"): 2,
        (START, "webinar"): 2,
        (START, "email_nurture"): 1,
        ("paid_search", "webinar"): 1,
        ("webinar", "outbound_sdr"): 1,
        ("outbound_sdr", "email_nurture"): 1,
        ("email_nurture", "paid_search"): 1,
        ("webinar", "paid_search"): 2,
        ("paid_search", "outbound_sdr"): 1,
        ("paid_search", CONVERSION): 2,
        ("outbound_sdr", CONVERSION): 1,
        ("paid_search", NULL): 1,
        ("email_nurture", NULL): 1,
    }
    assert result.conversions_by_last == {"outbound_sdr": 1, "paid_search": 2}
    assert result.value_by_last == {
        "outbound_sdr": Decimal("20000.00"),
        "paid_search": Decimal("60000.00"),
    }
    assert result.nulls_by_last == {"email_nurture": 1, "paid_search": 1}
    assert (result.journeys, result.null_journeys) == (3, 2)
    assert result.unattributed == [(world["deals"]["open"].pk, Decimal("30000.00"))]


@pytest.mark.parametrize("basis", BASES)
def test_transitions_are_the_counts_of_the_collapsed_paths(world, basis):
    journeys, unattributed = python_journeys(basis)

    result = transitions(app_tables(), basis=basis, as_of=AS_OF)

    assert result.transitions == counted(journeys)
    assert result.journeys == sum(converted for converted, _, _ in journeys)
    assert result.null_journeys == sum(not converted for converted, _, _ in journeys)
    assert result.unattributed == unattributed
    attributed = sum(amount for converted, _, amount in journeys if converted)
    assert sum(result.value_by_last.values()) == attributed


def test_on_revenue_basis_only_won_deals_convert_and_the_rest_of_the_year_is_null(world):
    result = transitions(app_tables(), basis="revenue", as_of=AS_OF)

    # big ends on webinar now (touches after opening and at the close), last_year on
    # paid_search. Globex, fay, Umbrella, Initech and gus did not win: five null journeys.
    assert result.value_by_last == {
        "paid_search": Decimal("10000.00"),
        "webinar": Decimal("50000.00"),
    }
    assert (result.journeys, result.null_journeys, result.unattributed) == (2, 5, [])
    assert result.nulls_by_last == {"email_nurture": 2, "paid_search": 2, "webinar": 1}


def test_the_period_ends_at_as_of(world):
    # A year back from the close of last year's deal: nothing of 2026 counts.
    result = transitions(app_tables(), as_of=datetime(2025, 10, 1, 9, tzinfo=UTC))

    assert result.journeys == 1
    assert result.conversions_by_last == {"paid_search": 1}
    # Initech's first touch (May 2025) is its whole null journey.
    assert result.nulls_by_last == {"webinar": 1}


def test_it_says_what_is_wrong_with_its_arguments(world):
    with pytest.raises(ValueError, match="time-zone aware"):
        transitions(app_tables(), as_of=datetime(2026, 6, 30))
    with pytest.raises(ValueError, match="unknown basis"):
        transitions(app_tables(), basis="bookings", as_of=AS_OF)
    with pytest.raises(ValueError, match="lookback_days"):
        journey_touches(app_tables(), lookback_days=0)


# --- Path rows and the Markov model -----------------------------------------------------------


@pytest.mark.parametrize("basis", BASES)
def test_path_rows_are_the_plain_python_summary(world, basis):
    journeys, _ = python_journeys(basis)
    expected: dict[tuple[str, ...], list] = {}
    for converted, path, amount in journeys:
        row = expected.setdefault(path, [0, Decimal(0), 0])
        row[0 if converted else 2] += 1
        row[1] += amount or 0

    got = path_rows(app_tables(), basis=basis, as_of=AS_OF)

    assert got == [PathRow(path, *row) for path, row in sorted(expected.items())]


def test_path_rows_stream_in_chunks_of_any_size(world):
    whole = path_rows(app_tables(), as_of=AS_OF)

    assert path_rows(app_tables(), as_of=AS_OF, chunk_rows=1) == whole
    assert path_rows(app_tables(), as_of=AS_OF, chunk_rows=3) == whole


@pytest.mark.parametrize("basis", BASES)
def test_markov_on_the_path_rows_sees_the_transitions_the_engine_counted(world, basis):
    result = transitions(app_tables(), basis=basis, as_of=AS_OF)
    paths = path_rows(app_tables(), basis=basis, as_of=AS_OF)

    journeys = [
        (converted, row.path, None)
        for row in paths
        for converted, times in ((True, row.conversions), (False, row.nulls))
        for _ in range(int(times))
    ]
    assert counted(journeys) == result.transitions
    chain = markov(paths)
    assert chain.total_conversions == result.journeys
    assert chain.total_null == result.null_journeys
    assert chain.total_value == pytest.approx(float(sum(result.value_by_last.values())))
    total = result.journeys + result.null_journeys
    assert chain.conversion_probability == pytest.approx(result.journeys / total)
    # The engine's counts alone give the same attribution as the paths.
    counts_only = markov_from_transitions(result.chain())
    for channel in chain.channels:
        assert counts_only.removal_effects[channel] == pytest.approx(
            chain.removal_effects[channel], abs=1e-12
        )
        assert counts_only.value[channel] == pytest.approx(chain.value[channel], abs=1e-6)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("basis", BASES)
def test_the_queries_compile_for_every_engine(dialect, basis):
    t = tables.unbound()

    queries = {
        "journey touches": journey_touches(t, basis=basis),
        "paths": path_query(t, basis=basis, as_of=AS_OF),
        **transitions_query(t, basis=basis, as_of=AS_OF),
    }

    # To the SQL in snapshots/ (tests/sql_snapshots.py says how to refresh it).
    assert_sql_snapshot(SNAPSHOTS / f"journeys.{basis}.{dialect}.sql", queries, dialect)
