"""The scoreboard: actuals by month, pacing against the plan, the forecast, drill-downs."""

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum
from django.test import override_settings
from django.urls import reverse

from accord.analytics import pacing
from accord.analytics.months import starting as month_starts
from accord.crm import queries as crm_queries
from accord.crm.models import Lead, LeadStatusChange, Opportunity, OpportunityStageChange
from accord.demo.build import build_demo_company
from accord.people.models import User
from accord.plan import actions
from accord.plan import actuals as plan_actuals
from accord.plan.models import Plan

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
FEB, MAR, APR = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)
# Mid-April in New York: exactly half of April (15 of 30 days) has gone by.
MID_APRIL = datetime(2026, 4, 16, 0, 0, tzinfo=NEW_YORK)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plan_values(**changes) -> actions.PlanValues:
    """120 deals of $10,000 a year, 10 a month: every month plans the same, no lags."""
    base = {
        "target": D("1200000"),
        "asp": D("10000"),
        "rates": {
            "lead_mql": D("0.1"),
            "mql_sal": D("0.5"),
            "sal_sql": D("0.5"),
            "sql_opp": D("0.8"),
            "opp_won": D("0.25"),
        },
        "lags": {},
        "basis": {},
        "shares": {"marketing": D("0.5"), "sales": D("0.5")},
        "seasonality": [D(1)] * 12,
    }
    return actions.PlanValues(**{**base, **changes})


@pytest.fixture
def make_plan(cast):
    def make(name="FY2026", approved=True, **changes):
        plan = actions.create_plan(
            cast["carol"], name=name, fiscal_year=2026, first_month=1, values=plan_values(**changes)
        )
        if approved:
            actions.approve(cast["carol"], plan.current)
            actions.approve(cast["victor"], plan.current)
        return plan

    return make


@pytest.fixture
def world(channels, acme):
    """Six leads and four opportunities around the end of March, in UTC."""

    def lead(name, created, *changes, source="webinar", created_as="new"):
        obj = Lead.objects.create(
            email=f"{name}@acme.example",
            first_name=name.title(),
            account=acme,
            source=channels[source],
            status=changes[-1][0] if changes else created_as,
            status_changed_at=changes[-1][1] if changes else created,
            created_at=created,
        )
        LeadStatusChange.objects.create(
            lead=obj, from_status="", to_status=created_as, changed_at=created
        )
        previous = created_as
        for status, when in changes:
            LeadStatusChange.objects.create(
                lead=obj, from_status=previous, to_status=status, changed_at=when
            )
            previous = status
        return obj

    lead(
        "ann",
        at("2026-03-05 15:00"),
        ("mql", at("2026-03-10 15:00")),
        ("accepted", at("2026-04-02 15:00")),
        ("sql", at("2026-04-03 15:00")),
    )
    lead("ben", at("2026-03-06 15:00"), ("sql", at("2026-03-20 15:00")))  # skips two stages
    lead(
        "cid",
        at("2026-03-07 15:00"),
        ("mql", at("2026-03-08 15:00")),
        ("recycled", at("2026-03-25 15:00")),
        ("mql", at("2026-04-05 15:00")),  # an MQL again: still counted once, in March
    )
    lead("dee", at("2026-02-27 15:00"), ("mql", at("2026-03-01 12:00")))
    # 22:00 in New York on the last day of February and of March.
    lead("eve", at("2026-03-01 03:00"), ("mql", at("2026-04-01 02:00")))
    # Imported straight into the opportunity status, from outbound: a sales-sourced lead.
    lead("fay", at("2026-03-10 15:00"), source="outbound_sdr", created_as="opportunity")

    def opp(name, amount, created, stage, source=None, closed=None, close_date=None):
        return Opportunity.objects.create(
            name=name,
            account=acme,
            source=channels[source] if source else None,
            amount=D(amount),
            stage=stage,
            created_at=created,
            closed_at=closed,
            close_date=close_date or (closed.date() if closed else date(2026, 5, 1)),
        )

    opp("Pilot", "10000", at("2026-03-03 15:00"), "proposal", "webinar")
    opp("Platform", "20000", at("2026-03-15 15:00"), "won", "outbound_sdr", at("2026-04-01 03:00"))
    opp("Walk-in", "5000", at("2026-04-01 01:00"), "lost", closed=at("2026-04-10 15:00"))
    opp("Renewal", "7000", at("2026-02-10 15:00"), "won", "webinar", at("2026-04-15 15:00"))


