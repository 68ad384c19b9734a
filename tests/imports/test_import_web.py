"""Importing from the browser: upload, check the mapping, run as a task, read the result."""

import csv
import io

import pytest
from django.urls import reverse

from accord.crm.models import ImportJob, ImportMapping, Lead

pytestmark = pytest.mark.django_db


def mapping_form(job, **overrides):
    data = {f"column-{field}": header for field, header in job.columns.items()}
    data.update(overrides)
    return data


def test_an_upload_is_previewed_with_its_detected_format_and_mapping(login, cast, upload):
    client = login(cast["otto"])
    response = upload(client)
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.format, job.rows_total, job.source_system) == ("salesforce", 3, "salesforce")
    assert job.columns["email"] == "Email" and job.columns["status"] == "Lead Status"
    page = client.get(job.get_absolute_url()).content.decode()
    assert "detected <strong>salesforce</strong> format" in page
    assert "Hot Prospect" in page  # a status value to translate
    assert "could be read as day/month or as month/day" in page  # 03/04/2025 is ambiguous


def test_starting_runs_the_import_as_a_task_and_shows_the_summary(
    login, cast, channels, upload, start
):
    client = login(cast["otto"])
    upload(client)
    job = ImportJob.objects.get()
    page = client.get(job.get_absolute_url()).content.decode()
    select = page.index('aria-label="Accord status for Hot Prospect"')
    value_field = page[:select].rsplit('name="value-status-', 1)[1].split('"')[0]
    response = start(
        client, job, mapping_form(job, date_order="mdy", **{f"value-status-{value_field}": "mql"})
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert (job.report["created"], job.report["rejected"]) == (2, 1)
    assert Lead.objects.get(external_id="00Q1").status == "mql"
    assert str(Lead.objects.get(external_id="00Q2").created_at.date()) == "2025-05-06"
    summary = client.get(job.get_absolute_url()).content.decode()
    assert "not-an-email" in summary and "Download the rejected rows" in summary
    assert (
        '<td>email</td><td>“not-an-email” is not an email address</td><td class="num">1</td>'
        in summary
    )
    rejects = client.get(reverse("imports:rejects", args=[job.pk]))
    assert b"not-an-email" in b"".join(rejects.streaming_content)
    remembered = ImportMapping.objects.get(source_system="salesforce", kind="leads")
    assert remembered.values["status"]["hot prospect"] == "mql"


def test_the_remembered_mapping_is_offered_for_the_next_file_from_that_source(login, cast, upload):
    ImportMapping.objects.create(
        source_system="salesforce",
        kind="leads",
        columns={"title": "Lead Source"},
        values={"status": {"hot prospect": "sql"}},
    )
    upload(login(cast["otto"]))
    job = ImportJob.objects.get()
    assert job.columns["title"] == "Lead Source"
    assert job.values["status"]["hot prospect"] == "sql"


def test_a_missing_required_column_is_refused_and_nothing_runs(login, cast, upload):
    client = login(cast["otto"])
    upload(client)
    job = ImportJob.objects.get()
    response = client.post(
        job.get_absolute_url(), mapping_form(job, **{"column-email": "", "date_order": "mdy"})
    )
    assert response.status_code == 400
    assert "Choose a column for: email." in response.content.decode()
    job.refresh_from_db()
    assert job.status == "uploaded" and not Lead.objects.exists()


def test_a_binary_or_empty_upload_is_refused_by_its_content(login, cast, upload):
    client = login(cast["otto"])
    response = upload(client, text="\x00\x01PK\x03\x04binary", name="leads.csv")
    assert "binary file" in response.content.decode()
    response = upload(client, text="", name="leads.csv")
    assert "The file is empty." in response.content.decode() or "empty" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_members_and_viewers_cannot_import(login, cast, upload):
    for name in ("alice", "vera"):
        client = login(cast[name])
        assert client.get(reverse("imports:list")).status_code == 403
        assert upload(client).status_code == 403
    assert not ImportJob.objects.exists()


def test_the_progress_endpoint_reports_rows_and_refreshes_when_done(login, cast, upload, start):
    client = login(cast["otto"])
    upload(client, text="email\na@x.example\nb@x.example\n")
    job = ImportJob.objects.get()
    start(client, job, mapping_form(job))
    response = client.get(reverse("imports:progress", args=[job.pk]))
    assert response["HX-Refresh"] == "true"
    assert "Done" in response.content.decode()


def test_a_started_import_cannot_be_started_twice(login, cast, upload, start):
    client = login(cast["otto"])
    upload(client, text="email\na@x.example\n")
    job = ImportJob.objects.get()
    start(client, job, mapping_form(job))
    start(client, job, mapping_form(job))
    assert Lead.objects.count() == 1
    job.refresh_from_db()
    assert job.report["created"] == 1


def test_a_managers_web_import_changes_only_the_leads_their_pages_would_let_them(
    login, cast, make_lead, upload, start
):
    alices = make_lead("ann@acme.example", owner="alice", external_id="A1", source_system="crm")
    mikes = make_lead("max@acme.example", owner="mike", external_id="M1", source_system="crm")
    text = "external_id,email,status,owner\nA1,ann@acme.example,disqualified,mona\nM1,max@acme.example,sql,\n"
    client = login(cast["mona"])
    upload(client, text=text, source_system="crm")
    job = ImportJob.objects.get()
    start(client, job, mapping_form(job))
    job.refresh_from_db()
    assert (job.report["updated"], job.report["rejected"]) == (1, 1), job.report
    assert "only leads you are allowed to work" in job.report["errors"][0]["message"]
    alices.refresh_from_db()
    mikes.refresh_from_db()
    assert (alices.status, alices.owner, mikes.status) == ("new", cast["alice"], "sql")


def rejects_of(client, job) -> list[list[str]]:
    response = client.get(reverse("imports:rejects", args=[job.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_the_rejected_rows_download_never_holds_a_formula(login, cast, upload, start):
    cells = [
        ['=HYPERLINK("http://evil.example","x")', "@SUM(A1)", "+cmd|' /C calc'!A0", "＝Acme"],
        ["not-an-email", "｜cmd", "-2+3", "'=Quoted"],
        ["ok@x.example", "Ok", "", ""],
    ]
    file = io.StringIO()
    csv.writer(file).writerows([["email", "first_name", "title", "=company"], *cells])
    client = login(cast["otto"])
    upload(client, text=file.getvalue())
    job = ImportJob.objects.get()
    start(client, job, mapping_form(job))
    job.refresh_from_db()
    assert (job.report["created"], job.report["rejected"]) == (1, 2)

    header, *rows = rejects_of(client, job)
    assert header == [
        "email",
        "first_name",
        "title",
        "'=company",
        "accord_row",
        "accord_column",
        "accord_reason",
    ]
    assert [row[:4] for row in rows] == [
        ['\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)", "'+cmd|' /C calc'!A0", "'＝Acme"],
        ["not-an-email", "'｜cmd", "'-2+3", "'=Quoted"],
    ]
    assert [row[4:6] for row in rows] == [["1", "email"], ["2", "email"]]
    assert rows[0][6].startswith("email: ")


def test_a_rejects_file_written_before_the_rule_is_made_inert_when_downloaded(
    login, cast, settings, tmp_path
):
    old = tmp_path / "old.rejects.csv"
    old.write_text("email,title,accord_reason\n=1+1,@SUM(A1),-bad\n'=kept,x,y\n")
    job = ImportJob.objects.create(
        created_by=cast["otto"],
        kind="leads",
        original_name="old.csv",
        path=str(tmp_path / "old.csv"),
        size=1,
        format="accord",
        source_system="accord",
        status=ImportJob.Status.DONE,
        report={"rejected": 2, "rejects_file": str(old)},
    )
    assert rejects_of(login(cast["otto"]), job) == [
        ["email", "title", "accord_reason"],
        ["'=1+1", "'@SUM(A1)", "'-bad"],
        ["'=kept", "x", "y"],
    ]
