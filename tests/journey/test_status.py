"""Where a deliverable stands as the days pass, the alerts that escalate it (each once),
roles that move work when staff change, and the sign-off by both sides."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.analytics import journey as clock
from accord.journey import actions, escalation, queries
from accord.journey.models import Deliverable, JourneyRevision
from accord.people.models import Notification

Anchor = Deliverable.Anchor
ALERTS = ["journey.at_risk", "journey.late", "journey.stuck", "journey.escalated"]


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


@pytest.fixture
def brief(cast, stages):
    # Due Friday 13 March with ten business days of work: Monday 2 to Friday 13 March.
    return actions.add_deliverable(
        cast["mona"], stages["Awareness"], title="Launch brief", anchor=Anchor.FIXED,
        fixed_on=date(2026, 3, 13), work_days=10,
    )  # fmt: skip


def status_on(deliverable, moment) -> str:
    [row] = queries.rows(Deliverable.objects.filter(pk=deliverable.pk), moment)
    return row.status


def test_a_deliverable_goes_from_on_track_to_stuck_as_the_days_pass(brief):
    assert status_on(brief, at(2)) == clock.ON_TRACK
    assert status_on(brief, at(10)) == clock.ON_TRACK  # by its end, 7 of 10 days are gone
    assert status_on(brief, at(11)) == clock.AT_RISK  # by its end, 8 of 10
    assert status_on(brief, at(13)) == clock.AT_RISK
    assert status_on(brief, at(16)) == clock.LATE
    assert status_on(brief, at(20)) == clock.LATE  # five business days late
    assert status_on(brief, at(23)) == clock.STUCK  # six


def test_not_started_before_its_window_and_done_once_completed(cast, stages, brief):
    later = actions.add_deliverable(
        cast["mona"], stages["Awareness"], title="Case study", anchor=Anchor.FIXED,
        fixed_on=date(2026, 4, 30), work_days=5,
    )  # fmt: skip
    assert status_on(later, at(2)) == clock.NOT_STARTED
    actions.complete(cast["mike"], later, now=at(2))
    assert status_on(later, at(2)) == clock.DONE


def test_escalation_tells_the_owner_then_the_manager_then_the_leader_once_each(cast, brief, clock):
    def titles(user):
        return sorted(n.title for n in Notification.objects.filter(user=user, kind__in=ALERTS))

    clock.move_to(at(11))
    assert escalation.tick()["at_risk"] == 1
    assert escalation.tick()["notifications"] == 0  # once
    assert titles(cast["mike"]) == ["At risk: Launch brief is due Fri 13 Mar"]

    clock.move_to(at(16))
    escalation.tick()
    escalation.tick()
    assert titles(cast["mike"])[1] == "Late: Launch brief was due Fri 13 Mar"
    assert titles(cast["mona"]) == []  # his manager hears nothing yet

    clock.move_to(at(23))
    escalation.tick()
    escalation.tick()
    assert titles(cast["mona"]) == ["Stuck: Launch brief is 6 business days late"]
    assert titles(cast["carol"]) == []

    clock.move_to(at(27))  # ten business days late: not yet
    escalation.tick()
    assert titles(cast["carol"]) == []
    clock.move_to(at(30))  # eleven: still stuck after as many business days again
    escalation.tick()
    assert titles(cast["carol"]) == ["Escalated: Launch brief is 11 business days late"]
    assert len(titles(cast["mike"])) == 2 and len(titles(cast["mona"])) == 1


def test_a_tick_that_finds_it_already_stuck_sends_only_that(cast, brief, clock):
    clock.move_to(at(23))
    sent = escalation.tick()
    assert (sent["at_risk"], sent["late"], sent["stuck"]) == (0, 0, 1)
    assert not Notification.objects.filter(user=cast["mike"], kind__in=ALERTS).exists()


def test_a_change_of_staff_moves_the_work_to_the_new_holder(cast, teams, stages, brief):
    assert [r.deliverable for r in queries.my_deliverables(cast["mike"])] == [brief]
    newcomer = cast["mona"]  # mona takes over as product marketing manager
    actions.set_role(cast["ada"], teams["marketing"], "Product marketing manager", newcomer)
    assert queries.my_deliverables(cast["mike"]) == []
    assert [r.deliverable for r in queries.my_deliverables(newcomer)] == [brief]
    with pytest.raises(PermissionDenied):
        actions.complete(cast["mike"], brief)
    actions.complete(newcomer, brief)


def test_a_role_goes_only_to_a_member_of_its_team(cast, teams):
    with pytest.raises(ValidationError) as refused:
        actions.set_role(cast["ada"], teams["marketing"], "Product marketing manager", cast["bob"])
    assert "Bob is not an active member of Marketing" in refused.value.message_dict["holder"][0]


def test_who_may_mark_a_deliverable_done(cast, teams, stages):
    mona = cast["mona"]
    sales_item = actions.add_deliverable(
        mona, stages["Evaluation"], title="Call list", anchor=Anchor.FIXED,
        fixed_on=date(2026, 4, 1), owner_role="Account executive",
    )  # fmt: skip
    for outsider in ("bob", "mike", "mona", "carol", "vera"):
        with pytest.raises(PermissionDenied):
            actions.complete(cast[outsider], sales_item)
    for allowed in ("alice", "sam", "victor", "ada"):
        assert actions.complete_blocker(cast[allowed], sales_item) is None
    actions.complete(cast["sam"], sales_item)  # her manager


def test_the_map_is_signed_by_both_sides_and_a_change_starts_a_new_draft(cast, stages, journey):
    mona, carol, victor = cast["mona"], cast["carol"], cast["victor"]
    revision = actions.propose(mona, journey)
    assert Notification.objects.filter(user=carol, kind="signoff.asked").exists()
    with pytest.raises(PermissionDenied):
        actions.approve(cast["sam"], revision)
    actions.approve(carol, revision)
    with pytest.raises(ValidationError):
        actions.approve(cast["carol"], revision)  # marketing has signed
    revision = actions.approve(victor, revision)
    assert revision.status == JourneyRevision.Status.SIGNED
    assert revision.snapshot["stages"][0]["name"] == "Awareness"

    actions.add_deliverable(
        mona, stages["Awareness"], title="New item", anchor=Anchor.FIXED, fixed_on=date(2026, 4, 1)
    )
    journey.refresh_from_db()
    assert journey.revision.number == 2 and journey.revision.status == "draft"
    assert journey.in_force == revision  # the signed map holds until v2 is signed
    v2 = actions.propose(mona, journey)
    actions.decline(victor, v2, "The SDR stage is missing.")
    v2.refresh_from_db()
    assert (v2.status, v2.decline_comment) == ("declined", "The SDR stage is missing.")
    assert journey.in_force == revision


def test_a_stage_is_healthy_or_not_from_its_step_this_month_against_the_plan(
    cast, journey, stages, make_lead
):
    from decimal import Decimal as D

    from accord.crm.models import Lead, LeadStatusChange
    from accord.plan import actions as plan_actions

    rates = {"lead_mql": D("0.3"), "mql_sal": D("0.7"), "sal_sql": D("0.6"), "sql_opp": D("0.8"),
             "opp_won": D("0.25")}  # fmt: skip
    plan = plan_actions.create_plan(
        cast["mona"], name="FY2026", fiscal_year=2026, first_month=1,
        values=plan_actions.PlanValues(
            target=D("1000000"), asp=D("50000"), rates=rates, lags={}, basis={},
            shares={"marketing": D("0.6"), "sales": D("0.3"), "partner": D("0.1")},
            seasonality=[D(1)] * 12,
        ),
    )  # fmt: skip
    revision = plan.current
    plan_actions.approve(cast["carol"], revision)
    plan_actions.approve(cast["victor"], revision)
    # 25 leads this month (March), 5 of them MQLs: 20% against the plan's 30%.
    for n in range(25):
        lead = make_lead(f"lead{n}@example.com")
        Lead.objects.filter(pk=lead.pk).update(created_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
        if n < 5:
            LeadStatusChange.objects.create(
                lead=lead, from_status="new", to_status="mql",
                changed_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
            )  # fmt: skip

    found = queries.board(journey)
    health = {c.stage.name: c.health for c in found["columns"]}
    awareness = health["Awareness"]
    assert (awareness["rate"], awareness["numerator"], awareness["denominator"]) == (
        D("0.2"),
        5,
        25,
    )
    assert (awareness["plan_rate"], awareness["verdict"]) == (D("0.3"), "unhealthy")
    assert health["Evaluation"]["verdict"] == "too_few"  # no accepted lead this month


def test_the_weekly_digest_names_late_and_stuck_deliverables_with_their_owners(
    cast, brief, stages, clock
):
    from accord.scoreboard import digest

    actions.add_deliverable(
        cast["mona"], stages["Evaluation"], title="Call list", anchor=Anchor.FIXED,
        fixed_on=date(2026, 3, 18), owner_role="Account executive",
    )  # fmt: skip
    clock.move_to(at(23))
    late = queries.late_deliverables()
    assert [(r.deliverable.title, r.status) for r in late] == [
        ("Launch brief", "stuck"), ("Call list", "late")
    ]  # fmt: skip
    found = digest.build(at(23))
    [marketing] = [line for line in found.marketing if line.label.startswith("Journey")]
    assert marketing.owner == "Mike"
    assert marketing.figure == "1 late, 1 of them stuck: Launch brief (6 business days)"
    [sales] = [line for line in found.sales if line.label.startswith("Journey")]
    assert (sales.owner, sales.figure) == ("Alice", "1 late: Call list (3 business days)")
