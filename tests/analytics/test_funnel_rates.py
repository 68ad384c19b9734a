"""Observed funnel rates and lags, read by Ibis from the app database (SQLite or PostgreSQL).

Hand-made leads pin the rules with exact numbers: cohorts by creation month, stages reached
by skipping, nothing after as_of, empty windows. The demo company then checks the numbers
against the simulation that wrote it: the same counts as its own records, and rates within
sampling error of the conversion model's probabilities for each lead.
"""

import math
import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction

from accord.analytics import tables
from accord.analytics.funnel_rates import STAGES, STEPS, observed_funnel, observed_funnel_queries
from accord.analytics.warehouse import EngineError
from accord.core.engine import app_tables, connect
from accord.crm.models import Account, Lead, LeadStatusChange, Opportunity
from accord.demo import company
from accord.demo.build import build_demo_company
from accord.demo.simulation import simulate, speed_effect
from tests.sql_snapshots import DIALECTS, assert_sql_snapshot

S = Lead.Status
MARCH = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
WINDOW = {"cohort_start": date(2025, 3, 1), "cohort_end": date(2025, 5, 1)}
AS_OF = datetime(2025, 7, 1, tzinfo=UTC)
SNAPSHOTS = Path(__file__).with_name("snapshots")


@pytest.fixture
def account(db):
    return Account.objects.create(name="Acme Robotics", created_at=MARCH - timedelta(days=90))


@pytest.fixture
def lead(db):
    """A lead created at `created_at` whose status then moves as (status, when) says."""

    def make(created_at, *moves):
        record = Lead.objects.create(
            email=f"lead{Lead.objects.count()}@example.com",
            status=moves[-1][0] if moves else S.NEW,
            status_changed_at=moves[-1][1] if moves else created_at,
            created_at=created_at,
        )
        previous = ""
        for status, at in ((S.NEW, created_at), *moves):
            LeadStatusChange.objects.create(
                lead=record, from_status=previous, to_status=status, changed_at=at
            )
            previous = status
        return record

    return make


@pytest.fixture
def deal(account):
    def make(created_at, stage, closed_at=None, amount="40000.00"):
        return Opportunity.objects.create(
            name=f"Deal {created_at:%m-%d}",
            account=account,
            amount=Decimal(amount),
            stage=stage,
            created_at=created_at,
            close_date=(closed_at or created_at + timedelta(days=90)).date(),
            closed_at=closed_at,
        )

    return make


def funnel(**window):
    return observed_funnel(app_tables(), **{**WINDOW, "as_of": AS_OF, **window})


def days(n, hours=0):
    return timedelta(days=n, hours=hours)


def step(rate, numerator, denominator, lag_days, lag_sample):
    return {
        "rate": Decimal(rate),
        "numerator": numerator,
        "denominator": denominator,
        "lag_days": lag_days,
        "lag_sample": lag_sample,
    }


