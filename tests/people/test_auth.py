"""Logging in and out, throttled failures, changing the password."""

import pytest
import time_machine
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login_post(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.parametrize(
    "path",
    ["/", "/leads/", "/accounts/", "/opportunities/", "/campaigns/", "/people/", "/leads/1/"],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_it_logs_in_with_the_right_password(client, cast):
    response = login_post(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:home")
    assert client.get(reverse("crm:leads")).status_code == 200


def test_a_wrong_password_gets_a_clear_message(client, cast):
    response = login_post(client, "alice", "not-it")
    assert response.status_code == 200
    assert "That username and password do not match" in response.content.decode()
    assert client.get(reverse("crm:leads")).status_code == 302


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login_post(client, "alice", "guess")
    response = login_post(client, "alice", PASSWORD)
    assert "Too many failed attempts" in response.content.decode()
    assert client.get(reverse("crm:leads")).status_code == 302


def test_the_lock_expires_and_does_not_touch_other_accounts(client, cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_SECONDS = 600
    with time_machine.travel("2026-05-01 10:00Z", tick=False) as clock:
        for _ in range(3):
            login_post(client, "Alice", "guess")
        assert login_post(client, "bob", PASSWORD).status_code == 302
        client.logout()
        assert login_post(client, "alice", PASSWORD).status_code == 200
        clock.shift(601)
        assert login_post(client, "alice", PASSWORD).status_code == 302


def test_a_successful_login_clears_earlier_failures(client, cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    login_post(client, "alice", "guess")
    login_post(client, "alice", "guess")
    assert login_post(client, "alice", PASSWORD).status_code == 302
    client.logout()
    login_post(client, "alice", "guess")
    login_post(client, "alice", "guess")
    assert login_post(client, "alice", PASSWORD).status_code == 302


def test_logging_out_needs_a_post_and_ends_the_session(client, cast):
    client.force_login(cast["alice"])
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("crm:home")).status_code == 302


def test_a_user_changes_their_password(client, cast):
    client.force_login(cast["alice"])
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-phrase-42",
            "new_password2": "a-new-long-phrase-42",
        },
    )
    assert response.status_code == 302
    client.logout()
    assert login_post(client, "alice", PASSWORD).status_code == 200
    assert login_post(client, "alice", "a-new-long-phrase-42").status_code == 302


def test_a_weak_new_password_is_refused_with_the_reason(client, cast):
    client.force_login(cast["alice"])
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    cast["alice"].refresh_from_db()
    assert cast["alice"].check_password(PASSWORD)


def test_pages_carry_a_content_security_policy_without_inline_script(client, cast):
    client.force_login(cast["alice"])
    response = client.get(reverse("crm:home"), follow=True)  # on to her follow-ups
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_forms_are_protected_against_cross_site_requests(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


# Every spelling of a username is the one account (issue 16, item 2)

SPELLINGS_OF_ALICE = ["ａｌｉｃｅ", "𝐚𝐥𝐢𝐜𝐞", "ⓐⓛⓘⓒⓔ", "ALICE", "Alice"]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_ALICE)
def test_any_spelling_of_a_username_logs_in_as_the_one_user(client, cast, spelling):
    assert login_post(client, spelling, PASSWORD).status_code == 302
    assert client.get(reverse("profile")).context["person"] == cast["alice"]


def test_every_spelling_counts_against_the_one_account(client, cast, settings):
    settings.LOGIN_FAILURE_LIMIT = len(SPELLINGS_OF_ALICE)
    for spelling in SPELLINGS_OF_ALICE:
        login_post(client, spelling, "guess")
    response = login_post(client, "alice", PASSWORD)
    assert "Too many failed attempts for this account" in response.content.decode()
    assert client.get(reverse("crm:leads")).status_code == 302


@pytest.mark.parametrize("spelling", SPELLINGS_OF_ALICE)
def test_a_locked_account_stays_locked_under_any_spelling(client, cast, settings, spelling):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login_post(client, "alice", "guess")
    response = login_post(client, spelling, PASSWORD)
    assert "Too many failed attempts" in response.content.decode()
    assert client.get(reverse("crm:leads")).status_code == 302


# One client address guessing across accounts


def login_from(address, username, password):
    from django.test import Client

    return Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )


def test_one_address_is_refused_after_too_many_failures_across_accounts(cast, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    for name in ("alice", "bob", "carol", "mike"):
        login_from("203.0.113.7", name, "guess")
    refused = login_from("203.0.113.7", "vera", PASSWORD)
    assert refused.status_code == 200
    assert "Too many failed attempts from your network address" in refused.content.decode()
    assert login_from("198.51.100.2", "vera", PASSWORD).status_code == 302
    assert login_from("198.51.100.2", "alice", PASSWORD).status_code == 302, (
        "one failure each: no account is locked"
    )


def test_an_address_limit_counts_within_a_window_and_a_success_does_not_reset_it(cast, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_WINDOW_SECONDS = 600
    with time_machine.travel("2026-05-01 10:00Z", tick=False) as clock:
        login_from("203.0.113.7", "alice", "guess")
        login_from("203.0.113.7", "bob", "guess")
        assert login_from("203.0.113.7", "vera", PASSWORD).status_code == 302
        login_from("203.0.113.7", "carol", "guess")
        assert login_from("203.0.113.7", "vera", PASSWORD).status_code == 200
        clock.shift(601)
        assert login_from("203.0.113.7", "vera", PASSWORD).status_code == 302


def test_spellings_of_one_ipv6_client_share_its_count(cast, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    # The same /64 network: a client there chooses among 2**64 addresses.
    login_from("2001:db8::1", "alice", "guess")
    login_from("2001:0db8:0000:0000:0000:0000:0000:0002", "bob", "guess")
    assert login_from("2001:db8::ffff", "vera", PASSWORD).status_code == 200
    assert login_from("2001:db8:0:1::1", "vera", PASSWORD).status_code == 302


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(cast, settings):
    from django.test import Client

    settings.ACCORD_BEHIND_PROXY = True
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2

    def via_proxy(client_address, username, password):
        forwarded = f"10.9.9.9, {client_address}"  # the first is whatever the client claimed
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded).post(
            reverse("login"), {"username": username, "password": password}
        )

    via_proxy("203.0.113.7", "alice", "guess")
    via_proxy("203.0.113.7", "bob", "guess")
    assert via_proxy("203.0.113.7", "vera", PASSWORD).status_code == 200
    assert via_proxy("198.51.100.2", "vera", PASSWORD).status_code == 302


# Getting back in


def test_accord_unlock_lets_a_locked_out_admin_back_in(client, cast, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login_post(client, "ada", "guess")
    assert login_post(client, "ada", PASSWORD).status_code == 200
    out = StringIO()
    call_command("unlock", "ＡＤＡ", stdout=out)
    assert "Unlocked ada" in out.getvalue()
    assert login_post(client, "ada", PASSWORD).status_code == 302


def test_accord_unlock_clears_an_address(cast, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    login_from("203.0.113.7", "alice", "guess")
    login_from("203.0.113.7", "bob", "guess")
    assert login_from("203.0.113.7", "vera", PASSWORD).status_code == 200
    out = StringIO()
    call_command("unlock", "--address", "203.0.113.7", stdout=out)
    assert "Unlocked the address 203.0.113.7" in out.getvalue()
    assert login_from("203.0.113.7", "vera", PASSWORD).status_code == 302


def test_accord_unlock_names_what_it_cannot_find(cast):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("unlock", "nobody")


def test_an_admin_setting_a_new_password_unlocks_the_account(client, cast, settings):
    from accord.people import actions
    from accord.people.models import User

    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login_post(client, "alice", "guess")
    alice = User.objects.get(username="alice")
    actions.update_user(cast["ada"], alice, password="a-new-long-phrase-42")
    assert login_post(client, "alice", "a-new-long-phrase-42").status_code == 302


def test_an_admin_sees_who_is_locked_out_and_unlocks_them_on_the_people_page(cast, settings):
    from django.test import Client

    from accord.people.models import AuditLog

    settings.LOGIN_FAILURE_LIMIT = 3
    bob = Client()
    for _ in range(3):
        login_post(bob, "bob", "guess")
    assert login_post(bob, "bob", PASSWORD).status_code == 200  # locked
    admin = Client()
    admin.force_login(cast["ada"])
    page = admin.get(reverse("people")).content.decode()
    assert page.count("Locked out until") == 1
    unlock = reverse("user_unlock", args=[cast["bob"].pk])
    assert f'action="{unlock}"' in page
    assert admin.get(unlock).status_code == 405
    response = admin.post(unlock, follow=True)
    assert "Unlocked bob: they may sign in again." in response.content.decode()
    assert "Locked out until" not in response.content.decode()
    assert AuditLog.objects.filter(action="user.unlocked", actor=cast["ada"]).exists()
    assert login_post(bob, "bob", PASSWORD).status_code == 302
