"""Lead definitions: sign-off, versions, activation, the pages, backtests and the CLI."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from accord.crm.models import Lead, Touchpoint
from accord.people.models import AuditLog
from accord.qualify import actions, backtest
from accord.qualify.models import BacktestRun, LeadDefinition, ScoringRun
from accord.qualify.scoring import score_after_commit
from tests.factories import T0

RULES = [
    {"type": "fit", "field": "title", "op": "contains", "value": "vp", "points": 40},
    {"type": "fit", "field": "industry", "op": "equals", "value": "Manufacturing", "points": 30},
    {"type": "engagement", "touch_kind": "demo_request", "points": 50},
    {"type": "engagement", "touch_kind": "web_visit", "points": 5, "cap": 20},
]


def content(**changes):
    return {
        "name": "Fit and intent",
        "rules": RULES,
        "grade_thresholds": {"A": 60, "B": 30, "C": 10},
        "mql_grades": ["A", "B"],
        "mql_min_score": 40,
        **changes,
    }


@pytest.fixture
def draft(cast):
    return actions.create_definition(cast["mona"], content())


def proposed(draft, cast, by="mona"):
    return actions.propose(cast[by], draft)


# Sign-off ------------------------------------------------------------------------------


def test_a_definition_goes_live_after_a_marketing_and_a_sales_leader_sign(draft, cast):
    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    definition.refresh_from_db()
    assert definition.status == "proposed"
    actions.approve(cast["victor"], definition)
    definition.refresh_from_db()
    assert definition.status == "approved"
    run = actions.activate(cast["sam"], definition)
    definition.refresh_from_db()
    assert definition.status == "active" and run.trigger == ScoringRun.Trigger.ACTIVATION


def test_the_proposers_own_approval_is_not_enough(cast, teams):
    definition = actions.create_definition(cast["carol"], content())
    actions.propose(cast["carol"], definition)
    with pytest.raises(ValidationError, match="You proposed this definition"):
        actions.approve(cast["carol"], definition)
    assert not definition.approvals.exists()


def test_two_leaders_of_one_team_cannot_sign_together(draft, cast, teams):
    from accord.people.models import User

    other = User.objects.create_user("claire", role=User.Role.LEADER)
    other.teams.add(teams["marketing"])
    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    with pytest.raises(ValidationError, match="already approved v1 for marketing"):
        actions.approve(other, definition)
    with pytest.raises(ValidationError, match="already approved"):
        actions.approve(cast["carol"], definition)
    assert definition.approvals.count() == 1


@pytest.mark.parametrize("who", ["mona", "alice", "vera", "ada"])
def test_only_leaders_of_marketing_or_sales_approve(draft, cast, who):
    definition = proposed(draft, cast, by="sam")
    with pytest.raises(PermissionDenied):
        actions.approve(cast[who], definition)


@pytest.mark.parametrize("who", ["alice", "vera"])
def test_members_and_viewers_cannot_draft(cast, who):
    with pytest.raises(PermissionDenied):
        actions.create_definition(cast[who], content())
    assert not LeadDefinition.objects.exists()


def test_a_draft_cannot_be_approved_or_activated_before_its_time(draft, cast):
    with pytest.raises(ValidationError, match="only a proposed definition"):
        actions.approve(cast["carol"], draft)
    with pytest.raises(ValidationError, match="approved by both"):
        actions.activate(cast["ada"], draft)


def test_editing_an_active_definition_makes_a_new_draft_and_leaves_the_signed_one(draft, cast):
    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    actions.activate(cast["sam"], definition)
    new = actions.change_definition(cast["mona"], definition, content(mql_min_score=60))
    definition.refresh_from_db()
    assert (new.version, new.status, new.based_on) == (2, "draft", definition)
    assert (definition.status, definition.mql_min_score) == ("active", 40)
    same = actions.change_definition(cast["mona"], new, content(mql_min_score=70))
    assert same.pk == new.pk and same.mql_min_score == 70


def test_activating_retires_the_previous_one_so_exactly_one_is_active(draft, cast):
    for definition in (draft, actions.create_definition(cast["mona"], content(name="Second"))):
        actions.propose(cast["sam"], definition)
        actions.approve(cast["carol"], definition)
        actions.approve(cast["victor"], definition)
        actions.activate(cast["sam"], definition)
    statuses = dict(LeadDefinition.objects.values_list("name", "status"))
    assert statuses == {"Fit and intent": "retired", "Second": "active"}


def test_a_bad_definition_changes_nothing(draft, cast):
    bad = content(
        rules=[{"type": "fit", "field": "shoe", "op": "equals", "value": "9", "points": 5}]
    )
    with pytest.raises(ValidationError, match="rule 1: unknown field 'shoe'"):
        actions.change_definition(cast["mona"], draft, bad)
    draft.refresh_from_db()
    assert draft.rules == RULES
    with pytest.raises(ValidationError, match="unknown channel 'tv'"):
        actions.create_definition(
            cast["mona"],
            content(rules=[*RULES, {"type": "engagement", "channel": "tv", "points": 3}]),
        )
    assert LeadDefinition.objects.count() == 1


def test_every_step_is_in_the_audit_log(draft, cast):
    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    actions.activate(cast["sam"], definition)
    logged = list(
        AuditLog.objects.filter(object_type="qualify.leaddefinition")
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert logged == [
        ("definition.created", "mona"),
        ("definition.proposed", "mona"),
        ("definition.approved", "carol"),
        ("definition.approved", "victor"),
        ("definition.activated", "sam"),
    ]


def test_activation_makes_passing_new_leads_mql(draft, cast, make_lead, channels):
    lead = make_lead("vp@acme.example", title="VP Plant")
    Touchpoint.objects.create(lead=lead, channel=channels["webinar"], kind="demo_request",
                              occurred_at=T0)  # fmt: skip
    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    run = actions.activate(cast["sam"], definition)
    lead.refresh_from_db()
    assert (run.promoted, lead.status, lead.fit_grade) == (1, "mql", "A")


def test_new_touchpoints_are_scored_after_their_transaction_commits(
    draft, cast, make_lead, channels, django_capture_on_commit_callbacks
):
    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    actions.activate(cast["sam"], definition)
    lead = make_lead("vp@acme.example", title="VP Plant")
    Touchpoint.objects.create(lead=lead, channel=channels["webinar"], kind="demo_request",
                              occurred_at=T0)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        score_after_commit([lead.pk])
        lead.refresh_from_db()
        assert lead.status == "new"  # nothing before the commit
    lead.refresh_from_db()
    assert (lead.status, lead.engagement_score) == ("mql", 50)
    assert ScoringRun.objects.filter(trigger="incremental").count() == 1


def test_the_bulk_api_scores_the_leads_it_touched(
    client, draft, cast, make_lead, channels, django_capture_on_commit_callbacks
):
    from accord.people.tokens import issue_token

    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    actions.activate(cast["sam"], definition)
    lead = make_lead("vp@acme.example", title="VP Plant")
    _, secret = issue_token(cast["otto"], name="site", scope="write")
    body = {
        "source_system": "web",
        "items": [{"lead": "vp@acme.example", "channel": "webinar", "kind": "demo_request",
                   "occurred_at": "2026-03-03T10:00:00Z"}],
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/touchpoints/bulk", json.dumps(body), content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
        )  # fmt: skip
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert lead.status == "mql"


# Pages ---------------------------------------------------------------------------------


def form_data(**changes):
    data = {
        "name": "Typed in the browser",
        "note": "",
        "grade_a": "60",
        "grade_b": "30",
        "grade_c": "10",
        "mql_grades": ["A", "B"],
        "mql_min_score": "40",
        "fit-TOTAL_FORMS": "2",
        "fit-INITIAL_FORMS": "0",
        "fit-0-field": "title",
        "fit-0-op": "contains",
        "fit-0-value": "vp",
        "fit-0-points": "40",
        "fit-1-field": "employees",
        "fit-1-op": "between",
        "fit-1-value": "200..5000",
        "fit-1-points": "20",
        "engagement-TOTAL_FORMS": "1",
        "engagement-INITIAL_FORMS": "0",
        "engagement-0-touch_kind": "demo_request",
        "engagement-0-points": "50",
    }
    data.update(changes)
    return data


def test_a_manager_drafts_a_definition_in_the_editor(login, cast, channels):
    client = login(cast["mona"])
    response = client.post("/qualify/definitions/new/", form_data())
    definition = LeadDefinition.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/qualify/definitions/{definition.pk}/"
    )
    assert definition.rules[1]["value"] == ["200", "5000"]
    page = client.get(response["Location"]).content.decode()
    assert "Account employees between 200 and 5000" in page
    assert "Propose for sign-off" in page


def test_the_editor_puts_each_error_on_its_row_and_stores_nothing(login, cast, channels):
    client = login(cast["mona"])
    response = client.post(
        "/qualify/definitions/new/",
        form_data(**{"fit-1-value": "5000..200", "grade_b": "90"}),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "the minimum 5000 is above the maximum 200" in page
    assert "thresholds must fall from A to C" in page
    assert 'value="Typed in the browser"' in page  # nothing typed is lost
    assert not LeadDefinition.objects.exists()


def test_the_editor_refuses_thousands_of_rule_rows_and_stores_nothing(login, cast, channels):
    rows = {"fit-TOTAL_FORMS": "5000"}
    for i in range(2, 150):
        rows |= {f"fit-{i}-field": "title", f"fit-{i}-op": "contains",
                 f"fit-{i}-value": f"v{i}", f"fit-{i}-points": "1"}  # fmt: skip
    response = login(cast["mona"]).post("/qualify/definitions/new/", form_data(**rows))
    assert response.status_code == 200
    assert "Please submit at most 100 forms." in response.content.decode()
    assert not LeadDefinition.objects.exists()


@pytest.mark.parametrize("who", ["alice", "vera"])
def test_members_and_viewers_get_403_on_the_editor_but_read_definitions(login, cast, draft, who):
    client = login(cast[who])
    assert client.get("/qualify/definitions/new/").status_code == 403
    assert client.post("/qualify/definitions/new/", form_data()).status_code == 403
    assert client.post(f"/qualify/definitions/{draft.pk}/propose/").status_code == 403
    assert client.get(f"/qualify/definitions/{draft.pk}/").status_code == 200
    assert client.get("/qualify/").status_code == 200


def test_approving_from_the_page_and_clear_refusals(login, cast, draft):
    proposed(draft, cast)
    client = login(cast["mona"])
    page = client.get(f"/qualify/definitions/{draft.pk}/").content.decode()
    assert "Approve for" not in page
    response = login(cast["carol"]).post(f"/qualify/definitions/{draft.pk}/approve/", follow=True)
    assert "needs the other side" in response.content.decode()
    response = login(cast["carol"]).post(f"/qualify/definitions/{draft.pk}/approve/", follow=True)
    assert "already approved" in response.content.decode()
    assert draft.approvals.count() == 1


def test_unknown_definitions_actions_and_comparisons_are_404(login, cast, draft):
    client = login(cast["mona"])
    assert client.get("/qualify/definitions/999/").status_code == 404
    assert client.post(f"/qualify/definitions/{draft.pk}/explode/").status_code == 404
    assert client.get("/qualify/compare/?a=1&b=zz").status_code == 404


def test_two_versions_side_by_side(login, cast, draft):
    second = actions.create_definition(
        cast["mona"],
        content(name="Stricter", mql_min_score=60, rules=[*RULES[:3],
                {"type": "engagement", "touch_kind": "webinar", "points": 10}]),
        based_on=draft,
    )  # fmt: skip
    page = login(cast["vera"]).get(f"/qualify/compare/?a={draft.pk}&b={second.pk}").content.decode()
    assert "3 differences" in page  # the minimum score, a rule removed, a rule added
    assert "change-removed" in page and "change-added" in page


def test_the_lead_page_shows_grade_score_and_the_rules_behind_them(
    login, cast, draft, make_lead, channels
):
    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    lead = make_lead("vp@acme.example", title="VP Plant")
    for day in range(5):
        Touchpoint.objects.create(lead=lead, channel=channels["webinar"], kind="web_visit",
                                  occurred_at=T0 + timedelta(days=day))  # fmt: skip
    actions.activate(cast["sam"], definition)
    page = login(cast["vera"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "grade-A" in page and "score <strong>20</strong>" in page
    assert "Job title contains &#x27;vp&#x27;" in page
    assert "5 × web visit" in page


# Backtests -----------------------------------------------------------------------------


@pytest.fixture
def history(cast, make_lead, channels):
    """Eight leads from March 2025: fit VPs who asked for a demo mostly won; the others not."""
    created = datetime(2025, 3, 10, 9, tzinfo=UTC)
    outcomes = [
        ("VP Plant", True, "customer"),
        ("VP Supply", True, "customer"),
        ("VP Quality", True, "opportunity"),
        ("VP Ops", True, "new"),
        ("Engineer", True, "customer"),
        ("Engineer", False, "new"),
        ("Engineer", False, "rejected"),
        ("Intern", False, "new"),
    ]
    for number, (title, demo, status) in enumerate(outcomes):
        lead = make_lead(f"p{number}@acme.example", title=title, status=status, account=None)
        Lead.objects.filter(pk=lead.pk).update(created_at=created)
        if demo:
            Touchpoint.objects.create(lead=lead, channel=channels["webinar"], kind="demo_request",
                                      occurred_at=created + timedelta(days=2))  # fmt: skip
    # A demo request long after the 30 days a backtest looks at does not count.
    late = Lead.objects.get(email="p5@acme.example")
    Touchpoint.objects.create(lead=late, channel=channels["webinar"], kind="demo_request",
                              occurred_at=created + timedelta(days=90))  # fmt: skip


def test_a_backtest_counts_mqls_and_their_outcomes_on_known_history(draft, history):
    result = backtest.backtest([draft], date(2025, 3, 1), date(2025, 5, 1))
    totals = result["definitions"][0]["totals"]
    # MQLs: the four VPs with a demo (fit 40 = B, score 50). Won: 3 of 8 leads in all.
    assert (totals["leads"], totals["mqls"], totals["mql_won"], totals["won"]) == (8, 4, 2, 3)
    assert totals["precision"] == pytest.approx(0.5)
    assert totals["recall"] == pytest.approx(2 / 3, abs=1e-6)
    assert totals["base_rate"] == pytest.approx(0.375)
    assert totals["mql_to_opportunity"] == pytest.approx(0.75)
    months = result["definitions"][0]["months"]
    assert [(m["month"], m["mqls"]) for m in months] == [("2025-03-01", 4), ("2025-04-01", 0)]


def test_the_backtest_command_prints_the_figures_as_json(draft, history, capsys):
    call_command("qualify", "backtest", "--definition", str(draft.pk), "--from", "2025-03-01",
                 "--to", "2025-04-01", "--json")  # fmt: skip
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"leads", "mqls", "precision", "recall", "base_rate",
                            "mql_to_opportunity", "mql_to_won"}  # fmt: skip
    assert (printed["leads"], printed["mqls"], printed["precision"]) == (8, 4, 0.5)


def test_the_backtest_command_refuses_bad_input(draft):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No lead definition is active"):
        call_command("qualify", "backtest", "--definition", "active")
    with pytest.raises(CommandError, match="No lead definition with id '99'"):
        call_command("qualify", "backtest", "--definition", "99")
    with pytest.raises(CommandError, match="not a date"):
        call_command("qualify", "backtest", "--definition", str(draft.pk), "--from", "March")
    with pytest.raises(CommandError, match="end after it starts"):
        call_command("qualify", "backtest", "--definition", str(draft.pk), "--from",
                     "2025-05-01", "--to", "2025-04-01")  # fmt: skip


def test_a_backtest_from_the_page_runs_as_a_task_and_shows_both_definitions(
    login, cast, draft, history, django_capture_on_commit_callbacks
):
    client = login(cast["mona"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/qualify/definitions/{draft.pk}/backtest/", {"from": "2025-03-01", "to": "2025-05-01"}
        )
    run = BacktestRun.objects.get()
    assert response["Location"] == f"/qualify/backtests/{run.pk}/"
    assert (run.status, run.progress) == ("done", 100)
    page = client.get(response["Location"]).content.decode()
    assert "50.0%" in page and "37.5%" in page  # precision and base rate
    assert page.count("<canvas") == 2


def test_a_backtest_window_in_the_future_or_backwards_is_refused(login, cast, draft):
    client = login(cast["mona"])
    response = client.post(
        f"/qualify/definitions/{draft.pk}/backtest/", {"from": "2025-05-01", "to": "2025-03-01"},
        follow=True,
    )  # fmt: skip
    assert "must end after it starts" in response.content.decode()
    response = client.post(
        f"/qualify/definitions/{draft.pk}/backtest/", {"from": "2025-05-01", "to": "2999-01-01"},
        follow=True,
    )  # fmt: skip
    assert "cannot end in the future" in response.content.decode()
    assert not BacktestRun.objects.exists()


def test_only_those_who_draft_definitions_run_backtests_at_any_door(login, cast, draft):
    response = login(cast["alice"]).post(
        f"/qualify/definitions/{draft.pk}/backtest/", {"from": "2025-03-01", "to": "2025-05-01"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied, match="run backtests"):
        backtest.start(cast["vera"], draft, date(2025, 3, 1), date(2025, 5, 1))
    assert not BacktestRun.objects.exists()


def test_writes_to_the_same_leads_share_one_scoring_pass_and_a_rollback_leaves_nothing(
    draft, cast, make_lead, channels
):
    from django.db import transaction

    from accord.qualify import scoring
    from accord.qualify.models import PendingScore

    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    actions.activate(cast["sam"], definition)
    one = make_lead("one@acme.example", title="VP Plant")
    two = make_lead("two@acme.example", title="Engineer")
    with transaction.atomic():
        score_after_commit([one.pk, two.pk])
        transaction.set_rollback(True)  # a failed write
    assert not PendingScore.objects.exists()
    score_after_commit([one.pk, two.pk])  # three writes in a row, one lead twice more
    score_after_commit([one.pk])
    score_after_commit([one.pk])
    assert PendingScore.objects.count() == 4
    assert scoring.score_pending() == 2
    assert not PendingScore.objects.exists()
    assert ScoringRun.objects.filter(trigger="incremental").get().leads_scored == 2
    assert scoring.score_pending() == 0  # nothing left to do


def test_scoring_waits_longer_after_an_expensive_pass_so_a_stream_of_writes_keeps_the_worker(
    draft, cast
):
    from accord.qualify import scoring

    definition = proposed(draft, cast)
    assert scoring.scoring_delay() == scoring.SCORING_DELAY_SECONDS  # nothing measured yet
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def ran(seconds):
        ScoringRun.objects.create(
            definition=definition,
            trigger="incremental",
            started_at=start,
            finished_at=start + timedelta(seconds=seconds),
        )

    ran(0.2)  # a cheap pass: the usual short wait
    assert scoring.scoring_delay() == scoring.SCORING_DELAY_SECONDS
    ran(2)  # a pass of 2 s: wait ten times as long
    assert scoring.scoring_delay() == 20
    ran(30)  # never more than a minute
    assert scoring.scoring_delay() == scoring.SCORING_MAX_DELAY_SECONDS


def test_a_scoring_pass_stops_at_its_budget_and_the_next_pass_scores_the_rest_oldest_first(
    draft, cast, make_lead, channels, monkeypatch
):
    """A backlog is worked off in short passes: the leads not reached stay waiting (none is
    lost), the longest waiting go first, and every lead is scored once in the end."""
    from accord.qualify import scoring
    from accord.qualify.models import PendingScore

    definition = proposed(draft, cast)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    actions.activate(cast["sam"], definition)
    leads = [make_lead(f"lead{i}@acme.example", title="VP Plant") for i in range(5)]
    Lead.objects.update(scored_at=None)
    PendingScore.objects.all().delete()
    # The last lead made waits longest; the first two wait twice.
    order = [leads[4], leads[0], leads[3], leads[1], leads[2], leads[0], leads[1]]
    for lead in order:
        score_after_commit([lead.pk])
    monkeypatch.setattr(scoring, "SCORING_BATCH", 2)

    assert scoring.score_pending(budget_seconds=0) == 2  # one chunk, then the budget is spent
    scored = set(Lead.objects.exclude(scored_at=None).values_list("pk", flat=True))
    assert scored == {leads[4].pk, leads[0].pk}
    # Their rows went, the others' stayed: nothing is lost.
    assert set(PendingScore.objects.values_list("lead_id", flat=True)) == {
        leads[3].pk, leads[1].pk, leads[2].pk
    }  # fmt: skip
    assert scoring.score_pending(budget_seconds=0) == 2
    assert set(Lead.objects.exclude(scored_at=None).values_list("pk", flat=True)) == (
        scored | {leads[3].pk, leads[1].pk}
    )
    assert scoring.score_pending() == 1  # the default budget takes what is left
    assert not PendingScore.objects.exists()
    assert not Lead.objects.filter(scored_at=None).exists()
    assert sum(r.leads_scored for r in ScoringRun.objects.filter(trigger="incremental")) == 5