# --- Actuals ---------------------------------------------------------------------------------


@override_settings(TIME_ZONE="America/New_York")
def test_actuals_count_each_lead_once_at_the_first_stage_it_reached_in_local_months(world):
    found = plan_actuals.actuals([FEB, MAR, APR])

    assert found.counts["lead"] == [2, 4, 0]  # eve was created on Feb 28 in New York
    # ben (straight to SQL) and fay (imported as an opportunity) count at every stage they
    # skipped; cid, an MQL twice, counts once; eve became an MQL on Mar 31 in New York.
    assert found.counts["mql"] == [0, 6, 0]
    assert found.counts["sal"] == [0, 2, 1]
    assert found.counts["sql"] == [0, 2, 1]
    assert found.counts["lead_opportunity"] == [0, 1, 0]
    assert found.group("mql", "marketing") == [0, 5, 0]
    assert found.counts["opportunity"] == [1, 3, 0]  # Walk-in: Mar 31, 21:00 in New York
    assert found.amounts["pipeline"] == [D("7000"), D("35000"), D("0")]
    assert found.group("pipeline", "marketing") == [D("7000"), D("10000"), D("0")]
    assert found.group("pipeline", "sales") == [D("0"), D("20000"), D("0")]
    assert found.group("pipeline", "") == [D("0"), D("5000"), D("0")]  # no source
    assert found.counts["won"] == [0, 1, 1]  # Platform closed on Mar 31, 23:00 in New York
    assert found.amounts["bookings"] == [D("0"), D("20000"), D("7000")]


def test_in_utc_the_same_moments_fall_in_the_next_month(world):
    found = plan_actuals.actuals([FEB, MAR, APR])

    assert found.counts["lead"] == [1, 5, 0]
    assert found.counts["mql"] == [0, 5, 1]
    assert found.counts["opportunity"] == [1, 2, 1]
    assert found.counts["won"] == [0, 0, 2]


# --- Pacing and periods ----------------------------------------------------------------------


def test_periods_are_the_year_its_fiscal_quarters_and_its_months():
    months = month_starts(date(2026, 7, 1), 12)
    assert pacing.period_named("year", months).months == tuple(months)
    q3 = pacing.period_named("Q3", months)
    assert q3.months == (date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1))
    assert q3.label == "Q3 (Jan – Mar 2027)"
    assert pacing.period_named("2026-09", months).end == date(2026, 10, 1)
    with pytest.raises(pacing.PeriodError, match="year, q1 to q4, or a month from 2026-07"):
        pacing.period_named("2026-06", months)
    assert pacing.default_period(months, date(2026, 11, 20)).key == "q2"
    assert pacing.default_period(months, date(2027, 8, 1)).key == "year"


def test_the_current_month_counts_by_the_share_of_it_gone_by():
    assert pacing.elapsed(APR, MID_APRIL) == D("0.5")
    assert pacing.elapsed(MAR, MID_APRIL) == 1
    assert pacing.elapsed(date(2026, 5, 1), MID_APRIL) == 0

    # March in full, half of April's 20, nothing of May's: 10 + 10 planned to date.
    pace = pacing.pace([10, 20, 30], [8, 9, 50], [D(1), D("0.5"), D(0)])
    assert (pace.plan, pace.plan_to_date, pace.actual) == (60, 20, 17)
    assert pace.ratio == D("0.85") and pace.state == "behind"
    assert pacing.pace([10], [9], [D(1)]).state == ""  # 90% is on track
    assert pacing.pace([10], [10], [D(1)]).state == "ahead"
    assert pacing.pace([0], [3], [D(1)]).state == ""  # nothing planned: no judgement


# --- The forecast ----------------------------------------------------------------------------


