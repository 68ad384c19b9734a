"""Follow-up clocks: when they start, run, pause, turn at risk, get met or breached; the alerts
they raise (once), the digest, `accord sla evaluate`, and the API."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from accord.analytics import sla
from accord.crm.actions import change_lead_status
from accord.crm.models import Activity, Lead, LeadOwnerChange, LeadStatusChange, Touchpoint
from accord.people.models import ApiToken, Notification
from accord.people.tokens import issue_token
from accord.qualify import reviews
from accord.qualify.models import LeadReview
from accord.sla import alerts, queries
from accord.sla.clocks import Scope, evaluate_all
from accord.sla.models import BusinessCalendar, FollowUpPolicy, SlaAlert, TickState

NY = ZoneInfo("America/New_York")
CALLS = ["call", "email", "linkedin", "meeting"]


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def hours(db):
    """New York, 9 to 5, Monday to Friday, US public holidays: the company default."""
    return BusinessCalendar.objects.create(
        team=None,
        time_zone="America/New_York",
        week={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        country="US",
    )


@pytest.fixture
def roberge(hours):
    return FollowUpPolicy.objects.create(
        name="Every MQL", priority=20, first_response_hours=8, attempts=3, attempt_days=5,
        attempt_kinds=CALLS,
    )  # fmt: skip


@pytest.fixture
def mql(make_lead):
    """A lead that became MQL at `at`, owned by `owner` since it was created."""

    def make(email, at, owner="alice", **extra):
        lead = make_lead(email, owner=owner, status=Lead.Status.MQL, **extra)
        Lead.objects.filter(pk=lead.pk).update(created_at=at - timedelta(days=3))
        LeadOwnerChange.objects.create(
            lead=lead, from_owner=None, to_owner=lead.owner, changed_at=at - timedelta(days=3)
        )
        LeadStatusChange.objects.create(
            lead=lead, from_status="new", to_status="mql", changed_at=at
        )
        return lead

    return make


def follow_up(lead, user, at, kind="call"):
    return Activity.objects.create(lead=lead, user=user, kind=kind, occurred_at=at)


def one(lead, as_of) -> sla.Evaluation:
    (found,) = evaluate_all(as_of, Scope(lead_ids=[lead.pk]))
    return found


# Business hours in the clocks ------------------------------------------------------------


def test_a_lead_arriving_at_1659_on_friday_is_due_monday_at_1659(roberge, mql, cast):
    lead = mql("late@acme.example", ny(2026, 3, 6, 16, 59))  # a Friday
    friday_night = one(lead, ny(2026, 3, 6, 23, 0))
    assert friday_night.first.due_at == ny(2026, 3, 9, 16, 59)  # 1 minute + 7 h 59 on Monday
    assert friday_night.first.status == sla.ON_TRACK
    # 75% of 8 hours = 6 hours: 1 minute on Friday, then 5 h 59 on Monday.
    assert friday_night.first.at_risk_at == ny(2026, 3, 9, 14, 59)
    assert one(lead, ny(2026, 3, 8, 23, 0)).first.status == sla.ON_TRACK  # the weekend is free
    assert one(lead, ny(2026, 3, 9, 15, 0)).first.status == sla.AT_RISK
    assert one(lead, ny(2026, 3, 9, 17, 0)).first.status == sla.BREACHED
    follow_up(lead, cast["alice"], ny(2026, 3, 9, 10, 30))
    answered = one(lead, ny(2026, 3, 9, 17, 0))
    assert answered.first.status == sla.MET
    assert answered.first_touch_hours == pytest.approx(1 / 60 + 1.5)


def test_clocks_pause_on_public_holidays_and_days_off(roberge, mql, hours):
    # Wednesday before Thanksgiving (Thu 26 Nov 2026), 13:00: 4 hours that day, then the
    # holiday, then a company day off on Friday, then the weekend.
    hours.days_off.create(date=datetime(2026, 11, 27).date(), name="Day after Thanksgiving")
    lead = mql("holiday@acme.example", ny(2026, 11, 25, 13, 0))
    assert one(lead, ny(2026, 11, 25, 14, 0)).first.due_at == ny(2026, 11, 30, 13, 0)


def test_a_deadline_across_the_end_of_daylight_saving_time_stays_at_local_business_time(
    roberge, mql
):
    lead = mql("dst@acme.example", ny(2026, 10, 30, 16, 0))  # Friday; clocks go back Sunday
    due = one(lead, ny(2026, 10, 30, 16, 30)).first.due_at
    assert due == ny(2026, 11, 2, 16, 0)
    assert due.astimezone(UTC).hour == 21  # EST, not EDT's 20:00


# Attempts, reassignment, unassigned, verdicts -------------------------------------------


def test_attempts_count_only_the_owners_follow_ups_within_the_window(roberge, mql, cast):
    lead = mql("tries@acme.example", ny(2026, 3, 2, 9, 0))  # Monday: 5 days -> Friday 17:00
    for day in (2, 3):
        follow_up(lead, cast["alice"], ny(2026, 3, day, 11, 0))
    follow_up(lead, cast["bob"], ny(2026, 3, 4, 11, 0))  # not the owner: does not count
    follow_up(lead, cast["alice"], ny(2026, 3, 4, 12, 0), kind="note")  # notes do not count
    middle = one(lead, ny(2026, 3, 5, 16, 0))  # 31 of 40 business hours used
    assert middle.attempts.due_at == ny(2026, 3, 6, 17, 0)
    assert middle.attempts_made == 2 and middle.attempts.status == sla.AT_RISK
    assert one(lead, ny(2026, 3, 9, 9, 0)).attempts.status == sla.BREACHED
    follow_up(lead, cast["alice"], ny(2026, 3, 6, 16, 0))  # the third, just in time
    done = one(lead, ny(2026, 3, 9, 9, 0))
    assert done.attempts.status == sla.MET and done.attempts.done_at == ny(2026, 3, 6, 16, 0)
    assert done.status == sla.MET and done.never_followed_up is False


def test_reassignment_keeps_the_clock_running_and_the_breach_stays_with_who_held_it(
    roberge, mql, cast
):
    lead = mql("handover@acme.example", ny(2026, 3, 2, 9, 0))  # due Monday 17:00
    LeadOwnerChange.objects.create(
        lead=lead, from_owner=cast["alice"], to_owner=cast["bob"], changed_at=ny(2026, 3, 2, 16)
    )
    Lead.objects.filter(pk=lead.pk).update(owner=cast["bob"])
    follow_up(lead, cast["alice"], ny(2026, 3, 2, 16, 30))  # alice no longer owns it
    state = one(lead, ny(2026, 3, 2, 16, 30))
    assert state.first.due_at == ny(2026, 3, 2, 17, 0)  # not reset by the handover
    assert state.first.status == sla.AT_RISK and state.owner == cast["bob"].pk
    breached = one(lead, ny(2026, 3, 3, 9, 0))
    assert breached.first.status == sla.BREACHED
    assert breached.first.owner == cast["bob"].pk and breached.reassigned
    # Handed on again after the breach: the breach stays bob's.
    LeadOwnerChange.objects.create(
        lead=lead, from_owner=cast["bob"], to_owner=cast["alice"], changed_at=ny(2026, 3, 3, 10)
    )
    assert one(lead, ny(2026, 3, 3, 11, 0)).first.owner == cast["bob"].pk


def test_an_mql_with_no_owner_is_flagged_unassigned_and_counts_as_a_breach(roberge, mql, cast):
    lead = mql("orphan@acme.example", ny(2026, 3, 2, 9, 0), owner=None)
    assert one(lead, ny(2026, 3, 2, 10, 0)).status == sla.UNASSIGNED
    result = queries.evaluate(ny(2026, 3, 10, 9, 0))
    assert result["breached"] == 1 and result["unassigned"] == 1
    assert [r["rep"] for r in result["by_rep"]] == ["(unassigned)"]


def test_the_owners_verdict_answers_the_lead_and_leaving_mql_closes_the_attempts(
    roberge, mql, cast
):
    lead = mql("verdict@acme.example", ny(2026, 3, 2, 9, 0))
    LeadReview.objects.create(
        lead=lead, reviewer=cast["alice"], decision="accepted", at=ny(2026, 3, 2, 11, 0)
    )
    LeadStatusChange.objects.create(
        lead=lead, from_status="mql", to_status="accepted", changed_at=ny(2026, 3, 2, 11, 0)
    )
    state = one(lead, ny(2026, 3, 20, 9, 0))
    assert state.first.status == sla.MET
    assert state.attempts.status == sla.CLOSED  # no longer due: sales decided
    assert state.status == sla.MET and state.never_followed_up is True  # no call was logged


def test_the_lowest_priority_number_wins_when_segments_overlap(roberge, mql, cast):
    fast = FollowUpPolicy.objects.create(
        name="Demo requests", priority=10, touch_kind="demo_request", first_response_hours=1,
        attempts=3, attempt_days=3, attempt_kinds=CALLS,
    )  # fmt: skip
    demo = mql("demo@acme.example", ny(2026, 3, 2, 9, 0))
    Touchpoint.objects.create(
        lead=demo, channel=demo.source, kind="demo_request", occurred_at=ny(2026, 3, 2, 9, 0)
    )
    plain = mql("plain@acme.example", ny(2026, 3, 2, 9, 0))
    assert one(demo, ny(2026, 3, 2, 9, 30)).policy.id == fast.pk
    assert one(demo, ny(2026, 3, 2, 9, 30)).first.due_at == ny(2026, 3, 2, 10, 0)
    assert one(plain, ny(2026, 3, 2, 9, 30)).policy.id == roberge.pk
    fast.active = False
    fast.save()
    assert one(demo, ny(2026, 3, 2, 9, 30)).policy.id == roberge.pk


def test_an_mql_no_policy_covers_has_no_clock(hours, mql):
    FollowUpPolicy.objects.create(
        name="Grade A only", priority=1, grades=["A"], first_response_hours=4, attempts=1,
        attempt_days=1, attempt_kinds=CALLS,
    )  # fmt: skip
    lead = mql("gradeless@acme.example", ny(2026, 3, 2, 9, 0), fit_grade="C")
    assert evaluate_all(ny(2026, 3, 9, 9, 0), Scope(lead_ids=[lead.pk])) == []


# Alerts ---------------------------------------------------------------------------------


def test_the_tick_alerts_once_at_risk_then_on_breach_to_owner_and_manager(
    roberge, mql, cast, django_capture_on_commit_callbacks
):
    TickState.objects.create(last_tick_at=ny(2026, 3, 2, 8, 0))
    lead = mql("alert@acme.example", ny(2026, 3, 2, 9, 0))  # at risk 15:00, due 17:00
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.tick(ny(2026, 3, 2, 14, 0))["notifications"] == 0
        first = alerts.tick(ny(2026, 3, 2, 15, 1))
        again = alerts.tick(ny(2026, 3, 2, 15, 2))
    assert (first["at_risk"], first["notifications"]) == (1, 1)
    assert again["at_risk"] == again["notifications"] == 0
    note = Notification.objects.get(user=cast["alice"])
    assert note.title == f"At risk: first response for {lead.name}"
    assert note.url == f"/leads/{lead.pk}/"
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]

    with django_capture_on_commit_callbacks(execute=True):
        breach = alerts.tick(ny(2026, 3, 2, 17, 1))
        alerts.tick(ny(2026, 3, 2, 17, 2))
    assert breach["breached"] == 1
    breached = Notification.objects.filter(kind="sla.breached")
    assert sorted(n.user.username for n in breached) == ["alice", "sam"]  # owner and manager
    assert "Owner: Alice" in breached.first().body
    assert SlaAlert.objects.count() == 2  # one at risk, one breach: never the same one twice
    assert len(mail.outbox) == 3


def test_history_never_alerts_and_a_long_outage_looks_back_a_week_at_most(
    roberge, mql, cast, django_capture_on_commit_callbacks
):
    mql("old@acme.example", ny(2026, 1, 5, 9, 0))  # breached in January
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.tick(ny(2026, 3, 2, 12, 0))["breached"] == 0  # first tick ever
    lead = mql("recent@acme.example", ny(2026, 3, 2, 13, 0))  # due Tuesday 13:00
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.tick(ny(2026, 3, 30, 12, 0))["breached"] == 0  # down for four weeks
    assert not SlaAlert.objects.filter(lead=lead).exists()


def test_a_digest_reader_gets_one_email_a_day_instead_of_one_per_alert(
    roberge, mql, cast, django_capture_on_commit_callbacks
):
    alice = cast["alice"]
    alice.email_digest = True
    alice.save()
    TickState.objects.create(last_tick_at=ny(2026, 3, 2, 8, 0))
    mql("one@acme.example", ny(2026, 3, 2, 9, 0))  # at risk at 15:00
    mql("two@acme.example", ny(2026, 3, 2, 9, 30))  # at risk at 15:30
    mql("three@acme.example", ny(2026, 3, 2, 10, 0))  # at risk at 16:00
    with django_capture_on_commit_callbacks(execute=True):
        first = alerts.tick(ny(2026, 3, 2, 15, 45))  # past the digest hour: today's digest
        later = alerts.tick(ny(2026, 3, 2, 16, 15))  # one more alert: waits for tomorrow
        next_day = alerts.tick(ny(2026, 3, 3, 8, 0))
        again = alerts.tick(ny(2026, 3, 3, 8, 1))
    assert Notification.objects.filter(user=alice).count() == 4  # and one's breach at 17:00
    assert [first["digests"], later["digests"], next_day["digests"], again["digests"]] == [
        1, 0, 1, 0,
    ]  # fmt: skip
    digests = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert [m.to for m in mail.outbox if m not in digests] == [["sam@example.com"]]  # his own way
    today, tomorrow = digests
    assert "At risk: first response for One Tester" in today.body
    assert "At risk: first response for Two Tester" in today.body
    assert "Three" not in today.body
    assert "At risk: first response for Three Tester" in tomorrow.body
    assert "Breached: first response for One Tester" in tomorrow.body


# Interfaces -----------------------------------------------------------------------------


def test_accord_sla_evaluate_prints_every_clock_as_of_a_moment_and_sends_nothing(
    roberge, mql, cast
):
    on_time = mql("ontime@acme.example", ny(2026, 3, 2, 9, 0))
    follow_up(on_time, cast["alice"], ny(2026, 3, 2, 10, 0))
    mql("ignored@acme.example", ny(2026, 3, 2, 9, 0), owner="bob")
    out = StringIO()
    call_command("sla", "evaluate", "--at", "2026-03-03T12:00:00-05:00", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["as_of"] == "2026-03-03T12:00:00-05:00"
    assert (result["met"], result["breached"]) == (0, 1)  # alice's attempts are still open
    assert result["at_risk"] + result["on_track"] == 1
    assert {r["rep"]: r["breached"] for r in result["by_rep"]} == {"alice": 0, "bob": 1}
    alice = next(r for r in result["by_rep"] if r["rep"] == "alice")
    assert alice["median_first_touch_hours"] == 1.0
    assert not SlaAlert.objects.exists() and not Notification.objects.exists()
    with pytest.raises(CommandError, match="not a date and time"):
        call_command("sla", "evaluate", "--at", "yesterday", "--json")


def test_board_and_two_way_pages_show_reps_apart(roberge, mql, cast, login):
    with time_machine.travel(ny(2026, 3, 20, 12, 0), tick=False):
        for n in range(3):
            lead = mql(f"a{n}@acme.example", ny(2026, 3, 2 + n, 9, 0))
            for hour in (10, 11, 12):
                follow_up(lead, cast["alice"], ny(2026, 3, 2 + n, hour, 0))
            mql(f"b{n}@acme.example", ny(2026, 3, 2 + n, 9, 0), owner="bob")
        page = login(cast["vera"]).get(
            "/sla/", {"date_from": "2026-03-01", "date_to": "2026-03-20"}
        )
        assert page.status_code == 200
        html = page.content.decode()
        assert "Follow-up board" in html and "100%" in html and "0%" in html
        bad = login(cast["vera"]).get("/sla/", {"date_from": "2026-03-20", "date_to": "2026-03-01"})
        assert "The end date is before the start date." in bad.content.decode()
        future = login(cast["vera"]).get("/sla/", {"date_to": "2026-04-01"})
        assert "cannot end after today" in future.content.decode()
        assert login(cast["vera"]).get("/sla/two-way/").status_code == 200


def test_the_lead_page_shows_its_clocks(roberge, mql, cast, login):
    lead = mql("page@acme.example", ny(2026, 3, 2, 9, 0))
    html = login(cast["alice"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "Follow-up clocks" in html and "Every MQL" in html and "Breached" in html


def test_the_api_gives_clocks_board_and_policies_and_checks_its_input(roberge, mql, cast, client):
    lead = mql("api@acme.example", ny(2026, 3, 2, 9, 0))
    read = issue_token(cast["alice"], name="read", scope=ApiToken.Scope.READ)[1]
    write_member = issue_token(cast["alice"], name="w", scope=ApiToken.Scope.WRITE)[1]
    write_admin = issue_token(cast["ada"], name="w", scope=ApiToken.Scope.WRITE)[1]

    def call(method, path, token, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            return client.post(path, json.dumps(body), content_type="application/json", **kwargs)
        return getattr(client, method)(path, **kwargs)

    assert client.get(f"/api/v1/leads/{lead.pk}/clocks").status_code == 401
    clocks = call("get", f"/api/v1/leads/{lead.pk}/clocks", read).json()
    assert clocks[0]["first_response"]["status"] == "breached"
    assert clocks[0]["attempts"]["required"] == 3
    assert call("get", "/api/v1/leads/999999/clocks", read).status_code == 404
    board = call("get", "/api/v1/sla/board?from=2026-03-01&to=2026-03-31", read)
    assert board.status_code == 200 and board.json()["total"]["breached"] == 1
    assert board.json()["figures_as_of"]  # kept figures say when they were computed
    assert call("get", "/api/v1/sla/board?from=2026-03-31&to=2026-03-01", read).status_code == 422
    policy = {
        "name": "Grade A", "priority": 5, "grades": ["A"], "first_response_hours": "2",
        "attempts": 4, "attempt_days": 3, "attempt_kinds": ["call"],
    }  # fmt: skip
    assert call("post", "/api/v1/sla/policies", read, policy).status_code == 403
    assert call("post", "/api/v1/sla/policies", write_member, policy).status_code == 403
    bad = call("post", "/api/v1/sla/policies", write_admin, policy | {"first_response_hours": "0"})
    assert bad.status_code == 422 and "first_response_hours" in bad.json()["detail"]
    taken = call("post", "/api/v1/sla/policies", write_admin, policy | {"priority": 20})
    assert taken.status_code == 422 and "Every MQL" in taken.json()["detail"]
    assert FollowUpPolicy.objects.count() == 1
    made = call("post", "/api/v1/sla/policies", write_admin, policy)
    assert made.status_code == 201 and made.json()["overlaps_with"] == ["Every MQL"]
    assert FollowUpPolicy.objects.get(priority=5).first_response_hours == Decimal("2")
    listed = call("get", "/api/v1/sla/policies", read).json()
    assert [p["priority"] for p in listed] == [5, 20]


def test_evaluated_in_the_past_a_lead_has_the_owner_it_had_then(roberge, make_lead, cast):
    # No owner change recorded by the moment evaluated, two after it: the owner then is the
    # one the first later change took the lead from.
    lead = make_lead("history@acme.example", owner="alice", status=Lead.Status.MQL)
    LeadStatusChange.objects.create(
        lead=lead, from_status="new", to_status="mql", changed_at=ny(2026, 3, 2, 9, 0)
    )
    for when, before, after in ((ny(2026, 3, 10), "bob", "sam"), (ny(2026, 3, 12), "sam", "alice")):
        LeadOwnerChange.objects.create(
            lead=lead, from_owner=cast[before], to_owner=cast[after], changed_at=when
        )
    assert one(lead, ny(2026, 3, 2, 10, 0)).owner == cast["bob"].pk


def test_a_tick_with_nothing_written_and_no_clock_turning_reads_no_spell_yet_alerts_on_time(
    roberge, mql, cast, django_capture_on_commit_callbacks
):
    """The tick re-reads the open spells only when a clock table was written to or a clock
    it saw running turns: a quiet minute costs a few queries, and no alert comes late."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    TickState.objects.create(last_tick_at=ny(2026, 3, 2, 8, 0))
    mql("quiet@acme.example", ny(2026, 3, 2, 9, 0))  # at risk 15:00, due 17:00
    with django_capture_on_commit_callbacks(execute=True):
        alerts.tick(ny(2026, 3, 2, 14, 0))
        with CaptureQueriesContext(connection) as quiet:
            assert alerts.tick(ny(2026, 3, 2, 14, 1))["at_risk"] == 0
        assert not [q for q in quiet.captured_queries if 'FROM "crm_leadstatuschange"' in q["sql"]]
        assert alerts.tick(ny(2026, 3, 2, 15, 0, 30))["at_risk"] == 1  # the clock turned
        mql("new@acme.example", ny(2026, 3, 2, 15, 1))  # a write: read again
        with CaptureQueriesContext(connection) as written:
            alerts.tick(ny(2026, 3, 2, 15, 2))
        assert [q for q in written.captured_queries if 'FROM "crm_leadstatuschange"' in q["sql"]]


