"""Building a calculator: save-time checks, the line format, versions and the sign-off."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.calculators import actions, checks, lines, queries
from accord.calculators.models import Calculator, CalculatorVersion
from accord.people.models import AuditLog
from tests.calculators.conftest import ROI_TEXTS

Status = CalculatorVersion.Status


def refused(draft, content, actor) -> dict[str, list[str]]:
    """Save `content` and return the refusal's messages by part; nothing may be stored."""
    before = draft.content()
    with pytest.raises(ValidationError) as caught:
        actions.save_draft(actor, draft, content)
    draft.refresh_from_db()
    assert draft.content() == before
    return caught.value.message_dict


def with_values(content, values_text):
    return {**content, "values": lines.parse({"values": values_text})["values"]}


def test_a_saved_draft_keeps_percentages_as_fractions_and_renders_back(cast, draft, roi_content):
    version = actions.save_draft(cast["mona"], draft, roi_content)
    assert version.pk == draft.pk and version.status == Status.DRAFT
    assumptions = {a["key"]: a["value"] for a in version.assumptions}
    assert assumptions["adoption"] == "0.8"
    assert [v["key"] for v in version.outputs] == [
        "total_benefit",
        "total_cost",
        "net_value",
        "roi",
        "payback",
    ]
    assert lines.parse({**lines.render(version.content()), "horizon_months": 36}) == roi_content
    assert AuditLog.objects.filter(action="calculator.changed").count() == 1


def test_the_preview_computes_the_roi_calculator_exactly(roi_content):
    preview = queries.preview(roi_content, {})
    results = {row["key"]: row["value"] for row in preview["values"]}
    assert preview["problems"] == [] and preview["error"] == ""
    # 90,000 / 1,800 = 50 an hour; 20 analysts x 5 h x 46 weeks x 50 x 0.8 = 184,000 a year.
    assert results["hourly_cost"] == Decimal(50)
    assert results["annual_benefit"] == Decimal(184000)
    assert results["total_benefit"] == Decimal(552000)  # three years
    assert results["total_cost"] == Decimal(97000)  # 25,000 + 1,200 x 20 x 3
    assert results["net_value"] == Decimal(455000)
    assert results["roi"] == Decimal("4.6907")  # 455,000 / 97,000
    assert results["payback"] == Decimal("1.9")  # 25,000 / ((184,000 - 24,000) / 12) = 1.875


def test_the_preview_takes_test_inputs_and_refuses_one_out_of_range(roi_content):
    preview = queries.preview(roi_content, {"analysts": "10", "hours_saved": "41"})
    assert preview["error"] == "hours_saved: 41 is outside its range (0 to 40)"
    preview = queries.preview(roi_content, {"analysts": "10"})
    results = {row["key"]: row["value"] for row in preview["values"]}
    assert results["annual_benefit"] == Decimal(92000)


def test_an_unknown_name_is_named_with_its_formula_and_position(cast, draft, roi_content):
    content = with_values(roi_content, "total | Total | analysts * salry")
    problems = refused(draft, content, cast["mona"])
    (message,) = problems["values"]
    assert message.startswith("total, line 1 column 12: ")
    assert "salry" in message and "salary" in message


def test_a_cycle_between_values_is_refused(cast, draft, roi_content):
    content = with_values(roi_content, "a | A | b + 1\nb | B | a * 2")
    (message,) = refused(draft, content, cast["mona"])["values"]
    assert "a, line 1 column 1: a cycle between values: a -> b -> a" == message


def test_dividing_by_an_input_that_can_be_zero_is_refused(cast, draft, roi_content):
    content = with_values(roi_content, "per_hour | Per hour | salary / hours_saved")
    (message,) = refused(draft, content, cast["mona"])["values"]
    assert message.startswith("per_hour, line 1 column 10:")
    assert "zero" in message


def test_bad_ranges_and_defaults_are_named_by_input(cast, draft, roi_content):
    content = lines.parse(
        {
            **ROI_TEXTS,
            "inputs": "analysts | Analysts | whole | 10 | 1 | 5\n"
            "hours_saved | Hours | number | 0 | 40 | 50\n"
            "salary | Salary | money | 0 | 10 | x\n"
            "licence | Licence | whole | 0 | 10 | 2.5\n"
            "size | Size | choice:\n"
            "implementation | Implementation | money | 0 | | 1",
        }
    )
    assert refused(draft, content, cast["mona"]) == {
        "inputs": [
            "input 1 (analysts): min 10 is above max 1",
            "input 2 (hours_saved): the default 50 is above max 40",
            "input 3 (salary): default 'x' is not a number",
            "input 3 (salary): give it a default (the value the preview and the buyer start from)",
            "input 4 (licence): a whole-number input's default must be whole, not 2.5",
            "input 5 (size): a choice input needs at least one choice (a label and a value)",
            "input 5 (size): give it a default (the value the preview and the buyer start from)",
        ]
    }