def test_win_probability_is_by_stage_when_enough_deals_went_through_it():
    rates = pacing.win_rates(
        ["discovery", "proposal"],
        {"discovery": (5, 25), "proposal": (3, 4)},
        overall=(6, 30),
        plan_rate=D("0.25"),
    )
    assert rates["discovery"] == pacing.WinRate(5, 25, D("0.2"), "stage")
    assert rates["proposal"] == pacing.WinRate(6, 30, D("0.2"), "overall")  # 4 is too few
    nothing = pacing.win_rates(["demo"], {}, overall=(0, 0), plan_rate=D("0.25"))
    assert nothing["demo"] == pacing.WinRate(0, 0, D("0.25"), "plan")


def test_the_forecast_adds_won_open_pipeline_at_its_odds_and_the_plan_still_to_come():
    months = month_starts(date(2026, 1, 1), 12)
    q4 = pacing.period_named("q4", months)
    forecast = pacing.forecast(
        period=q4,
        today=date(2026, 11, 15),
        won_amount=D("100000"),
        won_count=2,
        open_pipeline={"proposal": (2, D("50000")), "negotiation": (1, D("40000"))},
        rates={
            "discovery": pacing.WinRate(1, 10, D("0.1"), "overall"),
            "proposal": pacing.WinRate(10, 20, D("0.5"), "stage"),
            "negotiation": pacing.WinRate(15, 20, D("0.75"), "stage"),
        },
        plan_months=months,
        plan_opportunities=[31] * 12,
        plan_rate=D("0.25"),
        asp=D("10000"),
        lag_days=15,
        target=D("300000"),
    )
    # Open: 50,000 x 50% + 40,000 x 75%.
    assert [line.expected_amount for line in forecast.open] == [D("25000"), D("30000")]
    assert forecast.open_expected == D("55000")
    # December has not started: of its 31 planned opportunities, those created by Dec 17
    # close by Dec 31 after the 15-day lag: 16 days' worth, 16 opportunities, 4 deals.
    assert [(f.month, f.share) for f in forecast.future] == [(date(2026, 12, 1), D(16) / 31)]
    assert forecast.future_opportunities.quantize(D("0.01")) == D("16.00")
    assert forecast.future_amount.quantize(D("0.01")) == D("40000.00")
    assert forecast.amount.quantize(D("0.01")) == D("195000.00")
    assert forecast.deals.quantize(D("0.01")) == D("7.75")  # 2 + 1 + 0.75 + 4
    assert forecast.ratio.quantize(D("0.01")) == D("0.65") and forecast.state == "behind"


def test_a_period_that_is_over_forecasts_what_was_won():
    months = month_starts(date(2026, 1, 1), 12)
    forecast = pacing.forecast(
        period=pacing.period_named("q1", months),
        today=date(2026, 5, 2),
        won_amount=D("90000"),
        won_count=3,
        open_pipeline={"proposal": (2, D("50000"))},
        rates={"proposal": pacing.WinRate(1, 2, D("0.5"), "overall")},
        plan_months=months,
        plan_opportunities=[40] * 12,
        plan_rate=D("0.25"),
        asp=D("10000"),
        lag_days=0,
        target=D("300000"),
    )
    assert forecast.period_over and forecast.open == () and forecast.future == ()
    assert forecast.amount == D("90000")


def test_observed_outcomes_come_from_the_stage_history_of_deals_closed_in_the_last_year(acme):
    def closed(stage, path, when="2026-03-01 12:00"):
        when = at(when)
        opp = Opportunity.objects.create(
            name="x",
            account=acme,
            amount=D("1000"),
            stage=stage,
            created_at=at("2026-01-05 12:00"),
            close_date=when.date(),
            closed_at=when,
        )
        for step in path:
            OpportunityStageChange.objects.create(
                opportunity=opp, to_stage=step, changed_at=at("2026-01-06 12:00")
            )

    closed("won", ["discovery", "proposal", "won"])
    closed("lost", ["discovery", "lost"])
    closed("lost", ["discovery", "proposal", "lost"])
    closed("won", ["won"])  # imported closed: no open stage in its history
    closed("won", ["discovery", "won"], when="2025-01-01 12:00")  # too long ago

    by_stage, overall = crm_queries.closed_outcomes(at("2026-04-01 00:00"))

    assert by_stage == {"discovery": (1, 3), "proposal": (1, 2)}
    assert overall == (2, 4)


