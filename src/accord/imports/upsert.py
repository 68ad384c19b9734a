"""Idempotent upserts of CRM records, shared by the CSV import and the bulk API.

Items are dicts of Accord field names to raw values (strings from a CSV, JSON values from
the API). Each item is validated on its own; a bad item is rejected with its errors and the
others go on. Items are matched to stored rows on `(source_system, external_id)`, or on a
natural key when there is no id (a lead's normalised email, an account's name...), so
running the same input twice creates and changes nothing the second time.

`actions.upsert_items` owns the transaction (a whole import lands whole or not at all) and
the counting; within it, the `Upserter` handles items in batches with set-based look-ups
and bulk writes, and has the touched leads scored after the commit.
"""

from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.utils import timezone

from accord.core.bulk import insert_rows
from accord.crm.kinds import Kind
from accord.imports.handlers import HANDLERS, CampaignHandler
from accord.imports.items import (
    BATCH_SIZE,
    CREATED,
    MERGED,
    REJECTED,
    UNCHANGED,
    UPDATED,
    ItemResult,
    Options,
    Parser,
    Rejected,
)
from accord.imports.resolver import Resolver
from accord.people import permissions
from accord.qualify.scoring import score_after_commit


class Upserter:
    def __init__(self, kind: Kind, options: Options, batch_size: int = BATCH_SIZE):
        """`batch_size` items share their look-ups and writes; a caller holding all its
        items already (the API's request) can make it one batch."""
        self.kind = Kind(kind)
        self.options = options
        self.batch_size = batch_size
        self.resolver = Resolver(options)
        self.handler = HANDLERS[self.kind](options, self.resolver)
        self.rights = permissions.ItemRights(options.actor)

    def process(self, items: Iterable[tuple[int, dict]]) -> Iterator[ItemResult]:
        """Upsert items in batches; yields one result per item, in order."""
        batch: list[tuple[int, dict]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= self.batch_size:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, items: list[tuple[int, dict]]) -> list[ItemResult]:
        return self.write(*self.parse(items))

    def parse(self, items: list[tuple[int, dict]]) -> tuple[list[ItemResult], list]:
        """Check a batch's items and find what they refer to: reads, and the references an
        importer allowed to may create (owners, channels, accounts). A long import does this
        outside its batch's write transaction, so the database is locked only to write."""
        handler = self.handler
        results: list[ItemResult] = []
        parsed: list[tuple[ItemResult, dict]] = []
        if handler.lead_field:
            self.resolver.prefetch_leads(
                (item.get(handler.lead_field) for _, item in items),
                created_at=handler.lead_created_at,
            )
        horizon = timezone.now() + timedelta(days=1)  # "in the future" for this batch
        for index, item in items:
            parser = Parser(item, self.options, horizon)
            try:
                record = handler.parse(parser)
            except Rejected as rejected:
                results.append(ItemResult(index, REJECTED, rejected.errors))
                continue
            result = ItemResult(index, UNCHANGED)
            results.append(result)
            parsed.append((result, record))
        self.resolver.flush_accounts()
        return results, parsed

    def write(self, results: list[ItemResult], parsed: list) -> list[ItemResult]:
        """Store a parsed batch: find the stored rows, check the importer's rights on them,
        create and update, and write the history; returns every item's result."""
        handler = self.handler
        stored = handler.find([record for _, record in parsed])
        rights = self.rights
        # Admins and operations write what they send; anybody else item by item, as on
        # their pages (and a lead's rejection needs its reason whoever sends it).
        checked = not rights.everything or handler.checks_everybody
        if not rights.everything:
            handler.prepare([record for _, record in parsed])
        pending: dict = {}  # key -> new, unsaved row (a later duplicate updates it in memory)
        to_create, to_update = [], {}
        costs_seen: dict[int, set] = {}  # campaigns only: the month costs met in this batch
        campaigns = isinstance(handler, CampaignHandler)
        new = handler.new_fast if handler.fast_insert else handler.new
        for result, record in parsed:
            external_id = record.get("external_id")
            key = ("id", external_id) if external_id else handler.key(record)
            alternate = handler.alternate_key(record)
            row = pending.get(key) if key else None
            merged = False
            if row is None and key is not None:
                row = stored.get(key)
                merged = row is not None and handler.merging(key)
            if row is None and alternate is not None:
                # The same lead under another id earlier in this batch.
                row = pending.get(alternate)
                merged = row is not None
            if row is None:
                if checked and (refused := handler.refusal(rights, None, record, {})):
                    result.status, result.errors = REJECTED, [refused]
                    continue
                row = new(record)
                to_create.append((row, record))
                if key is not None:
                    pending[key] = row
                if alternate is not None:
                    pending.setdefault(alternate, row)
                if campaigns:
                    costs_seen[id(row)] = {(record.get("_month"), record.get("_cost"))}
                result.status = CREATED
                continue
            changed = handler.changes(row, record)
            if checked and row.pk is not None and changed:
                if refused := handler.refusal(rights, row, record, changed):
                    result.status, result.errors = REJECTED, [refused]
                    continue
            for name, (_, after) in changed.items():
                setattr(row, name, after)
            if merged:
                handler.merged(record, row)
                pending[key] = row  # a later item with this id finds it
            if row.pk is None:
                # A duplicate of a row created earlier in this batch: it counts as itself.
                result.status = MERGED if merged else UPDATED if changed else UNCHANGED
                if campaigns:
                    to_create.append((row, record))  # another month's cost, set below
                    cost = (record["_month"], record["_cost"])
                    if record["_cost"] is not None and cost not in costs_seen[id(row)]:
                        result.status = UPDATED
                        costs_seen[id(row)].add(cost)
                continue
            if changed:
                _, so_far, fields = to_update.setdefault(id(row), (row, {}, set()))
                for name, (before, after) in changed.items():
                    # Two items change one row in a batch: keep the first before, last after.
                    so_far[name] = (so_far.get(name, (before,))[0], after)
                fields.update(changed, handler.after_update(row, changed, record))
                result.status = UPDATED
            if campaigns and handler.costs_changed(row, record):
                result.status = UPDATED
            if merged:
                result.status = MERGED

        created = list({id(row): row for row, _ in to_create}.values())
        if created and handler.fast_insert:
            insert_rows(handler.model, created)
        elif created:
            handler.model.objects.bulk_create(created, batch_size=BATCH_SIZE)
        if campaigns:
            for row, record in to_create:
                handler.costs_changed(row, record)
        updated = []
        now = timezone.now()
        for row, changed, fields in to_update.values():
            fields = set(fields)
            if hasattr(row, "updated_at"):
                row.updated_at = now  # a plain field on touchpoints and deals, not auto_now
                fields.add("updated_at")
            row.save(update_fields=sorted(fields))
            updated.append((row, changed))
        handler.saved(created, updated)
        lead_ids = handler.scored_leads(created, updated)
        if lead_ids:
            score_after_commit(lead_ids)
        return results
