"""Working a lead: follow-ups, status changes and reassignment, and who may do them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.crm.models import Activity, Lead, LeadOwnerChange, LeadStatusChange
from tests.factories import T0

pytestmark = pytest.mark.django_db


def follow_up(client, lead, **data):
    payload = {"kind": "call", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    payload.update(data)
    return client.post(reverse("crm:lead_follow_up", args=[lead.pk]), payload, follow=True)


def test_a_member_logs_a_follow_up_on_their_own_lead(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice")
    response = follow_up(login(cast["alice"]), lead, outcome="Left a voicemail")
    assert "Logged call." in response.content.decode()
    activity = Activity.objects.get(lead=lead)
    assert (activity.user, activity.kind, activity.outcome) == (
        cast["alice"],
        "call",
        "Left a voicemail",
    )
    assert "Left a voicemail" in response.content.decode()  # on the timeline


def test_a_member_cannot_touch_someone_elses_lead(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="bob")
    client = login(cast["alice"])
    assert follow_up(client, lead).status_code == 403
    response = client.post(reverse("crm:lead_status", args=[lead.pk]), {"status": "mql"})
    assert response.status_code == 403
    assert not Activity.objects.exists()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


def test_a_viewer_cannot_change_anything_and_sees_no_forms(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice")
    client = login(cast["vera"])
    page = client.get(lead.get_absolute_url()).content.decode()
    assert "Log follow-up" not in page and "Change status" not in page
    assert follow_up(client, lead).status_code == 403
    assert (
        client.post(reverse("crm:lead_status", args=[lead.pk]), {"status": "mql"}).status_code
        == 403
    )
    assert not Activity.objects.exists()


def test_a_manager_works_their_teams_leads_but_not_other_teams(login, cast, make_lead):
    sales_lead = make_lead("ann@acme.example", owner="alice")
    marketing_lead = make_lead("max@acme.example", owner="mike")
    client = login(cast["sam"])  # sales manager
    assert follow_up(client, sales_lead).status_code == 200
    assert follow_up(client, marketing_lead).status_code == 403


def test_a_follow_up_in_the_future_or_before_the_lead_existed_is_refused(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice")
    client = login(cast["alice"])
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = follow_up(client, lead, occurred_at=future)
    assert "cannot be in the future" in response.content.decode()
    response = follow_up(client, lead, occurred_at="2020-01-01T10:00")
    assert "only exists since" in response.content.decode()
    response = follow_up(client, lead, kind="telepathy")
    assert "Select a valid choice" in response.content.decode()
    assert not Activity.objects.exists()


def test_changing_status_records_who_when_and_why(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.SQL)
    client = login(cast["alice"])
    url = reverse("crm:lead_status", args=[lead.pk])
    response = client.post(url, {"status": "rejected", "reason": ""}, follow=True)
    assert "needs a reason" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SQL

    client.post(url, {"status": "rejected", "reason": "No budget this year"})
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REJECTED
    change = LeadStatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status, change.reason, change.changed_by) == (
        "sql",
        "rejected",
        "No budget this year",
        cast["alice"],
    )
    assert lead.status_changed_at == change.changed_at


def test_accepting_or_rejecting_an_mql_by_hand_points_to_sales_review(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.MQL)
    client = login(cast["alice"])
    url = reverse("crm:lead_status", args=[lead.pk])
    for status in ("accepted", "rejected"):
        response = client.post(url, {"status": status, "reason": "No budget"}, follow=True)
        assert "with Sales review on this page" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MQL
    assert not LeadStatusChange.objects.filter(lead=lead).exists()


def test_customer_and_opportunity_cannot_be_set_by_hand(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice")
    client = login(cast["alice"])
    response = client.post(
        reverse("crm:lead_status", args=[lead.pk]), {"status": "customer"}, follow=True
    )
    assert "“customer” cannot be set by hand" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


def test_members_cannot_reassign_but_managers_route_within_their_team(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice")
    url = reverse("crm:lead_reassign", args=[lead.pk])
    assert login(cast["alice"]).post(url, {"owner": cast["bob"].pk}).status_code == 403

    client = login(cast["sam"])
    response = client.post(url, {"owner": cast["mike"].pk}, follow=True)  # mike is marketing
    assert "Select a valid choice" in response.content.decode()
    client.post(url, {"owner": cast["bob"].pk})
    lead.refresh_from_db()
    assert lead.owner == cast["bob"]
    change = LeadOwnerChange.objects.get(lead=lead)
    assert (change.from_owner, change.to_owner, change.changed_by) == (
        cast["alice"],
        cast["bob"],
        cast["sam"],
    )


def test_the_timeline_shows_touchpoints_activities_status_and_owner_changes(
    login, cast, make_lead, channels
):
    lead = make_lead("ann@acme.example", owner="alice")
    lead.touchpoints.create(
        channel=channels["webinar"], kind="webinar", occurred_at=T0 + timedelta(days=1)
    )
    lead.activities.create(
        user=cast["alice"], kind="email", occurred_at=T0 + timedelta(days=2), outcome="Sent intro"
    )
    LeadStatusChange.objects.create(lead=lead, from_status="", to_status="new", changed_at=T0)
    LeadOwnerChange.objects.create(lead=lead, to_owner=cast["alice"], changed_at=T0)
    page = login(cast["vera"]).get(lead.get_absolute_url()).content.decode()
    order = [page.index(text) for text in ("Sent intro", "Webinar attended", "Created as New")]
    assert order == sorted(order), "newest first"
    assert "Owner nobody → Alice" in page


def test_a_long_timeline_shows_the_newest_events_and_links_to_them_all(
    login, cast, make_lead, channels
):
    lead = make_lead("busy@acme.example", owner="alice")
    for day in range(70):
        lead.touchpoints.create(
            channel=channels["webinar"], kind="web_visit", occurred_at=T0 + timedelta(days=day)
        )
    lead.activities.create(
        user=cast["alice"], kind="call", occurred_at=T0 + timedelta(days=80), outcome="Booked"
    )
    client = login(cast["vera"])
    page = client.get(lead.get_absolute_url()).content.decode()
    assert page.count('class="tl tl-') == 50
    assert "Booked" in page  # the newest event is among them
    assert "The newest 50 of 71 events." in page and "?timeline=all" in page
    everything = client.get(lead.get_absolute_url() + "?timeline=all").content.decode()
    assert everything.count('class="tl tl-') == 71
    assert "The newest" not in everything


def test_unknown_pages_and_records_give_a_proper_404(login, cast):
    client = login(cast["alice"])
    for path in ("/leads/999999/", "/accounts/999999/", "/nowhere/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()


def test_user_text_is_escaped(login, cast, make_lead):
    lead = make_lead("x@acme.example", owner="alice", first_name="<script>alert(1)</script>")
    page = login(cast["alice"]).get(lead.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
