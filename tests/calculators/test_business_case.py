"""The business case of a submission: results by year, the sensitivity line, the page inside,
the visitor's signed copy and the PDF, on the ROI fixture (20 analysts saving 5 hours a week
at $90,000 a year, $1,200 licences, $25,000 to implement, over 36 months).

By hand: an analyst hour costs 90,000 / 1,800 = $50; the benefit a year is
20 × 5 × 46 × 50 × 0.8 = $184,000; licences are 20 × 1,200 = $24,000 a year.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pypdfium2
import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings

from accord.calculators import actions, business_case, compute
from accord.calculators.models import CalculatorVersion, Submission
from tests.calculators.conftest import ROI_TEXTS

SUBMITTED = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The visitor's doors count requests per address in the cache: leave no count behind for
    the tests after these (the permission matrix opens them from the same address)."""
    yield
    cache.clear()


def submit(version, **typed) -> Submission:
    """A visitor's submission stored as the capture stores it: the server's inputs and results."""
    raw = {item["key"]: item["default"] for item in version.inputs} | typed
    result = compute.compute(version, compute.read_inputs(version, raw))
    return Submission.objects.create(
        calculator=version.calculator,
        version=version,
        email="dana@buyer.example",
        inputs=result.stored_inputs(),
        results=result.stored_values(),
        created_at=SUBMITTED,
    )


@pytest.fixture
def submission(published, make_lead):
    lead = make_lead("dana@buyer.example", owner="alice", first_name="Dana", last_name="Buyer")
    submission = submit(published)
    submission.lead = lead
    submission.save()
    return submission


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def figures(row) -> list:
    return [None if f is None else f.value for f in row]


# --- The read model -----------------------------------------------------------------------


def test_each_year_shows_the_total_to_its_end_and_the_money_of_that_year(submission):
    case = business_case.case(submission)

    assert case.yearly == ["Total benefit", "Total cost", "Net value", "ROI"]
    # Cumulative: the formulas over 12, 24 and 36 months. Costs: $25,000 + $24,000 a year.
    assert [figures(year.cumulative) for year in case.years] == [
        [D("184000"), D("49000"), D("135000"), D("2.7551")],  # 135,000 / 49,000
        [D("368000"), D("73000"), D("295000"), D("4.0411")],  # 295,000 / 73,000
        [D("552000"), D("97000"), D("455000"), D("4.6907")],  # 455,000 / 97,000
    ]
    # The year's own amount for money; none for a percentage.
    assert [figures(year.increments) for year in case.years] == [
        [D("184000"), D("49000"), D("135000"), None],
        [D("184000"), D("24000"), D("160000"), None],
        [D("184000"), D("24000"), D("160000"), None],
    ]
    assert [f.shown for f in case.years[0].cumulative] == [
        "$184,000.00",
        "$49,000.00",
        "$135,000.00",
        "275.51%",
    ]
    # Payback is a duration, shown once: 25,000 / ((184,000 - 24,000) / 12) = 1.875 -> 1.9.
    assert case.payback.shown == "1.9 months"
    assert [bar.shown for bar in case.chart.bars] == ["$135,000.00", "$295,000.00", "$455,000.00"]


def test_the_sensitivity_halves_the_benefit_once_and_recomputes_what_follows(submission):
    case = business_case.case(submission)

    # "Benefit a year" is halved; "Total benefit" follows from it (not halved a second time).
    assert case.sensitivity.halved == ["Benefit a year"]
    # Half of $184,000 is $92,000 a year: $276,000 over three years against $97,000 of cost;
    # net $179,000; ROI 179,000 / 97,000 = 1.8454; payback 25,000 / ((92,000 - 24,000) / 12)
    # = 4.41 months.
    assert {f.key: f.value for f in case.sensitivity.figures} == {
        "net_value": D("179000"),
        "roi": D("1.8454"),
        "payback": D("4.4"),
    }
    assert case.sensitivity.sentence == (
        "If the benefit is half what we assume: net value $179,000.00, ROI 184.54%, "
        "payback 4.4 months."
    )


def test_a_calculator_that_names_no_benefit_says_why_it_has_no_sensitivity(cast, draft):
    texts = {
        **ROI_TEXTS,
        "values": """
saving | Saving | analysts * hours_saved * weeks_per_year * salary / working_hours * adoption
  output: money | Hours saved a year
""",
    }
    from accord.calculators import lines

    version = actions.save_draft(cast["mona"], draft, lines.parse(texts))
    case = business_case.case(submit(version))

    assert case.sensitivity is None
    assert "names no benefit" in case.no_sensitivity


def test_a_submission_on_a_retired_version_keeps_its_own_assumptions(cast, submission):
    v1 = submission.version
    content = v1.content()
    content["assumptions"] = [
        {**a, "value": "0.5", "source": "Cautious, 2027"} if a["key"] == "adoption" else a
        for a in content["assumptions"]
    ]
    v2 = actions.propose(cast["mona"], actions.save_draft(cast["mona"], v1, content))
    actions.approve(cast["carol"], v2)
    actions.approve(cast["victor"], v2)
    v1.refresh_from_db()
    assert v1.status == CalculatorVersion.Status.RETIRED

    case = business_case.case(Submission.objects.get(pk=submission.pk))

    assert case.version == 1
    adoption = next(a for a in case.assumptions if a.label == "Share of analysts who adopt it")
    assert (adoption.value, adoption.source) == (D("0.8"), "Our customers' median adoption, 2026")
    assert case.outputs[2].figure.shown == "$455,000.00"
    assert case.years[0].cumulative[2].value == D("135000")


