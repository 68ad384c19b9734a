"""Sales reuse on the deal: a rep opens the case a visitor submitted, adjusts it with the
buyer and saves a new version; the history says who changed what; the opportunity shows its
latest case; a won deal's realised value is recorded and the calculator page compares it with
what was promised.

The visitor's submissions are written with the ORM here, computed as the public page would
(`compute.read_inputs`, `compute.compute`). The ROI calculator's defaults (20 analysts, 5 hours
a week, $90,000 salary, $1,200 licence, $25,000 implementation, 36 months) compute a net value
of $455,000; 35 analysts, $815,000.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.calculators import actions, compute, deal_queries, deals
from accord.calculators.models import Realisation, Submission
from accord.crm.models import Opportunity
from accord.people import permissions, tokens
from accord.people.models import AuditLog

D = Decimal


def visitor_case(version, lead, at=None, **typed) -> Submission:
    """What the public page stores when the lead's visitor submits these inputs."""
    raw = {**{item["key"]: item["default"] for item in version.inputs}, **typed}
    result = compute.compute(version, compute.read_inputs(version, raw))
    return Submission.objects.create(
        calculator=version.calculator,
        version=version,
        source=Submission.Source.PUBLIC,
        email=lead.email,
        lead=lead,
        account=lead.account,
        inputs=result.stored_inputs(),
        results=result.stored_values(),
        created_at=at or timezone.now(),
    )


def form(version, note="", **typed) -> dict:
    """The adjust form as a rep posts it: every input as shown (defaults unless given)."""
    values = {item["key"]: item["default"] for item in version.inputs} | typed
    return {**{f"in_{k}": v for k, v in values.items()}, "note": note}


@pytest.fixture
def ann(make_lead):
    return make_lead("ann.lee@acme.example", owner="alice", status="mql", first_name="Ann")


@pytest.fixture
def case(published, ann):
    return visitor_case(published, ann)


@pytest.fixture
def deal(cast, ann):
    return Opportunity.objects.create(
        name="Acme rollout",
        account=ann.account,
        primary_lead=ann,
        owner=cast["alice"],
        amount=D("73000"),
        stage=Opportunity.Stage.NEGOTIATION,
        created_at=timezone.now(),
        close_date=date(2026, 12, 31),
    )


def write_token(user) -> str:
    return tokens.issue_token(user, name="deal", scope="write")[1]


# --- Adjusting a visitor's case -------------------------------------------------------------


def test_a_rep_adjusts_a_visitors_case_and_the_history_shows_the_change_and_who(
    client, cast, published, case
):
    client.force_login(cast["alice"])
    page = client.get(f"/calculators/submissions/{case.pk}/adjust/").content.decode()
    assert 'name="in_analysts" value="20"' in page  # the visitor's own numbers, as typed

    response = client.post(
        f"/calculators/submissions/{case.pk}/adjust/",
        form(published, analysts="35", note="The EU team joins: 35 analysts"),
    )

    made = Submission.objects.get(based_on=case)
    assert response.status_code == 302
    assert response["Location"] == f"/calculators/submissions/{made.pk}/history/"
    assert (made.source, made.created_by, made.lead) == ("sales", cast["alice"], case.lead)
    assert (made.results["net_value"], case.results["net_value"]) == ("815000", "455000")
    history = client.get(response["Location"]).content.decode()
    assert "The EU team joins: 35 analysts" in history
    assert "Analysts on the team</td>" in history
    assert (
        '<span class="before">20</span>' in history and '<span class="after">35</span>' in history
    )
    assert "455,000.00" in history and "815,000.00" in history  # net value before and after
    assert "Alice · " in history and "the visitor (ann.lee@acme.example)" in history
    changed = history.split("Inputs changed")[1].split("Results")[0]
    assert "Hours each saves a week" not in changed  # only what changed is listed
    log = AuditLog.objects.get(action="calculator.case_adjusted")
    assert (log.actor, log.before["inputs"]["analysts"], log.after["inputs"]["analysts"]) == (
        cast["alice"],
        "20",
        "35",
    )


