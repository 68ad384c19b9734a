"""The notification centre: stored once, emailed once or in a daily digest, read in the app."""

import json
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accord.people.models import Notification
from accord.people.notify import mark_read, notify, send_digests, unread_count
from tests.factories import ACCORD_SOURCE, PRODUCTION_SECRET_KEY, T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what notify() schedules for after the commit, as a real transaction would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def at_risk(users, lead_id=42, **extra):
    fields = {
        "kind": "sla.at_risk",
        "title": f"Lead {lead_id} is at risk",
        "body": "No follow-up yet; the service level ends in 2 hours.",
        "url": f"/leads/{lead_id}/",
        "key": f"sla.at_risk:{lead_id}",
    }
    return notify(users, **(fields | extra))


# Storing and emailing one notification at a time


def test_each_user_gets_one_notification_and_one_email(cast, on_commit, settings):
    settings.ACCORD_BASE_URL = "https://accord.example.com"
    with on_commit():
        created = at_risk([cast["alice"], cast["sam"]])
    assert {n.user for n in created} == {cast["alice"], cast["sam"]}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "sam@example.com"]
    email = mail.outbox[0]
    assert email.subject == "Accord: Lead 42 is at risk"
    assert "No follow-up yet" in email.body
    assert "https://accord.example.com/leads/42/" in email.body
    assert all(n.emailed_at is not None for n in Notification.objects.all())


def test_the_same_key_is_stored_and_emailed_once(cast, on_commit):
    with on_commit():
        first = at_risk([cast["alice"]])
    with on_commit():
        again = at_risk([cast["alice"], cast["bob"]])
    assert len(first) == 1
    assert [n.user for n in again] == [cast["bob"]]
    assert Notification.objects.filter(user=cast["alice"]).count() == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["bob@example.com"]]


def test_the_database_refuses_a_key_twice_for_one_user_but_not_a_blank_key(cast):
    fields = {"user": cast["alice"], "kind": "k", "title": "t", "created_at": T0}
    Notification.objects.create(**fields)
    Notification.objects.create(**fields)
    Notification.objects.create(key="same", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(key="same", **fields)


def test_notifications_without_a_key_are_never_deduplicated(cast):
    at_risk([cast["alice"]], key="")
    at_risk([cast["alice"]], key="")
    assert Notification.objects.filter(user=cast["alice"]).count() == 2


def test_inactive_users_are_skipped(cast, on_commit):
    cast["bob"].is_active = False
    cast["bob"].save()
    with on_commit():
        created = at_risk([cast["alice"], cast["bob"]])
    assert [n.user for n in created] == [cast["alice"]]
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_nothing_is_emailed_when_the_transaction_rolls_back(cast, on_commit):
    with on_commit(), pytest.raises(RuntimeError), transaction.atomic():
        at_risk([cast["alice"]])
        raise RuntimeError("the caller failed after notifying")
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_digest_readers_and_people_without_email_get_no_immediate_email(cast, on_commit):
    cast["alice"].email_digest = True
    cast["alice"].save()
    cast["bob"].email = ""
    cast["bob"].save()
    with on_commit():
        created = at_risk([cast["alice"], cast["bob"], cast["sam"]])
    assert len(created) == 3
    assert [m.to for m in mail.outbox] == [["sam@example.com"]]
    assert Notification.objects.filter(emailed_at=None).count() == 2


def test_links_must_stay_inside_accord(cast):
    for url in ("https://evil.example/", "//evil.example/", "leads/42/", "/\\evil.example"):
        with pytest.raises(ValueError, match="path in Accord"):
            notify([cast["alice"]], kind="k", title="t", url=url)
    assert not Notification.objects.exists()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failing_mail_server_is_logged_and_does_not_break_the_caller(
    cast, on_commit, settings, caplog
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 5},
        }
    }
    with on_commit():
        created = at_risk([cast["alice"]])
    assert len(created) == 1
    notification = Notification.objects.get()
    assert notification.emailed_at is None
    assert "Could not email a notification to alice@example.com" in caplog.text


# The daily digest (TIME_ZONE Europe/Berlin is UTC+1 in early March; digests from 07:00)


