"""SMART goals: a plan goal's measure (its stage's number, or a journey deliverable) and its
status, worked out on a hand-made history with the clock fixed (Monday 2 March 2026, 10:00
UTC; the journey fixtures' company).

The plan, FY2026 from January: $1.2M at $100,000 a deal with no lag and even months, so it
plans one won deal a month. The won goal, owned by sam, is due 31 March 2026: three deals by
then (January, February, March).
"""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from accord.crm.models import Account, Opportunity
from accord.journey import actions
from accord.journey.models import Deliverable, GoalMeasure
from accord.people.models import AuditLog
from accord.plan import actions as plan_actions
from accord.plan import goals as plan_goals
from accord.plan.models import PlanGoal

RATES = {"lead_mql": "0.1", "mql_sal": "0.7", "sal_sql": "0.6", "sql_opp": "0.8", "opp_won": "0.25"}


def won(*days: date) -> None:
    account = Account.objects.get_or_create(
        name="Acme",
        defaults={"domain": "acme.test", "created_at": datetime(2025, 1, 1, tzinfo=UTC)},
    )[0]
    for i, day in enumerate(days):
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        Opportunity.objects.create(
            name=f"Deal {i}", account=account, amount=D(100000), stage=Opportunity.Stage.WON,
            created_at=moment, close_date=day, closed_at=moment,
        )  # fmt: skip


@pytest.fixture
def plan(cast, clock):
    values = plan_actions.PlanValues(
        target=D(1200000), asp=D(100000), rates={k: D(v) for k, v in RATES.items()},
        lags={}, basis={}, shares={"marketing": D("0.6"), "sales": D("0.4")},
        seasonality=[D(1)] * 12,
        goals={
            "won": (cast["sam"], date(2026, 3, 31)),
            "mql": (cast["mike"], date(2026, 6, 30)),
            "sql": (None, date(2026, 6, 30)),
            "lead": (cast["mike"], None),
        },
    )  # fmt: skip
    plan = plan_actions.create_plan(
        cast["mona"], name="FY2026", fiscal_year=2026, first_month=1, values=values
    )
    plan_actions.approve(cast["carol"], plan.current)
    plan_actions.approve(cast["victor"], plan.current)
    return plan


def goal(plan, stage: str) -> PlanGoal:
    return plan.in_force.goals.get(stage=stage)


@pytest.fixture
def brief(cast, journey, stages):
    return actions.add_deliverable(
        cast["mona"], stages["Awareness"], title="Launch brief", anchor="fixed",
        fixed_on=date(2026, 3, 20), work_days=5,
    )  # fmt: skip


def status(plan, stage: str) -> plan_goals.GoalStatus:
    return plan_goals.statuses(plan.in_force)[stage]


def test_a_goal_without_a_measure_says_so(plan):
    assert status(plan, "won").status == "no_measure"
    assert status(plan, "won").label == "No measure"


@pytest.mark.parametrize(
    "deals, expected",
    [
        # two by now against a pace of just over two: on track
        ((date(2026, 1, 20), date(2026, 2, 10)), "on_track"),
        # one against just over two: behind the pace, at risk
        ((date(2026, 1, 20),), "at_risk"),
        # three already: the goal is met early
        ((date(2026, 1, 20), date(2026, 2, 10), date(2026, 3, 2)), "met"),
    ],
)
def test_a_funnel_goal_follows_the_stage_against_the_plan_to_its_due_date(
    plan, cast, clock, deals, expected
):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "funnel")
    won(*deals)
    found = status(plan, "won")
    assert found.status == expected
    assert found.measure == "3 Deals won by 31 Mar 2026"
    assert found.detail.startswith(f"{len(deals)} so far")


def test_a_funnel_goal_short_at_its_due_date_is_missed(plan, cast, clock):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "funnel")
    won(date(2026, 1, 20), date(2026, 2, 10))
    clock.move_to(datetime(2026, 4, 1, 9, tzinfo=UTC))
    found = status(plan, "won")
    assert (found.status, found.detail) == ("missed", "2 by the due date, 1 short")
    won(date(2026, 4, 1))  # a deal after the due date does not make it met
    assert status(plan, "won").status == "missed"


def test_a_deliverable_goal_is_met_when_done_by_the_due_date(plan, cast, clock, brief):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "deliverable", brief)
    found = status(plan, "won")
    assert (found.status, found.measure) == ("on_track", "Launch brief done by 31 Mar 2026")
    clock.move_to(datetime(2026, 3, 20, 10, tzinfo=UTC))  # most of its five days gone
    assert status(plan, "won").status == "at_risk"
    actions.complete(cast["mike"], brief)
    assert status(plan, "won").status == "met"


def test_a_deliverable_goal_still_open_after_the_due_date_is_missed(plan, cast, clock, brief):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "deliverable", brief)
    clock.move_to(datetime(2026, 4, 1, 10, tzinfo=UTC))
    assert status(plan, "won").status == "missed"
    actions.complete(cast["mike"], brief)  # done, but after the goal's date
    found = status(plan, "won")
    assert (found.status, found.detail) == ("missed", "Done 1 Apr 2026, after the goal's date")