# Closing an MQL's clocks by hand -----------------------------------------------------------------


def move_back(lead, actor, at, to="new", reason="Not a buyer"):
    """`actor` sets the lead's status on its page's verb, at `at` (a move back, by default)."""
    with time_machine.travel(at, tick=False):
        return change_lead_status(lead, to, actor=actor, reason=reason)


def test_an_mql_hand_close_before_any_follow_up_counts_as_breached_against_its_owner(
    roberge, mql, cast
):
    lead = mql("back@acme.example", ny(2026, 3, 2, 9, 0))  # alice's; due Monday 17:00
    move_back(lead, cast["sam"], ny(2026, 3, 2, 10, 0))

    state = one(lead, ny(2026, 3, 2, 12, 0))
    assert (state.first.status, state.attempts.status) == (sla.BREACHED, sla.BREACHED)
    assert state.owner == cast["alice"].pk and state.charged_for_hand_close
    assert (state.hand_close.by, state.hand_close.to_status, state.hand_close.reason) == (
        cast["sam"].pk,
        "new",
        "Not a buyer",
    )
    figures = queries.evaluate(ny(2026, 3, 2, 12, 0))
    assert (figures["met"], figures["breached"], figures["closed_by_hand"]) == (0, 1, 1)
    assert {r["rep"]: r["breached"] for r in figures["by_rep"]} == {"alice": 1}


