"""Rule-based attribution in the engine, held against the reference (`rules.py`) on the app
database (SQLite or PostgreSQL), and compiled for DuckDB and PySpark.

A hand-made company (`credits_world`, in conftest.py) pins the cases: touches outside the
lookback and after the close, touches at the very moments of a lead's creation, the
opportunity's creation and its close, two touches at one instant, touches shared by two
opportunities of one account, a lead created after its opportunity, a won opportunity touched
only after it opened, and opportunities without a touch in their window. For every model and both bases, the engine's
weight of every (opportunity, touch) must be the reference's, and its money summaries the
reference's credits summed. Hypothesis then does the same on small random companies.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import ibis
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.analytics import tables
from accord.analytics.attribution import rules
from accord.analytics.attribution.credits import (
    credit_query,
    credits,
    summarise,
    summary_queries,
)
from accord.core.engine import app_tables, connect
from accord.crm.models import Account, Campaign, Channel, Lead, Opportunity, Touchpoint
from tests.attribution.factories import rules_journey
from tests.sql_snapshots import DIALECTS, assert_sql_snapshot

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(__file__).with_name("snapshots")
CHANNELS = ("webinar", "paid_search", "outbound_sdr", "email_nurture")
VARIANTS = [
    *((model, {}) for model in rules.MODELS),
    ("u_shaped", {"u_shape": "last_touch"}),
    ("time_decay", {"half_life_days": 30}),
]


@pytest.fixture
def world(credits_world):
    """This module's company: the credits tests' own (`credits_world`, in conftest.py)."""
    return credits_world


@pytest.fixture
def spark_options(monkeypatch):
    """Ibis's PySpark compiler reads the backend's options for every float, and they exist
    only where pyspark is installed: compile with their defaults."""
    if ibis.options.pyspark is None:

        class SparkOptions(ibis.config.Config):
            treat_nan_as_null: bool = False

        monkeypatch.setattr(ibis.options, "pyspark", SparkOptions())


# --- The reference, from the ORM ---------------------------------------------------------------


def reference(model, options) -> tuple[dict[tuple[int, int], Fraction], rules.Result]:
    """Every (opportunity, touch) weight of the model, and `rules.attribute`'s result."""
    journeys = [
        rules_journey(deal)
        for deal in Opportunity.objects.order_by("pk")
        if options.basis == "pipeline" or deal.stage == "won"
    ]
    weights = {
        (journey.opportunity, touch): weight
        for journey in journeys
        for touch, weight in rules.weights(journey, model, options).items()
    }
    return weights, rules.attribute(journeys, model, options)


def engine_weights(model, options) -> dict[tuple[int, int], float]:
    found = tables.rows(credit_query(app_tables(), model, options))
    return {(row["opportunity_id"], row["touchpoint_id"]): row["weight"] for row in found}


def month(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m}"


def assert_weights_agree(got, expected):
    assert got.keys() == expected.keys()
    for key, weight in expected.items():
        assert got[key] == pytest.approx(float(weight), abs=1e-9), key


def assert_money_agrees(summary, result):
    assert summary["total"] == result.total_credited
    assert summary["unattributed"] == result.total_unattributed
    assert summary["total_amount"] == summary["total"] + summary["unattributed"]
    assert summary["total_amount"] == result.total_amount
    assert summary["unattributed_opportunities"] == len(result.unattributed)
    # The reference rounds each touch's share of its opportunity to a cent, the engine each
    # channel's (campaign's, month's) total: they may differ by a cent per credited touch.
    for name, key in [
        ("by_channel", lambda credit: credit.touch.channel),
        ("by_campaign", lambda credit: credit.touch.campaign),
        ("by_month", lambda credit: month(credit.touch.at)),
    ]:
        assert sum(summary[name].values()) == summary["total"]
        money, touched = {}, {}
        for credit in result.credits:
            money[key(credit)] = money.get(key(credit), Decimal(0)) + credit.amount
            touched[key(credit)] = touched.get(key(credit), 0) + (credit.weight > 0)
        assert summary[name].keys() == money.keys()
        for group, amount in money.items():
            assert abs(summary[name][group] - amount) <= Decimal("0.01") * touched[group]


def assert_engine_agrees_with_the_reference(model, options):
    expected, result = reference(model, options)

    assert_weights_agree(engine_weights(model, options), expected)
    assert_money_agrees(credits(app_tables(), model, options), result)


