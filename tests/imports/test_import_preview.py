"""The import preview says what the import will do, and the import does it: status values,
owners and sources Accord does not know (each asked about), merges, the file's name."""

from pathlib import Path

import pytest

from accord.crm.models import Channel, ImportJob, Lead, LeadAlias, LeadStatusChange
from accord.imports.formats import KEEP_STAGE
from accord.people.models import User

pytestmark = pytest.mark.django_db

CONTACTS = (
    "Record ID,Email,First Name,Lifecycle Stage,Lead Status,Original Source,Create Date,Contact owner\n"
    "1,a@acme.example,A,Marketing Qualified Lead,New,Paid Search,2025-03-01 10:00,alice\n"
    "2,b@acme.example,B,Marketing Qualified Lead,Open,Paid Search,2025-03-01 10:00,alice\n"
    "3,c@acme.example,C,Lead,Attempted to Contact,Paid Search,2025-03-01 10:00,alice\n"
    "4,d@acme.example,D,Sales Qualified Lead,Unqualified,Paid Search,2025-03-01 10:00,alice\n"
    "5,e@acme.example,E,Lead,Waiting on legal,Paid Search,2025-03-01 10:00,alice\n"
    "6,f@acme.example,F,Prospect-ish,New,Paid Search,2025-03-01 10:00,alice\n"
)
PEOPLE_AND_SOURCES = (
    "Record ID,Email,Lifecycle Stage,Original Source,Contact owner\n"
    "1,a@acme.example,Marketing Qualified Lead,AI Referrals,Pat Doe\n"
    "2,b@acme.example,Marketing Qualified Lead,Other Campaigns,pat@partner.example\n"
    "3,c@acme.example,Marketing Qualified Lead,Paid Search,alice\n"
    "4,d@acme.example,Marketing Qualified Lead,Other Campaigns,Pat Doe\n"
)


def shown_form(job, preview) -> dict:
    """The form as the page shows it: the detected columns, each select as preselected."""
    data = {f"column-{field}": header for field, header in job.columns.items()}
    for name, seen_values in preview["distinct"].items():
        for i, (_, code, _) in enumerate(seen_values):
            data[f"value-{name}-{i}"] = code
    return data


def test_the_preview_claims_what_the_import_then_does(login, cast, channels, upload, start):
    client = login(cast["otto"])
    upload(client, CONTACTS, name="contacts.csv")
    job = ImportJob.objects.get()
    page = client.get(job.get_absolute_url())
    preview = page.context["preview"]
    stages = {seen: (code, outcome) for seen, code, outcome in preview["distinct"]["status"]}
    lead_statuses = {
        seen: (code, outcome) for seen, code, outcome in preview["distinct"]["lead_status"]
    }
    # What the page claims: only the unknown stage's rows are rejected; New, Open and a
    # custom value keep the stage; HubSpot's working statuses map onto Accord's.
    assert [s for s, (_, outcome) in stages.items() if outcome == "rejected"] == ["Prospect-ish"]
    assert page.content.decode().count("these rows will be rejected") == 1
    assert lead_statuses["New"] == lead_statuses["Open"] == (KEEP_STAGE, "kept")
    assert lead_statuses["Waiting on legal"] == (KEEP_STAGE, "kept")
    assert lead_statuses["Attempted to Contact"] == ("accepted", "mapped")

    start(client, job, shown_form(job, preview))
    job.refresh_from_db()
    assert job.status == "done", job.error
    # What the import did, row by row, against what the page said.
    for line in CONTACTS.splitlines()[1:]:
        _, email, _, stage, lead_status, *_ = line.split(",")
        stage_code, stage_outcome = stages[stage]
        lead = Lead.objects.filter(email=email).first()
        if stage_outcome == "rejected":
            assert lead is None
            continue
        refined, _ = lead_statuses[lead_status]
        expected = stage_code
        if refined != KEEP_STAGE and stage_code in ("new", "mql"):
            expected = refined
        assert lead.status == expected, (email, lead.status, expected)
    assert (job.report["created"], job.report["rejected"]) == (5, 1)
    assert Lead.objects.get(email="a@acme.example").status == "mql"


