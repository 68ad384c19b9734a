"""Follow-up clocks kept per lead, so that a page of leads reads them instead of replaying
each lead's history.

`clocks.evaluate_all` rebuilds a lead's MQL spells from six tables and runs the business-hours
arithmetic on every view: 15 queries and 20-60 ms for the 50 leads of a list page, on every
page, at any size. Here each lead's evaluated spells are kept in `LeadClocks`, and a page
reads one row per lead. A row is used only while it is what `evaluate_all` would answer now:

- the lead's own inputs are unchanged: database triggers on the lead, its status and owner
  changes, follow-ups, reviews, qualifications and touchpoints raise the lead's count in
  `LeadClockStamp` on every insert, update and delete, whatever door wrote it (a page, the
  API, an import, raw SQL), and a row holds the count it was evaluated at;
- the inputs every clock shares are unchanged: policies, calendars and days off, people,
  teams and channels, by their write counts (`accord.core.figures`);
- time has not changed the answer: `turns_at` is the first moment a running clock turns at
  risk or due (`clocks.next_turn`), or a row of the lead's dated later than the evaluation
  comes into view, whichever is first.

Any other row is evaluated again for its lead alone, and rewritten: the clocks advance lead by
lead as their inputs change, not company by company. The counts are read before the inputs,
so a write that lands while a lead is evaluated leaves the row outdated, never wrong.
"""

import hashlib
import json
import logging
import pickle
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from itertools import batched

from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.analytics import sla
from accord.core import bulk, figures
from accord.crm.models import Channel, Lead, LeadStatusChange
from accord.people.models import User
from accord.sla import clocks
from accord.sla.models import BusinessCalendar, FollowUpPolicy, LeadClocks, LeadClockStamp

log = logging.getLogger(__name__)

STAMPS = "sla_leadclockstamp"
# The lead's own inputs: (table, the column naming the lead, the dated column read up to now).
OWN = (
    ("crm_leadstatuschange", "lead_id", "changed_at"),
    ("crm_leadownerchange", "lead_id", "changed_at"),
    ("crm_activity", "lead_id", "occurred_at"),
    ("crm_touchpoint", "lead_id", "occurred_at"),
    ("qualify_leadreview", "lead_id", "at"),
    ("qualify_qualification", "lead_id", "at"),
)
# A touchpoint counts only when its kind is one an active policy chooses leads by (a demo
# request, say): the clocks read no other, and a change of the policies changes every clock
# anyway (`SHARED`). Most touchpoints (visits, opens) then cost their import nothing here.
TOUCHES = "crm_touchpoint"
POLICY_KINDS = "SELECT touch_kind FROM sla_followuppolicy WHERE active AND touch_kind <> ''"
LEAD_COLUMNS = ("owner_id", "fit_grade", "source_id")  # what the clocks read of the lead row
SHARED = figures.table_names(
    [
        FollowUpPolicy,
        BusinessCalendar,
        "sla_dayoff",
        User,
        "people_team",
        "people_user_teams",
        Channel,
    ]
)
# How long a page waits for SQLite's write lock to keep clocks (an import may hold it): after
# that the page answers without keeping them, and the next view evaluates them again.
KEEP_WAIT_MS = 200


# Within `loading_once`, the spells of each kept row read so far: the worker's refresh reads
# the year's clocks for the board and again for *Both ways*, and unpickling them is most of
# what either costs once the clocks are kept.
_LOADED: ContextVar[dict | None] = ContextVar("accord_sla_loaded", default=None)


@contextmanager
def loading_once():
    """Within, a kept row read twice (the same lead, count, shared inputs and moment of
    evaluation, so the same bytes) is unpickled once; its spells are shared, and read only."""
    token = _LOADED.set({})
    try:
        yield
    finally:
        _LOADED.reset(token)


# Leads read at once when a page asks for every clock of a period (the board, *Both ways*):
# each batch's reads name its leads' ids, several times in one statement for `_next_dated`.
LEADS_AT_ONCE = 2000


