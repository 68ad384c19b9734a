"""Suggestions on assets: a rep files one, the owner answers within business hours of their
calendar (Monday to Friday, 9 to 5 here), and the tick alerts at risk, breached and
escalated once each. The clock is frozen with time-machine."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accord.content import actions, queries, suggestions
from accord.content.models import Suggestion, SuggestionAlert, SuggestionSettings
from accord.people import tokens
from accord.people.models import AuditLog, Notification
from accord.sla.models import BusinessCalendar

FRIDAY_4PM = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
TUESDAY_4PM = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def nine_to_five(db):
    """The company's hours: Monday to Friday, 9 to 5, UTC (the default week)."""
    return BusinessCalendar.objects.create(team=None, time_zone="UTC")


@pytest.fixture
def asset(cast, make_asset, nine_to_five):
    """Mike's (marketing) case study, published in February; Mona manages marketing."""
    with at(datetime(2026, 2, 2, 10, 0, tzinfo=UTC)):
        return make_asset(owner="mike", status="published", published_on=date(2026, 2, 2))


@pytest.fixture
def filed(cast, asset):
    """Alice (a sales rep) suggests an update on Friday at 4 pm."""
    with at(FRIDAY_4PM):
        return suggestions.file_suggestion(
            cast["alice"],
            asset,
            kind="update",
            comment="The logo slide shows last year's customers.",
        )


def told(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


# The deadline.


def test_a_suggestion_filed_friday_at_four_is_due_tuesday_at_four_and_the_owner_is_told(
    cast, filed
):
    # 16 business hours: Friday 16-17 (1), Monday (8), Tuesday 9-16 (7).
    assert filed.owner == cast["mike"]
    assert filed.due_at == TUESDAY_4PM
    # At risk at 75% (12 hours): Friday 1, Monday 8, Tuesday 9-12.
    assert filed.at_risk_at == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert filed.escalates_at == datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
    [note] = told(cast["mike"], "content.suggestion_filed")
    assert "logo slide" in note.body and "Tue 10 Mar 16:00" in note.body


def test_the_deadline_follows_the_settings_admins_change(cast, asset):
    suggestions.save_settings(cast["ada"], response_hours=Decimal("4"), at_risk_share="0.5")
    with at(FRIDAY_4PM):
        s = suggestions.file_suggestion(cast["alice"], asset, kind="fix", comment="Typo on p2")
    assert s.due_at == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # Fri 1 h + Mon 9-12
    assert s.at_risk_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    change = AuditLog.objects.get(action="content.suggestion_settings_changed")
    assert change.before["response_hours"] == "16.00" and change.after["response_hours"] == "4.00"


def test_when_the_owner_has_left_a_manager_of_the_owner_team_must_answer(cast, make_asset, teams):
    asset = make_asset(owner="mike", owner_team=teams["marketing"])
    cast["mike"].is_active = False
    cast["mike"].save()
    asset.refresh_from_db()

    s = suggestions.file_suggestion(cast["alice"], asset, kind="fix", comment="Broken link")

    assert s.owner == cast["mona"]


# The alerts.


def test_at_risk_breached_and_escalated_are_raised_once_each_at_the_right_ticks_to_the_right_people(
    cast, filed
):
    ticks = {
        "friday_after": datetime(2026, 3, 6, 16, 1, tzinfo=UTC),
        "monday": datetime(2026, 3, 9, 12, 0, tzinfo=UTC),
        "before_risk": datetime(2026, 3, 10, 11, 59, tzinfo=UTC),
        "at_risk": datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
        "after_risk": datetime(2026, 3, 10, 12, 1, tzinfo=UTC),
        "breached": datetime(2026, 3, 10, 16, 0, tzinfo=UTC),
        "after_breach": datetime(2026, 3, 11, 9, 0, tzinfo=UTC),
        "escalated": datetime(2026, 3, 11, 16, 1, tzinfo=UTC),
        "later": datetime(2026, 3, 12, 10, 0, tzinfo=UTC),
    }
    raised = {}
    for name, moment in ticks.items():
        with at(moment):
            result = suggestions.tick()
        raised[name] = [level for level in SuggestionAlert.Level.values if result[level]]

    assert raised == {
        "friday_after": [],
        "monday": [],
        "before_risk": [],
        "at_risk": ["at_risk"],
        "after_risk": [],
        "breached": ["breached"],
        "after_breach": [],
        "escalated": ["escalated"],
        "later": [],
    }
    mike, mona, carol = cast["mike"], cast["mona"], cast["carol"]
    assert len(told(mike, "content.suggestion_at_risk")) == 1
    assert told(mona, "content.suggestion_at_risk") == []
    assert len(told(mike, "content.suggestion_breached")) == 1
    assert len(told(mona, "content.suggestion_breached")) == 1
    assert len(told(mona, "content.suggestion_escalated")) == 1
    assert told(mike, "content.suggestion_escalated") == []
    assert told(carol, "content.suggestion_escalated") == []
    assert told(cast["alice"], "content.suggestion_breached") == []


def test_an_answered_suggestion_raises_nothing(cast, filed):
    with at(datetime(2026, 3, 9, 10, 0, tzinfo=UTC)):
        suggestions.tick()
        suggestions.answer(cast["mike"], filed, action="accept", due=date(2026, 3, 20))
    for moment in (TUESDAY_4PM, datetime(2026, 3, 12, 10, 0, tzinfo=UTC)):
        with at(moment):
            suggestions.tick()
    assert not SuggestionAlert.objects.exists()


def test_a_tick_after_a_month_of_downtime_does_not_alert_what_is_long_past(cast, filed):
    with at(datetime(2026, 3, 6, 16, 1, tzinfo=UTC)):
        suggestions.tick()
    with at(datetime(2026, 4, 15, 10, 0, tzinfo=UTC)):
        result = suggestions.tick()

    assert result["notifications"] == 0
    assert not SuggestionAlert.objects.exists()


def test_a_tick_that_finds_a_suggestion_already_breached_does_not_also_say_at_risk(cast, filed):
    with at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)):
        suggestions.tick()
    with at(datetime(2026, 3, 10, 16, 30, tzinfo=UTC)):
        suggestions.tick()
    assert list(SuggestionAlert.objects.values_list("level", flat=True)) == ["breached"]