def test_an_mql_hand_close_after_a_follow_up_is_closed_not_charged(roberge, mql, cast):
    lead = mql("called@acme.example", ny(2026, 3, 2, 9, 0))
    follow_up(lead, cast["alice"], ny(2026, 3, 2, 9, 30))
    move_back(lead, cast["sam"], ny(2026, 3, 2, 10, 0), to="recycled", reason="No project")

    state = one(lead, ny(2026, 3, 9, 12, 0))
    assert (state.first.status, state.attempts.status) == (sla.MET, sla.CLOSED)
    assert state.attempts.closed_by_hand and not state.charged_for_hand_close
    assert state.hand_close.to_status == "recycled"


def test_a_fresh_mql_disqualified_by_hand_before_any_follow_up_counts_against_its_owner(
    roberge, mql, cast
):
    lead = mql("bogus@acme.example", ny(2026, 3, 2, 9, 0))
    move_back(lead, cast["alice"], ny(2026, 3, 2, 9, 20), to="disqualified", reason="Bad data")

    state = one(lead, ny(2026, 3, 2, 12, 0))
    assert (state.first.status, state.attempts.status) == (sla.BREACHED, sla.BREACHED)
    assert state.charged_for_hand_close and state.hand_close.by == cast["alice"].pk
    assert state.owner == cast["alice"].pk


