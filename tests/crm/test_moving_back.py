"""Moving a lead back down the funnel stops its follow-up clocks: a member hands a lead back
through Sales review; a manager or leader may move it back, with a reason. The same rule at
every door (the lead page, the bulk API, the CSV import), and the status form offers only
what the rule allows."""

import pytest
from django.urls import reverse

from accord.crm.models import Lead, LeadStatusChange
from accord.imports.csv_import import run_import
from accord.people import tokens

pytestmark = pytest.mark.django_db


def set_status(client, lead, status, reason=""):
    url = reverse("crm:lead_status", args=[lead.pk])
    return client.post(url, {"status": status, "reason": reason}, follow=True)


def offered(client, lead) -> list[str]:
    """The statuses the lead page's status form offers."""
    page = client.get(lead.get_absolute_url())
    field = page.context["status_form"]["status"]
    return [value for value, _ in field.field.choices if value]


def bulk(api, user, *items):
    token = tokens.issue_token(user, name="bulk", scope="write")[1]
    return api("post", "/leads/bulk", token, {"source_system": "crm", "items": list(items)})


# The lead page -----------------------------------------------------------------------------


def test_a_member_cannot_set_a_fresh_mql_back_to_new_or_recycled(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.MQL)
    client = login(cast["alice"])
    for status in ("new", "recycled"):
        page = set_status(client, lead, status, reason="Not ready yet").content.decode()
        assert "Only a manager or leader may move a lead back from MQL" in page
        assert "reject it with a reason in Sales review" in page
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MQL
    assert not LeadStatusChange.objects.filter(lead=lead).exists()


def test_a_member_cannot_move_an_sql_back_either(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.SQL)
    page = set_status(login(cast["alice"]), lead, "accepted", "oops").content.decode()
    assert "Only a manager or leader may move a lead back from SQL to Accepted" in page
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SQL


def test_a_manager_moves_an_mql_back_only_with_a_reason(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.MQL)
    client = login(cast["sam"])  # alice's sales manager
    page = set_status(client, lead, "new").content.decode()
    assert "Say why the lead moves back from MQL to New" in page
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MQL

    set_status(client, lead, "new", reason="Scored on a bot's visits")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW
    change = LeadStatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "mql",
        "new",
        cast["sam"],
        "Scored on a bot's visits",
    )


def test_moving_forward_needs_no_special_right(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.ACCEPTED)
    set_status(login(cast["alice"]), lead, "sql")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SQL


# The status form ---------------------------------------------------------------------------


def test_the_status_form_offers_a_member_only_what_she_may_set_from_mql(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.MQL)
    # Accepted and rejected go through Sales review; new and recycled need a manager.
    assert offered(login(cast["alice"]), lead) == ["sql", "disqualified"]


def test_the_status_form_offers_a_manager_the_moves_back_too(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.MQL)
    assert offered(login(cast["sam"]), lead) == ["new", "sql", "recycled", "disqualified"]


def test_the_status_form_never_offers_the_current_status(login, cast, make_lead):
    lead = make_lead("ann@acme.example", owner="alice", status=Lead.Status.NEW)
    choices = offered(login(cast["alice"]), lead)
    assert "new" not in choices
    assert choices == ["mql", "accepted", "sql", "rejected", "recycled", "disqualified"]


# The bulk API ------------------------------------------------------------------------------


def test_the_bulk_api_refuses_a_members_move_back_even_when_syncing(api, cast, make_lead):
    lead = make_lead("ann@acme.example", status="mql", external_id="A1", source_system="crm")
    item = {"external_id": "A1", "email": lead.email, "status": "new", "status_reason": "Resync"}
    body = bulk(api, cast["otto"], item).json()  # operations, but a member
    assert body["rejected"] == 1
    assert body["results"][0]["errors"][0]["field"] == "status"
    assert (
        "Only a manager or leader may move a lead back"
        in (body["results"][0]["errors"][0]["message"])
    )
    lead.refresh_from_db()
    assert lead.status == "mql"


def test_the_bulk_api_lets_a_manager_move_back_with_a_reason(api, cast, make_lead):
    lead = make_lead("ann@acme.example", status="mql", external_id="A1", source_system="crm")
    item = {"external_id": "A1", "email": lead.email, "status": "recycled"}
    refused = bulk(api, cast["sam"], item).json()
    assert refused["results"][0]["errors"][0]["field"] == "status_reason"
    lead.refresh_from_db()
    assert lead.status == "mql"
    item["status_reason"] = "Back to nurture: no project this year"
    assert bulk(api, cast["sam"], item).json()["updated"] == 1
    lead.refresh_from_db()
    assert lead.status == "recycled"


# The CSV import ----------------------------------------------------------------------------


def test_the_csv_import_refuses_a_members_move_back_and_takes_a_managers_with_a_reason(
    tmp_path, cast, make_lead
):
    lead = make_lead("ann@acme.example", status="mql")
    path = tmp_path / "leads.csv"
    path.write_text("email,status,status_reason\nann@acme.example,new,Not a real buyer\n")

    by_member = run_import("leads", path, actor=cast["otto"])
    assert (by_member.updated, by_member.rejected) == (0, 1)
    assert "Only a manager or leader may move a lead back" in by_member.errors[0].message
    lead.refresh_from_db()
    assert lead.status == "mql"

    path.write_text("email,status\nann@acme.example,new\n")
    no_reason = run_import("leads", path, actor=cast["victor"])
    assert no_reason.rejected == 1 and no_reason.errors[0].column == "status_reason"

    path.write_text("email,status,status_reason\nann@acme.example,new,Not a real buyer\n")
    by_leader = run_import("leads", path, actor=cast["victor"])
    assert by_leader.updated == 1
    lead.refresh_from_db()
    assert lead.status == "new"