# Answers.


def test_the_owner_accepts_declines_or_closes_and_the_rep_is_told_each_time(cast, asset, filed):
    with at(datetime(2026, 3, 9, 10, 0, tzinfo=UTC)):
        suggestions.answer(cast["mike"], filed, action="accept", due=date(2026, 3, 20))
    with at(datetime(2026, 3, 16, 10, 0, tzinfo=UTC)):
        version = actions.add_version(cast["mike"], asset, url="https://files.example/v2.pdf")
        suggestions.answer(cast["mike"], filed, action="done", version=version.number)
        other = suggestions.file_suggestion(
            cast["alice"], asset, kind="new_asset", comment="Need a CFO one-pager",
            persona="economic_buyer", stage="sql",
        )  # fmt: skip
        suggestions.answer(
            cast["mona"], other, action="decline", reason="The pricing sheet does it"
        )

    filed.refresh_from_db()
    assert filed.status == "done" and filed.version == version
    assert filed.responded_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # the first answer
    alice = cast["alice"]
    assert [n.title for n in told(alice, "content.suggestion_accepted")] == [
        "Your suggestion on Acme case study was accepted"
    ]
    assert "Mar 2026" in told(alice, "content.suggestion_accepted")[0].body
    assert "Version 2" in told(alice, "content.suggestion_done")[0].body
    assert "pricing sheet" in told(alice, "content.suggestion_declined")[0].body