def test_duplicate_keys_are_refused(cast, draft, roi_content):
    content = {
        **roi_content,
        "assumptions": roi_content["assumptions"]
        + [{"key": "salary", "label": "Salary", "value": "1", "source": "a guess"}],
    }
    assert refused(draft, content, cast["mona"]) == {
        "assumptions": ["the key salary is used twice: already an input"]
    }


def test_a_malformed_key_and_a_missing_source_are_refused(cast, draft, roi_content):
    content = {
        **roi_content,
        "assumptions": [{"key": "2fast", "label": "Speed", "value": "2", "source": ""}],
    }
    messages = refused(draft, content, cast["mona"])["assumptions"]
    assert messages[0].startswith("assumption 1 (2fast): a key is 1 to 40 letters")
    assert "its source" in messages[1]


def test_the_line_format_names_the_line_of_a_bad_row(cast, draft):
    with pytest.raises(ValidationError) as caught:
        lines.parse({"values": "  output: money | before any value"})
    assert caught.value.message_dict == {
        "values": ["line 1: an output line follows the value it describes"]
    }


def test_a_choice_input_takes_its_range_from_its_choices(roi_content):
    content = {
        **roi_content,
        "inputs": roi_content["inputs"]
        + lines.parse({"inputs": "size | Team size | choice: Small=1, Large=3 | | | 3"})["inputs"],
    }
    cleaned = checks.clean(content)
    assert checks.input_range(cleaned["inputs"][-1]) == checks.Range(Decimal(1), Decimal(3))


def test_editing_a_published_version_makes_a_new_draft(cast, proposed, roi_content):
    published = actions.approve(cast["victor"], actions.approve(cast["carol"], proposed))
    changed = {**roi_content, "horizon_months": 24}
    draft = actions.save_draft(cast["mona"], published, changed)
    published.refresh_from_db()
    assert (draft.number, draft.status, draft.based_on_id) == (2, Status.DRAFT, published.pk)
    assert (published.status, published.horizon_months) == (Status.PUBLISHED, 36)


def test_one_leader_alone_does_not_publish(cast, proposed):
    version = actions.approve(cast["carol"], proposed)
    assert version.status == Status.PROPOSED
    with pytest.raises(ValidationError, match="You have already approved this version"):
        actions.approve(cast["carol"], version)


def test_the_proposer_cannot_sign_their_own_version(cast, calculator, roi_content):
    version = actions.save_draft(cast["carol"], calculator.versions.get(), roi_content)
    version = actions.propose(cast["carol"], version)
    with pytest.raises(ValidationError, match="You proposed this version"):
        actions.approve(cast["carol"], version)
    assert version.approvals.count() == 0


def test_two_leaders_publish_and_retire_the_previous_version(cast, proposed, roi_content):
    first = actions.approve(cast["victor"], actions.approve(cast["carol"], proposed))
    assert first.status == Status.PUBLISHED and first.published_at is not None
    second = actions.save_draft(cast["mona"], first, {**roi_content, "horizon_months": 12})
    second = actions.approve(
        cast["victor"], actions.approve(cast["carol"], actions.propose(cast["mona"], second))
    )
    first.refresh_from_db()
    assert (first.status, second.status) == (Status.RETIRED, Status.PUBLISHED)
    assert {a.side for a in second.approvals.all()} == {"marketing", "sales"}


def test_a_leader_declines_with_a_reason_the_proposer_reads(cast, proposed):
    with pytest.raises(ValidationError):
        actions.decline(cast["victor"], proposed, "no")
    version = actions.decline(cast["victor"], proposed, "The adoption rate has no real source.")
    assert version.status == Status.DECLINED
    assert cast["mona"].notifications.filter(kind="signoff.declined").exists()


@pytest.mark.parametrize("who", ["vera", "alice", "mike", "sam"])
def test_only_builders_create_save_and_propose(cast, draft, roi_content, who):
    with pytest.raises(PermissionDenied):
        actions.create_calculator(cast[who], name="Mine", kind="roi")
    with pytest.raises(PermissionDenied):
        actions.save_draft(cast[who], draft, roi_content)
    with pytest.raises(PermissionDenied):
        actions.propose(cast[who], draft)
    assert Calculator.objects.count() == 1


def test_only_leaders_sign(cast, proposed):
    for who in ("mona", "alice", "vera"):
        with pytest.raises(PermissionDenied):
            actions.approve(cast[who], proposed)
    assert proposed.approvals.count() == 0