# --- The page --------------------------------------------------------------------------------


def test_with_no_plan_the_page_says_so_and_offers_to_make_one_to_those_allowed(login, cast):
    viewer = login(cast["vera"]).get(reverse("scoreboard:home"))
    assert viewer.status_code == 200
    assert "There is no revenue plan yet." in viewer.content.decode()
    assert reverse("plan:new") not in viewer.content.decode()

    leader = login(cast["carol"]).get(reverse("scoreboard:home"))
    assert reverse("plan:new") in leader.content.decode()


@override_settings(TIME_ZONE="America/New_York")
def test_a_viewer_sees_plan_against_actual_to_date(login, cast, world, make_plan):
    plan = make_plan()
    with time_machine.travel(MID_APRIL, tick=False):
        response = login(cast["vera"]).get(reverse("scoreboard:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["plan"] == plan and response.context["period"].key == "q2"
    assert "in force, signed by both teams" in html
    assert "April in proportion to the days gone by (15.0 of its 30 days, 50% of its plan)" in html

    rows = {row["metric"].key: row for row in response.context["rows"]}
    # Ten deals a month: April's ten, half gone by, is five to date; one won (Renewal).
    won = rows["won"]["pace"]
    assert (won.plan, won.plan_to_date, won.actual, won.state) == (30, 5, 1, "behind")
    assert rows["bookings"]["pace"].actual == D("7000")
    assert [c["actual"] for c in rows["won"]["cells"]] == [1, None, None]  # May, June to come


@override_settings(TIME_ZONE="America/New_York")
def test_the_page_explains_the_forecast_with_its_numbers(login, cast, world, make_plan):
    make_plan()
    with time_machine.travel(MID_APRIL, tick=False):
        response = login(cast["vera"]).get(reverse("scoreboard:home"), {"period": "q2"})
    forecast = response.context["forecast"]
    # Won: Renewal, 7,000. Open: Pilot, 10,000 due May 1, at 2 won of 3 closed (no stage
    # history, so the overall rate). Plan: May and June, 40 opportunities each, no lag,
    # at 25% and $10,000: 200,000.
    assert forecast.won_amount == D("7000")
    assert forecast.open_expected.quantize(D("0.01")) == D("6666.67")
    assert forecast.future_amount == D("200000")
    assert forecast.amount.quantize(D("0.01")) == D("213666.67")
    assert forecast.target == D("300000")
    html = response.content.decode()
    assert "$7,000 + $6,667 + $200,000 = " in html
    assert "$213,667" in html and "2 won of all 3 closed deals" in html


@override_settings(TIME_ZONE="America/New_York")
def test_every_actual_number_links_to_a_list_showing_exactly_its_rows(
    login, cast, world, make_plan
):
    make_plan()
    client = login(cast["vera"])
    with time_machine.travel(MID_APRIL, tick=False):
        page = client.get(reverse("scoreboard:home"), {"period": "year"})
        checked = _check_drill_downs(client, page.context)
    assert checked > 40


def _listed(client, link: str, money: bool):
    response = client.get(link)
    assert response.status_code == 200
    assert not response.context["form"].errors, link
    paginator = response.context["page"].paginator
    if money:
        return paginator.object_list.aggregate(s=Sum("amount"))["s"] or 0
    return paginator.count


def _check_drill_downs(client, context) -> int:
    checked = 0
    for row in context["rows"]:
        money = row["metric"].money
        numbers = [(row["link"], row["pace"].actual)]
        numbers += [(c["link"], c["actual"]) for c in row["cells"] if c["actual"] is not None]
        for link, shown in numbers:
            assert _listed(client, link, money) == shown, (row["metric"].key, link)
            checked += 1
    aside = context["lead_opportunity"]
    for cell in aside["cells"]:
        if cell["actual"] is not None:
            assert _listed(client, cell["link"], False) == cell["actual"]
            checked += 1
    for r in context["forecast_rows"]:
        assert _listed(client, r["link"], False) == r["line"].count
        assert _listed(client, r["link"], True) == r["line"].amount
        checked += 2
    return checked


def test_the_demo_companys_numbers_match_their_lists(client):
    until = date(2026, 3, 1)
    build_demo_company(seed=7, scale=0.05, months=14, until=until)
    cmo, vp = User.objects.get(username="cmo"), User.objects.get(username="vp.sales")
    # The demo ships its own FY2026 plan, which an April-to-March year would overlap.
    Plan.objects.all().delete()
    plan = actions.create_plan(
        cmo, name="FY2025", fiscal_year=2025, first_month=4, values=plan_values()
    )
    actions.approve(cmo, plan.current)
    actions.approve(vp, plan.current)
    client.force_login(User.objects.get(username="viewer"))
    with time_machine.travel(datetime(2026, 2, 20, 12, tzinfo=UTC), tick=False):
        page = client.get(reverse("scoreboard:home"), {"period": "year", "plan": plan.pk})
        assert page.status_code == 200
        rows = {row["metric"].key: row for row in page.context["rows"]}
        assert rows["lead"]["pace"].actual > 100 and rows["won"]["pace"].actual > 3
        assert page.context["forecast_rows"]
        assert _check_drill_downs(client, page.context) > 100


def test_a_draft_is_shown_as_a_draft_until_a_plan_is_in_force(login, cast, make_plan):
    draft = make_plan(name="Next year", approved=False)
    client = login(cast["vera"])
    with time_machine.travel(MID_APRIL, tick=False):
        response = client.get(reverse("scoreboard:home"))
        assert response.context["plan"] == draft
        assert "a draft</strong>" in response.content.decode()

        signed = make_plan(name="This year")
        response = client.get(reverse("scoreboard:home"))
        assert response.context["plan"] == signed
        assert response.context["revision"].status == "approved"


def test_a_bad_period_is_reported_and_the_default_shown(login, cast, make_plan):
    make_plan()
    with time_machine.travel(MID_APRIL, tick=False):
        response = login(cast["vera"]).get(reverse("scoreboard:home"), {"period": "2025-13"})
    assert response.status_code == 200
    assert response.context["period"].key == "q2"
    assert "“2025-13” is not a period of this plan" in response.content.decode()
    assert "Showing Q2 (Apr – Jun 2026) instead." in response.content.decode()


@pytest.mark.parametrize("value", ["999", "abc", "1e9", "99999999999999999999999"])
def test_an_unknown_plan_is_a_404_that_lists_the_plans(login, cast, make_plan, value):
    make_plan()
    response = login(cast["vera"]).get(reverse("scoreboard:home"), {"plan": value})
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no plan" in html and "FY2026" in html


def test_the_lead_list_needs_a_stage_for_reached_dates(login, cast, world):
    response = login(cast["vera"]).get(reverse("crm:leads"), {"reached_from": "2026-03-01"})
    assert response.status_code == 200
    assert "Choose the stage the reached dates are about." in response.content.decode()


@override_settings(TIME_ZONE="America/New_York")
def test_the_pacing_table_exports_to_csv_a_row_per_stage_and_month(login, cast, world, make_plan):
    plan = make_plan()
    with time_machine.travel(MID_APRIL, tick=False):
        client = login(cast["vera"])
        response = client.get(reverse("scoreboard:pacing_csv"), {"plan": plan.pk, "period": "q2"})
        page = client.get(reverse("scoreboard:home")).content.decode()
        missing = client.get(reverse("scoreboard:pacing_csv"), {"plan": "999"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="accord-scoreboard-fy2026-q2.csv"'
    )
    header, *lines = b"".join(response.streaming_content).decode().splitlines()
    assert header == "Stage,Counted in,Month,Plan,Actual,Pace"
    assert len(lines) == 10 * 3  # ten stages, three months of the quarter
    assert "Deals won,count,2026-04,10,1,Behind" in lines  # as on the page: one of ten
    assert "Deals won,count,2026-05,10,," in lines  # May has not begun
    assert "Bookings,money,2026-04,100000,7000,Behind" in lines
    assert f'href="/scoreboard/pacing.csv?plan={plan.pk}&amp;period=q2"' in page
    assert missing.status_code == 404
