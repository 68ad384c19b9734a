"""Delivering: deliveries made from the outbox's events, sent, retried and given up on.

- `create_deliveries(events)` (the outbox's consumer, inside the publishing transaction)
  makes one delivery per event and active subscription that wants its kind, and has them
  sent once that transaction commits.
- `send_due()` (the `send` task, and the recurring sweep) claims the deliveries due, POSTs
  them a few at a time in threads (network only: every database write stays in this
  thread), and records each attempt.
- A failed attempt is tried again after 1 minute, then 2, 4, 8... (doubling) until a day
  after the first attempt, with one last attempt at the day's end; then it is given up.
- A subscription whose every attempt has failed for a day (`failing_since`) is disabled,
  its waiting deliveries given up, and its owner notified.
"""

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from accord.core import recurring
from accord.core.events import Event
from accord.people import notify
from accord.webhooks import sending, signing
from accord.webhooks.models import Attempt, Delivery, Subscription

logger = logging.getLogger(__name__)

Status = Delivery.Status

FIRST_RETRY = timedelta(minutes=1)
RETRY_FOR = timedelta(days=1)
DISABLE_AFTER = timedelta(days=1)  # of nothing but failures
# A claimed delivery is sent within the lease; if its sender died, it is tried again after.
LEASE = timedelta(minutes=5)
SEND_BATCH = 40
PER_ENDPOINT = 10  # at most this many of one subscription's deliveries in one batch
SEND_THREADS = 8


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1 minute, then doubling."""
    return FIRST_RETRY * 2 ** (max(attempts, 1) - 1)


def next_attempt(delivery: Delivery, now: datetime) -> datetime | None:
    """When to try again after a failure (`delivery.attempts` counts it), or None: give up.
    The last try is a day after the first."""
    deadline = delivery.first_attempt_at + RETRY_FOR
    if now >= deadline:
        return None
    return min(now + retry_delay(delivery.attempts), deadline)


# --- Making deliveries ------------------------------------------------------------------------


def wanted_kinds() -> set[str]:
    """The event kinds some active subscription receives."""
    wanted: set[str] = set()
    for kinds in Subscription.objects.filter(status=Subscription.Status.ACTIVE).values_list(
        "kinds", flat=True
    ):
        wanted.update(kinds)
    return wanted


def create_deliveries(events: list[Event]) -> int:
    """A delivery per event for every active subscription that wants its kind; they are sent
    once the current transaction commits. How many were made."""
    subscriptions = list(Subscription.objects.filter(status=Subscription.Status.ACTIVE))
    now = timezone.now()
    made = []
    for event in events:
        listeners = [s for s in subscriptions if event.kind in s.kinds]
        if not listeners:
            continue
        body = signing.body(event.kind, event.occurred_at, event.payload)
        made += [
            Delivery(
                subscription=s,
                event_id=event.pk,
                kind=event.kind,
                message_id=signing.new_message_id(),
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
            for s in listeners
        ]
    Delivery.objects.bulk_create(made, batch_size=1000)
    if made:
        transaction.on_commit(schedule_sending, robust=True)
    return len(made)


# --- Sending ------------------------------------------------------------------------------------


def schedule_sending() -> None:
    """Queue the sending task now, unless one is already waiting."""
    if not send.get_backend().supports_defer:  # the immediate backend (tests): now
        send.enqueue()
        return
    recurring.schedule(send)


@task
def send() -> None:
    """The worker sends what is due."""
    send_due()


def send_due() -> int:
    """Send every delivery due now, batch after batch; how many attempts were made. A
    subscription that failed in this run is left for the next one (its retries wait anyway)."""
    made = 0
    failed: set[int] = set()
    while claimed := _claim(timezone.now(), skip=failed):
        for delivery, outcome, at in _post_all(claimed):
            if not record_attempt(delivery, outcome, at):
                failed.add(delivery.subscription_id)
        made += len(claimed)
    return made


def _claim(now: datetime, *, skip: set[int]) -> list[Delivery]:
    """Take the deliveries due now (a fair share per subscription): their next attempt moves a
    lease ahead, so no other sender takes them meanwhile."""
    with transaction.atomic():
        due = (
            Delivery.objects.filter(
                status=Status.PENDING,
                next_attempt_at__lte=now,
                subscription__status=Subscription.Status.ACTIVE,
            )
            .exclude(subscription_id__in=skip)
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        taken, per_endpoint = [], Counter()
        for delivery in due.select_related("subscription")[: SEND_BATCH * 5]:
            if per_endpoint[delivery.subscription_id] >= PER_ENDPOINT:
                continue
            per_endpoint[delivery.subscription_id] += 1
            taken.append(delivery)
            if len(taken) >= SEND_BATCH:
                break
        Delivery.objects.filter(pk__in=[d.pk for d in taken]).update(next_attempt_at=now + LEASE)
    return taken


def _post_all(deliveries: list[Delivery]):
    """POST each delivery, several at once; yields (delivery, outcome, when it was sent)."""
    allowed = sending.networks(settings.WEBHOOK_ALLOWED_NETWORKS)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS

    def post(delivery: Delivery) -> tuple[Delivery, sending.Outcome, datetime]:
        at = timezone.now()
        payload = delivery.body.encode("utf-8")
        keys = delivery.subscription.signing_secrets(at)
        headers = signing.headers(delivery.message_id, at, payload, keys)
        outcome = sending.post(
            delivery.subscription.url, payload, headers, timeout=timeout, allowed=allowed
        )
        return delivery, outcome, at

    with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(deliveries))) as pool:
        yield from pool.map(post, deliveries)


@transaction.atomic
def record_attempt(delivery: Delivery, outcome: sending.Outcome, at: datetime) -> bool:
    """Log the attempt, then deliver, retry or give up; a subscription failing for a day is
    disabled. Whether it succeeded."""
    now = timezone.now()
    subscription = Subscription.objects.select_for_update().filter(pk=delivery.subscription_id)
    subscription = subscription.first()
    delivery = Delivery.objects.filter(pk=delivery.pk).first()
    if subscription is None or delivery is None:
        return outcome.ok  # deleted while it was being sent
    Attempt.objects.create(
        delivery=delivery,
        at=at,
        status_code=outcome.status_code,
        ok=outcome.ok,
        excerpt=outcome.excerpt,
        error=outcome.error[:300],
        duration_ms=outcome.duration_ms,
    )
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or at
    delivery.last_attempt_at = at
    delivery.response_status = outcome.status_code
    if outcome.ok:
        delivery.status, delivery.next_attempt_at, delivery.failure = Status.DELIVERED, None, ""
        subscription.failing_since = None
    elif delivery.status == Status.PENDING:
        delivery.next_attempt_at = next_attempt(delivery, now)
        if delivery.next_attempt_at is None:
            delivery.status = Status.FAILED
            delivery.failure = "Every attempt failed for a day."
    if not outcome.ok and subscription.failing_since is None:
        subscription.failing_since = at  # the first failure since the last success
    delivery.save()
    subscription.save(update_fields=["failing_since"])
    failing = subscription.failing_since
    if not outcome.ok and subscription.is_active and failing and now - failing >= DISABLE_AFTER:
        disable_failing(subscription, last=outcome, now=now)
    return outcome.ok


def disable_failing(subscription: Subscription, *, last: sending.Outcome, now: datetime) -> None:
    """Disable a subscription whose every attempt has failed for DISABLE_AFTER, give up what it
    still had waiting, and tell its owner (inside the caller's transaction)."""
    since = timezone.localtime(subscription.failing_since)
    what = last.error or f"HTTP {last.status_code}"
    subscription.status = Subscription.Status.DISABLED
    subscription.disabled_at = now
    subscription.disabled_reason = (
        f"Disabled by Accord: every attempt has failed since {since:%Y-%m-%d %H:%M} (last: {what})"
    )[:300]
    subscription.save(update_fields=["status", "disabled_at", "disabled_reason"])
    subscription.deliveries.filter(status=Status.PENDING).update(
        status=Status.FAILED, next_attempt_at=None, failure="The subscription was disabled."
    )
    if subscription.owner_id is None:
        return
    notify.notify(
        [subscription.owner],
        kind="webhooks.disabled",
        title=f"Webhook disabled: {subscription.url}",
        body=(
            f"Every delivery to {subscription.url} has failed since {since:%a %d %b %H:%M} "
            f"(last: {what}), so Accord stopped sending to it. Fix the endpoint, enable the "
            "subscription again, and send again the deliveries it missed."
        ),
        url=reverse("webhooks:detail", args=[subscription.pk]),
        key=f"webhooks:disabled:{subscription.pk}:{now.isoformat()}",
        at=now,
    )


# --- Housekeeping ----------------------------------------------------------------------------


def prune(now: datetime | None = None) -> int:
    """Forget finished deliveries older than WEBHOOK_LOG_DAYS; how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    deleted, _ = (
        Delivery.objects.filter(created_at__lt=cutoff).exclude(status=Status.PENDING).delete()
    )
    return deleted