def started_now(scope: clocks.Scope) -> list[sla.Evaluation]:
    """Every MQL spell that started in the scope's period (and counts against one of its
    owners), with its clocks as of now: what `clocks.evaluate_all(now, scope)` answers, in
    its order, read from the kept clocks of the period's leads in one statement. Only the
    leads whose inputs changed, or whose clocks turned, since their row was kept are
    evaluated again: after a minute of a company's writes, a few hundred leads, not the
    year's."""
    if scope.lead_ids is not None:
        raise ValueError("started_now reads a period's leads; spells_now reads given leads")
    now = timezone.now()
    shared = _shared_stamp()
    starts = LeadStatusChange.objects.filter(to_status=Lead.Status.MQL, changed_at__lte=now)
    if scope.started_from is not None:
        starts = starts.filter(changed_at__gte=scope.started_from)
    if scope.started_to is not None:
        starts = starts.filter(changed_at__lt=scope.started_to)
    ids = set(starts.values_list("lead_id", flat=True))
    stamp_now = LeadClockStamp.objects.filter(lead_id=OuterRef("lead_id")).values("n")[:1]
    memo = _LOADED.get()
    found = {}
    for lead_id, stamp, current, turns_at, evaluated_at, spells in (
        LeadClocks.objects.filter(shared=shared, lead_id__in=starts.values("lead_id"))
        .annotate(stamp_now=Coalesce(Subquery(stamp_now), 0))
        .values_list("lead_id", "stamp", "stamp_now", "turns_at", "evaluated_at", "spells")
    ):
        if not _still_good(stamp, current, turns_at, now):
            continue
        row = (lead_id, stamp, shared, evaluated_at)
        if memo is not None and row in memo:
            found[lead_id] = memo[row]
            continue
        found[lead_id] = pickle.loads(spells)  # noqa: S301 (written by this module only)
        if memo is not None:
            memo[row] = found[lead_id]
    missing = sorted(ids - found.keys())
    if len(missing) > len(ids) / 2:
        # Mostly nothing kept (the first view after a restore or a policy change): the
        # period's leads in one replay, cheaper than batch after batch, then kept in batches.
        stamps = dict(
            LeadClockStamp.objects.filter(lead_id__in=starts.values("lead_id")).values_list(
                "lead_id", "n"
            )
        )
        fresh = _evaluate(starts.values("lead_id"), now, missing)
        for batch in batched(missing, LEADS_AT_ONCE):
            _keep({i: fresh[i] for i in batch}, stamps, shared, now)
        found.update(fresh)
    else:
        for batch in batched(missing, LEADS_AT_ONCE):
            found.update(_evaluate_and_keep(list(batch), shared, now))
    return sorted(
        (
            e
            for spells in found.values()
            for e in spells
            if (scope.started_from is None or e.started_at >= scope.started_from)
            and (scope.started_to is None or e.started_at < scope.started_to)
            and (scope.owner_ids is None or e.owner in scope.owner_ids)
        ),
        key=lambda e: (e.lead_id, e.started_at),
    )


def spells_now(lead_ids) -> dict[int, list[sla.Evaluation]]:
    """{lead id: its MQL spells with their clocks as of now, newest first} for the leads that
    have any a policy covers: what `clocks.evaluate_all(now, Scope(lead_ids=...))` answers."""
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        return {}
    now = timezone.now()
    shared = _shared_stamp()
    stamps = dict(LeadClockStamp.objects.filter(lead_id__in=ids).values_list("lead_id", "n"))
    found = _valid(
        (
            (lead_id, stamp, stamps.get(lead_id, 0), turns_at, spells)
            for lead_id, stamp, turns_at, spells in LeadClocks.objects.filter(
                lead_id__in=ids, shared=shared
            ).values_list("lead_id", "stamp", "turns_at", "spells")
        ),
        now,
    )
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(_evaluate_and_keep(missing, shared, now))
    return {lead_id: spells for lead_id, spells in found.items() if spells}


def _still_good(stamp: int, stamp_now: int, turns_at: datetime | None, now: datetime) -> bool:
    """Whether a kept row is what a replay would answer now: the lead's inputs unchanged
    since it was kept, and no clock of it turned since."""
    return stamp == stamp_now and (turns_at is None or now < turns_at)


def _valid(rows, now: datetime) -> dict[int, list[sla.Evaluation]]:
    """The kept spells of the rows (lead, stamp kept at, stamp now, turns at, spells) still
    good now."""
    return {
        lead_id: pickle.loads(spells)  # noqa: S301 (written by this module only)
        for lead_id, stamp, stamp_now, turns_at, spells in rows
        if _still_good(stamp, stamp_now, turns_at, now)
    }


def _evaluate_and_keep(ids: list[int], shared: str, now: datetime):
    # The counts before the inputs: a write landing meanwhile leaves the row outdated.
    stamps = dict(LeadClockStamp.objects.filter(lead_id__in=ids).values_list("lead_id", "n"))
    fresh = _evaluate(ids, now)
    _keep(fresh, stamps, shared, now)
    return fresh


