"""`accord sla tick`: raise alerts for clocks that turned at risk or breached since the last
tick, notify the owner (and the managers on a breach), then send the daily digests.

Each alert is raised once: SlaAlert is unique per (lead, spell start, clock, level), and the
notification key is unique per user. A tick looks back to the previous one (at most a week,
so a worker that was down for a month does not flood everybody), so history never alerts:
the first tick on a new database starts from a minute ago.
"""

from contextlib import suppress
from datetime import datetime, timedelta

from django.core.cache import caches
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accord.analytics import sla
from accord.core import events, figures
from accord.crm.models import Lead
from accord.people import notify
from accord.people.models import Team, User
from accord.sla.clocks import Scope, evaluate_all
from accord.sla.models import FollowUpPolicy, SlaAlert, TickState
from accord.sla.queries import CLOCK_TABLES, next_turn

LOOK_BACK_AT_MOST = timedelta(days=7)
FIRST_LOOK_BACK = timedelta(minutes=1)
# Spells older than this cannot have a clock left to cross a line (60 business days at most).
OPEN_SPELLS_SINCE = timedelta(days=120)
CLOCK_NAMES = {"first_response": "first response", "attempts": "follow-up attempts"}


def managers_of(owner_id: int | None) -> list[User]:
    """Who hears of a breach: managers of the owner's teams; for an unassigned lead, the
    managers of the sales, SDR and sales ops teams."""
    managers = User.objects.filter(is_active=True, role=User.Role.MANAGER)
    if owner_id is None:
        kinds = (Team.Kind.SALES, Team.Kind.SDR, Team.Kind.SALES_OPS)
        return list(managers.filter(teams__kind__in=kinds).distinct())
    teams = Team.objects.filter(members=owner_id)
    return list(managers.filter(teams__in=teams).exclude(pk=owner_id).distinct())


def crossings(e: sla.Evaluation, since: datetime, now: datetime):
    """(clock name, level, when) for each line one of the spell's clocks crossed in (since, now]."""
    for name, clock in (("first_response", e.first), ("attempts", e.attempts)):
        if clock.status in (sla.BREACHED, sla.UNASSIGNED) and since < clock.due_at <= now:
            yield name, SlaAlert.Level.BREACHED, clock.due_at
        elif clock.status == sla.AT_RISK and since < clock.at_risk_at <= now:
            yield name, SlaAlert.Level.AT_RISK, clock.at_risk_at


# What the last evaluation of the tick saw: the clock tables' generations and the first
# moment after it at which a running clock turns (accord.core.figures).
LAST_EVALUATION = "sla.tick.last_evaluation"


def _may_cross(since: datetime, now: datetime) -> bool:
    """False when no clock can have crossed a line in (since, now]: nothing was written to
    the tables the clocks read since the last evaluation (at or before `since`), and no
    clock it saw running turns at risk or due by `now`. The tick then skips the evaluation
    of every open spell, which at a hundred thousand MQLs took seconds each minute."""
    try:
        last = caches[figures.CACHE_ALIAS].get(figures.cache_key(LAST_EVALUATION))
    except Exception:  # noqa: BLE001 (no cache: evaluate every minute, as before)
        return True
    if last is None or last["at"] > since:
        return True
    if last["generations"] != figures.generations(CLOCK_TABLES):
        return True
    return last["turns_at"] is not None and last["turns_at"] <= now


def _remember(evaluations: list[sla.Evaluation], seen: dict, now: datetime) -> None:
    last = {
        "at": now,
        "generations": seen,
        "turns_at": next_turn(evaluations, now),
    }
    with suppress(Exception):  # no cache: the next tick evaluates again
        caches[figures.CACHE_ALIAS].set(figures.cache_key(LAST_EVALUATION), last, timeout=None)


def tick(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    with transaction.atomic():
        state = TickState.objects.select_for_update().first()
        if state is None:
            state = TickState.objects.create(last_tick_at=now - FIRST_LOOK_BACK)
        since = max(state.last_tick_at, now - LOOK_BACK_AT_MOST)
        raised = {"at_risk": 0, "breached": 0, "notifications": 0}
        if FollowUpPolicy.objects.filter(active=True).exists() and _may_cross(since, now):
            seen = figures.generations(CLOCK_TABLES)  # before reading: a later write counts
            evaluations = evaluate_all(now, Scope(started_from=now - OPEN_SPELLS_SINCE))
            for e in evaluations:
                for name, level, at in crossings(e, since, now):
                    raised["notifications"] += _raise(e, name, level, at, now)
                    raised[level] += 1
            _remember(evaluations, seen, now)
        state.last_tick_at = now
        state.save(update_fields=["last_tick_at"])
    raised["digests"] = notify.send_digests(now)
    return raised


def _raise(e: sla.Evaluation, name: str, level: str, at: datetime, now: datetime) -> int:
    alert, created = SlaAlert.objects.get_or_create(
        lead_id=e.lead_id,
        started_at=e.started_at,
        clock=name,
        level=level,
        defaults={"owner_id": e.owner, "at": at, "raised_at": now},
    )
    if not created:
        return 0
    clock = e.first if name == "first_response" else e.attempts
    kind = (
        events.Kind.FOLLOW_UP_AT_RISK
        if level == SlaAlert.Level.AT_RISK
        else events.Kind.FOLLOW_UP_BREACHED
    )
    payload = {
        "lead_id": e.lead_id,
        "owner_id": e.owner,
        "policy_id": e.policy.id,
        "clock": name,
        "mql_at": e.started_at,
        "due_at": clock.due_at,
    }
    events.record(kind, payload, at=now)
    lead = Lead.objects.only("first_name", "last_name", "email").get(pk=e.lead_id)
    what = CLOCK_NAMES[name]
    url = reverse("crm:lead", args=[e.lead_id])
    key = f"sla:{e.lead_id}:{e.started_at.isoformat()}:{name}:{level}"

    def due() -> str:
        # Called in each reader's time zone: notify.notify writes a body per reader.
        return f"{timezone.localtime(clock.due_at):%a %d %b %H:%M %Z}"

    sent = 0
    owner = User.objects.filter(pk=e.owner, is_active=True).first() if e.owner else None
    if level == SlaAlert.Level.AT_RISK:
        if owner is None:
            return 0

        def at_risk(_reader) -> str:
            return (
                f"{e.policy.name}: the {what} for {lead.name} is due by {due()}. "
                f"{e.attempts_made} of {e.policy.attempts} attempts made so far."
            )

        sent += len(
            notify.notify(
                [owner], kind="sla.at_risk", title=f"At risk: {what} for {lead.name}",
                body=at_risk, url=url, key=key, at=now,
            )
        )  # fmt: skip
        return sent
    who = (owner.get_full_name() or owner.username) if owner else "nobody (unassigned)"

    def breached(_reader) -> str:
        return (
            f"{e.policy.name}: the {what} for {lead.name} was due at {due()} and was "
            f"missed. Owner: {who}. {e.attempts_made} of {e.policy.attempts} attempts made."
        )

    recipients = ([owner] if owner else []) + managers_of(e.owner)
    sent += len(
        notify.notify(
            recipients, kind="sla.breached", title=f"Breached: {what} for {lead.name}",
            body=breached, url=url, key=key, at=now,
        )
    )  # fmt: skip
    return sent