# --- The hand-made company ----------------------------------------------------------------------


@pytest.mark.parametrize("basis", rules.BASES)
@pytest.mark.parametrize(("model", "extra"), VARIANTS)
def test_the_engine_weighs_every_touch_as_the_reference_does(world, model, extra, basis):
    assert_engine_agrees_with_the_reference(model, rules.Options(basis=basis, **extra))


def test_a_short_lookback_leaves_more_opportunities_unattributed(world):
    options = rules.Options(lookback_days=30)

    assert_engine_agrees_with_the_reference("w_shaped", options)
    assert credits(app_tables(), "w_shaped", options)["unattributed_opportunities"] == 3


def test_w_shaped_gives_each_milestone_30_percent_and_spreads_10_between(world):
    touches, big = world["touches"], world["deals"]["big"]

    got = engine_weights("w_shaped", rules.DEFAULTS)

    # First touch ben_web1 (before ben_web2, at the same instant, by id), lead creation
    # ann_email (at ann's creation), opportunity creation ben_at_open; four between.
    weight = {name: got.get((big.pk, touch.pk)) for name, touch in touches.items()}
    for name in ("ben_web1", "ann_email", "ben_at_open"):
        assert weight[name] == pytest.approx(0.3, abs=1e-15)
    for name in ("ben_web2", "ann_search", "ben_sdr", "ann_web"):
        assert weight[name] == pytest.approx(0.025, abs=1e-15)
    assert weight["ann_old"] is weight["ann_after_open"] is None


def test_full_path_on_revenue_basis_credits_the_close(world):
    touches, big = world["touches"], world["deals"]["big"]

    got = engine_weights("full_path", rules.Options(basis="revenue"))

    weight = {name: got.get((big.pk, touch.pk)) for name, touch in touches.items()}
    assert weight["ben_at_close"] == pytest.approx(0.225)
    # Touches after the opportunity opened lie between its creation and the close.
    assert weight["ann_after_open"] == pytest.approx(0.1 / 5)
    assert weight["ann_after_close"] is None


def test_u_shaped_splits_evenly_when_nothing_lies_between(world):
    touches, deal = world["touches"], world["deals"]["open"]

    got = engine_weights("u_shaped", rules.DEFAULTS)

    # Eve was created after the deal: her lead creation is the deal's, at eve_web.
    assert got[deal.pk, touches["eve_search"].pk] == pytest.approx(0.5)
    assert got[deal.pk, touches["eve_web"].pk] == pytest.approx(0.5)


def test_the_summaries_add_up_and_keep_unattributed_amounts(world):
    result = credits(app_tables(), "linear", rules.Options(basis="revenue"))

    # Won: big (credited), late (credited), quiet (touched only outside its window).
    assert result["total"] == Decimal("57777.77")
    assert result["unattributed"] == Decimal("8000.00")
    assert (result["opportunities"], result["unattributed_opportunities"]) == (2, 1)
    assert list(result["by_month"]) == [
        "2025-07",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]
    assert list(result["by_campaign"])[-1] is None


def test_it_says_what_is_wrong_with_its_arguments(world):
    with pytest.raises(ValueError, match="unknown model 'last_non_direct'"):
        credits(app_tables(), "last_non_direct")


@pytest.mark.usefixtures("spark_options")
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("basis", rules.BASES)
def test_the_queries_compile_for_every_engine(dialect, basis):
    t = tables.unbound()
    options = rules.Options(basis=basis)

    queries = {"deals": summary_queries(t, "linear", options)["deals"]}
    # One model of each kind (equal shares, decay, one milestone, milestones and a spread),
    # each inside the query of its cells.
    for model in ("linear", "time_decay", "lead_creation", "full_path"):
        queries[f"cells ({model})"] = summary_queries(t, model, options)["cells"]

    # To the SQL in snapshots/ (tests/sql_snapshots.py says how to refresh it).
    assert_sql_snapshot(SNAPSHOTS / f"credits.{basis}.{dialect}.sql", queries, dialect)


# --- Random companies ---------------------------------------------------------------------------

BASE = datetime(2026, 1, 1, tzinfo=UTC)
LOOKBACK = 10  # days: some touches of the 19 days fall out of the window
# Few distinct moments, so that touches often share one with each other or with a milestone.
moments = st.builds(
    lambda days, seconds: BASE + timedelta(days=days, seconds=seconds),
    st.integers(-12, 6),
    st.sampled_from([0, 1, 43_200]),
)


