"""The one verb behind the CSV import and the bulk API: upsert items in one transaction and
count what became of them."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from accord.core.bulk import sqlite_cache_for_bulk_writes
from accord.crm.kinds import Kind
from accord.imports.items import (
    BATCH_SIZE,
    CREATED,
    REJECTED,
    UNCHANGED,
    UPDATED,
    ItemResult,
    Options,
)
from accord.imports.upsert import Upserter


@dataclass
class Upserted:
    """What became of a run's items, counted as they come."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    committed: bool = False
    # What the items named that Accord did not know, created on the way ("owners",
    # "channels", "accounts"), so nothing is created silently.
    new_references: dict[str, list[str]] = field(default_factory=dict)

    @property
    def items(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def counts(self) -> dict[str, int]:
        return {
            CREATED: self.created,
            UPDATED: self.updated,
            UNCHANGED: self.unchanged,
            REJECTED: self.rejected,
        }


def upsert_items(
    kind: Kind | str,
    items: Iterable[tuple[int, dict]],
    options: Options,
    *,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
    strict: bool = False,
    each: Callable[[ItemResult, Upserted], None] | None = None,
) -> Upserted:
    """Create or update CRM records from `(index, item)` pairs, in one transaction.

    The run lands whole or not at all: an error (a batch that fails to write, a file that
    cannot be read on) rolls everything back and goes on to the caller; `dry_run`, and
    `strict` when any item is rejected, roll back at the end (`committed` stays False).
    `each(result, upserted)` sees every item's result in order, just after it is counted.
    """
    upserted = Upserted()
    upserter = Upserter(kind, options, batch_size)
    with sqlite_cache_for_bulk_writes(), transaction.atomic():
        for result in upserter.process(items):
            status = result.status
            if status == CREATED:
                upserted.created += 1
            elif status == UPDATED:
                upserted.updated += 1
            elif status == REJECTED:
                upserted.rejected += 1
            else:
                upserted.unchanged += 1
            if each is not None:
                each(result, upserted)
        if dry_run or (strict and upserted.rejected):
            transaction.set_rollback(True)
        else:
            upserted.committed = True
    upserted.new_references = upserter.resolver.created
    return upserted