def _evaluate(leads, now: datetime, ids=None) -> dict[int, list[sla.Evaluation]]:
    """{lead id: its spells, newest first} for the leads `leads` names (ids, or a query of
    them), of which `ids` (by default `leads` itself) are answered."""
    ids = leads if ids is None else ids
    by_lead: dict[int, list[sla.Evaluation]] = {i: [] for i in ids}
    for e in clocks.evaluate_all(now, clocks.Scope(lead_ids=leads)):
        if e.lead_id in by_lead:
            by_lead[e.lead_id].append(e)
    for spells in by_lead.values():
        spells.sort(key=lambda e: e.started_at, reverse=True)
    return by_lead


def _keep(fresh: dict[int, list[sla.Evaluation]], stamps: dict, shared: str, now: datetime):
    """Write the leads' rows; a failed write (a busy SQLite) costs the next view its replay."""
    coming = _next_dated(list(fresh), now)
    rows = [
        LeadClocks(
            lead_id=lead_id,
            stamp=stamps.get(lead_id, 0),
            shared=shared,
            turns_at=figures.earliest([clocks.next_turn(spells, now), coming.get(lead_id)]),
            evaluated_at=now,
            spells=pickle.dumps(spells, protocol=pickle.HIGHEST_PROTOCOL),
        )
        for lead_id, spells in fresh.items()
    ]
    try:
        with _briefly_waiting(), transaction.atomic():
            LeadClocks.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["lead_id"],
                update_fields=["stamp", "shared", "turns_at", "evaluated_at", "spells"],
            )
    except DatabaseError:
        log.warning("sla: could not keep the clocks of %d leads", len(rows), exc_info=True)


