"""Imports keep what the CRM meant: the lifecycle stage and lead status, the MQL time, one
lead per email, and owners and sources nobody in Accord knows — at every door (file, CLI,
bulk API)."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from accord.crm.models import Channel, Lead, LeadAlias, LeadStatusChange, Touchpoint
from accord.imports.csv_import import run_import
from accord.people import tokens
from accord.people.models import User
from accord.sla.clocks import Scope, evaluate_all
from accord.sla.models import BusinessCalendar, FollowUpPolicy

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
HEADER = (
    "Record ID,Email,First Name,Lifecycle Stage,Lead Status,"
    "Became a Marketing Qualified Lead Date,Create Date,Contact owner\n"
)


def write(tmp_path, text: str, name="contacts.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def policy(db):
    BusinessCalendar.objects.create(team=None, time_zone="UTC", country="")
    return FollowUpPolicy.objects.create(
        name="Every MQL", priority=20, first_response_hours=8, attempts=3, attempt_days=5,
        attempt_kinds=["call", "email"],
    )  # fmt: skip


# The lifecycle stage decides; the lead status refines ------------------------------------


def test_a_hubspot_mql_whose_lead_status_is_new_is_an_mql_with_clocks_from_its_mql_time(
    tmp_path, cast, policy
):
    text = (
        HEADER
        + "101,ann@acme.example,Ann,Marketing Qualified Lead,New,2026-03-02 09:00,2026-02-20 10:00,alice\n"
    )
    with time_machine.travel(NOW, tick=False):
        report = run_import("leads", write(tmp_path, text), tz=UTC)
        ann = Lead.objects.get(external_id="101")
        assert (report.created, ann.status) == (1, "mql")
        mql_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert ann.status_changed_at == mql_at
        became = LeadStatusChange.objects.get(lead=ann, to_status="mql")
        assert became.changed_at == mql_at
        (clock,) = evaluate_all(NOW, Scope(lead_ids=[ann.pk]))
        assert clock.started_at == mql_at  # not the import's time
        assert clock.owner == cast["alice"].pk


@pytest.mark.parametrize(
    "stage, lead_status, expected",
    [
        ("Marketing Qualified Lead", "NEW", "mql"),
        ("Marketing Qualified Lead", "new", "mql"),
        ("Marketing Qualified Lead", "Open", "mql"),
        ("Marketing Qualified Lead", "Attempted to Contact", "accepted"),
        ("Lead", "In Progress", "accepted"),
        ("Lead", "Connected", "accepted"),
        ("Marketing Qualified Lead", "Open Deal", "opportunity"),
        ("Marketing Qualified Lead", "Unqualified", "disqualified"),
        ("Lead", "BAD_TIMING", "recycled"),
        ("Sales Qualified Lead", "Unqualified", "sql"),  # a later stage stands
        ("Customer", "New", "customer"),
        ("Marketing Qualified Lead", "Waiting on legal", "mql"),  # a custom value keeps it
    ],
)
def test_hubspot_lead_statuses_refine_only_a_new_or_mql_lead(
    tmp_path, cast, stage, lead_status, expected
):
    text = HEADER + f"7,x@acme.example,X,{stage},{lead_status},,2025-01-02 10:00,\n"
    report = run_import("leads", write(tmp_path, text), tz=UTC)
    assert (report.created, report.rejected) == (1, 0), report.errors
    assert Lead.objects.get().status == expected


def test_an_mql_time_before_the_lead_was_created_is_refused(tmp_path, cast):
    text = (
        HEADER + "8,y@acme.example,Y,Marketing Qualified Lead,,2025-01-01 09:00,2025-02-01 09:00,\n"
    )
    report = run_import("leads", write(tmp_path, text), tz=UTC)
    assert report.rejected == 1 and not Lead.objects.exists()
    assert report.errors[0].column == "mql_at"
    assert report.errors[0].message == "the lead became an MQL before it was created"


# One lead per email ----------------------------------------------------------------------


def test_a_second_record_id_with_a_known_email_is_merged_and_found_again_by_its_alias(
    tmp_path, cast
):
    first = HEADER + "101,ann@acme.example,Ann,Marketing Qualified Lead,,,2025-02-20 10:00,alice\n"
    run_import("leads", write(tmp_path, first), tz=UTC)
    ann = Lead.objects.get()
    # HubSpot's second record of Ann (another Record ID, the email in capitals), and a
    # person sent twice in one file under two ids.
    second = HEADER + (
        "202,ANN@Acme.example,Annie,Lead,,,2025-03-01 10:00,bob\n"
        "301,bo@beta.example,Bo,Lead,,,2025-03-01 10:00,\n"
        "302,Bo@Beta.example,Bo,Lead,,,2025-03-01 10:00,\n"
    )
    path = write(tmp_path, second, "second.csv")
    out = StringIO()
    call_command("import", "leads", path, stdout=out)
    assert "1 created, 0 updated, 2 merged, 0 unchanged, 0 rejected" in out.getvalue()
    assert Lead.objects.count() == 2
    ann.refresh_from_db()
    # The lead keeps what it had (status, owner, name); the other id is its alias.
    assert (ann.status, ann.owner, ann.first_name) == ("mql", cast["alice"], "Ann")
    aliases = set(LeadAlias.objects.values_list("external_id", "lead__email"))
    assert aliases == {("202", "ann@acme.example"), ("302", "bo@beta.example")}

    again = run_import("leads", path, tz=UTC)
    assert (again.created, again.merged, again.unchanged) == (0, 0, 3)
    assert Lead.objects.count() == 2
    # Records that refer to the lead by its other id find it.
    touch = "external_id,lead,channel,kind,occurred_at\nT1,202,webinar,webinar,2025-03-02 10:00\n"
    report = run_import(
        "touchpoints", write(tmp_path, touch, "t.csv"), tz=UTC, source_system="hubspot"
    )
    assert report.created == 1, report.errors
    assert Touchpoint.objects.get().lead == ann


def test_the_bulk_api_reports_a_merged_item(cast, api, make_lead):
    make_lead("max@acme.example", external_id="M1", source_system="crm")
    token = tokens.issue_token(cast["otto"], name="sync", scope="write")[1]
    items = [{"external_id": "M2", "email": "MAX@acme.example"}]
    body = api("post", "/leads/bulk", token, {"source_system": "crm", "items": items}).json()
    assert (body["created"], body["merged"], body["results"][0]["status"]) == (0, 1, "merged")
    assert Lead.objects.filter(email="max@acme.example").count() == 1


# Owners nobody in Accord knows -----------------------------------------------------------


def test_without_a_choice_unknown_owners_are_refused_never_made_inactive_users(tmp_path, cast, api):
    text = "email,owner\na@x.example,Pat Doe\nb@x.example,alice\n"
    users = User.objects.count()
    out = StringIO()
    call_command("import", "leads", write(tmp_path, text), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["created"], report["rejected"]) == (1, 1)
    assert report["errors"][0]["column"] == "owner"
    assert report["errors"][0]["message"].startswith("no user by this name or email in Accord")
    token = tokens.issue_token(cast["otto"], name="sync", scope="write")[1]
    items = [{"email": "c@x.example", "owner": "pat@partner.example"}]
    body = api("post", "/leads/bulk", token, {"items": items}).json()
    assert body["rejected"] == 1 and body["results"][0]["errors"][0]["field"] == "owner"
    assert User.objects.count() == users
    assert User.objects.filter(is_active=False).count() == 0

    body = api(
        "post", "/leads/bulk", token, {"items": items, "unknown_owners": "unassigned"}
    ).json()
    assert body["created"] == 1 and Lead.objects.get(email="c@x.example").owner is None
    out = StringIO()
    call_command(
        "import", "leads", write(tmp_path, text, "again.csv"), "--unknown-owners", "unassigned",
        stdout=out,
    )  # fmt: skip
    assert Lead.objects.get(email="a@x.example").owner is None
    assert User.objects.count() == users


# The file's name -------------------------------------------------------------------------


def test_the_history_names_the_file_as_uploaded(tmp_path, cast):
    path = write(tmp_path, "email,status\nz@x.example,mql\n", "8527f8c1e2.csv")
    run_import("leads", path, tz=UTC, name="Q1 webinar leads.csv")
    change = LeadStatusChange.objects.get()
    assert change.reason == "import of accord leads Q1 webinar leads.csv"


def test_a_row_refused_for_its_owner_or_a_bad_value_creates_no_channel(tmp_path, cast):
    text = "email,source,owner\na@x.example,AI Referrals,Pat Doe\nnot-an-email,Other Campaigns,\n"
    report = run_import("leads", write(tmp_path, text), tz=UTC)
    assert (report.rejected, report.created_channels) == (2, [])
    assert not Channel.objects.filter(name__in=["AI Referrals", "Other Campaigns"]).exists()
