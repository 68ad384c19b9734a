"""The one verb behind the CSV import and the bulk API: upsert items and count what became
of them, in one transaction, or (a long import) in one short transaction per batch."""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import batched

from django.db import connection, transaction

from accord.core.bulk import sqlite_cache_for_bulk_writes
from accord.crm.kinds import Kind
from accord.imports import items as item_rules
from accord.imports.items import (
    CREATED,
    MERGED,
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
    merged: int = 0  # new ids for known leads, merged into them by email
    committed: bool = False
    # What the items named that Accord did not know, created on the way ("owners",
    # "channels", "accounts"), so nothing is created silently.
    new_references: dict[str, list[str]] = field(default_factory=dict)

    @property
    def items(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected + self.merged

    def counts(self) -> dict[str, int]:
        return {
            CREATED: self.created,
            UPDATED: self.updated,
            UNCHANGED: self.unchanged,
            REJECTED: self.rejected,
            MERGED: self.merged,
        }

    def count(self, result: ItemResult) -> None:
        status = result.status
        if status == CREATED:
            self.created += 1
        elif status == UPDATED:
            self.updated += 1
        elif status == REJECTED:
            self.rejected += 1
        elif status == MERGED:
            self.merged += 1
        else:
            self.unchanged += 1

    @classmethod
    def resumed(cls, counts: dict[str, int], new_references: dict[str, list[str]]) -> "Upserted":
        """The counts of a run stopped after a batch it stored, to go on from."""
        return cls(
            created=counts.get(CREATED, 0),
            updated=counts.get(UPDATED, 0),
            unchanged=counts.get(UNCHANGED, 0),
            rejected=counts.get(REJECTED, 0),
            merged=counts.get(MERGED, 0),
            new_references={k: list(v) for k, v in new_references.items()},
        )


SQLITE_GAP_SECONDS = 0.05


def upsert_items(
    kind: Kind | str,
    items: Iterable[tuple[int, dict]],
    options: Options,
    *,
    batch_size: int | None = None,
    dry_run: bool = False,
    strict: bool = False,
    each: Callable[[ItemResult, Upserted], None] | None = None,
    checkpoint: Callable[[int, Upserted], None] | None = None,
    resumed: Upserted | None = None,
) -> Upserted:
    """Create or update CRM records from `(index, item)` pairs.

    By default the run is one transaction and lands whole or not at all: an error (a batch
    that fails to write, a file that cannot be read on) rolls everything back and goes on to
    the caller; `dry_run`, and `strict` when any item is rejected, roll back at the end
    (`committed` stays False).

    With `checkpoint` (a long import; neither `dry_run` nor `strict`), each batch is its own
    short transaction, so nobody else waits for the database more than one batch's time,
    and `checkpoint(last_index, upserted)` is called inside it: what it records commits
    with the batch, so a run stopped anywhere can go on after the last stored batch
    (`resumed`: the counts so far) and store every item once.

    `each(result, upserted)` sees every item's result in order, just after it is counted.
    """
    batch_size = batch_size or item_rules.BATCH_SIZE
    upserter = Upserter(kind, options, batch_size)
    if checkpoint is not None and not dry_run and not strict:
        upserter.batch_size = batch_size = min(batch_size, item_rules.SHORT_BATCH_SIZE)
        upserted = resumed or Upserted()
        before = {k: list(v) for k, v in upserted.new_references.items()}
        created = upserter.resolver.created
        with sqlite_cache_for_bulk_writes():
            for batch in batched(items, batch_size):
                # Checked outside the write transaction: others wait only for the writes.
                results, parsed = upserter.parse(list(batch))
                with transaction.atomic():
                    for result in upserter.write(results, parsed):
                        upserted.count(result)
                        if each is not None:
                            each(result, upserted)
                    upserted.new_references = {k: before.get(k, []) + created[k] for k in created}
                    checkpoint(batch[-1][0], upserted)
                if connection.vendor == "sqlite":
                    # A moment between two batches: a login or an API write waiting for the
                    # one writer gets in now, instead of when its busy timeout next polls.
                    time.sleep(SQLITE_GAP_SECONDS)
        upserted.committed = True
        return upserted

    upserted = Upserted()
    with sqlite_cache_for_bulk_writes(), transaction.atomic():
        for result in upserter.process(items):
            upserted.count(result)
            if each is not None:
                each(result, upserted)
        if dry_run or (strict and upserted.rejected):
            transaction.set_rollback(True)
        else:
            upserted.committed = True
    upserted.new_references = upserter.resolver.created
    return upserted
