"""CSV import: every format, the messy files real exports are, idempotency, nothing lost."""

import csv
import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.bulk import _prepared, insert_rows
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignCost,
    Lead,
    LeadFieldChange,
    LeadStatusChange,
    Opportunity,
    Touchpoint,
)
from accord.imports.actions import upsert_items
from accord.imports.csv_import import ImportProblem, run_import
from accord.imports.handlers import LeadHandler
from accord.imports.items import Options
from accord.imports.values import DateOrder
from accord.people.models import User

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")

HUBSPOT_CONTACTS = """\
Record ID,First Name,Last Name,Email,Job Title,Company Name,Lifecycle Stage,Lead Status,Original Source,Create Date,Contact owner
101,Ann,Lee,ann@acme.example,CFO,Acme,Marketing Qualified Lead,,Paid Search,2025-03-05 14:22,alice@example.com
102,Bob,Ray,BOB@Beta.example,CTO,Beta Corp,lead,Unqualified,Organic Search,2025-03-06 09:00,
"""


def write(tmp_path, text: str, name="file.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def counts():
    return (Lead.objects.count(), Account.objects.count(), LeadStatusChange.objects.count())


def test_a_hubspot_contacts_export_is_recognised_and_mapped(tmp_path, cast):
    report = run_import("leads", write(tmp_path, HUBSPOT_CONTACTS), tz=UTC)
    assert (report.format, report.rows, report.created, report.rejected) == ("hubspot", 2, 2, 0)
    ann = Lead.objects.get(email="ann@acme.example")
    assert (ann.status, ann.title, ann.account.name, ann.owner) == (
        "mql",
        "CFO",
        "Acme",
        cast["alice"],
    )
    assert (ann.source_system, ann.external_id) == ("hubspot", "101")
    assert ann.created_at.isoformat() == "2025-03-05T14:22:00+00:00"
    bob = Lead.objects.get(external_id="102")
    assert bob.email == "bob@beta.example"
    assert bob.status == "disqualified", "HubSpot's Lead Status refines the lifecycle stage"
    assert LeadStatusChange.objects.filter(lead=ann, to_status="mql").exists()


def test_importing_the_same_file_twice_changes_nothing(tmp_path, cast):
    path = write(tmp_path, HUBSPOT_CONTACTS)
    run_import("leads", path, tz=UTC)
    before = counts()
    again = run_import("leads", path, tz=UTC)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert counts() == before


def test_a_changed_row_updates_only_what_changed_and_the_history_says_so(tmp_path, cast):
    run_import("leads", write(tmp_path, HUBSPOT_CONTACTS), tz=UTC)
    changed = HUBSPOT_CONTACTS.replace("CFO", "Chief Financial Officer").replace(
        "Marketing Qualified Lead", "salesqualifiedlead"
    )
    report = run_import("leads", write(tmp_path, changed, "v2.csv"), tz=UTC)
    assert (report.updated, report.unchanged) == (1, 1)
    ann = Lead.objects.get(email="ann@acme.example")
    assert (ann.title, ann.status) == ("Chief Financial Officer", "sql")
    change = LeadFieldChange.objects.get(lead=ann)
    assert change.changes == {"title": ["CFO", "Chief Financial Officer"]}
    assert LeadStatusChange.objects.filter(lead=ann, from_status="mql", to_status="sql").exists()


def test_leads_without_an_id_are_matched_on_normalised_email(tmp_path, cast):
    text = "email,first_name,status\n Ann@Acme.example ,Ann,new\n"
    run_import("leads", write(tmp_path, text), tz=UTC)
    report = run_import(
        "leads", write(tmp_path, "email,first_name\nann@acme.EXAMPLE,Annie\n", "b.csv")
    )
    assert (report.format, report.updated) == ("accord", 1)
    assert Lead.objects.get().first_name == "Annie"


def test_salesforce_opportunities_with_won_and_closed_flags(tmp_path, cast):
    text = (
        "Opportunity ID,Opportunity Name,Account Name,Amount,Stage,Close Date,Created Date,"
        "Opportunity Owner,Lead Source,Won,Closed\n"
        '006A,Acme platform,Acme,"$120,000.00",Negotiation/Review,3/31/2025,1/15/2025,Alice,Web,0,0\n'
        '006B,Beta pilot,Beta,"1.234,50 €",Closed Won,4/30/2025,2/1/2025,,Partner Referral,1,1\n'
        "006C,Gamma,Gamma,(500),Prospecting,4/30/2025,2/1/2025,,,0,0\n"
    )
    report = run_import("opportunities", write(tmp_path, text), tz=UTC)
    assert report.format == "salesforce"
    assert report.date_order is None or report.date_order == "mdy"
    acme = Opportunity.objects.get(external_id="006A")
    assert (acme.amount, acme.stage, str(acme.close_date)) == (
        Decimal("120000.00"),
        "negotiation",
        "2025-03-31",
    )
    beta = Opportunity.objects.get(external_id="006B")
    assert (beta.amount, beta.stage) == (Decimal("1234.50"), "won")
    assert beta.closed_at is not None
    assert report.rejected == 1
    assert report.errors[0].row == 3 and report.errors[0].message == "an amount cannot be negative"


def test_a_salesforce_campaign_cost_is_spread_over_its_months(tmp_path, cast):
    text = (
        "Campaign ID,Campaign Name,Type,Start Date,End Date,Actual Cost,Campaign Owner\n"
        '701A,Spring webinar series,Webinar,2025-03-01,2025-05-31,"$9,000.01",\n'
    )
    run_import("campaigns", write(tmp_path, text), tz=UTC)
    campaign = Campaign.objects.get(external_id="701A")
    assert (campaign.kind, campaign.channel.key) == ("webinar", "webinar")
    costs = list(CampaignCost.objects.filter(campaign=campaign).values_list("amount", flat=True))
    assert costs == [Decimal("3000.00"), Decimal("3000.00"), Decimal("3000.01")]
    assert run_import("campaigns", write(tmp_path, text, "again.csv"), tz=UTC).unchanged == 1


@pytest.mark.parametrize(
    "kind,text,check",
    [
        (
            "accounts",
            "external_id,name,domain,industry,employees,country,owner,created_at\n"
            'A1,Acme,acme.example,Manufacturing,"1,200",Germany,bob,2024-01-02\n',
            lambda: (
                Account.objects.get(external_id="A1").employees == 1200
                and Account.objects.get(external_id="A1").country == "DE"
            ),
        ),
        (
            "touchpoints",
            "lead,channel,campaign,kind,occurred_at\nann@acme.example,webinar,,webinar,2025-03-09T10:00:00Z\n",
            lambda: Touchpoint.objects.get().kind == "webinar",
        ),
        (
            "activities",
            "lead,user,kind,occurred_at,outcome\nann@acme.example,alice,call,2025-03-09 10:00,Voicemail\n",
            lambda: Activity.objects.get().user.username == "alice",
        ),
    ],
)
def test_accords_own_format_for_each_kind(tmp_path, cast, kind, text, check):
    run_import("leads", write(tmp_path, HUBSPOT_CONTACTS, "leads.csv"), tz=UTC)
    report = run_import(kind, write(tmp_path, text), tz=UTC, source_system="crm")
    assert (report.format, report.created, report.rejected) == ("accord", 1, 0), report.errors
    assert check()
    assert (
        run_import(kind, write(tmp_path, text, "again.csv"), tz=UTC, source_system="crm").unchanged
        == 1
    )


@pytest.mark.parametrize(
    "encoding,delimiter",
    [("utf-8-sig", ","), ("utf-16", "\t"), ("cp1252", ";"), ("utf-8", "\t")],
)
def test_encodings_and_delimiters_of_real_exports(tmp_path, cast, encoding, delimiter):
    text = (
        delimiter.join(["email", "first_name", "last_name", "company"])
        + "\r\n"
        + delimiter.join(["zoe@acme.example", "Zoë", "Müller", '"Société, Générale"'])
        + "\r\n"
        + "\r\n\r\n"
    )
    report = run_import("leads", write(tmp_path, text, encoding=encoding), tz=UTC)
    assert (report.rows, report.created) == (1, 1)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.account.name) == (
        "Zoë",
        "Müller",
        "Société, Générale",
    )


