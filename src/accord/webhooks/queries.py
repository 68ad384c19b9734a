"""Read models for the webhooks pages."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from accord.core.events import Kind
from accord.webhooks.models import Attempt, Delivery, Subscription

LOG_PER_PAGE = 25
TEST_LABEL = "Test event"


def kind_label(kind: str) -> str:
    return Kind(kind).label if kind in Kind.values else TEST_LABEL


@dataclass(frozen=True)
class SubscriptionRow:
    subscription: Subscription
    kinds: list[str]  # labels
    delivered: int  # in the last day
    failed: int
    waiting: int
    last_at: object


def subscription_rows() -> list[SubscriptionRow]:
    """Every subscription with what it delivered and failed in the last day, and what waits."""
    since = timezone.now() - timedelta(days=1)
    recent = Q(deliveries__created_at__gte=since)
    rows = Subscription.objects.select_related("owner").annotate(
        delivered=Count("deliveries", filter=recent & Q(deliveries__status="delivered")),
        failed=Count("deliveries", filter=recent & Q(deliveries__status="failed")),
        waiting=Count("deliveries", filter=Q(deliveries__status="pending")),
        last_at=Max("deliveries__last_attempt_at"),
    )
    return [
        SubscriptionRow(
            s, [kind_label(k) for k in s.kinds], s.delivered, s.failed, s.waiting, s.last_at
        )
        for s in rows
    ]


def delivery_log(subscription: Subscription, page_number) -> Page:
    """The subscription's deliveries, newest first, each with its attempts."""
    deliveries = subscription.deliveries.select_related(
        "replay_of", "requested_by"
    ).prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("-at", "-id")))
    page = Paginator(deliveries, LOG_PER_PAGE).get_page(page_number)
    for delivery in page.object_list:
        delivery.kind_label = kind_label(delivery.kind)
    return page


def kinds_of(subscription: Subscription) -> list[str]:
    return [kind_label(k) for k in subscription.kinds]


def waiting(subscription: Subscription) -> int:
    return subscription.deliveries.filter(status=Delivery.Status.PENDING).count()
