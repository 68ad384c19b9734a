"""The rolling plan from the data: the carry-in counted from the records open at the plan's
start, next year's months from the next signed plan, the inputs at every door."""

import json
from datetime import date, datetime
from decimal import Decimal as D
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.crm.models import Lead, LeadStatusChange, Opportunity, OpportunityStageChange
from accord.people import tokens
from accord.plan import actions, rolling
from accord.plan.models import Plan
from accord.plan.queries import funnel_of
from tests.plan.test_plan import API_PLAN, SEED_RATES, _api, _form, values

UTC = ZoneInfo("UTC")
JAN, FEB, MAR = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def opportunity(acme, stage, close, created="2026-10-01", closed_at=None, **extra):
    return Opportunity.objects.create(
        name=extra.pop("name", f"{stage} deal"),
        account=acme,
        amount=D("100000"),
        stage=stage,
        created_at=at(created),
        close_date=close,
        closed_at=closed_at,
        **extra,
    )


def plan_2027(cast, **changes):
    return actions.create_plan(
        cast["mona"], name="FY2027", fiscal_year=2027, first_month=1, values=values(**changes)
    )


def signed(plan, cast):
    for leader in ("carol", "victor"):
        actions.approve(cast[leader], plan.current)
    return Plan.objects.get(pk=plan.pk)


# --- The carry-in -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_still_to_come_is_credited_with_what_is_open_today_worked_by_hand(
    cast, make_lead, acme
):
    """On Dec 6, 2026, for a plan from Jan 2027 (rates of the seed's example, a 60-day
    opportunity-to-won lag, no other lag):
    - an MQL since Nov 20 reaches won 60 days later, Jan 19: 70% x 60% x 80% x 25% = 0.084;
    - an SQL since Dec 1: Jan 30, 80% x 25% = 0.2;
    - an MQL since June 2025 would have closed by Jul 31, 2025: stale, not counted;
    - a new lead does not count (plain leads are not pipeline);
    - an open proposal closing Mar 15, 2027: no closed deals yet, so the plan's 25%;
    - an open negotiation already past its close date (Nov 30) closes before the plan;
    - a won deal is not open."""
    make_lead("a@x.example", status=Lead.Status.MQL, created_at=at("2026-11-20 10:00"))
    make_lead("b@x.example", status=Lead.Status.SQL, created_at=at("2026-12-01 10:00"))
    make_lead("c@x.example", status=Lead.Status.MQL, created_at=at("2025-06-01 10:00"))
    make_lead("d@x.example", status=Lead.Status.NEW, created_at=at("2026-12-02 10:00"))
    opportunity(acme, Opportunity.Stage.PROPOSAL, date(2027, 3, 15))
    opportunity(acme, Opportunity.Stage.NEGOTIATION, date(2026, 11, 30))
    opportunity(acme, Opportunity.Stage.WON, date(2026, 11, 2), closed_at=at("2026-11-02 12:00"))
    plan = plan_2027(cast)
    with time_machine.travel(at("2026-12-06 09:00"), tick=False):
        found = rolling.carry_in(plan.current.funnel_inputs())
        funnel = funnel_of(plan.current)
    # The won deal makes the observed win rate 1 of 1 closed: the proposal is at 100%.
    assert found == {
        "mql": {JAN: Fraction(84, 1000)},
        "sql": {JAN: Fraction(2, 10)},
        "opportunity": {MAR: Fraction(1)},
    }
    assert funnel.carry_in == Fraction(1284, 1000)


@pytest.mark.django_db
def test_a_plan_that_has_started_counts_the_records_as_they_stood_at_its_start(
    cast, make_lead, acme
):
    """Seen in June 2026, a plan from Jan 2026 counts what was open on Jan 1: a lead that was
    an MQL then (since Dec 20: + 60 days = Feb 18) though it is an SQL now; not a lead created
    after the start; a deal in discovery on Jan 1 that has since been won (closing Mar 1),
    at the win rate of the deals closed in the last year (that one: 100%)."""
    lead = make_lead("a@x.example", status=Lead.Status.SQL, created_at=at("2026-02-01 10:00"))
    LeadStatusChange.objects.create(
        lead=lead, from_status="new", to_status="mql", changed_at=at("2025-12-20 10:00")
    )
    LeadStatusChange.objects.create(
        lead=lead, from_status="mql", to_status="sql", changed_at=at("2026-02-01 10:00")
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=at("2025-12-01 10:00"))
    make_lead("late@x.example", status=Lead.Status.MQL, created_at=at("2026-01-05 10:00"))
    deal = opportunity(
        acme,
        Opportunity.Stage.WON,
        date(2026, 3, 1),
        created="2025-12-01",
        closed_at=at("2026-03-01 12:00"),
    )
    OpportunityStageChange.objects.create(
        opportunity=deal, to_stage="discovery", changed_at=at("2025-12-01 00:00")
    )
    OpportunityStageChange.objects.create(
        opportunity=deal, from_stage="discovery", to_stage="won", changed_at=at("2026-03-01 12:00")
    )
    plan = actions.create_plan(
        cast["mona"], name="FY2026", fiscal_year=2026, first_month=1, values=values()
    )
    with time_machine.travel(at("2026-06-01 09:00"), tick=False):
        found = rolling.carry_in(plan.current.funnel_inputs())
    assert found == {
        "mql": {date(2026, 2, 1): Fraction(84, 1000)},
        "opportunity": {date(2026, 3, 1): Fraction(1)},
    }


