"""What both teams sign tells the people concerned: a proposal asks the leaders who may sign
it, each approval and the thing taking effect tell whoever proposed it."""

from decimal import Decimal as D

import pytest

from accord.people.models import Notification
from accord.plan import actions as plan_actions
from accord.qualify import actions as qualify_actions
from tests.factories import WORLD_DEFINITION

pytestmark = pytest.mark.django_db


def told(user) -> list[tuple[str, str]]:
    return [(n.kind, n.title) for n in Notification.objects.filter(user=user).order_by("pk")]


def plan_values() -> plan_actions.PlanValues:
    return plan_actions.PlanValues(
        target=D("1200000"),
        asp=D("10000"),
        rates={
            "lead_mql": D("0.1"), "mql_sal": D("0.5"), "sal_sql": D("0.5"),
            "sql_opp": D("0.8"), "opp_won": D("0.25"),
        },
        lags={}, basis={}, shares={"marketing": D("0.5"), "sales": D("0.5")},
        seasonality=[D(1)] * 12,
    )  # fmt: skip


def test_a_new_plan_asks_both_leaders_and_their_approvals_tell_its_author(cast):
    plan = plan_actions.create_plan(
        cast["mona"], name="FY2026", fiscal_year=2026, first_month=1, values=plan_values()
    )
    asked = ("signoff.asked", "Please sign FY2026: revision 1")
    assert told(cast["carol"]) == [asked] and told(cast["victor"]) == [asked]
    assert told(cast["mona"]) == [] and told(cast["sam"]) == []  # managers do not sign
    note = Notification.objects.get(user=cast["carol"])
    assert note.url == f"/plans/{plan.pk}/" and "Mona drafted revision 1" in note.body

    plan_actions.approve(cast["carol"], plan.current)
    plan_actions.approve(cast["victor"], plan.current)
    assert told(cast["mona"]) == [
        ("signoff.approved", "FY2026 revision 1 approved for marketing"),
        ("signoff.approved", "FY2026 revision 1 is in force"),
    ]
    assert (
        "it now needs a sales leader"
        in Notification.objects.filter(user=cast["mona"]).order_by("pk")[0].body
    )


def test_a_new_revision_asks_again_and_an_edited_draft_does_not(cast):
    plan = plan_actions.create_plan(
        cast["sam"], name="FY2026", fiscal_year=2026, first_month=1, values=plan_values()
    )
    plan_actions.change_plan(cast["sam"], plan, plan_values(), note="same numbers")
    assert len(told(cast["victor"])) == 1  # the draft nobody signed yet: asked once
    plan_actions.approve(cast["carol"], plan.current)
    plan_actions.change_plan(cast["sam"], plan, plan_values(), note="again")
    assert told(cast["victor"])[-1] == ("signoff.asked", "Please sign FY2026: revision 2")


def test_a_proposed_definition_asks_the_leaders_but_not_its_proposer(cast):
    draft = qualify_actions.create_definition(cast["carol"], WORLD_DEFINITION)
    qualify_actions.propose(cast["carol"], draft)
    asked = ("signoff.asked", "Please sign the lead definition v1: Fit and intent")
    assert told(cast["victor"]) == [asked]
    assert told(cast["carol"]) == []  # she proposed it: she may not sign it


def test_approvals_and_activation_tell_the_proposer(cast):
    draft = qualify_actions.create_definition(cast["mona"], WORLD_DEFINITION)
    definition = qualify_actions.propose(cast["mona"], draft)
    qualify_actions.approve(cast["victor"], definition)
    qualify_actions.approve(cast["carol"], definition)
    qualify_actions.activate(cast["sam"], definition)
    assert told(cast["mona"]) == [
        ("signoff.approved", "Lead definition v1 approved for sales"),
        ("signoff.approved", "Lead definition v1 approved by both teams"),
        ("signoff.activated", "Lead definition v1 is live"),
    ]
    assert told(cast["sam"]) == []  # he did it himself


def test_a_withdrawn_and_proposed_again_definition_asks_again(cast):
    draft = qualify_actions.create_definition(cast["mona"], WORLD_DEFINITION)
    definition = qualify_actions.propose(cast["mona"], draft)
    qualify_actions.approve(cast["victor"], definition)
    qualify_actions.withdraw(cast["mona"], definition)
    qualify_actions.propose(cast["mona"], definition)
    assert [kind for kind, _ in told(cast["carol"])] == ["signoff.asked", "signoff.asked"]
    assert [kind for kind, _ in told(cast["victor"])] == ["signoff.asked", "signoff.asked"]