def test_bad_answers_are_refused_and_change_nothing(cast, asset, filed):
    mike = cast["mike"]
    with at(datetime(2026, 3, 9, 10, 0, tzinfo=UTC)):
        cases = [
            (dict(action="accept", due=date(2026, 3, 8)), "in the past"),
            (dict(action="accept"), "Give the date"),
            (dict(action="decline", reason="no"), "at least 10 characters"),
            (dict(action="done", version=1), "older than the suggestion"),
            (dict(action="done", version=7), "has no version 7"),
            (dict(action="shelve"), "Choose one of"),
        ]
        for answer, message in cases:
            with pytest.raises(ValidationError, match=message):
                suggestions.answer(mike, filed, **answer)
    filed.refresh_from_db()
    assert filed.status == "open" and filed.responded_at is None
    assert told(cast["alice"], "content.suggestion_declined") == []


def test_a_closed_suggestion_cannot_be_answered_again(cast, filed):
    suggestions.answer(cast["mike"], filed, action="decline", reason="Logos are current")
    with pytest.raises(ValidationError, match="already declined"):
        suggestions.answer(cast["mike"], filed, action="accept", due=date(2027, 1, 1))
    suggestions_accepted = suggestions.file_suggestion(
        cast["alice"], filed.asset, kind="fix", comment="Typo"
    )
    suggestions.answer(cast["mike"], suggestions_accepted, action="accept", due=date(2027, 1, 1))
    with pytest.raises(ValidationError, match="already accepted"):
        suggestions.answer(cast["mike"], suggestions_accepted, action="decline", reason="x" * 20)


def test_filing_needs_a_comment_and_for_a_new_asset_what_it_is_for(cast, asset):
    with pytest.raises(ValidationError) as refused:
        suggestions.file_suggestion(cast["alice"], asset, kind="new_asset", comment=" ")
    assert set(refused.value.message_dict) == {"comment", "stage"}
    with pytest.raises(ValidationError, match="Unknown persona"):
        suggestions.file_suggestion(
            cast["alice"], asset, kind="new_asset", comment="x", persona="cfo"
        )
    assert not Suggestion.objects.exists()


def test_who_may_file_and_answer(cast, filed):
    with pytest.raises(PermissionDenied):
        suggestions.file_suggestion(cast["vera"], filed.asset, kind="fix", comment="x")
    for name in ("bob", "vera", "sam", "otto"):  # another rep, a viewer, another team's manager
        with pytest.raises(PermissionDenied):
            suggestions.answer(cast[name], filed, action="decline", reason="Not my asset at all")
    suggestions.answer(cast["mona"], filed, action="accept", due=date(2027, 1, 1))  # his manager


# Pages.


def test_everybody_sees_the_suggestions_on_the_asset_page_and_only_those_who_may_answer_get_the_forms(
    client, cast, filed
):
    url = filed.asset.get_absolute_url()
    client.force_login(cast["vera"])
    page = client.get(url).content.decode()
    assert "The logo slide shows last year" in page and "Open" in page
    with at(FRIDAY_4PM):  # just filed: its deadline badge says it is on track, not "Open"
        fresh = client.get(url).content.decode()  # a second time beside its status
    assert '<span class="status deadline-open">On track</span>' in fresh
    assert "File the suggestion" not in page and 'name="action"' not in page
    client.force_login(cast["mike"])
    page = client.get(url).content.decode()
    assert 'value="accept"' in page and "File the suggestion" in page


def test_a_rep_files_from_the_asset_page_and_a_bad_one_is_shown_on_the_form(client, cast, asset):
    client.force_login(cast["alice"])
    url = f"/content/{asset.pk}/suggestions/"

    bad = client.post(url, {"kind": "new_asset", "comment": "Need one for CFOs"})
    good = client.post(url, {"kind": "fix", "comment": "Page 3 quotes the old price"})

    assert bad.status_code == 400
    assert "Say what the new asset is for" in bad.content.decode()
    assert good.status_code == 302
    assert list(Suggestion.objects.values_list("comment", flat=True)) == [
        "Page 3 quotes the old price"
    ]