@contextmanager
def _briefly_waiting():
    """On SQLite, wait at most KEEP_WAIT_MS for the write lock instead of the connection's
    20 s: keeping clocks must never hold a page up behind an import."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with bulk.sqlite_pragma_for_a_while(connection, "busy_timeout", KEEP_WAIT_MS):
        yield


def _next_dated(ids: list[int], now: datetime) -> dict[int, datetime]:
    """Each lead's first input dated after `now` (an import's future date, a scheduled
    change): the evaluation reads rows up to its moment, so it holds only until then."""
    marks = ", ".join(["%s"] * len(ids))
    parts, params = [], []
    for table, lead, at in OWN:
        # Names from this module only; the ids and the moment go as parameters.
        parts.append(
            f'SELECT "{lead}", min("{at}") FROM "{table}" '  # noqa: S608
            f'WHERE "{lead}" IN ({marks}) AND "{at}" > %s GROUP BY "{lead}"'
        )
        params += [*ids, connection.ops.adapt_datetimefield_value(now)]
    found: dict[int, datetime] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for lead_id, at in cursor.fetchall():
            if isinstance(at, str):  # SQLite answers an aggregate of datetimes as UTC text
                at = datetime.fromisoformat(at).replace(tzinfo=UTC)
            found[lead_id] = min(at, found.get(lead_id, at))
    return found


def _shared_stamp() -> str:
    counts = json.dumps(sorted(figures.generations(SHARED).items()))
    return hashlib.sha1(counts.encode(), usedforsecurity=False).hexdigest()


def forget() -> int:
    """Drop every kept clock (`accord sla evaluate --forget`, or after a restore)."""
    deleted, _ = LeadClocks.objects.all().delete()
    return deleted


# --- The triggers (installed by sla's migration 0004) --------------------------------------


def _sqlite_bump(expression: str) -> str:
    return (
        f'INSERT INTO "{STAMPS}" (lead_id, n) SELECT {expression}, 1 '  # noqa: S608
        f"WHERE {expression} IS NOT NULL "
        f"ON CONFLICT(lead_id) DO UPDATE SET n = n + 1;"
    )


def _sqlite_statements() -> list[str]:
    statements = []
    for table, lead, _ in OWN:
        name = f"sla_stamp_{table}"
        when = {"insert": "", "update": "", "delete": ""}
        if table == TOUCHES:
            kinds = f"kind IN ({POLICY_KINDS})"
            when = {
                "insert": f" WHEN new.{kinds}",
                "update": f" WHEN old.{kinds} OR new.{kinds}",
                "delete": f" WHEN old.{kinds}",
            }
        statements += [
            f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON "{table}"{when["insert"]} '
            f"BEGIN {_sqlite_bump(f'new.{lead}')} END",
            f'CREATE TRIGGER "{name}_update" AFTER UPDATE ON "{table}"{when["update"]} '
            f"BEGIN {_sqlite_bump(f'old.{lead}')} {_sqlite_bump(f'new.{lead}')} END",
            f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON "{table}"{when["delete"]} '
            f"BEGIN {_sqlite_bump(f'old.{lead}')} END",
        ]
    name = "sla_stamp_crm_lead"
    statements += [
        f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON "crm_lead" '
        f"BEGIN {_sqlite_bump('new.id')} END",
        f'CREATE TRIGGER "{name}_update" AFTER UPDATE OF {", ".join(LEAD_COLUMNS)} '
        f'ON "crm_lead" BEGIN {_sqlite_bump("new.id")} END',
        f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON "crm_lead" '
        f"BEGIN {_sqlite_bump('old.id')} END",
    ]
    return statements


def _postgres_statements() -> list[str]:
    """Statement-level triggers that count a statement's rows per lead from its transition
    tables: a bulk import of 100,000 touchpoints pays one upsert per lead, not one call per
    row (row triggers doubled its time). The rows are upserted in lead order, so that two
    writers never take the same leads' locks in opposite orders. The lead's own update is a
    row trigger on the columns the clocks read (a trigger with transition tables may not name
    columns), so the scoring pass's updates of scores fire nothing."""
    statements = []
    upsert = (
        f'INSERT INTO "{STAMPS}" (lead_id, n) SELECT {{column}}, count(*) FROM ({{rows}}) AS r '  # noqa: S608
        f"WHERE {{column}} IS NOT NULL GROUP BY {{column}} ORDER BY {{column}} "
        f'ON CONFLICT (lead_id) DO UPDATE SET n = "{STAMPS}".n + excluded.n;'
    )
    functions = (
        ("lead_id", "sla_stamp_by_lead", ""),
        ("lead_id", "sla_stamp_touch", f" WHERE kind IN ({POLICY_KINDS})"),
        ("id", "sla_stamp_lead", ""),
    )
    for column, name, where in functions:
        for event, rows in (
            ("insert", "SELECT {column} FROM new_rows{where}"),
            ("delete", "SELECT {column} FROM old_rows{where}"),
            (
                "update",
                "SELECT {column} FROM old_rows{where} "
                "UNION ALL SELECT {column} FROM new_rows{where}",
            ),
        ):
            body = upsert.format(column=column, rows=rows.format(column=column, where=where))
            statements.append(
                f"CREATE OR REPLACE FUNCTION {name}_{event}() RETURNS trigger AS $$ "
                f"BEGIN {body} RETURN NULL; END $$ LANGUAGE plpgsql"
            )
    references = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows"}
    references["update"] = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
    for table, _, _ in OWN:
        function = "sla_stamp_touch" if table == TOUCHES else "sla_stamp_by_lead"
        for event in ("insert", "update", "delete"):
            statements.append(
                f'CREATE TRIGGER "sla_stamp_{table}_{event}" AFTER {event.upper()} ON "{table}" '
                f"REFERENCING {references[event]} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {function}_{event}()"
            )
    for event in ("insert", "delete"):
        statements.append(
            f'CREATE TRIGGER "sla_stamp_crm_lead_{event}" AFTER {event.upper()} ON "crm_lead" '
            f"REFERENCING {references[event]} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION sla_stamp_lead_{event}()"
        )
    statements += [
        "CREATE OR REPLACE FUNCTION sla_stamp_lead_row() RETURNS trigger AS $$ BEGIN "  # noqa: S608
        f'INSERT INTO "{STAMPS}" (lead_id, n) VALUES (NEW.id, 1) '
        f'ON CONFLICT (lead_id) DO UPDATE SET n = "{STAMPS}".n + 1; RETURN NULL; END '
        "$$ LANGUAGE plpgsql",
        f'CREATE TRIGGER "sla_stamp_crm_lead_update" AFTER UPDATE OF {", ".join(LEAD_COLUMNS)} '
        'ON "crm_lead" FOR EACH ROW EXECUTE FUNCTION sla_stamp_lead_row()',
    ]
    return statements


def trigger_names() -> list[tuple[str, str]]:
    """(table, trigger) of every trigger installed, for the test that they are all there."""
    tables = [table for table, _, _ in OWN] + ["crm_lead"]
    return [(t, f"sla_stamp_{t}_{op}") for t in tables for op in ("insert", "update", "delete")]


def install_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _sqlite_statements()
    elif vendor == "postgresql":
        statements = _postgres_statements()
    else:
        raise NotImplementedError(f"No clock stamp triggers for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)


def remove_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for table, trigger in trigger_names():
        if vendor == "sqlite":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
        else:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{trigger}" ON "{table}"')
    if vendor == "postgresql":
        for name in ("sla_stamp_by_lead", "sla_stamp_touch", "sla_stamp_lead"):
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}_{event}()")
        schema_editor.execute("DROP FUNCTION IF EXISTS sla_stamp_lead_row()")