@pytest.fixture
def digest_reader(cast, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.ACCORD_DIGEST_HOUR = 7
    alice = cast["alice"]
    alice.email_digest = True
    alice.save()
    return alice


def test_the_digest_lists_everything_pending_once_a_day(digest_reader, on_commit):
    with time_machine.travel("2026-03-02 10:00Z", tick=False), on_commit():
        at_risk([digest_reader], lead_id=1)
        at_risk([digest_reader], lead_id=2)
    assert mail.outbox == []

    with time_machine.travel("2026-03-03 06:00Z", tick=False):  # 07:00 in Berlin
        assert send_digests() == 1
        assert send_digests() == 0
    (email,) = mail.outbox
    assert email.to == ["alice@example.com"]
    assert email.subject == "Accord: 2 new notifications"
    assert "Lead 1 is at risk" in email.body and "Lead 2 is at risk" in email.body
    assert "/leads/1/" in email.body
    assert not Notification.objects.filter(emailed_at=None).exists()
    digest_reader.refresh_from_db()
    assert digest_reader.last_digest_at.isoformat() == "2026-03-03T06:00:00+00:00"


def test_one_digest_per_local_day_then_only_what_is_new(digest_reader):
    at_risk([digest_reader], lead_id=1, at=T0)
    assert send_digests(now=T0 + timedelta(hours=1)) == 1
    at_risk([digest_reader], lead_id=2, at=T0 + timedelta(hours=2))
    assert send_digests(now=T0 + timedelta(hours=12)) == 0  # 22:00 in Berlin, same day
    assert send_digests(now=T0 + timedelta(hours=15)) == 0  # 01:00 next day, too early
    assert send_digests(now=T0 + timedelta(hours=22)) == 1  # 08:00 next day
    assert [m.subject for m in mail.outbox] == [
        "Accord: 1 new notification",
        "Accord: 1 new notification",
    ]
    assert "Lead 2 is at risk" in mail.outbox[1].body
    assert "Lead 1 is at risk" not in mail.outbox[1].body


def test_no_digest_before_the_local_digest_hour(digest_reader):
    at_risk([digest_reader], at=T0)
    with time_machine.travel("2026-03-03 05:59Z", tick=False):  # 06:59 in Berlin
        assert send_digests() == 0
    assert mail.outbox == []
    assert Notification.objects.get().emailed_at is None


def test_no_digest_when_nothing_is_pending(digest_reader, cast):
    at_risk([cast["bob"]], at=T0)  # bob gets emails one by one, not a digest
    Notification.objects.create(
        user=digest_reader, kind="k", title="Already sent", created_at=T0, emailed_at=T0
    )
    assert send_digests(now=T0 + timedelta(days=1)) == 0
    assert mail.outbox == []
    digest_reader.refresh_from_db()
    assert digest_reader.last_digest_at is None


def test_a_failed_digest_is_tried_again_on_the_next_run(digest_reader, settings, caplog):
    at_risk([digest_reader], at=T0)
    mailers = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 5},
        }
    }
    assert send_digests(now=T0 + timedelta(hours=1)) == 0
    assert "Could not email a digest to alice@example.com" in caplog.text
    settings.MAILERS = mailers
    assert send_digests(now=T0 + timedelta(hours=2)) == 1
    assert len(mail.outbox) == 1


# Reading them in the app


def test_the_header_shows_the_unread_count(login, cast):
    at_risk([cast["alice"]], lead_id=1)
    at_risk([cast["alice"]], lead_id=2)
    at_risk([cast["bob"]], lead_id=3)
    html = login(cast["alice"]).get(reverse("crm:home"), follow=True).content.decode()
    assert 'Notifications <span class="badge">2</span>' in html
    assert 'aria-label="Notifications, 2 unread"' in html
    mark_read(cast["alice"])
    html = login(cast["alice"]).get(reverse("crm:home"), follow=True).content.decode()
    assert ">Notifications</a>" in html and 'class="badge"' not in html


def test_the_list_shows_only_my_notifications_newest_first(login, cast):
    at_risk([cast["alice"]], lead_id=1, at=T0)
    at_risk([cast["alice"]], lead_id=2, at=T0 + timedelta(hours=1))
    at_risk([cast["bob"]], lead_id=3, at=T0)
    html = login(cast["alice"]).get(reverse("notifications")).content.decode()
    assert html.index("Lead 2 is at risk") < html.index("Lead 1 is at risk")
    assert "Lead 3 is at risk" not in html
    assert html.count('class="notification unread"') == 2
    assert "Mark all as read" in html


def test_an_empty_list_says_what_will_appear_there(login, cast):
    html = login(cast["alice"]).get(reverse("notifications")).content.decode()
    assert "No notifications yet." in html
    assert "when a lead you own is at risk or breaches its follow-up service level" in html
    assert "Mark all as read" not in html