@st.composite
def companies(draw):
    accounts = draw(st.integers(1, 2))
    leads = draw(
        st.lists(
            # Mostly of an account; a lead without one joins only as a primary lead.
            st.tuples(st.sampled_from([*range(accounts), *range(accounts), None]), moments),
            min_size=1,
            max_size=4,
        )
    )
    lead = st.integers(0, len(leads) - 1)
    touches = draw(
        st.lists(
            st.tuples(lead, st.sampled_from(CHANNELS), st.none() | st.integers(0, 1), moments),
            min_size=4,
            max_size=16,
        )
    )
    deals = draw(
        st.lists(
            st.tuples(
                st.integers(0, accounts - 1),
                st.none() | lead,
                st.sampled_from(["won", "won", "lost", "discovery"]),
                moments,
                st.sampled_from([timedelta(0), timedelta(seconds=1), timedelta(days=9)]),
                st.integers(0, 10**8).map(lambda cents: Decimal(cents).scaleb(-2)),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return accounts, leads, touches, deals


def build(company, channels):
    accounts, leads, touches, deals = company
    accounts = [Account.objects.create(name=f"A{i}", created_at=BASE) for i in range(accounts)]
    campaigns = [
        Campaign.objects.create(
            name=f"C{i}", channel=channels["webinar"], starts_on=date(2025, 1, 1)
        )
        for i in range(2)
    ]
    leads = [
        Lead.objects.create(
            email=f"lead{i}@example.com",
            account=None if account is None else accounts[account],
            status_changed_at=created,
            created_at=created,
        )
        for i, (account, created) in enumerate(leads)
    ]
    for lead, channel, campaign, moment in touches:
        Touchpoint.objects.create(
            lead=leads[lead],
            channel=channels[channel],
            campaign=None if campaign is None else campaigns[campaign],
            kind="web_visit",
            occurred_at=moment,
        )
    for i, (account, lead, stage, created, lasted, amount) in enumerate(deals):
        closed = None if stage == "discovery" else created + lasted
        Opportunity.objects.create(
            name=f"O{i}",
            account=accounts[account],
            primary_lead=None if lead is None else leads[lead],
            amount=amount,
            stage=stage,
            created_at=created,
            close_date=(closed or created).date(),
            closed_at=closed,
        )


@pytest.fixture
def compiled():
    """Rows of the engine's queries ("weights": `credit_query`, "cells", "deals": the summary
    queries), each compiled once: Ibis takes longer to compile them than the engine takes to
    run them on a small company, and every example runs the same SQL."""
    backend = connect()
    t = tables.load(backend)
    sql: dict[tuple, tuple[tuple[str, ...], str]] = {}

    def run(name: str, model: str, options: rules.Options) -> list[dict]:
        if (name, model, options) not in sql:
            if name == "weights":
                query = credit_query(t, model, options)
            else:
                query = summary_queries(t, model, options)[name]
            sql[name, model, options] = (tuple(query.columns), backend.compile(query))
        columns, text = sql[name, model, options]
        cursor = backend.raw_sql(text)
        try:
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    return run


# Each example writes its company in a savepoint and rolls it back: the function-scoped
# fixtures (the database, the channels, the compiled queries) serve every example.
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(company=companies())
def test_the_engine_agrees_with_the_reference_on_random_companies(channels, compiled, company):
    channels["email_nurture"] = Channel.objects.get_or_create(
        key="email_nurture", defaults={"name": "Email nurture"}
    )[0]
    with transaction.atomic():
        build(company, channels)
        for basis in rules.BASES:
            for model, extra in VARIANTS:
                options = rules.Options(basis=basis, lookback_days=LOOKBACK, **extra)
                expected, result = reference(model, options)
                got = compiled("weights", model, options)
                weights = {
                    (row["opportunity_id"], row["touchpoint_id"]): row["weight"] for row in got
                }
                cells = compiled("cells", model, options)
                # The same for every model.
                deals = compiled("deals", "linear", rules.Options(basis, LOOKBACK))[0]

                assert_weights_agree(weights, expected)
                assert_money_agrees(summarise(cells, deals, model, options), result)
        transaction.set_rollback(True)