def test_a_quoted_newline_stays_inside_its_cell(tmp_path, cast):
    run_import("leads", write(tmp_path, HUBSPOT_CONTACTS, "leads.csv"), tz=UTC)
    text = (
        'lead,kind,occurred_at,notes\nann@acme.example,call,2025-03-09 10:00,"Line one\nline two"\n'
    )
    report = run_import("activities", write(tmp_path, text), tz=UTC)
    assert report.created == 1
    assert Activity.objects.get().notes == "Line one\nline two"


def test_ambiguous_dates_are_asked_about_never_guessed(tmp_path, cast):
    text = "email,created_at\na@x.example,03/04/2025\nb@x.example,05/06/2025\n"
    path = write(tmp_path, text)
    with pytest.raises(ImportProblem, match="--date-order dmy or --date-order mdy"):
        run_import("leads", path, tz=UTC)
    assert Lead.objects.count() == 0
    run_import("leads", path, tz=UTC, date_order=DateOrder.DMY)
    assert str(Lead.objects.get(email="a@x.example").created_at.date()) == "2025-04-03"


def test_one_unambiguous_date_settles_the_order_for_the_file(tmp_path, cast):
    text = "email,created_at\na@x.example,03/04/2025\nb@x.example,25/12/2024 16:59\n"
    report = run_import("leads", write(tmp_path, text), tz=UTC)
    assert report.date_order == "dmy"
    assert str(Lead.objects.get(email="a@x.example").created_at.date()) == "2025-04-03"