def test_a_rejection_in_sales_review_is_not_a_move_back_by_hand(roberge, mql, cast):
    lead = mql("review@acme.example", ny(2026, 3, 2, 9, 0))
    with time_machine.travel(ny(2026, 3, 2, 10, 0), tick=False):
        reviews.reject_lead(lead, actor=cast["alice"], reason="no-budget")
    lead.refresh_from_db()
    assert lead.status == "recycled"  # the same status a move back sets

    state = one(lead, ny(2026, 3, 9, 12, 0))
    assert (state.first.status, state.attempts.status) == (sla.MET, sla.CLOSED)
    assert state.hand_close is None and not state.charged_for_hand_close


def test_the_board_and_the_lead_page_show_clocks_closed_by_hand_and_who_did_it(
    roberge, mql, cast, login
):
    charged = mql("charged@acme.example", ny(2026, 3, 2, 9, 0))
    move_back(charged, cast["sam"], ny(2026, 3, 2, 10, 0), reason="Scored on bot visits")
    answered = mql("answered@acme.example", ny(2026, 3, 3, 9, 0), owner="bob")
    follow_up(answered, cast["bob"], ny(2026, 3, 3, 9, 15))
    move_back(answered, cast["victor"], ny(2026, 3, 3, 10, 0), to="recycled", reason="Nurture")

    with time_machine.travel(ny(2026, 3, 20, 12, 0), tick=False):
        client = login(cast["vera"])
        page = client.get("/sla/", {"date_from": "2026-03-01", "date_to": "2026-03-20"})
        board = page.context["board"]
        lead_page = client.get(charged.get_absolute_url()).content.decode()
    assert (board["closed_by_hand"]["count"], board["closed_by_hand"]["charged"]) == (2, 1)
    rows = {row["lead"].pk: row for row in board["closed_by_hand"]["rows"]}
    assert (rows[charged.pk]["by"], rows[charged.pk]["reason"], rows[charged.pk]["charged"]) == (
        cast["sam"],
        "Scored on bot visits",
        True,
    )
    assert (rows[answered.pk]["by"], rows[answered.pk]["charged"]) == (cast["victor"], False)
    assert board["total"]["closed_by_hand"] == 1 and board["total"]["breached"] == 1
    html = page.content.decode()
    assert "Closed by hand" in html and "Scored on bot visits" in html
    assert "Closed after a follow-up" in html
    assert "Closed by hand:" in lead_page and "set to New by Sam" in lead_page
    assert "counted against the owner" in lead_page