# --- Next year's months -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_last_months_plan_for_the_next_signed_plan_and_else_for_growth(cast):
    this = signed(plan_2027(cast, lags={"opp_won": 31}), cast)
    alone = funnel_of(this.in_force)
    assert alone.monthly["opportunity"][11] == 56  # January 2028 = January 2027's 14 deals
    following = actions.create_plan(
        cast["mona"],
        name="FY2028",
        fiscal_year=2028,
        first_month=1,
        values=values(target=D("27120000")),  # 240 deals: 20 a month
    )
    assert funnel_of(this.in_force).monthly["opportunity"][11] == 56  # a draft is not signed
    signed(following, cast)
    rolled = funnel_of(this.in_force)
    assert rolled.inputs.next_deals[:2] == (D(20), D(20))
    assert rolled.monthly["opportunity"][11] == 80 == rolled.for_next["opportunity"][11]


@pytest.mark.django_db
def test_a_plan_cannot_start_inside_another_plans_year(cast):
    plan_2027(cast)
    with pytest.raises(ValidationError) as refused:
        actions.create_plan(
            cast["mona"], name="Mid-year", fiscal_year=2027, first_month=4, values=values()
        )
    assert "FY2027 covers January 2027 to December 2027" in str(refused.value)
    assert Plan.objects.count() == 1
    # The same year (an alternative) and the next year are fine.
    actions.create_plan(cast["mona"], name="Alt", fiscal_year=2027, first_month=1, values=values())
    actions.create_plan(cast["mona"], name="Next", fiscal_year=2028, first_month=1, values=values())


# --- Bad input at every door --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"growth": D("-1.5")}, "growth", "between -100% and 1,000%"),
        ({"growth": D("10.5")}, "growth", "between -100% and 1,000%"),
        ({"coverage": D(0)}, "coverage", "Pipeline coverage must be above 0"),
        ({"coverage": D(-2)}, "coverage", "Pipeline coverage must be above 0"),
    ],
)
def test_the_verb_refuses_growth_and_coverage_out_of_range(cast, change, field, words):
    with pytest.raises(ValidationError) as refused:
        plan_2027(cast, **change)
    assert words in str(refused.value.message_dict[field])
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_the_form_refuses_growth_and_coverage_out_of_range_and_keeps_them(client, cast):
    client.force_login(cast["mona"])
    page = client.post("/plans/new/", _form(growth="-150", coverage="0")).content.decode()
    assert "greater than or equal to -100" in page
    assert "greater than or equal to 0.01" in page
    assert not Plan.objects.exists()
    client.post("/plans/new/", _form(growth="12.5", coverage="4"))
    revision = Plan.objects.get().current
    assert (revision.growth, revision.coverage) == (D("0.125"), D(4))


@pytest.mark.django_db
def test_the_api_refuses_growth_and_coverage_out_of_range(client, cast):
    mona = tokens.issue_token(cast["mona"], name="ops", scope="write")[1]
    for bad, words in (({"growth": "11"}, "growth"), ({"coverage": "0"}, "coverage")):
        answer = _api(client, "post", "/plans", mona, {**API_PLAN, **bad})
        assert answer.status_code == 422 and words in answer.content.decode()
    assert not Plan.objects.exists()
    made = _api(client, "post", "/plans", mona, {**API_PLAN, "growth": "0.2"})
    assert made.status_code == 201 and made.json()["current"]["growth"] == "0.2000"


