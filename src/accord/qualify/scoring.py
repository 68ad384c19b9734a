"""Scoring leads under a lead definition: the set-based rescore and one lead's breakdown.

`rescore()` scores leads in the database in a handful of statements whatever their number:
the compiled scores go into a temporary table, then one UPDATE writes grades and scores,
one INSERT records the leads that became MQL (Qualification), one INSERT writes their
status changes and one UPDATE moves them to MQL. Who may be promoted: leads still `new`,
and `recycled` leads that have been touched since they were recycled (they came back).
Nobody is ever demoted: an MQL or any later status keeps its status whatever the score.
"""

import json
import time
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import CharField, F, Max, Min, Value
from django.db.models.functions import Cast, JSONObject
from django.tasks import task
from django.utils import timezone

from accord.analytics import scoring
from accord.core import events, recurring
from accord.crm.models import Campaign, Channel, Lead, LeadStatusChange, Touchpoint
from accord.qualify import sql
from accord.qualify.models import LeadDefinition, PendingScore, Qualification, ScoringRun

SCORES = "qualify_scores_tmp"


def known_values() -> dict:
    return {
        "kinds": set(Touchpoint.Kind.values),
        "channels": set(Channel.objects.values_list("key", flat=True)),
        "campaigns": set(Campaign.objects.values_list("id", flat=True)),
    }


def parse(definition: LeadDefinition, *, check_known: bool = True) -> scoring.Definition:
    """The stored definition as the scoring engine reads it (raises DefinitionError)."""
    return scoring.parse(
        definition.rules,
        definition.grade_thresholds,
        definition.mql_grades,
        definition.mql_min_score,
        known=known_values() if check_known else None,
    )


def active_definition() -> LeadDefinition | None:
    return LeadDefinition.objects.filter(status=LeadDefinition.Status.ACTIVE).first()


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def rescore(
    definition: LeadDefinition,
    *,
    trigger: str = ScoringRun.Trigger.MANUAL,
    lead_ids: list[int] | None = None,
    now: datetime | None = None,
    promote: bool = True,
) -> ScoringRun:
    """Score the leads (all, or `lead_ids`) under `definition` and promote those that pass.

    `promote=False` only writes grades and scores (the demo build uses it: its statuses come
    from the simulation).
    """
    now = now or timezone.now()
    parsed = parse(definition, check_known=False)
    select, params = sql.scores_query(parsed, as_of_epoch=epoch(now), lead_ids=lead_ids)
    passes, passes_params = sql.passes_sql(parsed)
    at = connection.ops.adapt_datetimefield_value(now)
    lead, change, qual = (
        sql.LEAD,
        LeadStatusChange._meta.db_table,
        Qualification._meta.db_table,
    )
    # On SQLite one writer at a time holds the whole database: when nothing else needs this
    # to be one transaction, the scores are computed into the temporary table (a read of the
    # main database) before the write transaction starts, so writers wait only for the writes.
    early = connection.vendor == "sqlite" and not connection.in_atomic_block

    def compute():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SCORES}")
            cursor.execute(f"CREATE TEMPORARY TABLE {SCORES} AS {select}", params)

    if early:
        compute()
    with transaction.atomic():
        run = ScoringRun.objects.create(definition=definition, trigger=trigger, started_at=now)
        if not early:
            compute()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {lead} SET fit_grade = s.grade, engagement_score = s.score, "
                f"scored_at = %s FROM {SCORES} s WHERE s.lead_id = {lead}.id",
                [at],
            )
            scored = cursor.rowcount
            promoted = 0
            if promote:
                cursor.execute(
                    f"INSERT INTO {qual} (lead_id, definition_id, run_id, at, fit_grade, score) "
                    f"SELECT s.lead_id, %s, %s, %s, s.grade, s.score FROM {SCORES} s "
                    f"JOIN {lead} l ON l.id = s.lead_id WHERE {passes} AND (l.status = 'new' OR "
                    f"(l.status = 'recycled' AND EXISTS (SELECT 1 FROM {sql.TOUCH} t "
                    "WHERE t.lead_id = l.id AND t.occurred_at > l.status_changed_at)))",
                    [definition.pk, run.pk, at, *passes_params],
                )
                promoted = cursor.rowcount
            if promoted:
                reason = f"Met lead definition v{definition.version}"
                # One INSERT of their lead.mql events, before their status moves (the
                # payload of crm.actions.lead_event_payload, with the grade and score).
                events.record_select(
                    events.Kind.LEAD_MQL,
                    Qualification.objects.filter(run=run).values(
                        payload=JSONObject(
                            lead_id=F("lead_id"),
                            from_status=F("lead__status"),
                            to_status=_text("mql"),
                            owner_id=F("lead__owner_id"),
                            reason=_text(reason),
                            fit_grade=F("fit_grade"),
                            score=F("score"),
                        )
                    ),
                    at=now,
                )
                cursor.execute(
                    f"INSERT INTO {change} (lead_id, from_status, to_status, changed_at, "
                    "changed_by_id, reason) SELECT q.lead_id, l.status, 'mql', %s, NULL, %s "
                    f"FROM {qual} q JOIN {lead} l ON l.id = q.lead_id WHERE q.run_id = %s",
                    [at, reason, run.pk],
                )
                cursor.execute(
                    f"UPDATE {lead} SET status = 'mql', status_changed_at = %s "
                    f"WHERE id IN (SELECT lead_id FROM {qual} WHERE run_id = %s)",
                    [at, run.pk],
                )
            cursor.execute(f"DROP TABLE {SCORES}")
        run.leads_scored = scored
        run.promoted = promoted
        run.finished_at = timezone.now()
        run.save(update_fields=["leads_scored", "promoted", "finished_at"])
    return run