def test_the_lead_page_panel_lists_the_cases_with_their_results_and_source(
    client, cast, published, case
):
    made = deals.adjust(cast["alice"], case, form_inputs(published, analysts="35"), "EU team")
    client.force_login(cast["alice"])
    panel = client.get(f"/calculators/for-lead/{case.lead_id}/", headers={"HX-Request": "true"})
    html = panel.content.decode()
    assert "<html" not in html  # the fragment htmx swaps in
    assert "Analyst ROI" in html and "2 versions" in html and "started by the visitor" in html
    assert 'Net value</td><td class="num"><strong>815,000.00</strong>' in html
    assert f"/calculators/submissions/{made.pk}/adjust/" in html  # the thread's latest
    client.force_login(cast["vera"])  # reads it, but no Adjust or Start for a viewer
    html = client.get(f"/calculators/for-lead/{case.lead_id}/").content.decode()
    assert 'Net value</td><td class="num"><strong>815,000.00</strong>' in html
    assert "/adjust/" not in html and "Start a new one" not in html


def form_inputs(version, **typed) -> dict:
    return {item["key"]: item["default"] for item in version.inputs} | typed


@pytest.mark.parametrize("who", ["bob", "vera", "mona"])
def test_an_unrelated_rep_or_a_viewer_is_refused_at_the_page_and_the_api(
    client, api, cast, published, case, who
):
    client.force_login(cast[who])
    url = f"/calculators/submissions/{case.pk}/adjust/"
    assert client.get(url).status_code == 403
    assert client.post(url, form(published, analysts="35", note="Mine now")).status_code == 403
    body = {"inputs": form_inputs(published, analysts="35"), "note": "Mine now"}
    answer = api("post", f"/calculators/submissions/{case.pk}/adjust", write_token(cast[who]), body)
    assert answer.status_code == 403
    assert "whoever works this deal" in answer.json()["detail"]
    assert not Submission.objects.filter(source="sales").exists()
    assert (
        client.get(f"/calculators/submissions/{case.pk}/history/").status_code == 200
    )  # reading is open


def test_the_owner_of_the_deal_and_the_reps_manager_may_adjust(cast, published, case, deal):
    deal.owner = cast["bob"]  # the account executive who took it over from alice
    deal.save()
    made = deals.adjust(cast["bob"], case, form_inputs(published, analysts="30"), "AE", deal)
    again = deals.adjust(cast["sam"], made, form_inputs(published, analysts="31"), "Manager")
    assert (made.opportunity, again.opportunity, again.based_on) == (deal, deal, made)
    with pytest.raises(PermissionDenied):
        deals.adjust(cast["mike"], again, form_inputs(published, analysts="32"), "Marketing")


