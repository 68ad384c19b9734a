"""The one model every floor may write: the outbox of events (see `accord.core.events`)."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Event(models.Model):
    """Something that happened, recorded by the verb that made it happen, in its transaction.

    `payload` is small and stable (ids and a few fields): the webhooks send it as it is.
    `published_at` is set once the consumers (the webhooks) have been handed the event.
    """

    kind = models.CharField(max_length=40, help_text="e.g. lead.mql; see events.Kind.")
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The publisher reads only the rows not yet handed on, in order.
            models.Index(
                fields=["id"], condition=models.Q(published_at=None), name="core_event_unpublished"
            ),
            models.Index(fields=["occurred_at"], name="core_event_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Generation(models.Model):
    """How many writes a table has seen: bumped by database triggers on every insert, update
    and delete (see `accord.core.figures`), whatever door the write came through.

    On SQLite one row per table (`pid` 0): it has one writer at a time. On PostgreSQL one
    row per table and server process, so that concurrent writers never wait on each other
    here; a table's generation is the sum of its rows, which only ever grows.
    """

    name = models.CharField(max_length=63, help_text="The table's name.")
    pid = models.IntegerField(default=0)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "pid"], name="core_generation_name_pid")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
