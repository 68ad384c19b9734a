"""The weekly digest: what it says, when it goes out, to whom, never twice a week, and the
preview page and command."""

import socket
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.people.models import User
from accord.plan import actions
from accord.scoreboard import digest
from tests.plan.test_plan import values

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
# Monday, February 15, 2027 (ISO week 2027-W07), 07:00 in Berlin.
MONDAY_7 = datetime(2027, 2, 15, 7, 0, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.ACCORD_DIGEST_HOUR = 7


@pytest.fixture
def signed_plan(cast):
    """FY2027 at the seed's numbers, signed; nothing has happened in it yet."""
    plan = actions.create_plan(
        cast["mona"], name="FY2027", fiscal_year=2027, first_month=1, values=values(lags={})
    )
    for leader in ("carol", "victor"):
        actions.approve(cast[leader], plan.current)
    return plan


def test_the_digest_lists_each_teams_commitments_off_track_with_owner_and_link(signed_plan):
    found = digest.build(MONDAY_7)
    assert found.week == "2027-W07" and found.period_label == "Q1 (Jan – Mar 2027) to date"
    text = found.text()
    # Nothing booked or sourced yet: behind, each with its owner. Planned to date: January
    # in full and 343 of February's 672 hours (to Monday 07:00). MQLs: 167 a month, 60%
    # marketing's: 100.2 + 100.2 x 343/672 = 151. Bookings: 14 deals x $113,000 a month:
    # 1,582,000 + 1,582,000 x 343/672 = $2,389,479.
    assert "- Marketing-sourced MQLs: 0 against 151 planned to date (0%)" in text
    assert "- Bookings: $0 against $2,389,479 planned to date (0%)" in text
    assert "Q2 FY2027 (Apr – Jun 2027): 0.00× against 3× wanted" in text
    assert "Owner: Carol." in text and "Owner: Victor." in text
    assert "/scoreboard/digest/" in text
    # On track, so left out: no deal has closed, so the win rate has nothing against it.
    assert "Win rate" not in text
    assert [line.label for line in found.sales if line.on_track] == ["Win rate"]
    assert found.subject == "Accord weekly, 2027-W07: 5 commitments off track"
    html = found.html()
    assert "Marketing-sourced MQLs" in html and "<script" not in html and "<img" not in html


def test_with_nothing_off_track_it_says_so(cast):
    found = digest.build(MONDAY_7)  # no plan in force, no MQL, no review
    assert found.all_on_track
    assert "Nothing to report: every commitment of both teams is on track." in found.text()
    assert found.subject.endswith("nothing to report")


def test_it_goes_out_on_monday_from_the_digest_hour_once_a_week_to_whom_it_is_for(
    cast, signed_plan
):
    User.objects.filter(username="mike").update(weekly_digest=True)  # a member opts in
    User.objects.filter(username="victor").update(weekly_digest=False)  # a leader opts out
    sunday_night = MONDAY_7 - timedelta(hours=8)
    assert digest.send(sunday_night) == 0
    assert digest.send(MONDAY_7 - timedelta(minutes=1)) == 0
    assert not mail.outbox

    assert digest.send(MONDAY_7) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["carol@example.com", "mike@example.com"]
    message = mail.outbox[0]
    assert message.subject.startswith("Accord weekly, 2027-W07")
    assert message.alternatives[0].mimetype == "text/html"
    assert digest.send(MONDAY_7 + timedelta(hours=3)) == 0  # never twice a week
    assert len(mail.outbox) == 2
    assert digest.send(MONDAY_7 + timedelta(days=7)) == 2  # next Monday
    assert User.objects.get(username="carol").last_weekly_digest == "2027-W08"


def test_each_reader_gets_the_digest_on_their_own_clock(cast, signed_plan):
    """The weeks are the company's (Berlin); when the figures were read is the reader's."""
    User.objects.filter(username="victor").update(time_zone="America/Chicago")
    assert digest.send(MONDAY_7) == 2
    emails = {m.to[0]: m for m in mail.outbox}
    assert "As of Mon Feb 15, 07:00 CET (Europe/Berlin)." in emails["carol@example.com"].body
    chicago = emails["victor@example.com"]
    assert "As of Mon Feb 15, 00:00 CST (America/Chicago)." in chicago.body
    assert "as of Mon Feb 15, 00:00 CST (America/Chicago)" in chicago.alternatives[0].content
    assert "(from Monday Feb 15, 2027)" in chicago.body  # the company's week, unchanged


def test_a_mail_server_that_is_down_is_tried_again_at_the_next_check(cast, settings, caplog):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    working = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }
    assert digest.send(MONDAY_7) == 0
    assert "Could not email the weekly digest to carol@example.com" in caplog.text
    assert User.objects.get(username="carol").last_weekly_digest == ""
    settings.MAILERS = working
    assert digest.send(MONDAY_7 + timedelta(hours=1)) == 2  # carol and victor


@pytest.mark.parametrize("who", ["mike", "vera", "alice"])
def test_anyone_signed_in_sees_this_weeks_digest(login, cast, signed_plan, who):
    client = login(cast[who])
    with time_machine.travel(MONDAY_7 + timedelta(hours=2), tick=False):
        client.force_login(cast[who])
        page = client.get("/scoreboard/digest/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Weekly digest, 2027-W07" in html and "Marketing-sourced MQLs" in html


def test_the_preview_page_needs_a_login_and_refuses_a_week_that_does_not_exist(client, cast):
    assert client.get("/scoreboard/digest/")["Location"].startswith("/login/")
    client.force_login(cast["mike"])
    page = client.get("/scoreboard/digest/?week=2026-W54")
    assert page.status_code == 400
    assert "is not a week: use an ISO week like 2026-W49" in page.content.decode()
    ancient = client.get("/scoreboard/digest/?week=0001-W01")
    assert ancient.status_code == 400 and "a year from 1900 to 2999" in ancient.content.decode()
    later = client.get("/scoreboard/digest/?week=2099-W02")
    assert later.status_code == 400 and "has not begun" in later.content.decode()


def test_the_command_prints_a_dry_run_and_refuses_bad_weeks(cast, signed_plan, capsys):
    with time_machine.travel(MONDAY_7 + timedelta(hours=1), tick=False):
        call_command("digest", "send", "--dry-run")
        out = capsys.readouterr().out
        assert "Subject: Accord weekly, 2027-W07" in out
        assert "Would go to: carol@example.com, victor@example.com" in out
        assert not mail.outbox
        with pytest.raises(CommandError, match="is not a week"):
            call_command("digest", "send", "--week", "2027-W99")
        call_command("digest", "send", "--week", "2027-W06")
        assert "Sent the 2027-W06 digest to 2 people." in capsys.readouterr().out
    assert len(mail.outbox) == 2
