"""Deliveries: signed by the Standard Webhooks specification and checked by a real receiver,
sent after commit only, retried with growing pauses for a day, given up, the subscription
disabled with its owner told; never to an inside address; replayed; secrets rotated."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accord.core.models import Event
from accord.crm import actions as crm
from accord.people.models import Notification
from accord.webhooks import actions, delivery
from accord.webhooks.models import Attempt, Delivery, Subscription

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def lead(make_lead):
    return make_lead("ann@acme.example", owner="alice")


@pytest.fixture
def now_run(django_capture_on_commit_callbacks):
    """Run `fn` as a request would: in a transaction whose on-commit work then runs (the
    publication and the sending, at once under the tests' immediate task backend)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def make_mql(lead, cast):
    return crm.change_lead_status(lead, "mql", actor=cast["alice"])


# --- Signed, and after commit only -------------------------------------------------------


def test_a_lead_becoming_mql_reaches_the_receiver_signed_and_verified(
    subscribe, receiver, lead, cast, now_run
):
    subscription = subscribe("lead.mql", "lead.accepted")
    now_run(make_mql, lead, cast)

    (message,) = receiver.received
    assert message.problem == ""
    assert message.verified["type"] == "lead.mql"
    assert message.verified["data"] == {
        "lead_id": lead.pk,
        "from_status": "new",
        "to_status": "mql",
        "owner_id": cast["alice"].pk,
        "reason": "",
    }
    assert message.headers["webhook-id"].startswith("msg_")
    assert message.headers["content-type"] == "application/json"
    sent = Delivery.objects.get(subscription=subscription)
    assert (sent.status, sent.attempts, sent.response_status) == ("delivered", 1, 200)
    assert sent.message_id == message.headers["webhook-id"]
    attempt = Attempt.objects.get(delivery=sent)
    assert (attempt.ok, attempt.status_code, attempt.excerpt) == (True, 200, '{"ok": true}')


def test_a_rolled_back_change_sends_nothing_and_leaves_no_event(
    subscribe, receiver, lead, cast, now_run
):
    subscribe("lead.mql")

    def change_then_fail():
        with transaction.atomic():
            make_mql(lead, cast)
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        now_run(change_then_fail)
    with pytest.raises(ValidationError):  # refused by the verb: a rejection needs a reason
        now_run(crm.change_lead_status, lead, "rejected", actor=cast["alice"])

    assert receiver.received == []
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_only_the_kinds_a_subscription_ticked_are_sent_to_it(
    subscribe, receiver, lead, cast, now_run
):
    subscribe("lead.rejected")
    now_run(make_mql, lead, cast)
    assert receiver.received == [] and not Delivery.objects.exists()
    assert Event.objects.get().published_at is not None  # nobody wanted it: published unread


def test_a_disabled_subscription_gets_nothing(subscribe, receiver, lead, cast, now_run):
    subscription = subscribe("lead.mql")
    actions.disable(cast["ada"], subscription)
    now_run(make_mql, lead, cast)
    assert receiver.received == [] and not Delivery.objects.exists()


def test_publishing_twice_delivers_once(subscribe, receiver, lead, cast, now_run):
    from accord.core import events

    subscribe("lead.mql")
    now_run(make_mql, lead, cast)
    assert now_run(events.publish_pending) == 0
    assert len(receiver.received) == 1 and Delivery.objects.count() == 1


# --- Retries, giving up, disabling -----------------------------------------------------------


def test_a_failed_delivery_is_retried_after_1_then_2_then_4_minutes_under_the_same_id(
    subscribe, receiver, lead, cast, now_run
):
    subscribe("lead.mql")
    receiver.answers = [(500, "down")] * 3
    with time_machine.travel(T, tick=False) as clock:
        now_run(make_mql, lead, cast)
        sent = Delivery.objects.get()
        assert (sent.status, sent.attempts, sent.next_attempt_at) == (
            "pending",
            1,
            T + timedelta(minutes=1),
        )
        clock.move_to(T + timedelta(seconds=59))
        assert now_run(delivery.send_due) == 0  # not due yet
        for minute, next_minute in ((1, 3), (3, 7)):
            clock.move_to(T + timedelta(minutes=minute))
            assert now_run(delivery.send_due) == 1
            sent.refresh_from_db()
            assert sent.next_attempt_at == T + timedelta(minutes=next_minute)
        clock.move_to(T + timedelta(minutes=7))
        now_run(delivery.send_due)

    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.response_status) == ("delivered", 4, 200)
    assert [a.status_code for a in sent.attempt_log.all()] == [500, 500, 500, 200]
    assert sent.attempt_log.first().excerpt == "down"
    ids = {r.headers["webhook-id"] for r in receiver.received}
    stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.received]
    assert ids == {sent.message_id}  # the same message, so a receiver can skip duplicates
    assert stamps == [int((T + timedelta(minutes=m)).timestamp()) for m in (0, 1, 3, 7)]
    assert all(r.verified for r in receiver.received)  # each attempt signed afresh
    assert Subscription.objects.get().failing_since is None