def test_the_measure_survives_a_new_revision_of_the_plan(plan, cast):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "funnel")
    current = plan.current
    plan_actions.change_plan(
        cast["mona"], plan,
        plan_actions.PlanValues(
            target=D(2400000), asp=current.asp, rates=current.funnel_inputs().rates, lags={},
            basis={}, shares={"marketing": D("0.6"), "sales": D("0.4")},
            seasonality=[D(1)] * 12,
        ),
    )  # fmt: skip
    found = plan_goals.statuses(plan.current)["won"]
    assert found.measure == "6 Deals won by 31 Mar 2026"  # the new draft's figure: two a month


@pytest.mark.parametrize(
    "stage, field",
    [("sql", "owner"), ("lead", "due_on")],
)
def test_a_goal_without_an_owner_or_due_date_cannot_be_measured(plan, cast, stage, field):
    with pytest.raises(ValidationError) as refused:
        actions.set_goal_measure(cast["mona"], goal(plan, stage), "funnel")
    assert field in refused.value.message_dict
    assert "before measuring it" in refused.value.message_dict[field][0]
    assert not GoalMeasure.objects.exists()


def test_a_deliverable_of_another_period_is_refused_naming_it(plan, cast, clock, teams, roles):
    later = actions.create_journey(
        cast["mona"], name="FY2027 journey", starts_on=date(2027, 1, 4), ends_on=date(2027, 6, 30)
    )
    stage = actions.add_stage(
        cast["mona"], later, name="Awareness", team=teams["marketing"],
        role="Product marketing manager", funnel_step="lead_mql",
    )  # fmt: skip
    other = actions.add_deliverable(
        cast["mona"], stage, title="Next year's brief", anchor="fixed", fixed_on=date(2027, 2, 1)
    )
    with pytest.raises(ValidationError) as refused:
        actions.set_goal_measure(cast["mona"], goal(plan, "won"), "deliverable", other)
    message = refused.value.message_dict["deliverable"][0]
    assert "FY2027 journey" in message and "outside FY2026" in message
    with pytest.raises(ValidationError) as refused:
        actions.set_goal_measure(cast["mona"], goal(plan, "won"), "deliverable", None)
    assert "Choose the deliverable" in refused.value.message_dict["deliverable"][0]
    assert not GoalMeasure.objects.exists()


def test_members_cannot_choose_a_measure(plan, cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.set_goal_measure(cast["alice"], goal(plan, "won"), "funnel")


def test_setting_a_measure_is_audited(plan, cast):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "funnel")
    entry = AuditLog.objects.filter(action="journey.goal_measured").get()
    assert entry.summary == "Measured the won goal of FY2026 by the stage's number by 2026-03-31"


def test_the_plan_page_shows_each_goals_status(client, plan, cast, clock, brief):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "funnel")
    actions.set_goal_measure(cast["mona"], goal(plan, "mql"), "deliverable", brief)
    won(date(2026, 1, 20))
    client.force_login(cast["alice"])
    page = client.get(plan.get_absolute_url()).content.decode()
    # beside the owner in the funnel, and in the goals table with the measure and the detail
    assert '<a href="#goal-won" class="status status-at_risk">At risk</a>' in page
    won_row = page[page.index('<tr id="goal-won">') :].split("</tr>")[0]
    assert "<td>3 Deals won by 31 Mar 2026</td>" in won_row
    assert "1 so far; 49% of the pace to date" in won_row
    assert "Launch brief done by 30 Jun 2026" in page
    assert '<span class="status status-no_measure">No measure</span>' in page  # lead, sql


def test_the_goals_page_sets_a_measure_and_says_what_is_wrong(client, plan, cast, clock, brief):
    client.force_login(cast["mona"])
    response = client.post("/journeys/goals/", {"goal": goal(plan, "sql").pk, "kind": "funnel"})
    assert response.status_code == 200
    assert "The sql goal has no owner" in response.content.decode()
    assert not GoalMeasure.objects.exists()
    response = client.post(
        "/journeys/goals/",
        {"goal": goal(plan, "mql").pk, "kind": "deliverable", "deliverable": brief.pk},
    )
    assert response.status_code == 302
    measure = GoalMeasure.objects.get()
    assert (measure.stage, measure.deliverable) == ("mql", brief)
    page = client.get("/journeys/goals/").content.decode()
    assert "Launch brief done by 30 Jun 2026" in page


def test_only_plan_editors_post_on_the_goals_page(client, plan, cast):
    client.force_login(cast["alice"])
    assert client.get("/journeys/goals/").status_code == 200
    response = client.post("/journeys/goals/", {"goal": goal(plan, "won").pk, "kind": "funnel"})
    assert response.status_code == 403
    assert not Deliverable.objects.exists() and not GoalMeasure.objects.exists()


def test_the_accountability_page_shows_the_goals_with_their_status(client, plan, cast, clock):
    actions.set_goal_measure(cast["mona"], goal(plan, "won"), "funnel")
    won(date(2026, 1, 20), date(2026, 2, 10))
    client.force_login(cast["alice"])
    page = client.get("/journeys/accountability/").content.decode()
    assert "Goals of FY2026" in page
    assert '<span class="status status-on_track">On track</span>' in page
    assert "3 Deals won by 31 Mar 2026" in page