def test_a_naive_time_is_read_in_the_import_time_zone_and_a_zone_is_respected(tmp_path, cast):
    text = "email,created_at\na@x.example,2025-07-01 09:00\nb@x.example,2025-07-01T09:00:00+02:00\n"
    run_import("leads", write(tmp_path, text), tz=ZoneInfo("America/New_York"))
    a, b = (Lead.objects.get(email=e).created_at for e in ("a@x.example", "b@x.example"))
    assert a.astimezone(UTC).hour == 13 and b.astimezone(UTC).hour == 7


def test_duplicated_rows_in_one_file_make_one_record(tmp_path, cast):
    row = "ann@acme.example,Ann\n"
    report = run_import("leads", write(tmp_path, "email,first_name\n" + row * 3), tz=UTC)
    assert (report.rows, report.created, report.unchanged) == (3, 1, 2)
    assert Lead.objects.count() == 1


def test_owners_that_do_not_exist_yet_become_inactive_placeholders_when_asked(tmp_path, cast):
    text = "email,owner\na@x.example,Dana Scully\nb@x.example,dana scully\nc@x.example,fox@fbi.example\n"
    report = run_import("leads", write(tmp_path, text), tz=UTC, unknown_owners="placeholder")
    assert report.created_owners == ["Dana Scully", "fox@fbi.example"]
    dana = User.objects.get(first_name="Dana", last_name="Scully")
    assert not dana.is_active and not dana.has_usable_password()
    assert Lead.objects.filter(owner=dana).count() == 2


def test_bad_rows_are_reported_with_row_column_value_and_reason_and_the_rest_imported(
    tmp_path, cast
):
    text = (
        "email,status,created_at\n"
        "good@x.example,new,2025-01-01\n"
        "not-an-email,new,2025-01-01\n"
        "c@x.example,superstar,2025-02-30\n"
        "d@x.example,mql,\n"
    )
    report = run_import("leads", write(tmp_path, text), tz=UTC)
    assert (report.created, report.rejected) == (2, 2)
    errors = {(e.row, e.column, e.value) for e in report.errors}
    assert errors == {
        (2, "email", "not-an-email"),
        (3, "status", "superstar"),
        (3, "created_at", "2025-02-30"),
    }
    with open(report.rejects_file, newline="", encoding="utf-8") as f:
        rejects = list(csv.DictReader(f))
    assert [r["email"] for r in rejects] == ["not-an-email", "c@x.example"]
    assert "not a real calendar date" in rejects[1]["accord_reason"]


def test_strict_mode_imports_nothing_if_any_row_is_bad(tmp_path, cast):
    text = "email\ngood@x.example\nbad\n"
    report = run_import("leads", write(tmp_path, text), tz=UTC, strict=True)
    assert (report.created, report.rejected, report.committed) == (1, 1, False)
    assert counts() == (0, 0, 0)


def test_a_dry_run_counts_but_stores_nothing(tmp_path, cast):
    report = run_import("leads", write(tmp_path, HUBSPOT_CONTACTS), tz=UTC, dry_run=True)
    assert report.created == 2 and not report.committed
    assert counts() == (0, 0, 0)