def test_the_list_has_25_a_page(login, cast):
    for lead_id in range(30):
        at_risk([cast["alice"]], lead_id=lead_id, at=T0 + timedelta(minutes=lead_id))
    client = login(cast["alice"])
    first = client.get(reverse("notifications")).content.decode()
    assert first.count('class="notification unread"') == 25
    assert "page 1 of 2" in first
    second = client.get(reverse("notifications"), {"page": 2}, headers={"HX-Request": "true"})
    assert second.content.decode().count('class="notification unread"') == 5
    assert "<html" not in second.content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link(login, cast):
    (notification,) = at_risk([cast["alice"]])
    client = login(cast["alice"])
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/leads/42/"
    notification.refresh_from_db()
    assert notification.is_read
    assert unread_count(cast["alice"]) == 0


def test_opening_needs_a_post(login, cast):
    (notification,) = at_risk([cast["alice"]])
    response = login(cast["alice"]).get(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 405


@pytest.mark.parametrize(
    "url", ["//evil.example/phish", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_a_link_outside_accord_is_never_followed(login, cast, url):
    notification = Notification.objects.create(
        user=cast["alice"], kind="k", title="Odd link", url=url, created_at=T0
    )
    response = login(cast["alice"]).post(reverse("notification_open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications")
    notification.refresh_from_db()
    assert notification.is_read


def test_another_users_notification_is_not_found(login, cast):
    (bobs,) = at_risk([cast["bob"]])
    response = login(cast["alice"]).post(reverse("notification_open", args=[bobs.pk]))
    assert response.status_code == 404
    bobs.refresh_from_db()
    assert not bobs.is_read


def test_mark_all_as_read_touches_only_my_notifications(login, cast):
    at_risk([cast["alice"], cast["bob"]], lead_id=1)
    at_risk([cast["alice"]], lead_id=2)
    response = login(cast["alice"]).post(reverse("notifications_read"), follow=True)
    assert "Marked 2 notifications as read." in response.content.decode()
    assert unread_count(cast["alice"]) == 0
    assert unread_count(cast["bob"]) == 1


def test_mark_read_by_id_leaves_the_others_unread(cast):
    first, second = (at_risk([cast["alice"]], lead_id=i)[0] for i in (1, 2))
    assert mark_read(cast["alice"], [first.pk]) == 1
    assert mark_read(cast["alice"], [first.pk]) == 0
    assert unread_count(cast["alice"]) == 1


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "notifications", []),
        ("post", "notifications_read", []),
        ("post", "notification_open", [1]),
        ("post", "notification_preferences", []),
    ],
)
def test_notifications_need_a_login(client, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# The preference on the profile page


def test_the_digest_preference_is_saved_from_the_profile(login, cast):
    client = login(cast["alice"])
    page = client.get(reverse("profile")).content.decode()
    assert "Email me one daily digest instead of an email per alert" in page
    response = client.post(reverse("notification_preferences"), {"email_digest": "on"}, follow=True)
    assert "you will get one email a day" in response.content.decode()
    cast["alice"].refresh_from_db()
    assert cast["alice"].email_digest
    client.post(reverse("notification_preferences"), {})
    cast["alice"].refresh_from_db()
    assert not cast["alice"].email_digest


def test_the_preference_form_needs_its_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["alice"])
    response = client.post(reverse("notification_preferences"), {"email_digest": "on"})
    assert response.status_code == 403
    cast["alice"].refresh_from_db()
    assert not cast["alice"].email_digest


# Email settings come from the environment


def mailer_settings(**env):
    code = (
        "from django.conf import settings; import json; "
        "print(json.dumps([settings.MAILERS, settings.DEFAULT_FROM_EMAIL]))"
    )
    clean = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": ACCORD_SOURCE,
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=False
    )


def test_email_goes_to_the_console_until_a_mail_server_is_set():
    result = mailer_settings()
    mailers, sender = json.loads(result.stdout)
    assert mailers == {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    assert sender == "Accord <accord@localhost>"


def test_an_smtp_host_in_the_environment_sends_email_through_it():
    result = mailer_settings(
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        EMAIL_HOST_USER="accord@example.com",
        EMAIL_HOST_PASSWORD="from-the-environment",
        DEFAULT_FROM_EMAIL="Accord <accord@example.com>",
    )
    mailers, sender = json.loads(result.stdout)
    assert mailers["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailers["default"]["OPTIONS"] == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "accord@example.com",
        "password": "from-the-environment",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
    }
    assert sender == "Accord <accord@example.com>"


def test_contradicting_email_settings_stop_the_process():
    result = mailer_settings(EMAIL_HOST="smtp.example.com", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode != 0
    assert "Set at most one of EMAIL_USE_TLS and EMAIL_USE_SSL" in result.stderr
    result = mailer_settings(ACCORD_DIGEST_HOUR="25")
    assert "ACCORD_DIGEST_HOUR=25 is not an hour" in result.stderr