# A touchpoint condition looks back a window from the MQL time -------------------------------


@pytest.fixture
def demo_policy(roberge):
    return FollowUpPolicy.objects.create(
        name="Demo requests", priority=10, touch_kind="demo_request", first_response_hours=1,
        attempts=3, attempt_days=3, attempt_kinds=CALLS,
    )  # fmt: skip


def asked_for_a_demo(lead, at):
    Touchpoint.objects.create(lead=lead, channel=lead.source, kind="demo_request", occurred_at=at)


def test_an_old_demo_request_no_longer_puts_a_re_mql_under_the_demo_policy(
    demo_policy, roberge, mql
):
    nurtured = mql("nurtured@acme.example", ny(2026, 6, 1, 9, 0))  # MQL again in June
    asked_for_a_demo(nurtured, ny(2026, 2, 10, 11, 0))  # months before
    recent = mql("recent@acme.example", ny(2026, 6, 1, 9, 0))
    asked_for_a_demo(recent, ny(2026, 5, 5, 11, 0))  # 27 days before
    assert demo_policy.touch_window_days == 30  # the default

    assert one(nurtured, ny(2026, 6, 1, 9, 30)).policy.id == roberge.pk
    assert one(recent, ny(2026, 6, 1, 9, 30)).policy.id == demo_policy.pk

    demo_policy.touch_window_days = 7
    demo_policy.save()
    assert one(recent, ny(2026, 6, 1, 9, 30)).policy.id == roberge.pk
    demo_policy.touch_window_days = 365
    demo_policy.save()
    assert one(nurtured, ny(2026, 6, 1, 9, 30)).policy.id == demo_policy.pk


