"""The journey's doors: the board and the other pages, the forms, the API and the calendar
feed, each refusing what the rules refuse."""

from datetime import date
from decimal import Decimal

import pytest
from icalendar import Calendar

from accord.journey import actions
from accord.journey.models import Deliverable, Journey
from accord.people import tokens

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


def test_the_board_shows_stages_across_with_owners_and_dates(cast, journey, items, login):
    page = login(cast["vera"]).get(f"/journeys/{journey.pk}/").content.decode()
    assert page.index("Awareness") < page.index("Evaluation")
    assert "Launch brief" in page and "Mike" in page and "due Mon 9 Mar" in page
    assert "Alice" in page and "(Account executive)" in page
    assert "5 business days before the launch of Spring launch (16 Mar)" in page
    assert "2 business days after Launch brief is done" in page
    assert "Mark done" not in page  # vera only reads
    assert "Propose for sign-off" not in page


def test_my_deliverables_lists_what_a_role_gives_me(cast, items, login):
    page = login(cast["alice"]).get("/journeys/mine/").content.decode()
    assert "Call list" in page and "Launch brief" not in page


def test_adding_a_deliverable_on_the_page_names_the_bad_field(cast, stages, login, campaign):
    client = login(cast["mona"])
    response = client.post(
        f"/journeys/stages/{stages['Awareness'].pk}/deliverables/new/",
        {"title": "Too early", "anchor": "campaign", "anchor_campaign": campaign.pk,
         "offset_days": -30, "work_days": 5},
    )  # fmt: skip
    assert response.status_code == 200
    assert "before the journey starts" in response.content.decode()
    assert not Deliverable.objects.filter(title="Too early").exists()


def test_a_member_may_not_open_the_forms_or_complete_anothers_work(cast, journey, items, login):
    client = login(cast["bob"])
    assert (
        client.get(f"/journeys/stages/{items['brief'].stage_id}/deliverables/new/").status_code
        == 403
    )
    assert client.post(f"/journeys/deliverables/{items['calls'].pk}/done/").status_code == 403
    items["calls"].refresh_from_db()
    assert items["calls"].completed_at is None


def test_signing_completing_and_moving_a_launch_through_the_pages(
    cast, journey, items, login, client, campaign
):
    login(cast["mona"]).post(f"/journeys/{journey.pk}/v1/propose/")
    login(cast["carol"]).post(f"/journeys/{journey.pk}/v1/approve/")
    login(cast["victor"]).post(f"/journeys/{journey.pk}/v1/approve/")
    journey.refresh_from_db()
    assert journey.in_force.number == 1
    response = login(cast["mona"]).post(
        f"/journeys/{journey.pk}/launch/", {"campaign": campaign.pk, "starts_on": "2026-03-23"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "2 open deliverable(s) moved" in page
    assert "Launch brief: 09 Mar → 16 Mar" in page and "Call list: 11 Mar → 18 Mar" in page


def test_the_api_lists_journeys_and_deliverables_with_status(cast, journey, items, api):
    _, raw = tokens.issue_token(cast["alice"], name="t", scope="read")
    [row] = api("get", "/journeys", raw).json()
    assert (row["id"], row["name"], row["status"]) == (journey.pk, "New-logo journey", "draft")
    found = api("get", f"/journeys/{journey.pk}/deliverables", raw).json()
    calls = next(d for d in found if d["title"] == "Call list")
    assert calls["owner"]["username"] == "alice" and calls["due_on"] == "2026-03-11"
    assert calls["status"] == "not_started"  # its five days of work start on 5 March
    assert api("post", f"/deliverables/{items['calls'].pk}/complete", raw).status_code == 403


def test_the_api_completes_only_for_those_the_rules_allow(cast, items, api):
    _, bobs = tokens.issue_token(cast["bob"], name="t", scope="write")
    refused = api("post", f"/deliverables/{items['calls'].pk}/complete", bobs)
    assert refused.status_code == 403 and "owner" in refused.json()["detail"]
    _, alices = tokens.issue_token(cast["alice"], name="t", scope="write")
    done = api("post", f"/deliverables/{items['calls'].pk}/complete", alices)
    assert done.status_code == 200 and done.json()["deliverable"]["status"] == "done"
    again = api("post", f"/deliverables/{items['calls'].pk}/complete", alices)
    assert again.status_code == 422 and "done already" in again.json()["detail"]


def test_the_calendar_feed_is_read_with_its_secret_and_nothing_else(cast, items, login, client):
    token = actions.issue_feed(cast["alice"])
    client.logout()
    response = client.get(f"/journeys/feed/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Call list"
    assert event.decoded("dtstart") == date(2026, 3, 11)
    assert client.get("/journeys/feed/not-the-token.ics").status_code == 404
    actions.issue_feed(cast["alice"])  # a new address retires the old one
    assert client.get(f"/journeys/feed/{token}.ics").status_code == 404


def test_a_journey_is_created_and_edited_on_its_form_with_percentages(cast, login):
    client = login(cast["mona"])
    response = client.post(
        "/journeys/new/",
        {"name": "Expansion journey", "starts_on": "2026-03-02", "ends_on": "2026-12-31",
         "at_risk_share": "80", "stuck_after_days": "3"},
    )  # fmt: skip
    journey = Journey.objects.get(name="Expansion journey")
    assert response.status_code == 302 and journey.at_risk_share == Decimal("0.8")
    form = client.get(f"/journeys/{journey.pk}/edit/").content.decode()
    assert 'value="80"' in form
    refused = client.post(
        f"/journeys/{journey.pk}/edit/",
        {"name": "Expansion journey", "starts_on": "2026-03-02", "ends_on": "2026-01-31",
         "at_risk_share": "80", "stuck_after_days": "3"},
    )  # fmt: skip
    assert "The journey ends after it starts" in refused.content.decode()


def test_the_api_adds_stages_and_deliverables_and_names_a_refused_field(
    cast, teams, journey, stages, api
):
    _, mona = tokens.issue_token(cast["mona"], name="t", scope="write")
    stage = api(
        "post", f"/journeys/{journey.pk}/stages", mona,
        {"name": "Purchase", "team_id": teams["sales"].pk, "role": "Sales manager",
         "funnel_step": "sql_opp"},
    )  # fmt: skip
    assert stage.status_code == 201 and stage.json()["order"] == 3
    added = api(
        "post", f"/stages/{stage.json()['id']}/deliverables", mona,
        {"title": "Pricing sheet", "anchor": "journey_start", "offset_days": 10},
    )  # fmt: skip
    assert added.status_code == 201
    assert (added.json()["due_on"], added.json()["owner"]["username"]) == ("2026-03-16", "sam")
    refused = api(
        "post", f"/stages/{stage.json()['id']}/deliverables", mona,
        {"title": "Too early", "anchor": "journey_start", "offset_days": -3},
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("offset_days: It would be due Wed 25 Feb 2026")
    _, alice = tokens.issue_token(cast["alice"], name="t", scope="write")
    denied = api(
        "post", f"/journeys/{journey.pk}/stages", alice,
        {"name": "X", "team_id": teams["sales"].pk, "role": "Sales manager",
         "funnel_step": "sql_opp"},
    )  # fmt: skip
    assert denied.status_code == 403
    assert Deliverable.objects.filter(title="Too early").count() == 0