def _text(value: str) -> Cast:
    # A constant typed as text: PostgreSQL's JSONB_BUILD_OBJECT cannot type a bare literal.
    return Cast(Value(value), CharField())


# Leads scored per write transaction: on SQLite the writes of a chunk keep other writers
# waiting, so a chunk is kept to a fraction of a second (`make bench`, import_contention).
SCORING_BATCH = 1000
FULL_RESCORE_ABOVE = 50_000  # more waiting leads than this: one pass over every lead
# A pass starts no new chunk after this: the rest waits for the next pass (score_pending).
SCORING_PASS_SECONDS = 2.0
SCORING_DELAY_SECONDS = 5  # lets a burst of writes to the same leads share one pass
# Under a steady stream of writes the wait grows with the cost of the last pass, so scoring
# takes at most about a tenth of a worker's time and the writes keep the rest; a quiet
# database is still scored within SCORING_DELAY_SECONDS.
SCORING_DUTY = 10
SCORING_MAX_DELAY_SECONDS = 60


def score_after_commit(lead_ids) -> None:
    """Have these leads scored under the active definition once this transaction commits.

    The leads are listed in PendingScore inside the current transaction, and the scoring
    task is queued for a moment after the commit; the task scores each waiting lead once,
    the longest waiting first, for at most a few seconds a pass (score_pending).
    So a bulk write is not slowed by scoring, a rolled-back write scores nothing, and many
    writes in a row touching the same leads cost one scoring pass, not one each: while a
    scoring task is already waiting to start, no other is queued (that one takes every row
    committed before it starts; it queues another if rows came in while it ran).
    """
    ids = sorted(set(lead_ids))
    if not ids or not LeadDefinition.objects.filter(status=LeadDefinition.Status.ACTIVE).exists():
        return
    table = PendingScore._meta.db_table
    # One statement with the ids as one parameter (a bulk write lists thousands of leads).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"INSERT INTO {table} (lead_id) SELECT value FROM json_each(%s)",  # noqa: S608
                [json.dumps(ids)],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (lead_id) SELECT unnest(%s::bigint[])",  # noqa: S608
                [ids],
            )
        else:
            cursor.executemany(f"INSERT INTO {table} (lead_id) VALUES (%s)", [(i,) for i in ids])

    transaction.on_commit(schedule_scoring)


def schedule_scoring() -> None:
    """Queue the scoring task a few seconds ahead, unless one is already waiting."""
    if not scoring_pass.get_backend().supports_defer:  # the immediate backend (tests): now
        scoring_pass.enqueue()
        return
    recurring.schedule(scoring_pass, timezone.now() + timedelta(seconds=scoring_delay()))


@task
def scoring_pass() -> None:
    """The worker's scoring pass: the leads created or touched since the last one, under the
    active definition."""
    score_pending()


def scoring_delay() -> float:
    """Seconds to wait before the next pass: longer after an expensive one (see SCORING_DUTY)."""
    last = (
        ScoringRun.objects.filter(trigger=ScoringRun.Trigger.INCREMENTAL, finished_at__isnull=False)
        .order_by("-id")
        .values_list("started_at", "finished_at")
        .first()
    )
    if last is None:
        return SCORING_DELAY_SECONDS
    took = (last[1] - last[0]).total_seconds()
    return min(max(SCORING_DELAY_SECONDS, SCORING_DUTY * took), SCORING_MAX_DELAY_SECONDS)