def test_an_upsert_that_fails_in_a_later_batch_takes_the_earlier_batches_with_it(cast, monkeypatch):
    # The CSV import and the bulk API both go through `upsert_items`: one transaction.
    real, batches = LeadHandler.saved, []

    def saved(handler, created, updated):
        batches.append(len(created))
        if len(batches) == 2:
            raise RuntimeError("the disk is full")
        real(handler, created, updated)

    monkeypatch.setattr(LeadHandler, "saved", saved)
    items = enumerate([{"email": f"p{i}@x.example"} for i in range(3)])
    with pytest.raises(RuntimeError, match="the disk is full"):
        upsert_items("leads", items, Options(source_system="crm"), batch_size=1)
    assert batches == [1, 1]
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "The file is empty."),
        ("first_name,last_name\nAnn,Lee\n", "Columns missing for leads (accord format): email"),
        ("\x00\x01\x02PK\x03\x04 binary", "binary file"),
    ],
)
def test_files_that_cannot_be_imported_say_why(tmp_path, cast, text, message):
    with pytest.raises(ImportProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_import("leads", write(tmp_path, text), tz=UTC)
    assert counts() == (0, 0, 0)


def test_the_command_prints_the_json_report(tmp_path, cast, capsys):
    path = write(tmp_path, HUBSPOT_CONTACTS.replace("ann@acme.example", "ann@"))
    call_command("import", "leads", path, "--json")
    out = json.loads(capsys.readouterr().out)
    assert list(out)[:9] == [
        "kind",
        "format",
        "rows",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "errors",
        "rejects_file",
    ]
    assert (out["rows"], out["created"], out["rejected"]) == (2, 1, 1)
    assert out["errors"][0] == {
        "row": 1,
        "column": "email",
        "value": "ann@",
        "message": "“ann@” is not an email address",
    }


def test_the_command_fails_clearly_in_strict_mode_and_on_a_missing_file(tmp_path, cast):
    with pytest.raises(CommandError, match="No file at"):
        call_command("import", "leads", str(tmp_path / "nope.csv"))
    path = write(tmp_path, "email\nbad\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "leads", path, "--strict")


cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=6), max_size=12),
    header=st.sampled_from(
        [
            ["email", "first_name", "status", "created_at", "owner", "company"],
            ["Record ID", "Email", "Lifecycle Stage", "Create Date", "Contact owner"],
            ["Lead ID", "Email", "Lead Status", "Created Date"],
        ]
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_hostile_files_never_crash_and_never_half_import(
    tmp_path_factory, cast, rows, header, delimiter, encoding
):
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.csv"
    with open(path, "w", newline="", encoding=encoding, errors="replace") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    before = Lead.objects.count()
    try:
        report = run_import("leads", path, tz=UTC)
    except ImportProblem:
        assert Lead.objects.count() == before
        return
    stored = report.created + report.updated + report.merged + report.unchanged
    assert report.rows == stored + report.rejected
    assert Lead.objects.count() == before + report.created
    assert report.rejected == len({e.row for e in report.errors})


def test_the_readme_example_files_import_cleanly_in_order(cast):
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    for kind in ("accounts", "campaigns", "leads", "opportunities", "touchpoints", "activities"):
        # The examples' owners are the demo's people; this cast has others.
        report = run_import(
            kind,
            examples / f"{kind}.csv",
            tz=UTC,
            source_system="example",
            unknown_owners="placeholder",
        )
        assert (report.format, report.rejected) == ("accord", 0), (kind, report.errors)
    assert Opportunity.objects.get(external_id="O-1").primary_lead.email == "ann.lee@acme.example"
    assert CampaignCost.objects.filter(campaign__external_id="C-2").count() == 2
    assert Activity.objects.count() == 2 and Touchpoint.objects.count() == 2


def test_a_campaign_given_one_row_per_month_reports_each_new_month_and_reimports_unchanged(
    cast, tmp_path
):
    path = tmp_path / "campaigns.csv"
    path.write_text(
        "external_id,name,channel,starts_on,month,cost\n"
        "C-9,Search,paid_search,2025-03-01,2025-03,100.00\n"
        "C-9,Search,paid_search,2025-03-01,2025-04,120.00\n"
        "C-9,Search,paid_search,2025-03-01,2025-04,120.00\n",
        encoding="utf-8",
    )
    first = run_import("campaigns", path, tz=UTC)
    assert (first.created, first.updated, first.unchanged) == (1, 1, 1)
    costs = CampaignCost.objects.filter(campaign__external_id="C-9").order_by("month")
    assert [c.amount for c in costs] == [Decimal("100.00"), Decimal("120.00")]
    again = run_import("campaigns", path, tz=UTC)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.datetimes(
                min_value=datetime(1900, 1, 1),
                max_value=datetime(2200, 1, 1),
                timezones=st.sampled_from(
                    [
                        UTC,
                        ZoneInfo("Europe/Berlin"),
                        ZoneInfo("Asia/Kolkata"),
                        ZoneInfo("America/St_Johns"),
                    ]
                ),
            ),
        ),
        max_size=20,
    )
)
def test_bulk_inserts_prepare_times_exactly_as_the_orm_does(values):
    field = Touchpoint._meta.get_field("occurred_at")
    db = connections[DEFAULT_DB_ALIAS]
    expected = [None if v is None else field.get_db_prep_save(v, db) for v in values]
    assert _prepared(field, db, values) == expected


def test_a_bulk_insert_that_breaks_a_constraint_raises_and_stores_nothing(make_lead, channels):
    from types import SimpleNamespace

    from django.db import IntegrityError, transaction

    lead = make_lead("ann@acme.example")
    when = datetime(2026, 3, 9, 10, tzinfo=UTC)

    def row(external_id):
        return SimpleNamespace(
            source_system="ads",
            external_id=external_id,
            lead_id=lead.pk,
            channel=channels["webinar"],
            campaign=None,
            kind="webinar",
            occurred_at=when,
        )

    insert_rows(Touchpoint, [row("T1")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Touchpoint, [row("T2"), row("T1")])  # T1 is stored already
    assert list(Touchpoint.objects.values_list("external_id", flat=True)) == ["T1"]
