"""The calculator's doors: its pages (list, new, detail, editor, preview, sign-off) and its
read API, for builders, leaders, reps, the viewer and anonymous visitors."""

import pytest

from accord.calculators import actions
from accord.calculators.models import Calculator, CalculatorVersion
from accord.people import tokens
from tests.calculators.conftest import ROI_TEXTS

Status = CalculatorVersion.Status


def editor_post(**overrides):
    return {**{k: v for k, v in ROI_TEXTS.items()}, "note": "", **overrides}


def test_a_builder_creates_a_calculator_from_the_page(client, cast):
    client.force_login(cast["mona"])
    response = client.post("/calculators/new/", {"name": "Analyst ROI", "kind": "roi"})
    calculator = Calculator.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/calculators/{calculator.pk}/versions/1/edit/"
    assert client.get("/calculators/").content.decode().count("Analyst ROI") == 1


@pytest.mark.parametrize("who", ["vera", "alice", "mike"])
def test_others_may_not_create_or_edit(client, cast, draft, who):
    client.force_login(cast[who])
    assert client.get("/calculators/new/").status_code == 403
    assert client.post("/calculators/new/", {"name": "X", "kind": "roi"}).status_code == 403
    url = f"/calculators/{draft.calculator_id}/versions/1/edit/"
    assert client.post(url, editor_post()).status_code == 403
    assert client.post(url.replace("edit", "preview"), editor_post()).status_code == 403
    assert client.post(url.replace("edit/", "propose/")).status_code == 403
    draft.refresh_from_db()
    assert (Calculator.objects.count(), draft.inputs, draft.status) == (1, [], Status.DRAFT)
    assert client.get(f"/calculators/{draft.calculator_id}/").status_code == 200  # reading is open


def test_anonymous_visitors_are_sent_to_log_in(client, draft):
    for url in ("/calculators/", f"/calculators/{draft.calculator_id}/"):
        assert client.get(url)["Location"].startswith("/login/")
    response = client.post(f"/calculators/{draft.calculator_id}/versions/1/edit/", editor_post())
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_editor_saves_a_draft_and_lists_refusals_with_their_positions(client, cast, draft):
    client.force_login(cast["mona"])
    url = f"/calculators/{draft.calculator_id}/versions/1/edit/"
    bad = client.post(url, editor_post(values="total | Total | analysts * salry"))
    assert bad.status_code == 200
    assert "total, line 1 column 12" in bad.content.decode()
    draft.refresh_from_db()
    assert draft.values == []
    good = client.post(url, editor_post())
    assert good.status_code == 302
    draft.refresh_from_db()
    assert len(draft.outputs) == 5


def test_the_preview_shows_every_value_for_the_test_inputs(client, cast, draft):
    client.force_login(cast["mona"])
    url = f"/calculators/{draft.calculator_id}/versions/1/preview/"
    page = client.post(
        url, editor_post(test_analysts="10"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'name="test_analysts" value="10"' in page
    assert ">92,000<" in page  # a year's benefit for 10 analysts
    assert ">352.46%<" in page  # the ROI, a fraction shown as a percentage
    assert 'name="test_adoption"' not in page  # assumptions are not test inputs
    problems = client.post(url, editor_post(values="a | A | b\nb | B | a")).content.decode()
    assert "a cycle between values: a -&gt; b -&gt; a" in problems


def test_leaders_sign_from_the_page_and_the_second_signature_publishes(client, cast, proposed):
    url = f"/calculators/{proposed.calculator_id}/versions/1/approve/"
    client.force_login(cast["alice"])
    assert client.post(url).status_code == 403
    client.force_login(cast["carol"])
    assert (
        "Sign the assumptions"
        in client.get(f"/calculators/{proposed.calculator_id}/").content.decode()
    )
    client.post(url)
    client.force_login(cast["victor"])
    client.post(url)
    proposed.refresh_from_db()
    assert proposed.status == Status.PUBLISHED
    assert [a.user.username for a in proposed.approvals.all()] == ["carol", "victor"]


def test_the_api_lists_calculators_and_shows_the_published_version(api, cast, proposed):
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]
    listed = api("get", "/calculators", token).json()
    assert listed[0]["status"] == "proposed" and listed[0]["published_version"] is None
    actions.approve(cast["victor"], actions.approve(cast["carol"], proposed))
    listed = api("get", "/calculators", token).json()
    assert [(c["name"], c["kind"], c["status"], c["published_version"]) for c in listed] == [
        ("Analyst ROI", "roi", "published", 1)
    ]
    one = api("get", f"/calculators/{proposed.calculator_id}", token).json()
    assert one["horizon_months"] == 36
    assert [i["key"] for i in one["inputs"]][:2] == ["analysts", "hours_saved"]
    assert one["assumptions"][2] == {
        "key": "adoption",
        "label": "Share of analysts who adopt it",
        "value": "0.8",
        "percent": True,
        "source": "Our customers' median adoption, 2026",
    }
    assert [o["format"] for o in one["outputs"]] == ["money", "money", "money", "percent", "months"]


def test_the_api_answers_errors_in_json(api, cast, draft):
    token = tokens.issue_token(cast["alice"], name="read", scope="read")[1]
    assert api("get", "/calculators").status_code == 401
    missing = api("get", "/calculators/999999", token)
    assert missing.status_code == 404 and "detail" in missing.json()
    assert api("get", "/calculators/zero", token).status_code == 422
    unpublished = api("get", f"/calculators/{draft.calculator_id}", token).json()
    assert unpublished["published_version"] is None and unpublished["inputs"] == []


def test_an_assumption_written_as_a_percentage_is_read_as_one_everywhere(client, cast, published):
    """Adoption was written as 80%: stored as 0.8 and computed with 0.8, shown as 80% to
    the leaders who sign it, in the editor, and to the buyer in the business case."""
    from django.utils import timezone

    from accord.calculators import business_case, compute, lines
    from accord.calculators.models import Submission

    adoption = next(a for a in published.assumptions if a["key"] == "adoption")
    assert adoption["value"] == "0.8" and adoption["percent"] is True
    client.force_login(cast["victor"])
    page = client.get(published.calculator.get_absolute_url()).content.decode()
    assert '<td class="num">80%</td>' in page
    assert "| 80% |" in lines.render(published.content())["assumptions"]
    result = compute.compute(published, compute.defaults(published))
    submission = Submission.objects.create(
        calculator=published.calculator, version=published, inputs=result.stored_inputs(),
        results=result.stored_values(), created_at=timezone.now(),
    )  # fmt: skip
    shown = {a.label: a.shown for a in business_case.case(submission).assumptions}
    assert shown["Share of analysts who adopt it"] == "80%"
    assert shown["Working hours a year"] == "1,800"