def score_pending(budget_seconds: float | None = None) -> int:
    """Score the leads waiting in PendingScore (the task's body); how many were scored.

    The longest waiting first, a chunk at a time, until `budget_seconds` (by default
    SCORING_PASS_SECONDS) are spent: the leads not reached stay waiting for the next pass,
    queued at once, so a backlog (a day of touches at once, a large import) is worked off
    in passes of a few seconds that never hold the worker or the database for long. More
    than FULL_RESCORE_ABOVE waiting: one set-based pass over every lead instead.
    """
    definition = active_definition()
    budget = SCORING_PASS_SECONDS if budget_seconds is None else budget_seconds
    # Rows up to the highest id seen now; on SQLite (one writer at a time) ids are in commit
    # order, so these are exactly the rows committed so far.
    last = PendingScore.objects.aggregate(last=Max("id"))["last"]
    if last is None:
        return 0
    waiting = list(
        PendingScore.objects.filter(id__lte=last)
        .values("lead_id")
        .annotate(first=Min("id"))
        .order_by("first", "lead_id")
        .values_list("lead_id", flat=True)
    )
    if definition is None:
        PendingScore.objects.filter(id__lte=last).delete()
        return 0
    if len(waiting) > FULL_RESCORE_ABOVE:
        scored = _score_chunk(definition, None, last)
    else:
        scored, started = 0, time.monotonic()
        for at in range(0, len(waiting), SCORING_BATCH):
            if at and time.monotonic() - started >= budget:
                break  # the rest waits for the next pass, queued below
            scored += _score_chunk(definition, waiting[at : at + SCORING_BATCH], last)
    if PendingScore.objects.exists():  # not reached, or written while this ran
        transaction.on_commit(schedule_scoring)
    return scored


def _score_chunk(definition: LeadDefinition, ids: list[int] | None, last: int) -> int:
    """Score these waiting leads (None: every lead) and take their rows up to id `last`."""
    if connection.vendor == "sqlite":
        # Scored first (rescore computes outside the write transaction, so writers wait only
        # for its writes), then the rows that were waiting when the pass began go.
        run = rescore(definition, trigger=ScoringRun.Trigger.INCREMENTAL, lead_ids=ids)
        _take(ids, last)
        return run.leads_scored
    with transaction.atomic():
        # The rows go first, in the scoring's transaction: a write committed before the
        # DELETE is seen by the scoring after it; a second pass waits on these rows' locks
        # and then scores only the leads whose rows it took itself.
        taken = _take(ids, last)
        if not taken:
            return 0
        lead_ids = None if ids is None else taken
        return rescore(
            definition, trigger=ScoringRun.Trigger.INCREMENTAL, lead_ids=lead_ids
        ).leads_scored


def _take(ids: list[int] | None, last: int) -> list[int]:
    """Delete the waiting rows of these leads (None: of every lead) up to id `last`; the
    leads whose rows went."""
    table = PendingScore._meta.db_table
    where, params = "id <= %s", [last]
    if ids is not None and connection.vendor == "postgresql":
        where, params = where + " AND lead_id = ANY(%s::bigint[])", [last, ids]
    elif ids is not None:
        where, params = (
            where + " AND lead_id IN (SELECT value FROM json_each(%s))",
            [last, json.dumps(ids)],
        )
    with connection.cursor() as cursor:
        returning = " RETURNING lead_id" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DELETE FROM {table} WHERE {where}{returning}", params)  # noqa: S608
        if returning:
            return sorted({row[0] for row in cursor.fetchall()})
    return ids or []


def lead_facts(lead: Lead) -> scoring.LeadFacts:
    account = lead.account
    return scoring.LeadFacts(
        title=lead.title,
        email=lead.email,
        source=lead.source.key if lead.source_id else "",
        industry=account.industry if account else "",
        country=account.country if account else "",
        employees=account.employees if account else None,
    )


def touch_facts(lead: Lead) -> list[scoring.TouchFacts]:
    return [
        scoring.TouchFacts(kind, channel, campaign, occurred_at)
        for kind, channel, campaign, occurred_at in lead.touchpoints.values_list(
            "kind", "channel__key", "campaign_id", "occurred_at"
        )
    ]


def explain(lead: Lead, definition: LeadDefinition | None = None, as_of=None):
    """How the definition (the active one by default) grades and scores this lead."""
    definition = definition or active_definition()
    if definition is None:
        return None
    parsed = parse(definition, check_known=False)
    as_of = as_of or lead.scored_at or timezone.now()
    return scoring.evaluate(parsed, lead_facts(lead), touch_facts(lead), as_of)
