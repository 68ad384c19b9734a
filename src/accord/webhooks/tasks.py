"""Webhooks' recurring work, and their place at the outbox.

- `deliveries_for` is the outbox's consumer (`core.events`): each new event of a kind some
  active subscription wants becomes its deliveries, sent once they commit.
- The sweep, every 30 seconds: publishes any event whose publication was missed (a worker
  that stopped between a commit and its task), sends the retries that are due, and forgets
  finished deliveries and events older than WEBHOOK_LOG_DAYS.
"""

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from accord.core import events, recurring
from accord.webhooks import delivery

SWEEP_EVERY = timedelta(seconds=30)


@events.consumer(wants=delivery.wanted_kinds)
def deliveries_for(batch: list[events.Event]) -> None:
    delivery.create_deliveries(batch)


def sweep() -> None:
    events.publish_pending()
    delivery.send_due()
    delivery.prune()
    events.prune(timedelta(days=settings.WEBHOOK_LOG_DAYS))


@task
def webhooks_sweep() -> None:
    """Sweep, then come back in 30 seconds."""
    try:
        sweep()
    finally:
        schedule_sweep(timezone.now() + SWEEP_EVERY)


@recurring.entry_point
def schedule_sweep(at=None) -> bool:
    return recurring.schedule(webhooks_sweep, at)
