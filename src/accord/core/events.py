"""The outbox: what happened, recorded by the verbs that make it happen, for whoever listens.

A verb records its events inside its own transaction (`record` for one; `record_many` and
`record_select` for thousands at once, set-based), so an event commits or rolls back with
the change it tells of: a rolled-back change is never announced. After the commit, the
`publish` task hands the new events, oldest first, to every consumer and marks them
published. The webhooks app registers its consumer with `@consumer` in its `tasks.py`,
found the way recurring entry points are; nothing on this floor names a consumer, so the
apps below the webhooks never import them.

Payloads are small and stable: ids, statuses, amounts as strings, times in ISO 8601 (the
field's encoder), never a whole record. The kinds are listed once, in `Kind`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone

from accord.core import recurring
from accord.core.bulk import insert_values
from accord.core.models import Event

PUBLISH_BATCH = 1000


class Kind(models.TextChoices):
    """Every kind of event a verb records, and what a person ticks to subscribe to it."""

    LEAD_MQL = "lead.mql", "Lead became MQL"
    LEAD_ACCEPTED = "lead.accepted", "Lead accepted by sales"
    LEAD_REJECTED = "lead.rejected", "Lead rejected"
    FOLLOW_UP_AT_RISK = "follow_up.at_risk", "Follow-up at risk"
    FOLLOW_UP_BREACHED = "follow_up.breached", "Follow-up breached"
    OPPORTUNITY_CREATED = "opportunity.created", "Opportunity created"
    OPPORTUNITY_WON = "opportunity.won", "Opportunity won"
    OPPORTUNITY_LOST = "opportunity.lost", "Opportunity lost"
    PLAN_SIGNED = "plan.signed", "Plan signed by both teams (in force)"
    DEFINITION_ACTIVATED = "lead_definition.activated", "Lead definition activated"


# The kind a lead's new status announces, for the verbs that move leads (crm, qualify,
# imports): becoming MQL, accepted (SAL), or rejected.
LEAD_STATUS_KINDS = {
    "mql": Kind.LEAD_MQL,
    "accepted": Kind.LEAD_ACCEPTED,
    "rejected": Kind.LEAD_REJECTED,
}


def record(kind: str, payload: dict, *, at: datetime | None = None) -> Event:
    """Record one event in the current transaction; published after it commits."""
    event = Event.objects.create(kind=kind, payload=payload, occurred_at=at or timezone.now())
    _publish_after_commit()
    return event


def record_many(events: Iterable[tuple[str, dict]], *, at: datetime) -> None:
    """Record `(kind, payload)` pairs with the bulk insert (one executemany or COPY per 5,000
    rows, as an import writes its own rows), not an ORM save each."""
    rows = ((kind, at, payload) for kind, payload in events)
    first = next(rows, None)
    if first is None:
        return
    insert_values(Event, ("kind", "occurred_at", "payload"), _chain(first, rows))
    _publish_after_commit()


def record_select(kind: str, payloads: QuerySet, *, at: datetime) -> int:
    """Record an event of `kind` for every row of `payloads` in one INSERT ... SELECT: the rows
    stay in the database (a scoring pass that promotes thousands of leads). `payloads` is a
    queryset of `.values(payload=JSONObject(...))`; how many events were recorded."""
    select, params = payloads.order_by().query.sql_with_params()
    table = connection.ops.quote_name(Event._meta.db_table)
    # Built from model metadata and the ORM's compiled query; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (kind, occurred_at, payload) "  # noqa: S608
        f"SELECT %s, %s, p.payload FROM ({select}) p"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, connection.ops.adapt_datetimefield_value(at), *params])
        recorded = cursor.rowcount
    if recorded:
        _publish_after_commit()
    return recorded


def _chain(first, rest):
    yield first
    yield from rest


# --- Publishing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Consumer:
    consume: Callable[[list[Event]], None]  # called inside the publishing transaction
    wants: Callable[[], set[str]]  # the kinds it wants now; the others are skipped unread


_CONSUMERS: dict[str, Consumer] = {}


def consumer(*, wants: Callable[[], set[str]]):
    """Register the decorated function to be handed every new event of the kinds `wants()`
    names, in batches, inside the transaction that marks them published."""

    def register(consume: Callable[[list[Event]], None]):
        _CONSUMERS[f"{consume.__module__}.{consume.__qualname__}"] = Consumer(consume, wants)
        return consume

    return register


def consumers() -> list[Consumer]:
    """The registered consumers, after importing every app's `tasks` module (once)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    return list(_CONSUMERS.values())


def _publish_after_commit() -> None:
    # Each call queues at most one task (`recurring.schedule` skips a waiting one), and the
    # first to run publishes every event committed so far; the others find nothing left.
    transaction.on_commit(schedule_publish, robust=True)


def schedule_publish() -> None:
    """Queue the publishing task now, unless one is already waiting (it will take these)."""
    if not publish.get_backend().supports_defer:  # the immediate backend (tests): now
        publish.enqueue()
        return
    recurring.schedule(publish)


@task
def publish() -> None:
    """The worker's publication of the events committed since the last one."""
    publish_pending()


def publish_pending(now: datetime | None = None) -> int:
    """Hand every unpublished event to the consumers that want its kind and mark it published;
    how many were handed on. Safe to run twice at once: on PostgreSQL a batch is locked by
    whoever takes it, and SQLite lets one writer at a time in."""
    now = now or timezone.now()
    registered = consumers()
    wanted = set().union(*(c.wants() for c in registered))
    unpublished = Event.objects.filter(published_at=None)
    # Nobody listens to these kinds: published unread, in one statement.
    unpublished.exclude(kind__in=wanted).update(published_at=now)
    handed = 0
    while wanted:
        with transaction.atomic():
            batch = unpublished.filter(kind__in=wanted).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                batch = batch.select_for_update(skip_locked=True)
            events = list(batch[:PUBLISH_BATCH])
            if not events:
                break
            for c in registered:
                c.consume(events)
            Event.objects.filter(pk__in=[e.pk for e in events]).update(published_at=now)
        handed += len(events)
    return handed


def prune(older_than: timedelta, now: datetime | None = None) -> int:
    """Delete published events older than `older_than`; how many."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = Event.objects.filter(occurred_at__lt=cutoff, published_at__isnull=False).delete()
    return deleted