def test_an_endpoint_failing_for_a_day_is_given_up_disabled_and_its_owner_told(
    subscribe, receiver, lead, make_lead, cast, now_run, login
):
    subscription = subscribe("lead.mql", who="otto")
    receiver.answers = [(503, "maintenance")] * 100
    with time_machine.travel(T, tick=False) as clock:
        now_run(make_mql, lead, cast)
        first = Delivery.objects.get()
        times = [T]
        while first.next_attempt_at is not None:
            clock.move_to(first.next_attempt_at)
            times.append(first.next_attempt_at)
            if len(times) == 5:  # another event comes in meanwhile, and fails too
                now_run(make_mql, make_lead("bo@acme.example"), cast)
            now_run(delivery.send_due)
            first.refresh_from_db()

    minutes = [int((t - T).total_seconds() // 60) for t in times]
    assert minutes == [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 1440]
    assert (first.status, first.attempts) == ("failed", 12)
    subscription.refresh_from_db()
    assert subscription.status == "disabled"
    assert "every attempt has failed since 2026-03-02 09:00 (last: HTTP 503)" in (
        subscription.disabled_reason
    )
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    note = Notification.objects.get(user=cast["otto"], kind="webhooks.disabled")
    assert note.url == f"/webhooks/{subscription.pk}/"
    assert subscription.url in note.title

    page = login(cast["otto"]).get(note.url).content.decode()
    assert "Disabled by Accord: every attempt has failed since 2026-03-02 09:00" in page
    assert "The subscription was disabled." in page and "HTTP 503" in page


def test_one_success_resets_the_count_so_a_flaky_endpoint_stays_enabled(
    subscribe, receiver, lead, make_lead, cast, now_run
):
    subscription = subscribe("lead.mql")
    with time_machine.travel(T, tick=False) as clock:
        receiver.answers = [(500, "")]
        now_run(make_mql, lead, cast)
        clock.move_to(T + timedelta(hours=23))
        now_run(delivery.send_due)  # its retry succeeds
        receiver.answers = [(500, "")] * 5
        clock.move_to(T + timedelta(hours=25))
        now_run(make_mql, make_lead("bo@acme.example"), cast)
    subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.failing_since == T + timedelta(hours=25)


# --- Where Accord will not send -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url, why",
    [
        ("https://10.0.0.5/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("https://127.0.0.1:8443/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://[2002:a00:1::]/hook", "private"),  # 6to4 around 10.0.0.1
        ("https://[64:ff9b::a9fe:a9fe]/hook", "link-local"),  # NAT64 around 169.254.169.254
        ("https://224.0.0.1/hook", "multicast"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://100.64.0.1/hook", "private"),
        ("https://0.0.0.0/hook", "private"),
        ("http://8.8.8.8/hook", "https://"),
        ("ftp://8.8.8.8/hook", "https://"),
        ("https://user:secret@8.8.8.8/hook", "user name and password"),
        ("https://no-such-host.invalid/hook", "cannot be resolved"),
    ],
)
def test_private_loopback_and_link_local_endpoints_are_refused(cast, url, why):
    with pytest.raises(ValidationError) as refused:
        actions.create_subscription(cast["ada"], url=url, kinds=["lead.mql"])
    assert why in refused.value.message_dict["url"][0]
    assert not Subscription.objects.exists()


def test_a_public_https_endpoint_is_accepted_without_being_called(cast):
    subscription, secret = actions.create_subscription(
        cast["ada"], url="https://8.8.8.8/accord", kinds=["lead.mql"]
    )
    assert secret.startswith("whsec_") and subscription.secret == secret
    Webhook(secret)  # a secret the standard library reads


def test_the_setting_allows_an_inside_network_but_plain_http_only_on_loopback(cast, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.0/8"]
    actions.create_subscription(cast["ada"], url="https://10.1.2.3/hook", kinds=["lead.mql"])
    actions.create_subscription(cast["ada"], url="http://127.0.0.1:9/hook", kinds=["lead.mql"])
    with pytest.raises(ValidationError, match="https://"):
        actions.create_subscription(cast["ada"], url="http://10.1.2.3/hook", kinds=["lead.mql"])


def test_the_address_is_checked_again_at_delivery_time(
    subscribe, receiver, lead, cast, now_run, settings
):
    subscription = subscribe("lead.mql")  # allowed when it was made
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # no longer
    now_run(make_mql, lead, cast)
    assert receiver.received == []
    attempt = Attempt.objects.get(delivery__subscription=subscription)
    assert attempt.status_code is None and "loopback" in attempt.error
    assert Delivery.objects.get().status == "pending"  # retried: the setting may come back


def test_a_redirect_is_not_followed(subscribe, receiver, lead, cast, now_run):
    subscribe("lead.mql")
    receiver.answers = [(302, "")]
    receiver.extra_headers = {"Location": "http://169.254.169.254/latest/meta-data"}
    now_run(make_mql, lead, cast)
    assert len(receiver.received) == 1
    attempt = Attempt.objects.get()
    assert attempt.status_code == 302 and not attempt.ok
    assert "redirects are not followed" in attempt.error
    assert Delivery.objects.get().status == "pending"


def test_an_endpoint_that_never_answers_times_out(cast, lead, now_run, allow_loopback, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        actions.create_subscription(cast["ada"], url=url, kinds=["lead.mql"])
        now_run(make_mql, lead, cast)
    attempt = Attempt.objects.get()
    assert attempt.status_code is None and "timed out" in attempt.error


def test_the_answer_kept_in_the_log_is_a_bounded_excerpt(subscribe, receiver, lead, cast, now_run):
    subscribe("lead.mql")
    receiver.answers = [(200, "x" * 50_000)]
    now_run(make_mql, lead, cast)
    assert len(Attempt.objects.get().excerpt) == 1000


# --- Sending again, testing, rotating --------------------------------------------------------------


def test_a_delivery_sent_again_carries_the_same_id_and_body(
    subscribe, receiver, lead, cast, now_run
):
    subscription = subscribe("lead.mql")
    now_run(make_mql, lead, cast)
    original = Delivery.objects.get()
    again = now_run(actions.send_again, cast["otto"], original)

    first, second = receiver.received
    assert first.body == second.body and second.verified == first.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == original.message_id
    again.refresh_from_db()
    assert (again.replay_of, again.requested_by, again.status) == (
        original,
        cast["otto"],
        "delivered",
    )

    actions.disable(cast["ada"], subscription)
    with pytest.raises(ValidationError, match="enable it first"):
        actions.send_again(cast["ada"], original)


def test_a_test_event_is_signed_like_any_other(subscribe, receiver, cast, now_run):
    subscription = subscribe("lead.mql")
    now_run(actions.send_test, cast["ada"], subscription)
    (message,) = receiver.received
    assert message.verified["type"] == "webhook.test"
    assert message.verified["data"] == {
        "subscription_id": subscription.pk,
        "sent_by_id": cast["ada"].pk,
    }


def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends(
    subscribe, receiver, cast, now_run, settings
):
    settings.WEBHOOK_SECRET_GRACE_HOURS = 24
    subscription = subscribe("lead.mql")
    old = receiver.secret
    with time_machine.travel(T, tick=False) as clock:
        subscription, new = actions.rotate_secret(cast["ada"], subscription)
        receiver.secret = new  # the receiver switched already; one that did not still works:
        now_run(actions.send_test, cast["ada"], subscription)
        during = receiver.received[-1]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert Webhook(old).verify(during.body, during.headers)
        assert Webhook(new).verify(during.body, during.headers)

        clock.move_to(T + timedelta(hours=24))
        now_run(actions.send_test, cast["ada"], subscription)
        after = receiver.received[-1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert Webhook(new).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(after.body, after.headers)
    assert new != old and subscription.secret == new


def test_without_a_grace_period_the_old_secret_stops_at_once(
    subscribe, receiver, cast, now_run, settings
):
    settings.WEBHOOK_SECRET_GRACE_HOURS = 0
    subscription = subscribe("lead.mql")
    old = receiver.secret
    subscription, receiver.secret = actions.rotate_secret(cast["ada"], subscription)
    now_run(actions.send_test, cast["ada"], subscription)
    message = receiver.received[-1]
    assert message.verified
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(message.body, message.headers)