def test_the_cli_takes_growth_and_a_carry_in_file_and_refuses_bad_ones(tmp_path, capsys):
    args = [
        "plan",
        "funnel",
        "--target=18984000",
        "--asp=113000",
        "--rates=" + ",".join(f"{k}={v}" for k, v in SEED_RATES.items()),
        "--start=2027-01",
        "--lags=opp_won=31",
        "--json",
    ]
    carry = tmp_path / "open.csv"
    carry.write_text("stage,date,count\nsql,2026-12-20,10\nproposal,2027-01-20,4\n")
    call_command(*args, "--growth=0.5", f"--carry-in={carry}")
    data = json.loads(capsys.readouterr().out)
    # 10 SQLs x 80% x 25% = 2 deals in January (Dec 20 + 31 days); 4 proposals x 25% = 1.
    assert data["carry_in"] == {"deals": "3.00", "by_month": {"2027-01": "3.00"}}
    assert data["growth"] == "0.5"
    assert data["for_next_year"]["opportunity"] == [{"month": "2027-12", "count": 84}]
    # January's 14 deals needed December's MQLs; the 3 in flight cover 3 of them.
    assert data["start_gap"]["deals"] == 11

    bad = tmp_path / "bad.csv"
    bad.write_text("stage,date,count\nsql,2026-12-20,10\nhot lead,2026-12-01,1\n")
    with pytest.raises(CommandError, match="row 2: unknown stage 'hot lead'"):
        call_command(*args, f"--carry-in={bad}")
    far = tmp_path / "far.csv"
    far.write_text("stage,date,count\nmql,9999-12-31,1\n")
    with pytest.raises(CommandError, match="row 1: Choose a day from"):
        call_command(*args, f"--carry-in={far}")
    with pytest.raises(CommandError, match="growth: Growth for next year must be between"):
        call_command(*args, "--growth=-2")
    with pytest.raises(CommandError, match="cannot read"):
        call_command(*args, f"--carry-in={tmp_path / 'missing.csv'}")


@pytest.mark.django_db
def test_the_forecast_of_a_plan_to_come_counts_the_open_pipeline_once(cast, acme):
    """FY2027 with a 60-day sales cycle, seen on Dec 6, 2026. April's 14 deals need
    opportunities created from Jan 31 to Mar 1 (60 days earlier): 1/30 of them on Jan 31,
    28/30 in February, 1/30 on Mar 1. 40 open proposals due to close in April stand for 10
    of those deals (at the plan's 25%: no deal has closed yet), the earliest first: January's
    0.47 deals and 9.53 of February's. The forecast counts the proposals as open pipeline,
    and the plan's January and February ask for 40 fewer opportunities (1.9 and 38.1),
    not for the same deals again."""
    from accord.analytics.pacing import periods
    from accord.scoreboard.queries import scoreboard

    plan = signed(plan_2027(cast, lags={"opp_won": 60}), cast)
    now = at("2026-12-06 09:00")
    year = periods(plan.months)[0]
    with time_machine.travel(now, tick=False):
        before = scoreboard(plan.in_force, year, now)["forecast"]
        for i in range(40):
            opportunity(acme, Opportunity.Stage.PROPOSAL, date(2027, 4, 15), name=f"P{i}")
        after = scoreboard(plan.in_force, year, now)["forecast"]
    planned = {f.month: f.opportunities for f in before.future}
    credited = {f.month: f.opportunities for f in after.future}
    assert planned[JAN] + planned[FEB] - credited[JAN] - credited[FEB] == 40
    assert planned[FEB] - credited[FEB] in (38, 39)
    assert [(line.stage, line.count) for line in after.open] == [("proposal", 40)]
    assert sum(credited.values()) == sum(planned.values()) - 40


@pytest.mark.django_db
def test_the_api_refuses_a_plan_starting_inside_another_plans_year(client, cast):
    plan_2027(cast)
    mona = tokens.issue_token(cast["mona"], name="ops", scope="write")[1]
    answer = _api(client, "post", "/plans", mona, {**API_PLAN, "name": "Mid", "first_month": 4})
    assert answer.status_code == 422
    assert "FY2027 covers January 2027 to December 2027" in answer.content.decode()
    assert Plan.objects.count() == 1


@pytest.mark.django_db
def test_the_form_refuses_a_plan_starting_inside_another_plans_year(client, cast):
    plan_2027(cast)
    client.force_login(cast["mona"])
    page = client.post("/plans/new/", _form(name="Mid", first_month="4"))
    assert page.status_code == 200
    assert "FY2027 covers January 2027 to December 2027" in page.content.decode()
    assert Plan.objects.count() == 1
