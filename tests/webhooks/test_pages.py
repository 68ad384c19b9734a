"""The webhooks pages: who may use them, subscribing (the secret shown once), rotating,
disabling, testing, sending again, the delivery log; each rule at the verb and the page."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from accord.people.models import AuditLog
from accord.webhooks import actions
from accord.webhooks.models import Delivery, Subscription

KINDS = ["lead.mql", "opportunity.won"]


@pytest.fixture
def subscription(subscribe):
    return subscribe(*KINDS)


def form(url, kinds=KINDS, description="CRM sync"):
    return {"url": url, "description": description, "kinds": kinds}


# --- Who ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, sees", [("ada", True), ("otto", True), ("alice", False),
                                       ("mona", False), ("carol", False), ("vera", False)])  # fmt: skip
def test_admins_and_operations_find_webhooks_in_the_header_and_nobody_else(login, cast, who, sees):
    page = login(cast[who]).get("/", follow=True).content.decode()
    assert ('href="/webhooks/"' in page) is sees


@pytest.mark.parametrize("who", ["alice", "mona", "carol", "victor", "vera"])
def test_everybody_else_is_refused_at_every_page_and_verb(login, cast, subscription, who):
    client = login(cast[who])
    delivery = Delivery.objects.create(subscription=subscription, kind="lead.mql",
                                       message_id="msg_1", body="{}", created_at=timezone.now())  # fmt: skip
    pk = subscription.pk
    assert client.get("/webhooks/").status_code == 403
    assert client.get(f"/webhooks/{pk}/").status_code == 403
    assert client.post("/webhooks/", form("https://8.8.8.8/x")).status_code == 403
    for verb in ("edit", "rotate", "disable", "enable", "test", "delete"):
        assert client.post(f"/webhooks/{pk}/{verb}/", form("https://8.8.8.8/x")).status_code == 403
    assert client.post(f"/webhooks/deliveries/{delivery.pk}/send-again/").status_code == 403
    subscription.refresh_from_db()
    assert (subscription.url, subscription.status) == (subscription.url, "active")
    assert Delivery.objects.count() == 1 and Subscription.objects.count() == 1

    with pytest.raises(PermissionDenied, match="Only admins and sales & marketing operations"):
        actions.create_subscription(cast[who], url="https://8.8.8.8/x", kinds=KINDS)
    with pytest.raises(PermissionDenied):
        actions.rotate_secret(cast[who], subscription)


def test_forms_without_the_csrf_token_are_refused(cast, allow_loopback):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["ada"])
    assert client.post("/webhooks/", form("https://8.8.8.8/x")).status_code == 403
    assert not Subscription.objects.exists()


# --- Subscribing -------------------------------------------------------------------------------


def test_the_empty_list_invites_the_first_subscription(login, cast):
    page = login(cast["otto"]).get("/webhooks/").content.decode()
    assert "No webhook subscriptions yet." in page
    assert 'name="kinds" value="lead.mql"' in page


def test_subscribing_shows_the_secret_once_and_never_again(login, cast, allow_loopback):
    client = login(cast["otto"])
    response = client.post("/webhooks/", form("http://127.0.0.1:9/hooks"))
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.kinds == sorted(KINDS) and subscription.owner == cast["otto"]
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    for page in (client.get("/webhooks/"), client.get(f"/webhooks/{subscription.pk}/")):
        text = page.content.decode()
        assert subscription.secret not in text
        assert "http://127.0.0.1:9/hooks" in text
    assert "Nothing sent yet." in text  # the empty log
    created = AuditLog.objects.get(action="webhook.created")
    assert subscription.secret not in json.dumps([created.before, created.after, created.summary])


@pytest.mark.parametrize(
    "data, field_message",
    [
        (form("https://10.0.0.5/hook"), "private"),
        (form("https://169.254.169.254/"), "link-local"),
        (form("http://8.8.8.8/hook"), "must start with https://"),
        (form("https://8.8.8.8/hook", kinds=[]), "Tick at least one event"),
    ],
)
def test_a_refused_subscription_says_why_beside_the_field_and_stores_nothing(
    login, cast, data, field_message
):
    response = login(cast["ada"]).post("/webhooks/", data)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert not Subscription.objects.exists()


def test_changing_the_endpoint_and_its_events_from_its_page(login, cast, subscription, receiver):
    client = login(cast["ada"])
    response = client.post(
        f"/webhooks/{subscription.pk}/edit/", form(receiver.url, kinds=["plan.signed"])
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.kinds == ["plan.signed"]
    refused = client.post(f"/webhooks/{subscription.pk}/edit/", form("https://10.0.0.1/"))
    assert refused.status_code == 400 and "private" in refused.content.decode()
    subscription.refresh_from_db()
    assert subscription.url == receiver.url


# --- Rotating, disabling, deleting -------------------------------------------------------------


def test_rotating_from_the_page_shows_the_new_secret_once(login, cast, subscription):
    old = subscription.secret
    response = login(cast["otto"]).post(f"/webhooks/{subscription.pk}/rotate/")
    subscription.refresh_from_db()
    text = response.content.decode()
    assert response.status_code == 200 and subscription.secret != old
    assert subscription.secret in text and old not in text
    assert "signed with the old secret too" in text
    assert subscription.previous_secret == old
    assert AuditLog.objects.filter(action="webhook.secret_rotated").exists()


def test_disabling_and_enabling_from_the_page(login, cast, subscription):
    client = login(cast["ada"])
    assert client.post(f"/webhooks/{subscription.pk}/disable/").status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == "disabled"
    page = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "Disabled by Ada" in page and "Send a test event" not in page
    again = client.post(f"/webhooks/{subscription.pk}/disable/", follow=True)
    assert "already disabled" in again.content.decode()

    assert client.post(f"/webhooks/{subscription.pk}/enable/").status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == "active" and subscription.disabled_reason == ""


def test_deleting_from_the_page_takes_the_log_with_it(login, cast, subscription):
    Delivery.objects.create(subscription=subscription, kind="lead.mql", message_id="msg_1",
                            body="{}", created_at=timezone.now())  # fmt: skip
    response = login(cast["ada"]).post(f"/webhooks/{subscription.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/webhooks/"
    assert not Subscription.objects.exists() and not Delivery.objects.exists()
    assert AuditLog.objects.filter(action="webhook.deleted").exists()


# --- Testing, sending again, the log --------------------------------------------------------------


def test_a_test_event_and_send_again_from_the_page_reach_the_receiver(
    login, cast, subscription, receiver, django_capture_on_commit_callbacks
):
    client = login(cast["otto"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/webhooks/{subscription.pk}/test/").status_code == 302
    (message,) = receiver.received
    assert message.verified["type"] == "webhook.test"

    page = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "Test event" in page and "Delivered" in page and "HTTP 200" in page
    sent = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webhooks/deliveries/{sent.pk}/send-again/")
    assert response.status_code == 302
    assert len(receiver.received) == 2
    assert receiver.received[1].headers["webhook-id"] == sent.message_id
    assert "sent again by Otto" in client.get(f"/webhooks/{subscription.pk}/").content.decode()


def test_the_list_counts_what_each_subscription_delivered_and_failed(login, cast, subscription):
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            subscription=subscription,
            kind="lead.mql",
            message_id=f"msg_{i}",
            body="{}",
            created_at=now,
            status=status,
        )  # fmt: skip
        for i, status in enumerate(["delivered"] * 3 + ["failed"] * 2 + ["pending"])
    )
    page = login(cast["ada"]).get("/webhooks/").content.decode()
    assert '<td class="num">3</td>' in page and '<td class="num">2</td>' in page
    assert "Lead became MQL, Opportunity won" in page


def test_the_delivery_log_pages_by_25_and_htmx_asks_only_for_the_rows(login, cast, subscription):
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            subscription=subscription,
            kind="lead.mql",
            message_id=f"msg_{i:03}",
            body="{}",
            created_at=now,
            status="delivered",
        )  # fmt: skip
        for i in range(30)
    )
    client = login(cast["ada"])
    first = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "30 results · page 1 of 2" in first and first.count("Send again") == 25
    rows = client.get(f"/webhooks/{subscription.pk}/?page=2", headers={"HX-Request": "true"})
    text = rows.content.decode()
    assert "<html" not in text and text.count("Send again") == 5


# --- Through the pages that make events happen -------------------------------------------------


def test_a_status_change_on_the_lead_page_is_sent_after_it_is_saved_and_a_refused_one_never(
    login, cast, make_lead, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe("lead.mql", "lead.rejected")
    lead = make_lead("ann@acme.example", owner="alice")
    client = login(cast["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/leads/{lead.pk}/status/", {"status": "rejected", "reason": ""})
    assert receiver.received == []  # refused: a rejection needs a reason
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/leads/{lead.pk}/status/", {"status": "mql", "reason": ""})
    (message,) = receiver.received
    assert message.verified["type"] == "lead.mql"
    assert message.verified["data"]["lead_id"] == lead.pk