def test_a_demo_request_after_the_mql_time_does_not_count_for_that_spell(demo_policy, roberge, mql):
    lead = mql("later@acme.example", ny(2026, 6, 1, 9, 0))
    asked_for_a_demo(lead, ny(2026, 6, 3, 11, 0))
    assert one(lead, ny(2026, 6, 4, 9, 0)).policy.id == roberge.pk


def test_many_leads_read_through_a_subquery_answer_as_a_few_read_by_their_ids(
    roberge, mql, cast, monkeypatch
):
    """A page of leads is read by their ids, a whole board through a subquery: the clocks are
    the same either way (owners, follow-ups, the status changes after the MQL)."""
    from accord.sla import clocks

    first = mql("one@acme.example", ny(2026, 3, 2, 9, 0))
    second = mql("two@acme.example", ny(2026, 3, 2, 10, 0))
    LeadOwnerChange.objects.create(
        lead=second, from_owner=cast["alice"], to_owner=cast["bob"], changed_at=ny(2026, 3, 2, 11)
    )
    Lead.objects.filter(pk=second.pk).update(owner=cast["bob"])
    follow_up(first, cast["alice"], ny(2026, 3, 2, 9, 30))
    as_of, scope = ny(2026, 3, 3, 12, 0), Scope(started_from=ny(2026, 3, 1, 0, 0))
    by_ids = evaluate_all(as_of, scope)
    monkeypatch.setattr(clocks, "FEW_LEADS", 0)
    by_subquery = evaluate_all(as_of, scope)
    assert by_ids == by_subquery
    assert {e.lead_id: e.owner for e in by_ids} == {
        first.pk: cast["alice"].pk,
        second.pk: cast["bob"].pk,
    }
    assert {e.lead_id: e.first.status for e in by_ids}[first.pk] == sla.MET
