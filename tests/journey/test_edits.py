"""Changing and deleting stages and deliverables, through the API and the pages: the same
verbs, the same rules, a refusal naming the field (or the deliverables in the way), and a
signed map's change going into a new draft version."""

from datetime import date

import pytest

from accord.journey import actions
from accord.journey.models import Deliverable, JourneyRevision, Stage
from accord.people import tokens
from accord.people.models import AuditLog

Anchor = Deliverable.Anchor


@pytest.fixture
def items(cast, stages, campaign):
    mona = cast["mona"]
    brief = actions.add_deliverable(
        mona, stages["Awareness"], title="Launch brief", anchor=Anchor.CAMPAIGN,
        anchor_campaign=campaign, offset_days=-5, work_days=5,
    )  # fmt: skip
    calls = actions.add_deliverable(
        mona, stages["Evaluation"], title="Call list", anchor=Anchor.DELIVERABLE,
        anchor_deliverable=brief, offset_days=2, owner_role="Account executive",
    )  # fmt: skip
    return {"brief": brief, "calls": calls}


@pytest.fixture
def signed(cast, journey, items):
    revision = actions.propose(cast["mona"], journey)
    actions.approve(cast["carol"], revision)
    actions.approve(cast["victor"], revision)
    return revision


@pytest.fixture
def write(cast):
    return {
        who: tokens.issue_token(cast[who], name="t", scope="write")[1] for who in ("mona", "alice")
    }


def test_the_api_changes_a_stage_and_a_signed_map_gets_a_new_draft(
    cast, journey, stages, signed, write, api
):
    stage = stages["Evaluation"]
    changed = api("patch", f"/stages/{stage.pk}", write["mona"], {"name": "Trial", "order": 1})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["order"]) == ("Trial", 1)
    assert list(journey.stages.values_list("name", flat=True)) == ["Trial", "Awareness"]
    latest = journey.revision
    assert (latest.number, latest.status) == (2, JourneyRevision.Status.DRAFT)
    assert journey.in_force == signed  # v1 stays in force until v2 is signed


def test_the_api_refuses_a_bad_stage_change_naming_the_field(cast, stages, write, api):
    stage = stages["Evaluation"]
    refused = api("patch", f"/stages/{stage.pk}", write["mona"], {"role": "Astronaut"})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("role: Sales has no role 'Astronaut'")
    refused = api("patch", f"/stages/{stage.pk}", write["mona"], {"team_id": 9999})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("team_id:")
    denied = api("patch", f"/stages/{stage.pk}", write["alice"], {"name": "Mine"})
    assert denied.status_code == 403
    stage.refresh_from_db()
    assert (stage.name, stage.role) == ("Evaluation", "Sales manager")


def test_the_api_changes_a_deliverable_and_its_followers_move(cast, items, write, api):
    brief, calls = items["brief"], items["calls"]
    changed = api(
        "patch", f"/deliverables/{brief.pk}", write["mona"],
        {"anchor": "fixed", "fixed_on": "2026-03-20"},
    )  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["deliverable"]["due_on"] == "2026-03-20"
    [moved] = changed.json()["moved"]
    assert (moved["title"], moved["now"]) == ("Call list", "2026-03-24")
    calls.refresh_from_db()
    assert calls.due_on == date(2026, 3, 24)


