"""Exporting lists as CSV and XLSX: what you see, re-importable, inert in a spreadsheet."""

import csv
import io
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accord.crm import exports
from accord.crm.kinds import Kind
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    Channel,
    Lead,
    Opportunity,
    Touchpoint,
)
from accord.imports.csv_import import run_import
from accord.imports.formats import FIELDS, normalise
from accord.people.models import User
from tests import factories
from tests.factories import T0

pytestmark = pytest.mark.django_db

HEADERS = {
    "leads": "External ID,Email,First name,Last name,Title,Company,Source,Status,Owner,Created at,"
    "Engagement score,Fit grade,Status changed at,Source system",
    "accounts": "External ID,Name,Domain,Industry,Employees,Country,Owner,Created at,Source system",
    "opportunities": "External ID,Name,Account,Amount,Stage,Created at,Close date,Owner,Source,"
    "Primary lead,Source system",
    "campaigns": "External ID,Name,Channel,Kind,Starts on,Ends on,Owner,Source system",
    "touchpoints": "External ID,Lead,Channel,Campaign,Kind,Occurred at,Source system",
    "activities": "External ID,Lead,User,Kind,Occurred at,Outcome,Notes,Source system",
}
# Columns for reading only: what Accord computes, which the importer passes by.
READ_ONLY = {"leads": {"engagement score", "fit grade", "status changed at"}}

SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def export_url(kind, file_format="csv"):
    return reverse("crm:export", args=[kind, file_format])


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def xml(data: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(data)  # noqa: S314 (a file the test just made, not untrusted)


def xlsx_rows(content: bytes) -> list[list]:
    """The first sheet's cells: text as str, numbers as float; it must hold no formula."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        assert book.testzip() is None
        sheet = xml(book.read("xl/worksheets/sheet1.xml"))
        names = book.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            strings = xml(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.itertext()) for t in strings.iter(f"{SHEET}si")]
    assert not list(sheet.iter(f"{SHEET}f")), "a cell holds a formula"
    rows = []
    for row in sheet.iter(f"{SHEET}row"):
        cells = {}
        for cell in row.iter(f"{SHEET}c"):
            letters = re.match(r"[A-Z]+", cell.get("r")).group()
            column = 0
            for letter in letters:
                column = column * 26 + ord(letter) - ord("A") + 1
            kind, value = cell.get("t"), cell.find(f"{SHEET}v")
            if kind == "inlineStr":
                cells[column - 1] = "".join(cell.find(f"{SHEET}is").itertext())
            elif kind == "s":
                cells[column - 1] = shared[int(value.text)]
            else:
                cells[column - 1] = float(value.text)
        rows.append([cells.get(i) for i in range(max(cells) + 1)] if cells else [])
    return rows


@pytest.fixture
def leads(make_lead):
    ann = make_lead("ann@acme.example", status=Lead.Status.MQL, title="CFO", external_id="hs-1")
    ben = make_lead("ben@acme.example", owner="bob", status=Lead.Status.MQL)
    cid = make_lead("cid@acme.example", source=None)
    return ann, ben, cid


@pytest.fixture
def world(cast, channels, acme, leads):
    """One of everything, to export and import again."""
    ann = leads[0]
    campaign = Campaign.objects.create(
        name="Spring webinar",
        channel=channels["webinar"],
        kind=Campaign.Kind.WEBINAR,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        owner=cast["mona"],
    )
    Touchpoint.objects.create(
        lead=ann,
        channel=channels["webinar"],
        campaign=campaign,
        kind=Touchpoint.Kind.WEBINAR,
        occurred_at=T0 + timedelta(days=1, microseconds=123456),
    )
    Activity.objects.create(
        lead=ann,
        user=cast["alice"],
        kind=Activity.Kind.CALL,
        occurred_at=T0 + timedelta(days=2),
        outcome="Connected",
        notes="Wants a demo,\nnext week.",
    )
    Opportunity.objects.create(
        name="Acme platform",
        account=acme,
        primary_lead=ann,
        owner=cast["alice"],
        source=channels["webinar"],
        amount=Decimal("125000.00"),
        stage=Opportunity.Stage.PROPOSAL,
        created_at=T0 + timedelta(days=3),
        close_date=date(2026, 6, 30),
    )


def test_the_csv_export_of_leads_honours_the_list_filters(login, cast, leads):
    Lead.objects.filter(pk=leads[0].pk).update(fit_grade="A", engagement_score=72)
    client = login(cast["vera"])
    response = client.get(export_url("leads"), {"status": "mql", "owner": cast["alice"].pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    assert response["Content-Disposition"] == f'attachment; filename="accord-leads-{today}.csv"'
    header, *rows = csv_rows(response)
    assert ",".join(header) == HEADERS["leads"]
    created = timezone.localtime(T0).isoformat()
    assert rows == [
        [
            "hs-1",
            "ann@acme.example",
            "Ann",
            "Tester",
            "CFO",
            "Acme Robotics",
            "webinar",
            "mql",
            "alice@example.com",
            created,
            "72",
            "A",
            created,  # its status changed when it was made
            "accord",
        ]
    ]


def test_the_export_lists_rows_in_the_order_the_page_shows_them(login, cast, leads):
    client = login(cast["vera"])
    for query in ({}, {"sort": "name"}, {"q": "acme", "sort": "oldest"}):
        page = client.get(reverse("crm:leads"), query).context["page"].object_list
        _, *rows = csv_rows(client.get(export_url("leads"), query))
        assert [row[1] for row in rows] == [lead.email for lead in page]


def test_the_list_page_links_to_its_exports_with_the_current_filters(login, cast, leads):
    response = login(cast["vera"]).get(reverse("crm:accounts"), {"country": "DE"})
    html = response.content.decode()
    assert f'href="{export_url("accounts")}?country=DE"' in html
    assert f'href="{export_url("accounts", "xlsx")}?country=DE"' in html


@pytest.mark.parametrize("kind", HEADERS)
def test_every_kind_exports_the_import_columns_then_the_source_system(tmp_path, kind):
    path = tmp_path / f"{kind}.csv"
    call_command("export", kind, str(path), stdout=io.StringIO())
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == HEADERS[kind]
    importable = {normalise(spec.name) for spec in FIELDS[Kind(kind)]}
    read_only = READ_ONLY.get(kind, set())
    assert {normalise(name) for name in header.split(",")[:-1]} - read_only <= importable


@pytest.mark.parametrize("kind", HEADERS)
def test_an_export_imports_again_without_creating_or_changing_anything(tmp_path, world, kind):
    path = tmp_path / f"{kind}.csv"
    call_command("export", kind, str(path), stdout=io.StringIO())
    report = run_import(kind, path, source_system="accord")
    assert report.format == "accord"
    assert report.rows > 0
    assert (report.created, report.updated, report.rejected) == (0, 0, 0)
    assert report.unchanged == report.rows
    assert report.created_owners == report.created_channels == []


def test_formula_like_text_is_neutralised_in_the_csv(login, cast, make_lead):
    make_lead(
        "eve@example.com",
        first_name='=HYPERLINK("http://evil.example","x")',
        last_name="+1 555 0100",
        title="@SUM(A1)",
    )
    make_lead("tab@example.com", first_name="\tTab", last_name="\rReturn", title="-2+3")
    _, *rows = csv_rows(login(cast["vera"]).get(export_url("leads"), {"sort": "oldest"}))
    names = [(first, last, title) for _, _, first, last, title, *_ in rows]
    assert names == [
        ('\'=HYPERLINK("http://evil.example","x")', "'+1 555 0100", "'@SUM(A1)"),
        ("'\tTab", "'\rReturn", "'-2+3"),
    ]


def test_the_xlsx_export_is_a_workbook_of_the_filtered_rows_with_inert_text(login, cast, world):
    opp = Opportunity.objects.get()
    Opportunity.objects.create(
        name="=1+1 lost deal",
        account=opp.account,
        amount=Decimal("10.00"),
        stage=Opportunity.Stage.LOST,
        created_at=T0,
        close_date=date(2026, 4, 1),
    )
    Opportunity.objects.filter(pk=opp.pk).update(name="-10% for a 3-year term")
    response = login(cast["vera"]).get(export_url("opportunities", "xlsx"), {"stage": "proposal"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="accord-opportunit')
    assert response["Content-Disposition"].endswith('.xlsx"')
    header, *rows = xlsx_rows(b"".join(response.streaming_content))
    assert ",".join(header) == HEADERS["opportunities"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=False))
    assert row["Name"] == "'-10% for a 3-year term"
    assert row["Amount"] == 125000.0
    assert row["Account"] == "Acme Robotics"
    assert row["Primary lead"] == "ann@acme.example"
    assert isinstance(row["Close date"], float)  # a real date, not text


def test_a_negative_amount_stays_a_number_while_negative_looking_text_is_neutralised(tmp_path):
    columns = (
        exports.Column("amount", ("amount",), exports.Cell.MONEY),
        exports.Column("note", ("note",)),
    )
    records = [(Decimal("-250.5"), "-250.50")]
    text = "".join(exports.csv_chunks(columns, records))
    assert text.splitlines() == ["Amount,Note", "-250.50,'-250.50"]
    path = tmp_path / "amounts.xlsx"
    assert exports.write_xlsx(str(path), columns, records) == 1
    assert xlsx_rows(path.read_bytes()) == [["Amount", "Note"], [-250.5, "'-250.50"]]


def test_the_export_command_writes_every_row_and_says_how_many(tmp_path, world):
    out = io.StringIO()
    path = tmp_path / "everything.xlsx"
    call_command("export", "touchpoints", str(path), stdout=out)
    assert out.getvalue().strip() == f"Exported 1 touchpoints to {path}"
    header, row = xlsx_rows(path.read_bytes())
    assert header[:3] == ["External ID", "Lead", "Channel"]
    assert row[1:5] == ["ann@acme.example", "webinar", "Spring webinar", "webinar"]

    call_command("export", "leads", str(tmp_path / "leads.out"), format="csv", stdout=out)
    assert "Exported 3 leads to" in out.getvalue()


def test_the_export_command_refuses_a_file_it_cannot_tell_the_format_of(tmp_path, cast):
    path = tmp_path / "leads.txt"
    with pytest.raises(CommandError, match=r"Cannot tell the format of leads\.txt"):
        call_command("export", "leads", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="named like csv"):
        call_command("export", "leads", str(tmp_path / "a.csv"), format="xlsx")
    assert not path.exists()


def test_exporting_thousands_of_leads_takes_a_handful_of_queries(
    login, cast, acme, channels, django_assert_max_num_queries
):
    Lead.objects.bulk_create(
        Lead(
            email=f"lead{i}@acme.example",
            account=acme,
            owner=cast["bob"],
            source=channels["paid_search"],
            status_changed_at=T0,
            created_at=T0,
        )
        for i in range(exports.CHUNK_SIZE + 500)
    )
    client = login(cast["vera"])
    with django_assert_max_num_queries(4):
        rows = csv_rows(client.get(export_url("leads"), {"owner": cast["bob"].pk}))
    assert len(rows) == exports.CHUNK_SIZE + 501


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(export_url("leads"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "kind,file_format", [("people", "csv"), ("touchpoints", "csv"), ("leads", "pdf")]
)
def test_an_unknown_kind_or_format_is_not_found(login, cast, kind, file_format):
    assert login(cast["vera"]).get(export_url(kind, file_format)).status_code == 404


# --- Formula-looking text: inert in every file, unchanged by an export imported again ------


@pytest.fixture
def formula_company(cast, channels):
    """A company whose names, titles, domains and ids look like formulas, in every kind."""
    accounts = [
        Account.objects.create(
            name=name, domain=domain, industry=industry, external_id=ext, created_at=T0
        )
        for name, domain, industry, ext in [
            ("=Acme", "=acme.example", "@Manufacturing", "-001"),
            ("+Beta", "@beta.example", "|DDE", "+44"),
            ("＝Gamma", "＝gamma.example", "－Retail", ""),
            ("|Pipe Co", "｜pipe.example", "", "＠7"),
            ("'=Quoted", "'+quoted.example", "'plain", ""),
            ("-Delta", "-delta.example", "", ""),
        ]
    ]
    people = [
        ("ann@f.example", '=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "+1"),
        ("ben@f.example", "@SUM(A1)", "＠Ben", ""),
        ("cy@f.example", "｜cmd", "-Smith", "-7"),
        ("dee@f.example", "'=already quoted", "＝Dee", ""),
        ("eve@f.example", "＋1 555 0100", "|Eve", "=X"),
        ("fay@f.example", "-10% for a 3-year term", "﹦Fay", ""),
    ]
    leads = [
        factories.create_lead(
            email,
            cast=cast,
            channels=channels,
            account=account,
            owner="alice",
            status=Lead.Status.MQL,
            source="webinar",
            title=title,
            first_name=first,
            external_id=ext,
        )
        for (email, title, first, ext), account in zip(people, accounts, strict=True)
    ]
    campaign = Campaign.objects.create(
        name="@Spring webinar",
        channel=channels["webinar"],
        kind=Campaign.Kind.WEBINAR,
        starts_on=date(2026, 3, 1),
        external_id="=C1",
    )
    for i, lead in enumerate(leads):
        Touchpoint.objects.create(
            lead=lead,
            channel=channels["webinar"],
            campaign=campaign,
            kind=Touchpoint.Kind.WEBINAR,
            occurred_at=T0 + timedelta(hours=i),
            external_id=f"-tp{i}",
        )
        Activity.objects.create(
            lead=lead,
            user=cast["alice"],
            kind=Activity.Kind.CALL,
            occurred_at=T0 + timedelta(hours=i),
            outcome="=Connected",
            notes="-call back\n+next week",
        )
        Opportunity.objects.create(
            name=f"=1+{i} deal",
            account=lead.account,
            primary_lead=lead,
            owner=cast["alice"],
            amount=Decimal("1000.00"),
            stage=Opportunity.Stage.PROPOSAL,
            created_at=T0,
            close_date=date(2026, 6, 30),
        )


def everything() -> dict[str, list[dict]]:
    models = (User, Channel, Account, Lead, Campaign, Touchpoint, Activity, Opportunity)
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formula_looking_text_is_quoted_in_every_export_including_fullwidth_and_pipes(
    tmp_path, formula_company, file_format
):
    for kind in HEADERS:
        path = tmp_path / f"{kind}.{file_format}"
        call_command("export", kind, str(path), stdout=io.StringIO())
        if file_format == "csv":
            with open(path, newline="", encoding="utf-8") as f:
                header, *rows = list(csv.reader(f))
        else:
            header, *rows = xlsx_rows(path.read_bytes())
        for row in rows:
            for name, cell in zip(header, row, strict=False):
                if isinstance(cell, str) and cell and cell[0] in "=+-@|＝＋－＠｜﹦":
                    pytest.fail(f"{kind}.{name} would run in a spreadsheet: {cell!r}")
    assert ["'＝Gamma", "'|Pipe Co"] == [r[1] for r in rows_of(tmp_path, "accounts")[2:4]]


def rows_of(folder, kind) -> list[list[str]]:
    path = folder / f"{kind}.csv"
    if not path.exists():
        call_command("export", kind, str(path), stdout=io.StringIO())
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def test_an_export_of_formula_looking_text_imports_again_without_changing_anything(
    tmp_path, formula_company
):
    before = everything()
    assert len(before["Account"]) == 6 and len(before["Opportunity"]) == 6
    files = {}
    for kind in HEADERS:
        files[kind] = tmp_path / f"{kind}.csv"
        call_command("export", kind, str(files[kind]), stdout=io.StringIO())

    for kind, path in files.items():
        report = run_import(kind, path, source_system="accord")
        assert report.rows > 0, kind
        assert (report.created, report.updated, report.rejected) == (0, 0, 0), (
            kind,
            report.errors,
        )
        assert report.created_accounts == 0, kind

    after = everything()
    assert after == before
    assert Account.objects.get(external_id="-001").name == "=Acme"
    assert Lead.objects.get(email="dee@f.example").title == "'=already quoted"