def test_results_are_computed_by_the_server_and_a_posted_result_is_ignored(
    client, api, cast, published, case
):
    client.force_login(cast["alice"])
    tampered = {**form(published, analysts="35", note="Page"), "net_value": "99999999"}
    client.post(f"/calculators/submissions/{case.pk}/adjust/", tampered)
    body = {
        "inputs": form_inputs(published, analysts="35"),
        "note": "API",
        "results": {"net_value": "99999999", "roi": "42"},
    }
    answer = api(
        "post", f"/calculators/submissions/{case.pk}/adjust", write_token(cast["alice"]), body
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["results"]["net_value"] == "815000"
    assert answer.json()["based_on_id"] == case.pk
    stored = Submission.objects.filter(source="sales").values_list("results", flat=True)
    assert [r["net_value"] for r in stored] == ["815000", "815000"]
    assert {r["roi"] for r in stored} == {"5.3974"}  # 815000 / 151000, to 4 places


def test_an_input_out_of_range_is_named_and_nothing_is_stored(client, api, cast, published, case):
    client.force_login(cast["alice"])
    page = client.post(
        f"/calculators/submissions/{case.pk}/adjust/",
        form(published, analysts="20000", note="Too big"),
    )
    assert page.status_code == 200
    assert "Analysts on the team: at most 10000" in page.content.decode()
    body = {"inputs": form_inputs(published, analysts="20000", salary="lots"), "note": "x"}
    answer = api(
        "post", f"/calculators/submissions/{case.pk}/adjust", write_token(cast["alice"]), body
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "analysts: Analysts on the team: at most 10000" in detail
    assert "salary: Average salary: 'lots' is not a number" in detail
    extra = {"inputs": {**form_inputs(published), "discount": "5"}, "note": "x"}
    answer = api(
        "post", f"/calculators/submissions/{case.pk}/adjust", write_token(cast["alice"]), extra
    )
    assert answer.json()["detail"] == "discount: this calculator has no such input"
    assert Submission.objects.count() == 1


def test_a_change_needs_a_note_and_a_change(client, cast, published, case):
    with pytest.raises(ValidationError) as refused:
        deals.adjust(cast["alice"], case, form_inputs(published, analysts="35"), "  ")
    assert refused.value.message_dict == {
        "note": ["Say what changed and why: the history shows it to everybody."]
    }
    with pytest.raises(ValidationError, match="Nothing changed"):
        deals.adjust(cast["alice"], case, form_inputs(published), "Same numbers")
    client.force_login(cast["alice"])
    page = client.post(
        f"/calculators/submissions/{case.pk}/adjust/", form(published, analysts="35")
    )
    assert "Say what changed and why" in page.content.decode()
    assert Submission.objects.count() == 1


def test_a_case_keeps_its_version_unless_the_rep_recomputes_on_the_published_one(
    client, cast, published, case, roi_content
):
    # v2 raises the adoption assumption from 80% to 90%, and is published over v1.
    content = {**roi_content}
    content["assumptions"] = [
        {**a, "value": "0.9"} if a["key"] == "adoption" else a for a in content["assumptions"]
    ]
    v2 = actions.propose(cast["mona"], actions.save_draft(cast["mona"], published, content))
    actions.approve(cast["carol"], v2)
    actions.approve(cast["victor"], v2)

    kept = deals.adjust(cast["alice"], case, form_inputs(published, analysts="35"), "Same v1")
    assert (kept.version, kept.results["net_value"]) == (published, "815000")
    client.force_login(cast["alice"])
    page = client.get(f"/calculators/submissions/{case.pk}/adjust/").content.decode()
    assert "v2 has been published since" in page and "Recompute on v2 instead" in page
    response = client.post(
        f"/calculators/submissions/{case.pk}/adjust/?on_published=1",
        {**form(published, note="On the new assumptions"), "on_published": "1"},
    )
    moved = Submission.objects.get(note="On the new assumptions")
    assert response.status_code == 302
    # 20 analysts at 90% adoption: 207,000 a year, 621,000 over 36 months, less 97,000.
    assert (moved.version.number, moved.results["net_value"]) == (2, "524000")
    history = client.get(f"/calculators/submissions/{moved.pk}/history/").content.decode()
    assert "recomputed from v1" in history and "No input changed" in history


# --- Starting one, and the opportunity's latest ---------------------------------------------


def test_a_rep_starts_a_case_for_an_account_and_the_opportunity_shows_the_latest(
    client, cast, published, case, deal
):
    client.force_login(cast["alice"])
    account = deal.account
    chooser = client.get(f"/calculators/submissions/new/?account={account.pk}").content.decode()
    assert f'<option value="{published.calculator_id}">Analyst ROI (ROI)</option>' in chooser
    url = (
        f"/calculators/submissions/new/?opportunity={deal.pk}&calculator={published.calculator_id}"
    )
    assert 'name="in_salary" value="90000"' in client.get(url).content.decode()
    response = client.post(
        url, {**form(published, analysts="50"), "opportunity": deal.pk, "note": "Whole company"}
    )
    started = Submission.objects.get(source="sales")
    assert response["Location"] == f"/calculators/submissions/{started.pk}/history/"
    assert (started.opportunity, started.lead, started.account, started.based_on) == (
        deal,
        deal.primary_lead,
        account,
        None,
    )
    panel = client.get(f"/calculators/for-opportunity/{deal.pk}/").content.decode()
    latest = panel.split("The deal's latest business case")[1].split("</div>")[0]
    assert "Whole company" in latest
    # 50 analysts: 460,000 a year, 1,380,000 over 36 months, less 25,000 and 180,000 licences.
    assert "1,175,000.00" in panel.split("The deal's latest")[1].split("</div>\n  </div>")[0]
    assert AuditLog.objects.filter(action="calculator.case_started", actor=cast["alice"]).exists()
    assert client.get(f"/calculators/for-account/{account.pk}/").status_code == 200


def test_a_case_cannot_start_on_an_unpublished_calculator(cast, draft, ann):
    with pytest.raises(ValidationError, match="has no published version"):
        deals.start(cast["alice"], draft.calculator, ann, {})


def test_the_api_lists_the_cases_of_a_lead_and_of_an_opportunity(api, cast, published, case, deal):
    deals.adjust(cast["alice"], case, form_inputs(published, analysts="35"), "On the deal", deal)
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]
    by_lead = api("get", "/calculators/submissions", token, lead=case.lead_id).json()
    by_deal = api("get", "/calculators/submissions", token, opportunity=deal.pk).json()
    assert [(c["source"], c["based_on_id"]) for c in by_lead] == [
        ("sales", case.pk),
        ("public", None),
    ]
    assert [c["id"] for c in by_deal] == [c["id"] for c in by_lead]
    assert by_deal[0]["results"]["net_value"] == "815000" and by_deal[0]["version"] == 1
    neither = api("get", "/calculators/submissions", token)
    assert neither.status_code == 422
    assert neither.json()["detail"] == "Give exactly one of lead, opportunity or account."


# --- Realised value and promised against realised -------------------------------------------


def test_a_realised_value_is_recorded_only_on_a_won_deal(client, cast, published, case, deal):
    with pytest.raises(ValidationError) as refused:
        deals.record_realised(cast["alice"], deal, None, "400000")
    assert refused.value.message_dict["opportunity"] == [
        "Acme rollout is still open (Negotiation): a realised value is recorded only on a won deal."
    ]
    client.force_login(cast["alice"])
    page = client.post(
        f"/calculators/for-opportunity/{deal.pk}/realised/", {"value": "1"}, follow=True
    )
    assert "recorded only on a won deal" in page.content.decode()
    assert not Realisation.objects.exists()

    deal.stage = Opportunity.Stage.WON
    deal.save()
    client.post(f"/calculators/for-opportunity/{deal.pk}/realised/", {"value": "$400,000"})
    first = Realisation.objects.get()
    assert (first.realised_value, first.submission, first.recorded_by) == (
        D("400000.00"),
        case,
        cast["alice"],
    )
    deals.record_realised(cast["sam"], deal, None, "410000", "Measured at 12 months")
    changed = AuditLog.objects.get(action="calculator.realised_changed")
    assert (changed.before["realised_value"], changed.after["realised_value"]) == (
        "400000.00",
        "410000.00",
    )
    assert Realisation.objects.get().realised_value == D("410000.00")
    with pytest.raises(PermissionDenied):
        deals.record_realised(cast["bob"], deal, None, "1")
    with pytest.raises(ValidationError) as refused:
        deals.record_realised(cast["alice"], deal, None, "a lot")
    assert refused.value.message_dict == {"value": ["'a lot' is not an amount of money."]}


def won_deal(cast, lead, name, days_ago) -> Opportunity:
    now = timezone.now()
    return Opportunity.objects.create(
        name=name,
        account=lead.account,
        primary_lead=lead,
        owner=cast["alice"],
        amount=D("50000"),
        stage=Opportunity.Stage.WON,
        created_at=now - timedelta(days=days_ago + 30),
        close_date=(now - timedelta(days=days_ago)).date(),
        closed_at=now - timedelta(days=days_ago),
    )


def test_the_calculator_page_shows_promised_against_realised_across_won_deals(
    client, cast, published, make_lead
):
    # Three won deals, each sold on a case of known net value, and what each realised:
    #   A: 20 analysts, promised 455,000, realised 364,000 -> 0.80
    #   B: 35 analysts, promised 815,000, realised 978,000 -> 1.20
    #   C: 50 analysts, promised 1,175,000, realised 1,057,500 -> 0.90   median: 0.90
    figures = [("A", "20", "364000"), ("B", "35", "978000"), ("C", "50", "1057500")]
    for n, (name, analysts, realised) in enumerate(figures):
        lead = make_lead(f"buyer{n}@acme.example", owner="alice")
        sold = visitor_case(published, lead, analysts=analysts)
        deal = won_deal(cast, lead, f"Deal {name}", days_ago=30 - n)
        deals.record_realised(cast["alice"], deal, sold, realised)
    lost = won_deal(cast, make_lead("gone@acme.example"), "Deal D", 5)  # won, then reopened
    deals.record_realised(cast["alice"], lost, visitor_case(published, lost.primary_lead), "1")
    lost.stage = Opportunity.Stage.NEGOTIATION
    lost.save()

    figures = deal_queries.promised_realised(published.calculator)
    assert [(str(r["opportunity"]), r["promised"], r["ratio"]) for r in figures["rows"]] == [
        ("Deal A", D("455000"), D("0.80")),
        ("Deal B", D("815000"), D("1.20")),
        ("Deal C", D("1175000"), D("0.90")),
    ]
    assert figures["median_ratio"] == D("0.90")
    client.force_login(cast["vera"])
    page = client.get(f"/calculators/{published.calculator_id}/").content.decode()
    section = page.split('id="promised-realised"')[1].split("</section>")[0]
    assert 'class="median-ratio">0.90×</strong> over 3 deals' in section
    assert "$815,000" in section and "$978,000" in section and "1.20×" in section
    assert "Deal D" not in section
    assert 'data-chart="chart-data-' in section  # the bar chart of both, drawn by app.js


def test_the_adjust_form_previews_the_results_as_the_rep_types_and_stores_nothing(
    client, cast, published, case
):
    client.force_login(cast["alice"])
    url = f"/calculators/submissions/{case.pk}/adjust/preview/"
    html = client.post(url, form(published, analysts="35")).content.decode()
    assert 'Net value</td><td class="num"><strong>815,000.00</strong>' in html
    bad = client.post(url, form(published, analysts="0")).content.decode()
    assert "Analysts on the team: at least 1" in bad
    client.force_login(cast["bob"])
    assert client.post(url, form(published, analysts="35")).status_code == 403
    assert Submission.objects.count() == 1


def test_a_case_without_a_net_value_promises_its_last_money_output(cast, draft, ann):
    # A TCO comparison: today, with us, and the saving between them (the bottom line).
    tco = {
        "horizon_months": 12,
        "inputs": [
            {"key": "tb", "label": "Terabytes", "type": "number", "min": 1, "max": 100, "default": 10}
        ],
        "assumptions": [{"key": "price", "label": "Price a TB", "value": "100", "source": "List"}],
        "values": [
            {"key": "today", "label": "Today", "formula": "tb * price * 2", "is_output": True, "format": "money"},
            {"key": "with_us", "label": "With us", "formula": "tb * price", "is_output": True, "format": "money"},
            {"key": "saving", "label": "Saving", "formula": "today - with_us", "is_output": True, "format": "money"},
        ],
    }  # fmt: skip
    version = actions.propose(cast["mona"], actions.save_draft(cast["mona"], draft, tco))
    actions.approve(cast["carol"], version)
    actions.approve(cast["victor"], version)
    version.refresh_from_db()
    assert deal_queries.promised(visitor_case(version, ann, tb="7")) == D("700")


def test_an_account_case_is_worked_by_whoever_works_one_of_its_people_or_deals(
    client, cast, published, ann, make_lead
):
    account = ann.account  # Acme: nobody owns it; alice works ann there
    workers = {n for n in cast if permissions.can_work_business_case(cast[n], account)}
    assert workers == {"ada", "carol", "victor", "sam", "alice"}
    client.force_login(cast["bob"])
    url = f"/calculators/submissions/new/?account={account.pk}&calculator={published.calculator_id}"
    assert client.get(url).status_code == 403
    make_lead("cy@acme.example", owner="bob")  # bob now works somebody at Acme too
    assert client.get(url).status_code == 200
    response = client.post(url, {**form(published, analysts="12"), "account": account.pk})
    started = Submission.objects.get()
    assert response.status_code == 302
    assert (started.account, started.lead, started.created_by) == (account, None, cast["bob"])