def test_the_pages_refuse_viewers_other_members_and_anonymous_visitors(client, cast, filed):
    asset = filed.asset
    answer = f"/content/suggestions/{filed.pk}/answer/"
    assert client.post(f"/content/{asset.pk}/suggestions/", {"kind": "fix", "comment": "x"})[
        "Location"
    ].startswith("/login/")
    client.force_login(cast["vera"])
    assert (
        client.post(
            f"/content/{asset.pk}/suggestions/", {"kind": "fix", "comment": "x"}
        ).status_code
        == 403
    )
    client.force_login(cast["bob"])
    response = client.post(answer, {"action": "decline", "reason": "Not needed at all"})
    assert response.status_code == 403
    assert client.get("/content/suggestions/settings/").status_code == 403
    filed.refresh_from_db()
    assert filed.status == "open" and Suggestion.objects.count() == 1


def test_the_owner_answers_from_the_page_and_a_bad_answer_is_said_in_a_message(client, cast, filed):
    client.force_login(cast["mike"])
    answer = f"/content/suggestions/{filed.pk}/answer/"

    short = client.post(answer, {"action": "decline", "reason": "no"}, follow=True)
    filed.refresh_from_db()
    assert "at least 10 characters" in short.content.decode() and filed.status == "open"

    client.post(answer, {"action": "accept", "due": "2099-01-31"})
    filed.refresh_from_db()
    assert filed.status == "accepted" and filed.due_on == date(2099, 1, 31)


def test_the_suggestions_page_filters_to_answer_by_me_filed_by_me_and_overdue(
    client, cast, asset, filed, make_asset
):
    with at(datetime(2026, 3, 9, 10, 0, tzinfo=UTC)):
        deck = make_asset(owner="mona", title="Platform deck", kind="deck")
        suggestions.file_suggestion(cast["bob"], deck, kind="fix", comment="Wrong chart on slide 4")
    client.force_login(cast["mike"])
    with at(datetime(2026, 3, 10, 17, 0, tzinfo=UTC)):  # Alice's is overdue, Bob's not yet
        mine = client.get("/content/suggestions/", {"show": "mine"}).content.decode()
        overdue = client.get("/content/suggestions/", {"show": "overdue"}).content.decode()
        everything = client.get("/content/suggestions/").content.decode()
    client.force_login(cast["bob"])
    filed_by_bob = client.get("/content/suggestions/", {"show": "filed"}).content.decode()

    assert "logo slide" in mine and "slide 4" not in mine
    assert "logo slide" in overdue and "Overdue" in overdue and "slide 4" not in overdue
    assert "logo slide" in everything and "slide 4" in everything
    assert "slide 4" in filed_by_bob and "logo slide" not in filed_by_bob


def test_admins_and_operations_change_the_deadline_on_its_page(client, cast):
    client.force_login(cast["otto"])  # sales & marketing operations
    bad = client.post(
        "/content/suggestions/settings/", {"response_hours": "0", "at_risk_share": "75"}
    )
    good = client.post(
        "/content/suggestions/settings/", {"response_hours": "8", "at_risk_share": "50"}
    )

    assert bad.status_code == 400 and good.status_code == 302
    rules = SuggestionSettings.current()
    assert rules.response_hours == Decimal("8") and rules.at_risk_share == Decimal("0.5")
    client.force_login(cast["mike"])
    assert client.get("/content/suggestions/settings/").status_code == 403


# The API.


def test_the_api_files_lists_and_answers_suggestions(api, cast, asset):
    alice = tokens.issue_token(cast["alice"], name="w", scope="write")[1]
    mike = tokens.issue_token(cast["mike"], name="w", scope="write")[1]
    reader = tokens.issue_token(cast["vera"], name="r", scope="read")[1]

    with at(FRIDAY_4PM):
        created = api("post", f"/assets/{asset.pk}/suggestions", alice,
                      body={"kind": "update", "comment": "New logos please"})  # fmt: skip
    body = created.json()
    assert created.status_code == 201
    assert body["owner_id"] == cast["mike"].pk and body["due_at"].startswith("2026-03-10T16:00")
    listed = api("get", "/suggestions", reader, owner=cast["mike"].pk, status="open")
    assert [s["comment"] for s in listed.json()["items"]] == ["New logos please"]
    assert [s["id"] for s in api("get", f"/assets/{asset.pk}/suggestions", reader).json()] == [
        body["id"]
    ]

    answered = api("post", f"/suggestions/{body['id']}/answer", mike,
                   body={"action": "accept", "due": "2099-06-30"})  # fmt: skip
    assert answered.status_code == 200
    assert answered.json()["status"] == "accepted" and answered.json()["deadline"] == "late"