def test_the_preview_asks_about_each_unknown_owner_and_source_and_the_import_applies_it(
    login, cast, channels, upload, start
):
    client = login(cast["otto"])
    upload(client, PEOPLE_AND_SOURCES, name="people.csv")
    job = ImportJob.objects.get()
    page = client.get(job.get_absolute_url())
    unknown = page.context["preview"]["unknown"]
    assert [seen for seen, _, _ in unknown["owner"]] == ["Pat Doe", "pat@partner.example"]
    assert [seen for seen, _, _ in unknown["source"]] == ["AI Referrals", "Other Campaigns"]
    html = page.content.decode()
    assert 'aria-label="Accord owner for Pat Doe"' in html
    assert 'aria-label="Accord source for AI Referrals"' in html

    form = {f"column-{field}": header for field, header in job.columns.items()}
    unanswered = client.post(job.get_absolute_url(), form)
    assert unanswered.status_code == 400
    assert "Choose what becomes of owner “Pat Doe”, owner “pat@partner.example”" in (
        unanswered.content.decode()
    )
    assert ImportJob.objects.get().status == "uploaded"

    form.update({
        "ref-owner-0": f"user:{cast['bob'].pk}",  # Pat Doe is Bob
        "ref-owner-1": "unassigned",  # pat@partner.example
        "ref-source-0": "channel:webinar",  # AI Referrals
        "ref-source-1": "create",  # Other Campaigns
    })  # fmt: skip
    users, inactive = User.objects.count(), User.objects.filter(is_active=False).count()
    start(client, job, form)
    job.refresh_from_db()
    assert (job.status, job.report["created"], job.report["rejected"]) == ("done", 4, 0)
    owners = dict(Lead.objects.values_list("email", "owner__username"))
    assert owners == {
        "a@acme.example": "bob",
        "b@acme.example": None,
        "c@acme.example": "alice",
        "d@acme.example": "bob",
    }
    sources = dict(Lead.objects.values_list("email", "source__name"))
    assert sources["a@acme.example"] == "Webinar"
    assert sources["b@acme.example"] == sources["d@acme.example"] == "Other Campaigns"
    assert Channel.objects.filter(name="AI Referrals").count() == 0
    assert (User.objects.count(), User.objects.filter(is_active=False).count()) == (users, inactive)


def test_a_manager_is_offered_no_placeholder_and_no_new_channel(login, cast, channels, upload):
    client = login(cast["sam"])
    upload(client, PEOPLE_AND_SOURCES, name="people.csv")
    job = ImportJob.objects.get()
    choices = client.get(job.get_absolute_url()).context["reference_choices"]
    assert "placeholder" not in dict(choices["owner"])
    assert "create" not in dict(choices["source"])
    form = {f"column-{field}": header for field, header in job.columns.items()}
    form.update({"ref-owner-0": "unassigned", "ref-owner-1": "placeholder"})
    form.update({"ref-source-0": "create", "ref-source-1": "channel:webinar"})
    refused = client.post(job.get_absolute_url(), form)
    assert refused.status_code == 400
    assert "Unknown choices for: owner pat@partner.example, source AI Referrals." in (
        refused.content.decode()
    )


def test_the_job_page_counts_merged_rows_and_the_lead_names_the_uploaded_file(
    login, cast, channels, upload, start, make_lead
):
    make_lead("a@acme.example", owner="alice", external_id="900", source_system="hubspot")
    client = login(cast["otto"])
    upload(client, CONTACTS, name="hubspot contacts March.csv")
    job = ImportJob.objects.get()
    preview = client.get(job.get_absolute_url()).context["preview"]
    start(client, job, shown_form(job, preview))
    job.refresh_from_db()
    assert (job.report["merged"], job.report["created"]) == (1, 4)
    assert LeadAlias.objects.get().external_id == "1"
    summary = client.get(job.get_absolute_url()).content.decode()
    assert '<span class="kpi-label">Merged</span><span class="kpi-value">1</span>' in summary
    lead = Lead.objects.get(email="b@acme.example")
    via = "import of hubspot leads hubspot contacts March.csv"
    assert LeadStatusChange.objects.get(lead=lead).reason == via
    page = client.get(lead.get_absolute_url()).content.decode()
    assert via in page and Path(job.path).name not in page


def test_an_owner_who_is_a_deactivated_user_is_asked_about_too(
    login, cast, channels, upload, start
):
    User.objects.filter(pk=cast["mike"].pk).update(is_active=False)
    client = login(cast["otto"])
    upload(client, "email,owner\nm@acme.example,mike\n", name="mike.csv")
    job = ImportJob.objects.get()
    unknown = client.get(job.get_absolute_url()).context["preview"]["unknown"]
    assert [seen for seen, _, _ in unknown["owner"]] == ["mike"]
    form = {f"column-{field}": header for field, header in job.columns.items()}
    start(client, job, {**form, "ref-owner-0": f"user:{cast['alice'].pk}"})
    assert Lead.objects.get().owner == cast["alice"]
