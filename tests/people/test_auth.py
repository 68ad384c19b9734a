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
    response = client.get(reverse("crm:home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_forms_are_protected_against_cross_site_requests(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