def test_formulas_that_cannot_be_computed_for_a_shorter_year_leave_the_headline_standing(
    client, cast, draft
):
    from accord.calculators import lines

    texts = {**ROI_TEXTS}
    texts["values"] += """
after_first | A year after the first | total_benefit * 12 / (horizon_months - 12)
  output: money | The benefit of each year after the first
"""
    version = actions.save_draft(cast["mona"], draft, lines.parse(texts))
    submission = submit(version)

    case = business_case.case(submission)

    assert case.years == [] and case.sensitivity is None
    assert "after_first: division by zero" in case.years_problem
    assert [o.figure.shown for o in case.outputs][2] == "$455,000.00"
    client.force_login(cast["vera"])
    page = client.get(f"/calculators/submissions/{submission.pk}/case/")
    assert page.status_code == 200 and "cannot be computed" in page.content.decode()


# --- The page inside ----------------------------------------------------------------------


def test_the_page_needs_a_login(client, submission):
    for url in (
        f"/calculators/submissions/{submission.pk}/case/",
        f"/calculators/submissions/{submission.pk}/case.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_everybody_inside_reads_the_case_with_its_lead_the_viewer_too(client, cast, submission):
    client.force_login(cast["vera"])
    # The buyer's link is signed with the second it was made: the page and the check below
    # sign it in the same second.
    with time_machine.travel(datetime.now(UTC), tick=False):
        page = client.get(f"/calculators/submissions/{submission.pk}/case/").content.decode()
        link = business_case.public_case_url(submission)

    assert "Dana Buyer" in page and "alice" in page.lower()  # the lead and its owner
    assert "$455,000.00" in page and "OECD average hours worked, 2025" in page
    assert (
        "If the benefit is half what we assume: net value $179,000.00, ROI 184.54%, "
        "payback 4.4 months." in page
    )
    assert link in page  # the buyer's link to send


# --- The visitor's copy -------------------------------------------------------------------


def test_the_visitor_reads_the_case_without_login_and_without_our_notes(client, submission):
    url = business_case.public_case_url(submission)
    assert url.startswith("/c/case/") and url.endswith("/")

    response = client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert "$455,000.00" in page and "OECD average hours worked, 2025" in page
    assert "Dana" not in page and "dana@buyer.example" not in page  # no lead
    assert "Alice" not in page and "New" not in page  # no owner, no lead status
    assert "For us only" not in page


@pytest.mark.parametrize("spoil", ["tamper", "expire", "other salt", "gone"])
def test_a_spoiled_link_gets_one_polite_404(client, submission, spoil):
    url = business_case.public_case_url(submission)
    token = url.split("/")[3]
    if spoil == "tamper":
        url = url.replace(token, token[:-2] + ("aa" if token[-2:] != "aa" else "bb"))
    if spoil == "other salt":  # a signature made for something else never opens a case
        from django.core import signing

        url = url.replace(token, signing.dumps(submission.pk))
    if spoil == "gone":
        submission.delete()
    later = datetime.now(UTC) + (timedelta(days=91) if spoil == "expire" else timedelta(0))

    with time_machine.travel(later, tick=False):
        page = client.get(url)
        pdf = client.get(url.rstrip("/") + ".pdf")

    assert page.status_code == pdf.status_code == 404
    assert "This business case is not available" in page.content.decode()
    assert page.content == pdf.content  # the same answer whatever went wrong


def test_a_link_still_opens_on_its_89th_day(client, submission):
    url = business_case.public_case_url(submission)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=89), tick=False):
        assert client.get(url).status_code == 200


@override_settings(CALCULATOR_CASE_RATE_LIMIT=2)
def test_one_address_asking_too_often_is_told_to_wait(client, submission):
    url = business_case.public_case_url(submission)
    answers = [client.get(url, REMOTE_ADDR="203.0.113.9").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


# --- The PDF ------------------------------------------------------------------------------


def test_the_pdf_holds_the_figures_of_the_page_and_the_sources(client, cast, submission):
    client.force_login(cast["alice"])
    inside = client.get(f"/calculators/submissions/{submission.pk}/case.pdf")
    public = client.get(business_case.public_case_url(submission).rstrip("/") + ".pdf")

    assert inside.status_code == public.status_code == 200
    assert inside["Content-Type"] == "application/pdf"
    for response in (inside, public):
        text = pdf_text(response.content)
        assert "$455,000.00" in text  # net value
        assert "OECD average hours worked, 2025" in text
        assert "Our customers' median adoption, 2026" in text
        assert "$135,000.00" in text  # year 1's net value
        assert "net value $179,000.00, ROI 184.54%" in " ".join(text.split())
    assert "Dana" not in pdf_text(public.content)