def test_it_gives_exact_rates_lags_and_counts_on_a_hand_made_funnel(lead, deal):
    # March: one lead all the way, one rejected, one untouched, one imported straight as
    # SQL, and one created late in March that converts in May.
    lead(
        MARCH,
        (S.MQL, MARCH + days(1)),
        (S.ACCEPTED, MARCH + days(3)),
        (S.SQL, MARCH + days(5)),
        (S.OPPORTUNITY, MARCH + days(10)),
        (S.CUSTOMER, MARCH + days(40)),
    )
    lead(MARCH, (S.MQL, MARCH + days(2, hours=12)), (S.REJECTED, MARCH + days(3)))
    lead(MARCH)
    lead(MARCH, (S.SQL, MARCH + days(4)), (S.REJECTED, MARCH + days(6)))
    late = datetime(2025, 3, 28, 9, 0, tzinfo=UTC)
    lead(late, (S.MQL, late + days(38)), (S.ACCEPTED, late + days(43)))
    # April: one recycled and qualified again (its first times count), one MQL after as_of.
    april = datetime(2025, 4, 7, 14, 0, tzinfo=UTC)
    lead(
        april,
        (S.MQL, april + days(1)),
        (S.ACCEPTED, april + days(2)),
        (S.RECYCLED, april + days(5)),
        (S.MQL, april + days(30)),
        (S.ACCEPTED, april + days(31)),
    )
    lead(april, (S.MQL, datetime(2025, 7, 5, tzinfo=UTC)))
    # Outside the window: created the day before it, and the day it ends.
    lead(datetime(2025, 2, 28, 23, 0, tzinfo=UTC), (S.MQL, MARCH))
    lead(datetime(2025, 5, 1, tzinfo=UTC), (S.MQL, datetime(2025, 5, 2, tzinfo=UTC)))
    # Deals created in the window: two won, one lost, one open, one won only after as_of.
    deal(MARCH + days(10), "won", MARCH + days(40), amount="50000.00")
    deal(MARCH + days(17), "lost", datetime(2025, 5, 1, tzinfo=UTC))
    deal(april, "won", april + days(60), amount="25000.50")
    deal(april + days(3), "proposal")
    deal(april + days(8), "won", datetime(2025, 7, 10, tzinfo=UTC))
    deal(datetime(2025, 2, 20, tzinfo=UTC), "won", MARCH + days(27))

    result = funnel()

    assert result["steps"] == {
        "lead_mql": step("0.7143", 5, 7, 9.3, 5),  # (1 + 2.5 + 4 + 38 + 1) / 5
        "mql_sal": step("0.8000", 4, 5, 2.0, 4),  # (2 + 0 + 5 + 1) / 4
        "sal_sql": step("0.5000", 2, 4, 1.0, 2),  # (2 + 0) / 2
        "sql_opp": step("0.5000", 1, 2, 5.0, 1),
        "opp_won": step("0.6667", 2, 3, 45.0, 2),  # (30 + 60) / 2
    }
    assert result["cohorts"] == [
        {"month": date(2025, 3, 1), "lead": 5, "mql": 4, "sal": 3, "sql": 2, "opportunity": 1,
         "won": 1},
        {"month": date(2025, 4, 1), "lead": 2, "mql": 1, "sal": 1, "sql": 0, "opportunity": 0,
         "won": 0},
    ]  # fmt: skip
    assert result["asp"] == {"amount": Decimal("37500.25"), "sample": 2}


def test_a_lead_that_skips_stages_reached_each_skipped_stage_at_that_moment(lead):
    lead(MARCH, (S.OPPORTUNITY, MARCH + days(6)))

    result = funnel()

    assert [result["cohorts"][0][stage] for stage in STAGES] == [1, 1, 1, 1, 1, 0]
    assert result["steps"]["lead_mql"]["lag_days"] == 6.0
    for name in ("mql_sal", "sal_sql", "sql_opp"):
        assert result["steps"][name] == step("1.0000", 1, 1, 0.0, 1)


def test_a_march_lead_converted_in_may_counts_for_march(lead):
    lead(MARCH, (S.MQL, datetime(2025, 5, 20, 9, 0, tzinfo=UTC)))

    march_only = funnel(cohort_end=date(2025, 4, 1))
    may_only = funnel(cohort_start=date(2025, 5, 1), cohort_end=date(2025, 6, 1))

    assert march_only["steps"]["lead_mql"] == step("1.0000", 1, 1, 78.0, 1)
    assert march_only["cohorts"][0]["mql"] == 1
    assert may_only["steps"]["lead_mql"]["denominator"] == 0


def test_nothing_that_happens_after_as_of_counts(lead, deal):
    lead(MARCH, (S.MQL, MARCH + days(1)), (S.ACCEPTED, MARCH + days(20)))
    lead(MARCH + days(40), (S.MQL, MARCH + days(41)))
    deal(MARCH, "won", MARCH + days(30))

    result = funnel(as_of=MARCH + days(10))

    assert result["cohorts"][0] == {"month": date(2025, 3, 1), "lead": 1, "mql": 1, "sal": 0,
                                    "sql": 0, "opportunity": 0, "won": 0}  # fmt: skip
    assert result["steps"]["opp_won"]["denominator"] == 0


