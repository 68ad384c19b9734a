"""Lead value: Wilson intervals, the value of each lead type on a hand-made history, marketing's
delivered value against the plan, and the page, the CLI function and the API that show them.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import time_machine

from accord.analytics import tables
from accord.analytics.lead_value import lead_value_query, lead_values, wilson_interval
from accord.core.engine import app_tables
from accord.crm.models import Account, Lead, LeadStatusChange, Opportunity
from accord.people import tokens
from accord.plan import actions
from accord.qualify import value
from tests.sql_snapshots import DIALECTS, assert_sql_snapshot

pytestmark = pytest.mark.django_db

S = Lead.Status
COHORT = {"cohort_from": date(2025, 1, 1), "cohort_to": date(2025, 7, 1)}
JAN = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
# Late enough that the cohort's whole 365-day horizon has passed.
NOW = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)
SNAPSHOTS = Path(__file__).with_name("snapshots")
PARAMS = "group_by=source&group_by=grade&horizon=12&cohort_from=2025-01-01&cohort_to=2025-07-01"


# --- Wilson intervals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion",
        # Statistics in Medicine 17, table I, method 3 (score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_at_95_percent_matches_the_published_intervals(successes, n, low, high):
    got = wilson_interval(successes, n, confidence=0.95)

    assert got == pytest.approx((low, high), abs=5e-5)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # z = 1.644854 at 90%, z^2 = 2.705543. At 0 successes the upper end is
        # z^2 / (n + z^2) = 2.705543 / 12.705543; at n successes the lower end is n / (n + z^2).
        (0, 10, 0.0, 0.212942),
        (10, 10, 0.787058, 1.0),
        # 5 of 10: centre 0.5, half-width z sqrt(0.025 + z^2 / 400) / (1 + z^2 / 10) = 0.230728.
        (5, 10, 0.269272, 0.730728),
        (81, 263, 0.263314, 0.356566),
    ],
)
def test_wilson_at_90_percent_by_hand(successes, n, low, high):
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-6)


def test_wilson_ends_are_exact_and_refuses_nonsense():
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 1.0
    with pytest.raises(ValueError, match="at least one trial"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 10, confidence=1.0)


# --- A hand-made history ----------------------------------------------------------------------


@pytest.fixture
def history(channels, acme):
    """Ten leads created in the first half of 2025, and two just outside it.

    Won within 365 days: one webinar A lead ($50,000), both webinar B leads ($30,000, and
    $10,000 + $20,000), one paid search lead without a grade ($40,000, closed exactly on
    its 365th day). Not won: a webinar A deal closed on day 400, a paid search deal closed
    one second too late, lost and open deals, and a won deal with no primary lead.
    Four won leads bring $150,000: $37,500 on average.
    """
    made = {}

    def lead(name, source, grade, *moves, created=JAN, account=acme):
        record = Lead.objects.create(
            email=f"{name}@acme.example",
            account=account,
            source=channels[source],
            fit_grade=grade,
            status=moves[-1][0] if moves else S.NEW,
            status_changed_at=created + timedelta(days=moves[-1][1]) if moves else created,
            created_at=created,
        )
        previous = ""
        for status, day in ((S.NEW, 0), *moves):
            LeadStatusChange.objects.create(
                lead=record,
                from_status=previous,
                to_status=status,
                changed_at=created + timedelta(days=day),
            )
            previous = status
        made[name] = record
        return record

    def deal(lead_, stage, after, amount, seconds=0):
        created = lead_.created_at if lead_ else JAN
        closed = created + timedelta(days=after, seconds=seconds)
        return Opportunity.objects.create(
            name=f"Deal {Opportunity.objects.count()}",
            account=acme,
            primary_lead=lead_,
            amount=D(amount),
            stage=stage,
            created_at=created + timedelta(days=20),
            close_date=closed.date(),
            closed_at=closed if stage in ("won", "lost") else None,
        )

    mql, customer = (S.MQL, 3), (S.CUSTOMER, 90)
    deal(lead("wa1", "webinar", "A", mql, customer), "won", 100, "50000.00")
    deal(lead("wa2", "webinar", "A", mql), "won", 400, "80000.00")
    deal(lead("wa3", "webinar", "A", mql), "lost", 60, "20000.00")
    lead("wa4", "webinar", "A")
    deal(lead("wb1", "webinar", "B", mql, customer, created=JAN + timedelta(days=30)), "won", 50,
         "30000.00")  # fmt: skip
    wb2 = lead("wb2", "webinar", "B", mql, customer, created=datetime(2025, 6, 30, tzinfo=UTC))
    deal(wb2, "won", 30, "10000.00")
    deal(wb2, "won", 200, "20000.00")
    deal(lead("pu1", "paid_search", "", mql, customer, account=None), "won", 365, "40000.00")
    deal(lead("pu2", "paid_search", "", (S.SQL, 10)), "won", 365, "90000.00", seconds=1)
    lead("pu3", "paid_search", "")
    lead("oc1", "outbound_sdr", "C")
    deal(None, "won", 40, "70000.00")
    deal(lead("wa5", "webinar", "A"), "proposal", 90, "60000.00")
    # Outside the cohort: created the hour before it, and the moment it ends.
    before = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    deal(lead("early", "webinar", "A", created=before), "won", 10, "99000.00")
    deal(lead("late", "webinar", "A", created=datetime(2025, 7, 1, tzinfo=UTC)), "won", 10,
         "99000.00")  # fmt: skip
    return made


def by_type(result):
    return {t.key: t for t in result.types}


def test_it_values_each_lead_type_on_a_hand_made_history(history):
    result = lead_values(app_tables(), **COHORT)

    assert (result.leads, result.won, result.average_won_amount) == (11, 4, D("37500.00"))
    types = by_type(result)
    assert {key: (t.leads, t.won, t.value) for key, t in types.items()} == {
        ("webinar", "B"): (2, 2, D("37500.00")),
        ("paid_search", "ungraded"): (3, 1, D("12500.00")),  # 1/3 of $37,500
        ("webinar", "A"): (5, 1, D("7500.00")),  # 1/5 of $37,500
        ("outbound_sdr", "C"): (1, 0, D("0.00")),
    }
    assert [t.key[0] + t.key[1] for t in result.types] == [
        "webinarB",
        "paid_searchungraded",
        "webinarA",
        "outbound_sdrC",
    ]
    webinar_a = types[("webinar", "A")]
    assert webinar_a.probability == 0.2
    assert webinar_a.interval == pytest.approx(wilson_interval(1, 5))
    assert webinar_a.value_interval == (
        (D(webinar_a.interval[0]) * D("37500")).quantize(D("0.01")),
        (D(webinar_a.interval[1]) * D("37500")).quantize(D("0.01")),
    )
    # 2 of 2: the lower end is n / (n + z^2) = 2 / 4.705543 = 0.4250306; x $37,500 = $15,938.65.
    assert types[("webinar", "B")].interval == pytest.approx((0.425030, 1.0), abs=1e-6)
    assert types[("webinar", "B")].value_interval == (D("15938.65"), D("37500.00"))
    assert types[("webinar", "B")].own_average_won_amount == D("30000.00")
    assert types[("outbound_sdr", "C")].own_average_won_amount is None


def test_a_longer_horizon_counts_the_late_wins(history):
    result = lead_values(app_tables(), horizon_days=400, **COHORT)

    types = by_type(result)
    assert (types[("webinar", "A")].won, types[("paid_search", "ungraded")].won) == (2, 2)
    assert result.average_won_amount == D("53333.33")  # $320,000 over 6 won leads


def test_it_groups_by_source_group_country_and_industry(history):
    result = lead_values(app_tables(), group_by=["source_group", "country", "industry"], **COHORT)

    assert {t.key: (t.leads, t.won) for t in result.types} == {
        ("marketing", "DE", "Manufacturing"): (9, 3),
        ("marketing", "unknown", "unknown"): (1, 1),  # pu1 has no account
        ("sales", "DE", "Manufacturing"): (1, 0),
    }


def test_only_the_leads_that_reached_a_status_when_asked(history):
    result = lead_values(app_tables(), reached="mql", **COHORT)

    assert {t.key: (t.leads, t.won, t.value) for t in result.types} == {
        ("webinar", "B"): (2, 2, D("37500.00")),
        ("paid_search", "ungraded"): (2, 1, D("18750.00")),  # pu2 skipped to SQL; not pu3
        ("webinar", "A"): (3, 1, D("12500.00")),
    }


def test_an_empty_cohort_has_no_types_and_no_value(db):
    result = lead_values(app_tables(), **COHORT)

    assert (result.leads, result.won, result.types) == (0, 0, [])
    assert result.average_won_amount is None and result.overall is None


def test_a_cohort_that_won_nothing_has_probabilities_but_no_value(channels):
    Lead.objects.create(email="x@acme.example", source=channels["webinar"], fit_grade="A",
                        status_changed_at=JAN, created_at=JAN)  # fmt: skip

    [only] = lead_values(app_tables(), **COHORT).types

    assert (only.leads, only.won, only.probability, only.value) == (1, 0, 0.0, None)
    assert only.interval == pytest.approx((0.0, 0.730), abs=1e-3)


@pytest.mark.parametrize(
    ("group_by", "message"),
    [
        (["source", "colour"], "'colour'; group by any of: source, grade, source_group, country"),
        ([], "at least one of"),
        (["grade", "grade"], "once"),
    ],
)
def test_it_refuses_an_unknown_grouping_naming_the_allowed_ones(group_by, message):
    with pytest.raises(ValueError, match=message):
        lead_value_query(tables.unbound(), group_by=group_by, **COHORT)


def test_it_refuses_a_bad_horizon_or_window():
    with pytest.raises(ValueError, match="1 to 1095 days"):
        lead_value_query(tables.unbound(), horizon_days=0, **COHORT)
    with pytest.raises(ValueError, match="before cohort_to"):
        lead_value_query(tables.unbound(), cohort_from=date(2025, 7, 1), cohort_to=date(2025, 1, 1))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_query_compiles_for_every_engine(dialect):
    queries = {}
    for keys in (("source", "grade"), ("source_group", "country", "industry")):
        query = lead_value_query(tables.unbound(), group_by=keys, reached="mql", **COHORT)
        queries[f"by {', '.join(keys)}"] = query

    # To the SQL in snapshots/ (tests/sql_snapshots.py says how to refresh it).
    assert_sql_snapshot(SNAPSHOTS / f"lead_value.{dialect}.sql", queries, dialect)


# --- Marketing's delivered value against the plan ------------------------------------------


@pytest.fixture
def plan(cast):
    """FY2026: 120 deals of $10,000, no lags, half from marketing. Each month marketing owes
    100 MQLs; at 0.5 x 0.5 x 0.8 x 0.25 from MQL to won, each is worth $500: $50,000."""
    values = actions.PlanValues(
        target=D("1200000"),
        asp=D("10000"),
        rates={
            "lead_mql": D("0.1"),
            "mql_sal": D("0.5"),
            "sal_sql": D("0.5"),
            "sql_opp": D("0.8"),
            "opp_won": D("0.25"),
        },
        lags={},
        basis={},
        shares={"marketing": D("0.5"), "sales": D("0.5")},
        seasonality=[D(1)] * 12,
    )
    made = actions.create_plan(
        cast["carol"], name="FY2026", fiscal_year=2026, first_month=1, values=values
    )
    actions.approve(cast["carol"], made.current)
    actions.approve(cast["victor"], made.current)
    return made


@pytest.fixture
def mqls_in_2026(history, channels, acme):
    """Marketing-sourced leads reaching MQL in 2026, and some that do not count."""

    def lead(name, source, grade, *moves):
        created = datetime(2026, 1, 20, tzinfo=UTC)
        record = Lead.objects.create(
            email=f"{name}@acme.example",
            account=acme,
            source=channels[source],
            fit_grade=grade,
            status=moves[-1][0],
            status_changed_at=moves[-1][1],
            created_at=created,
        )
        for status, at in ((S.NEW, created), *moves):
            LeadStatusChange.objects.create(lead=record, to_status=status, changed_at=at)

    march, april = datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 4, 9, tzinfo=UTC)
    lead("m1", "webinar", "A", (S.MQL, march))
    lead("m2", "webinar", "A", (S.MQL, march))
    lead("m3", "paid_search", "", (S.MQL, march))
    lead("m4", "webinar", "C", (S.MQL, march))  # no webinar C MQL in the cohort: not valued
    lead("s1", "outbound_sdr", "C", (S.MQL, march))  # sales-sourced: not marketing's
    lead("m5", "webinar", "B", (S.SQL, april))  # skipped MQL: an MQL in April
    # An MQL in February, recycled, and an MQL again in March: February's.
    february = datetime(2026, 2, 10, tzinfo=UTC)
    lead("m6", "webinar", "A", (S.MQL, february), (S.RECYCLED, february + timedelta(days=5)),
         (S.MQL, march))  # fmt: skip


def delivered():
    opts = value.choose_options(**COHORT, today=NOW.date())
    return value.delivered_value(value.lead_values(opts, reached=S.MQL), NOW)


@time_machine.travel(NOW, tick=False)
def test_marketing_mqls_are_worth_their_types_value_as_mqls_against_the_plan(plan, mqls_in_2026):
    found = delivered()

    months = {row["month"]: row for row in found["months"]}
    assert len(months) == 12 and found["plan"] == plan
    march = months[date(2026, 3, 1)]
    # Two webinar A MQLs at $12,500 and a paid search one at $18,750.
    assert (march["mqls"], march["unvalued"], march["value"]) == (4, 1, D("43750.00"))
    assert (march["quota"], march["pipeline_quota"]) == (D("50000.00"), D("200000.00"))
    assert march["mql_quota"] == 100
    assert march["ratio"] == D("0.875")
    assert months[date(2026, 2, 1)]["value"] == D("12500.00")
    assert months[date(2026, 4, 1)]["value"] == D("37500.00")
    assert months[date(2026, 1, 1)]["value"] == D("0.00")
    # August is under way; later months have not started.
    assert months[date(2026, 8, 1)]["current"] and months[date(2026, 8, 1)]["value"] == 0
    assert months[date(2026, 9, 1)]["value"] is None
    assert found["total"]["value"] == D("93750.00")
    assert found["total"]["quota"] == D("400000.00")  # January to August
    assert found["total"]["mqls"] == 6 and found["total"]["unvalued"] == 1


@time_machine.travel(NOW, tick=False)
def test_without_a_plan_in_force_it_shows_the_last_twelve_months_and_no_quota(cast, mqls_in_2026):
    actions.create_plan(
        cast["carol"],
        name="Draft",
        fiscal_year=2026,
        first_month=1,
        values=actions.PlanValues(
            target=D("1000000"),
            asp=D("10000"),
            rates={s: D("0.5") for s in ("lead_mql", "mql_sal", "sal_sql", "sql_opp", "opp_won")},
            lags={},
            basis={},
            shares={"marketing": D("1")},
            seasonality=[D(1)] * 12,
        ),
    )

    found = delivered()

    assert found["plan"] is None
    assert [row["month"] for row in found["months"]][0] == date(2025, 9, 1)
    assert found["months"][-1]["month"] == date(2026, 8, 1)
    assert found["total"]["value"] == D("93750.00") and found["total"]["quota"] is None
    assert [d["label"] for d in found["chart"]["datasets"]] == ["Delivered lead value"]


# --- Choosing the inputs --------------------------------------------------------------------


def test_the_default_cohort_is_the_twelve_months_whose_horizon_has_passed():
    opts = value.choose_options(today=date(2026, 11, 23))

    assert (opts.group_by, opts.horizon_days) == (("source", "grade"), 365)
    assert (opts.cohort_from, opts.cohort_to) == (date(2024, 11, 1), date(2025, 11, 1))
    assert opts.warnings == ()
    short = value.choose_options(horizon_days=90, today=date(2026, 11, 23))
    assert (short.cohort_from, short.cohort_to) == (date(2025, 8, 1), date(2026, 8, 1))


def test_a_cohort_too_young_for_its_horizon_comes_with_a_warning():
    opts = value.choose_options(cohort_from=date(2026, 1, 1), today=date(2026, 11, 23))

    assert opts.cohort_to == date(2026, 11, 23)
    assert "have not had their whole 365-day horizon" in opts.warnings[0]


# --- The page ------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_each_types_value_with_its_interval_to_everybody(
    login, cast, plan, mqls_in_2026
):
    response = login(cast["vera"]).get(f"/qualify/value/?{PARAMS}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "the 11 leads created from Jan 1, 2025 to Jul 1, 2025" in html
    assert "$37,500" in html and "42.5%–100.0%" in html and "$15,939–$37,500" in html
    assert "Paid search" in html and "ungraded" in html
    assert "Shaded rows have fewer than 30 leads" in html
    assert "Quota in value" in html and "$50,000" in html and "88%" in html
    assert html.count('data-chart="chart-data-') == 2


@time_machine.travel(NOW, tick=False)
def test_the_page_explains_an_empty_history_and_a_missing_plan(login, cast):
    response = login(cast["mike"]).get("/qualify/value/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "No leads were created in this cohort." in html
    assert "No plan is in force" in html


def test_the_page_names_what_is_wrong_with_its_inputs(login, cast):
    client = login(cast["mike"])

    html = client.get("/qualify/value/?group_by=colour&horizon=99").content.decode()
    assert "colour is not one of the available choices" in html
    assert "less than or equal to 36" in html
    html = client.get("/qualify/value/?horizon=12").content.decode()
    assert "Group by at least one of" in html
    html = client.get(
        "/qualify/value/?group_by=grade&cohort_from=2025-07-01&cohort_to=2025-01-01"
    ).content.decode()
    assert "The cohort must start before it ends" in html


def test_the_page_needs_a_login(client):
    response = client.get("/qualify/value/")

    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The CLI function and the API -----------------------------------------------------------

EXPECTED_TYPES = [
    {
        "type": {"source": "webinar", "grade": "B"},
        "leads": 2,
        "won": 2,
        "probability": 1.0,
        "interval": [0.425, 1.0],
        "value": "37500.00",
        "value_interval": ["15938.65", "37500.00"],
        "own_average_won_amount": "30000.00",
    },
    {
        "type": {"source": "paid_search", "grade": "ungraded"},
        "leads": 3,
        "won": 1,
        "probability": 0.3333,
        "interval": [round(x, 4) for x in wilson_interval(1, 3)],
        "value": "12500.00",
    },
]


def check_json(found: dict) -> None:
    assert found["horizon_days"] == 365
    assert found["cohort"] == {"from": "2025-01-01", "to": "2025-07-01"}
    assert found["group_by"] == ["source", "grade"]
    assert found["average_won_amount"] == "37500.00"
    assert (found["leads"], found["won"], found["warnings"]) == (11, 4, [])
    assert [t["type"] for t in found["types"]] == [
        {"source": "webinar", "grade": "B"},
        {"source": "paid_search", "grade": "ungraded"},
        {"source": "webinar", "grade": "A"},
        {"source": "outbound_sdr", "grade": "C"},
    ]
    assert found["types"][0] == EXPECTED_TYPES[0]
    second = {key: found["types"][1][key] for key in EXPECTED_TYPES[1]}
    assert second == EXPECTED_TYPES[1]


@time_machine.travel(NOW, tick=False)
def test_the_cli_function_returns_the_json(history):
    found = value.cli_lead_value({"group_by": ["source", "grade"], "horizon_days": 365, **COHORT})

    check_json(found)
    defaults = value.cli_lead_value(
        {"group_by": None, "horizon_days": None, "cohort_from": None, "cohort_to": None}
    )
    assert defaults["cohort"] == {"from": "2024-08-01", "to": "2025-08-01"}
    assert defaults["group_by"] == ["source", "grade"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"group_by": ["region"]}, "group by any of: source, grade, source_group"),
        ({"horizon_days": 0}, "1 to 1095 days"),
        ({"horizon_days": "365"}, "whole number of days"),
        ({"cohort_from": date(2025, 7, 1), "cohort_to": date(2025, 1, 1)}, "start before"),
        ({"cohort_from": "2025-01-01"}, "must be a date"),
        ({"cohort_to": date(2031, 1, 1)}, "cannot end in the future"),
        ({"horizon": 365}, "Unknown lead value options: horizon"),
    ],
)
def test_the_cli_function_refuses_bad_options_clearly(db, options, message):
    with pytest.raises(ValueError, match=message):
        value.cli_lead_value(options)


@time_machine.travel(NOW, tick=False)
def test_the_api_answers_the_same_json_to_a_read_token(client, cast, history):
    token = tokens.issue_token(cast["vera"], name="BI", scope="read")[1]
    headers = {"Authorization": f"Bearer {token}"}

    response = client.get(
        "/api/v1/lead-value?group_by=source&group_by=grade&horizon_days=365"
        "&cohort_from=2025-01-01&cohort_to=2025-07-01",
        headers=headers,
    )

    assert response.status_code == 200
    check_json(response.json())
    commas = client.get(
        "/api/v1/lead-value?group_by=source,grade&cohort_from=2025-01-01&cohort_to=2025-07-01",
        headers=headers,
    )
    assert commas.json() == response.json()
    bad = client.get("/api/v1/lead-value?group_by=colour", headers=headers)
    assert bad.status_code == 400 and "group by any of" in bad.json()["detail"]
    assert client.get("/api/v1/lead-value").status_code == 401


def test_an_account_without_country_reads_unknown(channels):
    bare = Account.objects.create(name="Bare", created_at=JAN)
    Lead.objects.create(email="b@bare.example", account=bare, source=channels["webinar"],
                        status_changed_at=JAN, created_at=JAN)  # fmt: skip

    [only] = lead_values(app_tables(), group_by=["country"], **COHORT).types

    assert only.type == {"country": "unknown"}


@time_machine.travel(NOW, tick=False)
def test_marketings_dollar_quota_is_one_figure_on_the_plan_page_and_the_lead_value_page(
    client, cast, plan
):
    from accord.plan.queries import kept_funnel

    revision = plan.in_force
    quotas = kept_funnel(revision).value.quotas()["marketing"]
    monthly = value.value_quota(revision)
    assert quotas["value"] == sum(monthly["value"])
    assert quotas["value"] < quotas["pipeline"]  # pipeline is counted before the win rate

    client.force_login(cast["carol"])
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Marketing quota: value" in page
    assert f"${quotas['value']:,.0f}" in page and f"${quotas['pipeline']:,.0f}" in page


@time_machine.travel(NOW, tick=False)
def test_the_month_under_way_is_marked_partial_on_the_value_and_both_ways_charts(
    plan, mqls_in_2026
):
    from accord.sla.queries import two_way_at

    labels = delivered()["chart"]["labels"]
    assert [label for label in labels if "so far" in label] == ["Aug 2026 (so far)"]
    assert "Jul 2026" in labels
    both_ways = two_way_at(NOW)
    assert both_ways["marketing_chart"]["labels"] == labels
    assert both_ways["sales_chart"]["labels"] == labels
