"""Verbs that change webhook subscriptions. Each checks the right (`can_manage_webhooks`),
runs in one transaction, is audited, and queues what it sends with `on_commit`.

A new or rotated secret is returned to the caller to be shown once; pages never show it
again (only its first characters), and the audit log never holds it.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core.events import Kind
from accord.people import audit
from accord.people.permissions import can_manage_webhooks, require
from accord.webhooks import delivery, sending, signing
from accord.webhooks.models import Delivery, Subscription

DENIED = "Only admins and sales & marketing operations manage webhooks."
TEST_KIND = "webhook.test"
URL_MAX = Subscription._meta.get_field("url").max_length


def endpoint_refusal(url: str) -> str | None:
    """Why Accord would not send to `url` now (its host resolved and checked), or None."""
    allowed = sending.networks(settings.WEBHOOK_ALLOWED_NETWORKS)
    try:
        sending.resolve(url, allowed)
    except sending.Refused as refused:
        return str(refused)
    return None


def _clean(url: str, kinds: Iterable[str], description: str) -> tuple[str, list[str], str]:
    url = (url or "").strip()
    errors = {}
    if not url:
        errors["url"] = "Give the endpoint's URL, https://…"
    elif len(url) > URL_MAX:
        errors["url"] = f"Keep the URL to {URL_MAX} characters."
    elif why := endpoint_refusal(url):
        errors["url"] = why
    chosen = sorted(set(kinds))
    unknown = [k for k in chosen if k not in Kind.values]
    if unknown:
        errors["kinds"] = f"Unknown events: {', '.join(unknown)}."
    elif not chosen:
        errors["kinds"] = "Tick at least one event to send."
    if errors:
        raise ValidationError(errors)
    return url, chosen, (description or "").strip()[:200]


@transaction.atomic
def create_subscription(
    actor, *, url: str, kinds: Iterable[str], description: str = ""
) -> tuple[Subscription, str]:
    """Subscribe an endpoint to events; the subscription and its secret (shown once)."""
    require(can_manage_webhooks(actor), DENIED)
    url, kinds, description = _clean(url, kinds, description)
    secret = signing.new_secret()
    subscription = Subscription.objects.create(
        url=url,
        kinds=kinds,
        description=description,
        secret=secret,
        owner=actor,
        created_at=timezone.now(),
    )
    audit.record(
        actor,
        "webhook.created",
        subscription,
        after={"url": url, "events": kinds, "description": description},
        summary=f"Subscribed {url} to {len(kinds)} event kind{'s' if len(kinds) != 1 else ''}",
    )
    return subscription, secret


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update().get(pk=subscription.pk)


@transaction.atomic
def change_subscription(
    actor, subscription: Subscription, *, url: str, kinds: Iterable[str], description: str = ""
) -> Subscription:
    """Change where it goes and which events it receives (waiting deliveries keep theirs)."""
    require(can_manage_webhooks(actor), DENIED)
    subscription = _locked(subscription)
    url, kinds, description = _clean(url, kinds, description)
    before = {
        "url": subscription.url,
        "events": subscription.kinds,
        "description": subscription.description,
    }
    after = {"url": url, "events": kinds, "description": description}
    if after == before:
        return subscription
    subscription.url, subscription.kinds, subscription.description = url, kinds, description
    subscription.save(update_fields=["url", "kinds", "description"])
    audit.record(
        actor, "webhook.changed", subscription, before=before, after=after, summary="Changed"
    )
    return subscription


@transaction.atomic
def rotate_secret(actor, subscription: Subscription) -> tuple[Subscription, str]:
    """A new secret; the old one signs beside it for WEBHOOK_SECRET_GRACE_HOURS, so the
    receiver can switch without missing a message. The new secret, to be shown once."""
    require(can_manage_webhooks(actor), DENIED)
    subscription = _locked(subscription)
    now = timezone.now()
    grace = timedelta(hours=settings.WEBHOOK_SECRET_GRACE_HOURS)
    secret = signing.new_secret()
    subscription.previous_secret = subscription.secret if grace else ""
    subscription.previous_secret_until = now + grace if grace else None
    subscription.secret = secret
    subscription.secret_rotated_at = now
    subscription.save(
        update_fields=["secret", "previous_secret", "previous_secret_until", "secret_rotated_at"]
    )
    until = timezone.localtime(now + grace)
    audit.record(
        actor,
        "webhook.secret_rotated",
        subscription,
        after={"old_secret_signs_until": (now + grace).isoformat() if grace else None},
        summary="Rotated the signing secret"
        + (f"; the old one signs too until {until:%Y-%m-%d %H:%M}" if grace else ""),
    )
    return subscription, secret


@transaction.atomic
def disable(actor, subscription: Subscription) -> Subscription:
    """Stop sending; what was waiting is given up (send it again once enabled)."""
    require(can_manage_webhooks(actor), DENIED)
    subscription = _locked(subscription)
    if not subscription.is_active:
        raise ValidationError("This subscription is already disabled.")
    subscription.status = Subscription.Status.DISABLED
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = f"Disabled by {actor.display_name}"[:300]
    subscription.save(update_fields=["status", "disabled_at", "disabled_reason"])
    subscription.deliveries.filter(status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED,
        next_attempt_at=None,
        failure="The subscription was disabled.",
    )
    audit.record(actor, "webhook.disabled", subscription, summary="Disabled")
    return subscription


@transaction.atomic
def enable(actor, subscription: Subscription) -> Subscription:
    """Send again, starting with the next event; its failures count from scratch."""
    require(can_manage_webhooks(actor), DENIED)
    subscription = _locked(subscription)
    if subscription.is_active:
        raise ValidationError("This subscription is already active.")
    if why := endpoint_refusal(subscription.url):
        raise ValidationError({"url": why})
    subscription.status = Subscription.Status.ACTIVE
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.failing_since = None
    subscription.save(update_fields=["status", "disabled_at", "disabled_reason", "failing_since"])
    audit.record(actor, "webhook.enabled", subscription, summary="Enabled")
    return subscription


@transaction.atomic
def delete_subscription(actor, subscription: Subscription) -> None:
    """Forget the subscription and its delivery log."""
    require(can_manage_webhooks(actor), DENIED)
    subscription = _locked(subscription)
    audit.record(
        actor,
        "webhook.deleted",
        subscription,
        before={"url": subscription.url, "events": subscription.kinds},
        summary=f"Deleted the subscription of {subscription.url}",
    )
    subscription.delete()


def _require_active(subscription: Subscription) -> None:
    if not subscription.is_active:
        raise ValidationError("The subscription is disabled: enable it first.")


@transaction.atomic
def send_test(actor, subscription: Subscription) -> Delivery:
    """Send a `webhook.test` message now, signed like any other."""
    require(can_manage_webhooks(actor), DENIED)
    subscription = _locked(subscription)
    _require_active(subscription)
    now = timezone.now()
    data = {"subscription_id": subscription.pk, "sent_by_id": actor.pk}
    test = Delivery.objects.create(
        subscription=subscription,
        kind=TEST_KIND,
        message_id=signing.new_message_id(),
        body=signing.body(TEST_KIND, now, data),
        created_at=now,
        next_attempt_at=now,
        requested_by=actor,
    )
    transaction.on_commit(delivery.schedule_sending, robust=True)
    return test


@transaction.atomic
def send_again(actor, original: Delivery) -> Delivery:
    """Send a delivery again: the same body under the same `webhook-id` (a receiver that
    already has it can tell), as a new delivery with retries of its own."""
    require(can_manage_webhooks(actor), DENIED)
    subscription = _locked(original.subscription)
    _require_active(subscription)
    now = timezone.now()
    again = Delivery.objects.create(
        subscription=subscription,
        event_id=original.event_id,
        kind=original.kind,
        message_id=original.message_id,
        body=original.body,
        created_at=now,
        next_attempt_at=now,
        replay_of=original,
        requested_by=actor,
    )
    transaction.on_commit(delivery.schedule_sending, robust=True)
    return again