def test_an_empty_window_has_no_rates_and_no_lags(db):
    result = funnel()

    for name in STEPS:
        assert result["steps"][name] == {
            "rate": None,
            "numerator": 0,
            "denominator": 0,
            "lag_days": None,
            "lag_sample": 0,
        }
    assert result["cohorts"] == [
        {"month": month, **dict.fromkeys(STAGES, 0)}
        for month in (date(2025, 3, 1), date(2025, 4, 1))
    ]
    assert result["asp"] == {"amount": None, "sample": 0}


def test_it_refuses_a_backwards_window_and_a_naive_as_of(db):
    with pytest.raises(ValueError, match="before cohort_end"):
        funnel(cohort_start=date(2025, 5, 1), cohort_end=date(2025, 3, 1))
    with pytest.raises(ValueError, match="time-zone aware"):
        funnel(as_of=datetime(2025, 7, 1))


def test_the_engine_borrows_djangos_connection_and_leaves_its_searches_alone(lead):
    lead(MARCH)

    backend = connect()

    assert backend.con is connection.connection
    assert Lead.objects.filter(email__icontains="LEAD0@EXAMPLE").count() == 1


def test_an_analytics_url_names_another_engine(db, settings, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    settings.ACCORD_ANALYTICS_URL = f"sqlite:///{copy}"
    # A misspelt path is an error naming it, not a new empty database read as "no data".
    with pytest.raises(EngineError, match=f"there is no file {copy}"):
        connect()
    assert not copy.exists()

    sqlite3.connect(copy).close()
    backend = connect()

    assert backend.con is not connection.connection


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_queries_compile_for_every_engine(dialect):
    queries = observed_funnel_queries(tables.unbound(), **WINDOW, as_of=AS_OF)

    # To the SQL in snapshots/ (tests/sql_snapshots.py says how to refresh it).
    assert_sql_snapshot(SNAPSHOTS / f"funnel_rates.{dialect}.sql", queries, dialect)


# --- The demo company against the model that generated it ------------------------------------

UNTIL = date(2026, 3, 1)
DEMO = {"seed": 11, "scale": 0.1, "months": 18, "until": UNTIL}
# The first 12 months: every deal created then has closed (cycles are at most 180 days) and
# every lead has had its chance to convert by `until`.
DEMO_WINDOW = {"cohort_start": date(2024, 9, 1), "cohort_end": date(2025, 9, 1)}
DEMO_AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_company(django_db_setup, django_db_blocker):
    """The demo company, written once for this module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo_company(**DEMO)
        yield simulate(**DEMO)  # the same seed replays it, hidden parts too
        transaction.set_rollback(True)


@pytest.fixture
def demo_world(demo_company, db):
    assert demo_company.start.date() == DEMO_WINDOW["cohort_start"]
    return demo_company


def demo_funnel():
    return observed_funnel(app_tables(), **DEMO_WINDOW, as_of=DEMO_AS_OF)


def test_on_the_demo_company_it_counts_what_the_simulation_did(demo_world):
    expected = counted_from_simulation(demo_world)

    result = demo_funnel()

    for name in STEPS:
        got = result["steps"][name]
        assert (got["numerator"], got["denominator"], got["lag_sample"]) == expected[name][:3]
        assert got["lag_days"] == pytest.approx(expected[name][3], abs=0.005)
    assert result["cohorts"] == expected["cohorts"]
    assert result["asp"] == expected["asp"]


def test_on_the_demo_company_the_rates_match_the_conversion_model(demo_world):
    result = demo_funnel()["steps"]

    for name, probabilities in model_probabilities(demo_world).items():
        # Each lead (or deal) converts with its own probability: the count converted is a
        # sum of Bernoulli draws, with mean sum(p) and variance sum(p (1 - p)).
        assert result[name]["denominator"] == len(probabilities)
        mean = sum(probabilities)
        spread = math.sqrt(sum(p * (1 - p) for p in probabilities))
        assert abs(result[name]["numerator"] - mean) <= 3 * spread, (name, mean, spread)
    # Stated lags: SQL 1 + Exp(6) days after acceptance, the opportunity 1-10 days after SQL.
    for name, mean, sd in (("sal_sql", 7.0, 6.0), ("sql_opp", 5.5, 9 / math.sqrt(12))):
        sample = result[name]["lag_sample"]
        assert abs(result[name]["lag_days"] - mean) <= 3 * sd / math.sqrt(sample), name


# Lead stages as the simulation records them: each status reaches its own rank and below.
RANK = {S.MQL: 1, S.ACCEPTED: 2, S.SQL: 3, S.OPPORTUNITY: 4, S.CUSTOMER: 5}


def in_window(moment_ts: int) -> bool:
    start = datetime.combine(DEMO_WINDOW["cohort_start"], datetime.min.time(), UTC).timestamp()
    end = datetime.combine(DEMO_WINDOW["cohort_end"], datetime.min.time(), UTC).timestamp()
    return start <= moment_ts < end


def reached_times(lead) -> list[int | None]:
    """When the lead reached each of STAGES, from its simulated status history."""
    times: list[int | None] = [lead.created]
    for rank in range(1, 6):
        hits = [at for at, _, to, _, _ in lead.statuses if RANK.get(to, 0) >= rank]
        times.append(min(hits) if hits else None)
    return times


def counted_from_simulation(world) -> dict:
    cohort = [lead for lead in world.leads if in_window(lead.created)]
    expected = {}
    for n, name in enumerate(STEPS[:-1]):
        pairs = [reached_times(lead)[n : n + 2] for lead in cohort]
        both = [later - earlier for earlier, later in pairs if later is not None]
        reached_first = sum(earlier is not None for earlier, _ in pairs)
        expected[name] = (len(both), reached_first, len(both), sum(both) / len(both) / 86_400)
    deals = [o for o in world.opportunities if in_window(o.created)]
    won = [o for o in deals if o.stage == "won"]
    closed = [o for o in deals if o.stage in ("won", "lost")]
    cycles = [o.closed - o.created for o in won]
    expected["opp_won"] = (len(won), len(closed), len(won), sum(cycles) / len(won) / 86_400)
    by_month = {}
    for lead in cohort:
        created = datetime.fromtimestamp(lead.created, UTC)
        row = by_month.setdefault(created.date().replace(day=1), dict.fromkeys(STAGES, 0))
        for stage, at in zip(STAGES, reached_times(lead), strict=True):
            row[stage] += at is not None
    expected["cohorts"] = [{"month": month, **row} for month, row in sorted(by_month.items())]
    total = sum(o.amount for o in won)
    average = (total / len(won)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    expected["asp"] = {"amount": average, "sample": len(won)}
    return expected


def logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def follow_up_effect(lead) -> float:
    """The model's follow-up term, from what the rep did (or did not do)."""
    if lead.first_response_hours is None:
        return company.NO_FOLLOW_UP_EFFECT
    speed = speed_effect(lead.first_response_hours)
    return speed + company.PERSISTENCE_EFFECT * (lead.attempts - 1)


def chance(params, quality: float, follow: float) -> float:
    base, per_quality, per_follow = params
    return logistic(base + per_quality * (quality - company.Q_CENTER) + per_follow * follow)


def model_probabilities(world) -> dict[str, list[float]]:
    """Each step's success probability for every lead (or deal) that took the step."""
    cohort = [lead for lead in world.leads if in_window(lead.created)]
    reached = {id(lead): reached_times(lead) for lead in cohort}

    def took(stage: int):
        return [lead for lead in cohort if reached[id(lead)][stage] is not None]

    def accept(lead) -> float:
        if lead.seniority in company.NOT_BUYERS:
            return 0.0
        if lead.first_response_hours is None:  # never followed up: accepted blind, rarely
            return company.ACCEPT_WITHOUT_FOLLOW_UP
        return chance(company.ACCEPT, lead.quality, follow_up_effect(lead))

    def win(deal) -> float:
        follow = follow_up_effect(deal.lead) if deal.lead else company.DIRECT_FOLLOW_UP
        return chance(company.WIN, deal.quality, follow)

    return {
        "mql_sal": [accept(lead) for lead in took(1)],
        "sal_sql": [chance(company.SQL, lead.quality, follow_up_effect(lead)) for lead in took(2)],
        "sql_opp": [
            chance(company.OPPORTUNITY, lead.quality, follow_up_effect(lead)) for lead in took(3)
        ],
        "opp_won": [win(o) for o in world.opportunities if in_window(o.created)],
    }