def test_the_api_refuses_a_bad_deliverable_change_and_stores_nothing(cast, items, write, api):
    brief = items["brief"]
    refused = api(
        "patch", f"/deliverables/{brief.pk}", write["mona"],
        {"anchor": "deliverable", "anchor_deliverable_id": items["calls"].pk},
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("anchor_deliverable: The anchors would go round")
    refused = api("patch", f"/deliverables/{brief.pk}", write["mona"], {"title": ""})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("title:")
    denied = api("patch", f"/deliverables/{brief.pk}", write["alice"], {"title": "Mine"})
    assert denied.status_code == 403
    brief.refresh_from_db()
    assert (brief.title, brief.anchor) == ("Launch brief", Anchor.CAMPAIGN)


def test_the_api_deletes_a_deliverable_unless_others_hang_on_it(cast, items, write, api):
    brief, calls = items["brief"], items["calls"]
    refused = api("delete", f"/deliverables/{brief.pk}", write["mona"])
    assert refused.status_code == 422
    assert "Call list hangs on Launch brief" in refused.json()["detail"]
    assert api("delete", f"/deliverables/{calls.pk}", write["alice"]).status_code == 403
    assert api("delete", f"/deliverables/{calls.pk}", write["mona"]).status_code == 204
    assert api("delete", f"/deliverables/{brief.pk}", write["mona"]).status_code == 204
    assert not Deliverable.objects.exists()
    assert AuditLog.objects.filter(action="journey.deliverable_deleted").count() == 2


def test_the_api_deletes_a_stage_unless_another_stage_hangs_on_it(
    cast, journey, stages, items, write, api
):
    awareness, evaluation = stages["Awareness"], stages["Evaluation"]
    refused = api("delete", f"/stages/{awareness.pk}", write["mona"])
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("stage: Call list hangs on Launch brief")
    assert api("delete", f"/stages/{evaluation.pk}", write["alice"]).status_code == 403
    assert api("delete", f"/stages/{evaluation.pk}", write["mona"]).status_code == 204
    assert api("delete", f"/stages/{awareness.pk}", write["mona"]).status_code == 204
    assert not Stage.objects.filter(journey=journey).exists()
    assert api("delete", f"/stages/{awareness.pk}", write["mona"]).status_code == 404


def test_deleting_the_first_stage_moves_the_others_up(cast, journey, stages):
    actions.delete_stage(cast["mona"], stages["Awareness"])
    assert list(journey.stages.values_list("name", "order")) == [("Evaluation", 1)]


def test_the_pages_delete_after_asking_and_name_what_is_in_the_way(cast, items, login):
    brief, calls = items["brief"], items["calls"]
    page = login(cast["mona"]).get(f"/journeys/deliverables/{brief.pk}/edit/").content.decode()
    assert 'data-confirm="Delete Launch brief?"' in page
    assert "accord/confirm.js" in page
    client = login(cast["mona"])
    refused = client.post(f"/journeys/deliverables/{brief.pk}/delete/", follow=True)
    assert "Call list hangs on Launch brief" in refused.content.decode()
    assert Deliverable.objects.filter(pk=brief.pk).exists()
    assert client.get(f"/journeys/deliverables/{calls.pk}/delete/").status_code == 405
    done = client.post(f"/journeys/deliverables/{calls.pk}/delete/")
    assert done.status_code == 302 and not Deliverable.objects.filter(pk=calls.pk).exists()


def test_members_may_not_delete_on_the_pages(cast, stages, items, login):
    client = login(cast["alice"])
    assert client.post(f"/journeys/deliverables/{items['calls'].pk}/delete/").status_code == 403
    assert client.post(f"/journeys/stages/{stages['Evaluation'].pk}/delete/").status_code == 403
    assert Deliverable.objects.count() == 2 and Stage.objects.count() == 2


def test_a_deliverable_measuring_a_goal_cannot_be_deleted(cast, items, clock):
    from decimal import Decimal as D

    from accord.plan import actions as plan_actions

    rates = {"lead_mql": D("0.1"), "mql_sal": D("0.7"), "sal_sql": D("0.6"),
             "sql_opp": D("0.8"), "opp_won": D("0.25")}  # fmt: skip
    plan = plan_actions.create_plan(
        cast["mona"], name="FY2026", fiscal_year=2026, first_month=1,
        values=plan_actions.PlanValues(
            target=D(1200000), asp=D(100000), rates=rates, lags={}, basis={},
            shares={"marketing": D(1)}, seasonality=[D(1)] * 12,
            goals={"mql": (cast["mike"], date(2026, 6, 30))},
        ),
    )  # fmt: skip
    actions.set_goal_measure(cast["mona"], plan.current.goals.get(), "deliverable", items["calls"])
    with pytest.raises(Exception) as refused:
        actions.delete_deliverable(cast["mona"], items["calls"])
    assert "The mql goal of FY2026 is measured by Call list" in str(refused.value)