def test_the_api_refuses_in_json_bad_input_read_tokens_viewers_and_other_members(api, cast, filed):
    asset = filed.asset
    alice = tokens.issue_token(cast["alice"], name="w", scope="write")[1]
    alice_read = tokens.issue_token(cast["alice"], name="r", scope="read")[1]
    vera = tokens.issue_token(cast["vera"], name="w", scope="write")[1]
    bob = tokens.issue_token(cast["bob"], name="w", scope="write")[1]
    mike = tokens.issue_token(cast["mike"], name="w", scope="write")[1]
    file = f"/assets/{asset.pk}/suggestions"
    answer = f"/suggestions/{filed.pk}/answer"

    refusals = [
        (api("post", file, alice, body={"kind": "fix", "comment": ""}), 422, "comment"),
        (api("post", file, alice, body={"kind": "rewrite", "comment": "x"}), 422, "kind"),
        (api("post", file, alice_read, body={"kind": "fix", "comment": "x"}), 403, "read-only"),
        (api("post", file, vera, body={"kind": "fix", "comment": "x"}), 403, "Viewers"),
        (api("post", answer, bob, body={"action": "decline", "reason": "Not needed at all"}),
         403, "Only the person"),
        (api("post", answer, mike, body={"action": "decline", "reason": "no"}), 422, "reason"),
        (api("post", answer, mike, body={"action": "accept", "due": "31/02/2026"}), 422, "due"),
        (api("post", "/suggestions/999999/answer", mike, body={"action": "done"}), 404, ""),
        (api("get", "/suggestions", alice, status="shelved"), 400, "status"),
    ]  # fmt: skip
    for response, status, detail in refusals:
        assert response.status_code == status, response.content
        assert detail in str(response.json()["detail"])
    assert Suggestion.objects.count() == 1
    filed.refresh_from_db()
    assert filed.status == "open"


# Read models.


def test_the_figures_per_owner_count_answers_in_time_and_the_median_response_in_business_hours(
    cast, asset, make_asset
):
    with at(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)):  # a Monday
        deck = make_asset(owner="mona", title="Platform deck", kind="deck")
        first, second, third, late, open_ = (
            suggestions.file_suggestion(cast["alice"], asset, kind="fix", comment=f"Fix {n}")
            for n in range(5)
        )
        suggestions.file_suggestion(cast["bob"], deck, kind="fix", comment="Slide 4")
    answers = [  # (suggestion, when answered): 2, 4 and 6 business hours; then 24 (late)
        (first, datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
        (second, datetime(2026, 3, 2, 13, 0, tzinfo=UTC)),
        (third, datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        (late, datetime(2026, 3, 4, 17, 0, tzinfo=UTC)),
    ]
    for suggestion, moment in answers:
        with at(moment):
            suggestions.answer(cast["mike"], suggestion, action="accept", due=date(2026, 4, 1))

    now = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    figures = queries.suggestion_figures(
        [cast["mike"].pk, cast["mona"].pk, cast["bob"].pk], now=now
    )

    mike = figures[cast["mike"].pk]
    assert (mike.count, mike.answered, mike.answered_in_time, mike.open, mike.overdue) == (
        5, 4, 3, 1, 1,
    )  # fmt: skip
    assert mike.in_time_share == pytest.approx(3 / 5)  # the open one is past its deadline
    assert mike.median_response_hours == 5.0  # of 2, 4, 6 and 24
    mona = figures[cast["mona"].pk]
    assert (mona.count, mona.overdue, mona.in_time_share) == (1, 1, 0.0)
    assert figures[cast["bob"].pk].count == 0 and figures[cast["bob"].pk].in_time_share is None
    overdue = queries.overdue_suggestions(now)
    assert [(s.comment, s.owner.username) for s in overdue] == [
        ("Fix 4", "mike"),
        ("Slide 4", "mona"),
    ]
