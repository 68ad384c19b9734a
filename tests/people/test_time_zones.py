"""Times in the reader's zone: each user reads every time on pages, in forms and in emails on
their own clock (their choice, else their team's calendar, else the company's), with the
zone named."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from accord.crm.models import Activity, Lead, LeadOwnerChange, LeadStatusChange
from accord.people.models import AuditLog, User
from accord.sla import alerts
from accord.sla.models import BusinessCalendar, FollowUpPolicy, TickState

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# Monday 2 March 2026: New York is on EST (UTC-5), Chicago on CST (UTC-6).
MONDAY_9_UTC = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def calendar(zone: str, team=None) -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        team=team, time_zone=zone, week={d: [["09:00", "17:00"]] for d in WEEKDAYS}
    )


@pytest.fixture
def utc_hours(db):
    """The company works 9 to 5 UTC, so deadlines fall on round UTC hours."""
    return calendar("UTC")


@pytest.fixture
def two_hour_policy(utc_hours):
    return FollowUpPolicy.objects.create(
        name="Call back in two hours", priority=10, first_response_hours=2, attempts=1,
        attempt_days=1, attempt_kinds=["call"],
    )  # fmt: skip


@pytest.fixture
def fresh_mql(make_lead):
    """Alice's lead that became MQL on Monday at 09:00 UTC: its first response is due 11:00 UTC
    (06:00 in New York)."""
    lead = make_lead("fresh@acme.example", owner="alice", status=Lead.Status.MQL)
    Lead.objects.filter(pk=lead.pk).update(created_at=MONDAY_9_UTC - timedelta(days=3))
    LeadOwnerChange.objects.create(
        lead=lead, from_owner=None, to_owner=lead.owner, changed_at=MONDAY_9_UTC - timedelta(days=3)
    )
    LeadStatusChange.objects.create(
        lead=lead, from_status="new", to_status="mql", changed_at=MONDAY_9_UTC
    )
    return lead


def choose(user: User, zone: str) -> User:
    User.objects.filter(pk=user.pk).update(time_zone=zone)
    user.refresh_from_db()
    return user


# Pages ----------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False)
def test_a_new_york_user_sees_a_deadline_in_new_york_time_with_the_zone_named(
    two_hour_policy, fresh_mql, cast, login
):
    client = login(choose(cast["alice"], "America/New_York"))
    page = client.get(f"/leads/{fresh_mql.pk}/").content.decode()
    assert "Mon Mar 2, 06:00 EST" in page
    assert '<time datetime="2026-03-02T11:00:00+00:00">' in page
    assert "Times in America/New_York" in page
    assert "Mar 2, 11:00" not in page


@time_machine.travel(datetime(2026, 3, 2, 10, 45, tzinfo=UTC), tick=False)
def test_the_follow_up_board_shows_the_next_deadline_on_the_readers_clock(
    two_hour_policy, fresh_mql, cast, login
):
    chicago = login(choose(cast["sam"], "America/Chicago")).get("/sla/").content.decode()
    assert "Mon Mar 2, 05:00 CST" in chicago
    assert "Times in America/Chicago" in chicago


@time_machine.travel(datetime(2026, 3, 2, 10, 45, tzinfo=UTC), tick=False)
def test_shared_figures_count_the_same_months_for_every_reader_and_show_their_own_clock(
    two_hour_policy, fresh_mql, make_lead, cast, login, settings
):
    """A lead created on Mar 1 at 02:00 UTC is February's in New York; the overview counts
    it in the company's month (TIME_ZONE, UTC here) for every reader, so the CMO in New York
    and a rep on UTC argue about the same number. Each still reads times on their clock."""
    late = make_lead("late@acme.example")
    Lead.objects.filter(pk=late.pk).update(created_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    settings.TIME_ZONE = "UTC"

    charts = {}
    for name, zone in (("carol", "America/New_York"), ("alice", "UTC")):
        client = Client()
        client.force_login(choose(cast[name], zone))
        charts[zone] = client.get("/overview/").context["overview"]["leads_by_month"]
    assert charts["America/New_York"] == charts["UTC"]
    assert charts["UTC"]["values"][-1] == Lead.objects.filter(created_at__month=3).count()
    board = client.get("/sla/").content.decode()
    assert "Mon Mar 2, 11:00 UTC" in board and "Times in UTC" in board
    client.force_login(cast["carol"])
    board = client.get("/sla/").content.decode()
    assert "Mon Mar 2, 06:00 EST" in board and "Times in America/New_York" in board


@time_machine.travel(datetime(2026, 3, 2, 16, 0, tzinfo=UTC), tick=False)
def test_a_follow_up_typed_by_a_chicago_user_is_stored_as_the_right_utc_instant(
    fresh_mql, cast, login
):
    client = login(choose(cast["alice"], "America/Chicago"))
    form = client.get(f"/leads/{fresh_mql.pk}/").content.decode()
    assert "In America/Chicago, your time zone" in form
    client.post(
        f"/leads/{fresh_mql.pk}/follow-ups/",
        {"kind": "call", "occurred_at": "2026-03-02T09:30", "outcome": "Left a voicemail"},
    )
    activity = Activity.objects.get(lead=fresh_mql)
    assert activity.occurred_at == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@time_machine.travel(datetime(2026, 3, 2, 16, 0, tzinfo=UTC), tick=False)
def test_a_time_in_the_future_on_the_readers_clock_is_refused(fresh_mql, cast, login):
    # 10:30 in Chicago is 16:30 UTC: half an hour from now, although it is past 10:30 UTC.
    client = login(choose(cast["alice"], "America/Chicago"))
    response = client.post(
        f"/leads/{fresh_mql.pk}/follow-ups/",
        {"kind": "call", "occurred_at": "2026-03-02T10:30"},
        follow=True,
    )
    assert "A follow-up cannot be in the future." in response.content.decode()
    assert not Activity.objects.filter(lead=fresh_mql).exists()


@time_machine.travel(datetime(2026, 3, 2, 16, 0, tzinfo=UTC), tick=False)
def test_a_follow_up_before_the_lead_existed_is_refused_on_the_readers_clock(
    fresh_mql, cast, login
):
    client = login(choose(cast["alice"], "America/New_York"))
    response = client.post(
        f"/leads/{fresh_mql.pk}/follow-ups/",
        {"kind": "call", "occurred_at": "2026-02-20T09:00"},
        follow=True,
    )
    # Created Friday 27 February at 09:00 UTC: 04:00 in New York.
    assert "The lead only exists since 2026-02-27 04:00 EST." in response.content.decode()
    assert not Activity.objects.filter(lead=fresh_mql).exists()


# Emails ---------------------------------------------------------------------------------


def test_an_alert_email_to_a_new_york_user_shows_new_york_time(
    two_hour_policy, fresh_mql, cast, django_capture_on_commit_callbacks
):
    choose(cast["alice"], "America/New_York")
    choose(cast["sam"], "America/Chicago")
    TickState.objects.create(last_tick_at=MONDAY_9_UTC)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.tick(datetime(2026, 3, 2, 11, 1, tzinfo=UTC))  # breached: due 11:00 UTC
    emails = {message.to[0]: message.body for message in mail.outbox}
    assert "was due at Mon 02 Mar 06:00 EST" in emails["alice@example.com"]
    assert "was due at Mon 02 Mar 05:00 CST" in emails["sam@example.com"]  # the manager


# The default zone -----------------------------------------------------------------------


def test_without_a_choice_the_zone_is_the_teams_calendar_then_the_companys(db, teams, cast, login):
    def footer(user) -> str:
        return login(user).get("/profile/").content.decode()

    assert "Times in UTC" in footer(cast["alice"])  # no calendar at all: TIME_ZONE
    calendar("America/New_York")  # the company's
    calendar("America/Chicago", team=teams["sales"])
    assert "Times in America/Chicago" in footer(cast["alice"])  # a rep: sales' calendar
    assert "Times in America/New_York" in footer(cast["mike"])  # marketing has none
    assert "Times in Europe/Lisbon" in footer(choose(cast["bob"], "Europe/Lisbon"))


# Choosing a zone, at every door ---------------------------------------------------------


def test_a_user_chooses_their_zone_on_their_profile_and_can_go_back_to_the_default(cast, login):
    client = login(cast["alice"])
    refused = client.post("/profile/time-zone/", {"time_zone": "Chicago"})
    assert refused.status_code == 400
    assert "are in UTC, the default for your team." in refused.content.decode()
    response = client.post("/profile/time-zone/", {"time_zone": " America/Chicago "})
    assert response.status_code == 302
    assert User.objects.get(pk=cast["alice"].pk).time_zone == "America/Chicago"
    assert "Times in America/Chicago" in client.get("/profile/").content.decode()
    client.post("/profile/time-zone/", {"time_zone": ""})
    assert User.objects.get(pk=cast["alice"].pk).time_zone == ""


@pytest.mark.parametrize("typed", ["Mars/Olympus_Mons", "EST-ish", "../../etc/passwd", "x" * 200])
def test_a_zone_that_is_not_in_the_iana_list_is_refused_and_nothing_changes(cast, login, typed):
    choose(cast["alice"], "America/Chicago")
    response = login(cast["alice"]).post("/profile/time-zone/", {"time_zone": typed})
    assert response.status_code == 400
    assert "is not a known time zone" in response.content.decode() or "at most" in (
        response.content.decode()
    )
    assert User.objects.get(pk=cast["alice"].pk).time_zone == "America/Chicago"


def test_an_admin_sets_someones_zone_on_the_people_page_and_it_is_audited(cast, login):
    client = login(cast["ada"])
    alice = cast["alice"]
    fields = {
        "username": "alice", "first_name": "Alice", "last_name": "", "email": "alice@example.com",
        "title": "", "role": "member", "is_active": "on",
        "teams": [t.pk for t in alice.teams.all()],
    }  # fmt: skip
    refused = client.post(f"/people/{alice.pk}/", {**fields, "time_zone": "New York"})
    assert "is not a known time zone" in refused.content.decode()
    assert User.objects.get(pk=alice.pk).time_zone == ""
    client.post(f"/people/{alice.pk}/", {**fields, "time_zone": "America/New_York"})
    assert User.objects.get(pk=alice.pk).time_zone == "America/New_York"
    entry = AuditLog.objects.filter(object_type="people.user", object_id=str(alice.pk)).first()
    assert entry.after["time_zone"] == "America/New_York"


def test_createuser_takes_a_zone_and_refuses_an_unknown_one(db, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a-long-passphrase-9")
    args = ("--email", "pat@example.com", "--password-env", "NEW_PASSWORD")
    with pytest.raises(CommandError, match="not a known time zone"):
        call_command("createuser", "pat", *args, "--time-zone", "Chicago", stdout=StringIO())
    assert not User.objects.filter(username="pat").exists()
    call_command("createuser", "pat", *args, "--time-zone", "America/Chicago", stdout=StringIO())
    assert User.objects.get(username="pat").time_zone == "America/Chicago"


# The API keeps offsets ------------------------------------------------------------------


def test_the_api_answers_iso_8601_with_offsets_whatever_the_callers_zone(fresh_mql, cast, api):
    from accord.people.tokens import issue_token

    choose(cast["alice"], "America/New_York")
    _, raw = issue_token(cast["alice"], name="test", scope="read")
    found = api("get", f"/leads/{fresh_mql.pk}", token=raw).json()
    assert found["status_changed_at"].endswith(("+00:00", "Z"))
