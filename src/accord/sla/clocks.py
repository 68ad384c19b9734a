"""Reading MQL spells from the database and evaluating their clocks as of a moment.

Everything is read as it stood at `as_of`: status changes, owners, follow-ups and reviews
recorded later are ignored, so `accord sla evaluate --at` can replay any past moment.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Case, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from accord.analytics import business_hours, sla
from accord.crm.actions import is_backwards
from accord.crm.models import Activity, Lead, LeadOwnerChange, LeadStatusChange, Touchpoint
from accord.people.models import Team, User
from accord.qualify.models import LeadReview, Qualification
from accord.sla.models import BusinessCalendar, FollowUpPolicy

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# Teams whose calendar a rep's clocks follow first, when a rep belongs to several.
TEAM_PREFERENCE = (Team.Kind.SALES, Team.Kind.SDR, Team.Kind.SALES_OPS)


def as_policy(row: FollowUpPolicy) -> sla.Policy:
    return sla.Policy(
        id=row.pk,
        name=row.name,
        priority=row.priority,
        first_response=timedelta(hours=float(row.first_response_hours)),
        attempts=row.attempts,
        attempt_days=row.attempt_days,
        attempt_kinds=frozenset(row.attempt_kinds),
        at_risk_share=float(row.at_risk_share),
        grades=frozenset(row.grades),
        sources=frozenset(row.sources),
        touch_kind=row.touch_kind,
        touch_window=timedelta(days=row.touch_window_days),
    )


def active_policies() -> list[sla.Policy]:
    return [as_policy(p) for p in FollowUpPolicy.objects.filter(active=True)]


def as_calendar(row: BusinessCalendar) -> business_hours.Calendar:
    return business_hours.Calendar.build(
        row.time_zone,
        row.week,
        country=row.country,
        subdivision=row.subdivision,
        days_off=[d.date for d in row.days_off.all()],
    )


FALLBACK = business_hours.Calendar.build("UTC", business_hours.DEFAULT_WEEK)


@dataclass
class Calendars:
    default: business_hours.Calendar
    by_user: dict[int, business_hours.Calendar]

    def of(self, user_id: int | None) -> business_hours.Calendar:
        return self.by_user.get(user_id, self.default) if user_id else self.default


def calendars() -> Calendars:
    """Each user's calendar: their sales (else SDR, else ops, else any) team's, else the
    company default, else Monday to Friday 9 to 5 in UTC."""
    rows = list(BusinessCalendar.objects.select_related("team").prefetch_related("days_off"))
    default = next((as_calendar(r) for r in rows if r.team_id is None), FALLBACK)
    by_team = {r.team_id: as_calendar(r) for r in rows if r.team_id is not None}
    rank = {kind: i for i, kind in enumerate(TEAM_PREFERENCE)}
    by_user: dict[int, business_hours.Calendar] = {}
    memberships = User.teams.through.objects.filter(team_id__in=by_team).values_list(
        "user_id", "team_id", "team__kind", "team__name"
    )
    best: dict[int, tuple] = {}
    for user_id, team_id, kind, name in memberships:
        key = (rank.get(kind, len(rank)), name)
        if user_id not in best or key < best[user_id][0]:
            best[user_id] = (key, team_id)
    for user_id, (_, team_id) in best.items():
        by_user[user_id] = by_team[team_id]
    return Calendars(default=default, by_user=by_user)


def calendar_zone() -> Subquery:
    """The zone of the calendar a user's clocks follow (see calendars()), as an expression
    over a User queryset: their preferred team's calendar, else the company's, else NULL."""
    preference = Case(
        *(When(team__kind=kind, then=Value(i)) for i, kind in enumerate(TEAM_PREFERENCE)),
        default=Value(len(TEAM_PREFERENCE)),
    )
    teams = (
        BusinessCalendar.objects.filter(team__members=OuterRef("pk"))
        .annotate(preference=preference)
        .order_by("preference", "team__name")
        .values("time_zone")[:1]
    )
    company = BusinessCalendar.objects.filter(team__isnull=True).values("time_zone")[:1]
    return Coalesce(Subquery(teams), Subquery(company))


RUNNING = (sla.ON_TRACK, sla.AT_RISK, sla.UNASSIGNED)


def next_turn(evaluations: list[sla.Evaluation], as_of: datetime) -> datetime | None:
    """The first moment after `as_of` at which one of the clocks evaluated as of `as_of`
    would read otherwise on unchanged data: a running clock turning at risk or due."""
    moments = [
        moment
        for e in evaluations
        for clock in (e.first, e.attempts)
        if clock.status in RUNNING
        for moment in (clock.at_risk_at, clock.due_at)
        if moment > as_of
    ]
    return min(moments) if moments else None


FEW_LEADS = 500


@dataclass
class Scope:
    """Which spells: started in [started_from, started_to) and/or of these leads."""

    started_from: datetime | None = None
    started_to: datetime | None = None
    lead_ids: list[int] | QuerySet | None = None  # ids, or a query of them
    owner_ids: list[int] | None = None  # evaluated, then kept when counted against one of them


def evaluate_all(as_of: datetime, scope: Scope | None = None) -> list[sla.Evaluation]:
    """Every MQL spell in scope that a policy covers, evaluated as of `as_of`."""
    scope = scope or Scope()
    policies = active_policies()
    if not policies:
        return []
    starts = LeadStatusChange.objects.filter(to_status=Lead.Status.MQL, changed_at__lte=as_of)
    if scope.started_from is not None:
        starts = starts.filter(changed_at__gte=scope.started_from)
    if scope.started_to is not None:
        starts = starts.filter(changed_at__lt=scope.started_to)
    if scope.lead_ids is not None:
        starts = starts.filter(lead_id__in=scope.lead_ids)
    spells = list(starts.order_by("lead_id", "changed_at").values_list("lead_id", "changed_at"))
    if not spells:
        return []
    # The spells' leads, for the reads below. A few leads (a page of a list, one lead's panel)
    # go as a list of ids: as a subquery, SQLite read every MQL change in history through the
    # status index for each read (3 ms per read at the demo's size, ten times that at scale 10).
    few = {lead_id for lead_id, _ in spells}
    leads = sorted(few) if len(few) <= FEW_LEADS else starts.values("lead_id")
    first_start = min(at for _, at in spells)

    changes = defaultdict(list)
    for lead_id, *change in (
        LeadStatusChange.objects.filter(
            lead_id__in=leads, changed_at__gt=first_start, changed_at__lte=as_of
        )
        .order_by("changed_at", "id")
        .values_list("lead_id", "changed_at", "to_status", "changed_by_id", "reason")
    ):
        changes[lead_id].append(change)

    owners = defaultdict(list)
    for lead_id, at, before, after in (
        LeadOwnerChange.objects.filter(lead_id__in=leads, changed_at__lte=as_of)
        .order_by("changed_at", "id")
        .values_list("lead_id", "changed_at", "from_owner_id", "to_owner_id")
    ):
        if not owners[lead_id]:
            owners[lead_id].append((EARLIEST, before))
        owners[lead_id].append((at, after))
    # For leads with no change by as_of: who owned them before their first later change.
    later_first: dict[int, int | None] = {}
    for lead_id, before in (
        LeadOwnerChange.objects.filter(lead_id__in=leads, changed_at__gt=as_of)
        .order_by("lead_id", "changed_at", "id")
        .values_list("lead_id", "from_owner_id")
    ):
        later_first.setdefault(lead_id, before)
    facts = {
        row[0]: row[1:]
        for row in Lead.objects.filter(pk__in=leads).values_list(
            "pk", "owner_id", "fit_grade", "source__key"
        )
    }

    follow_ups = defaultdict(list)
    for lead_id, at, user_id, kind in (
        Activity.objects.filter(
            lead_id__in=leads, occurred_at__gte=first_start, occurred_at__lte=as_of
        )
        .order_by("occurred_at", "id")
        .values_list("lead_id", "occurred_at", "user_id", "kind")
    ):
        follow_ups[lead_id].append((at, user_id, kind))
    verdicts = defaultdict(list)
    for lead_id, at, reviewer in (
        LeadReview.objects.filter(lead_id__in=leads, at__gte=first_start, at__lte=as_of)
        .order_by("at", "id")
        .values_list("lead_id", "at", "reviewer_id")
    ):
        verdicts[lead_id].append((at, reviewer))
    grades = defaultdict(list)
    for lead_id, at, grade in (
        Qualification.objects.filter(lead_id__in=leads, at__lte=as_of)
        .order_by("at", "id")
        .values_list("lead_id", "at", "fit_grade")
    ):
        grades[lead_id].append((at, grade))
    kinds_wanted = {p.touch_kind for p in policies if p.touch_kind}
    touches: dict[int, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    if kinds_wanted:
        # Only the touches a segment may look at: within the longest window before a start.
        window = max(p.touch_window for p in policies if p.touch_kind)
        for lead_id, kind, at in Touchpoint.objects.filter(
            lead_id__in=leads,
            kind__in=kinds_wanted,
            occurred_at__gte=first_start - window,
            occurred_at__lte=as_of + _SLACK,
        ).values_list("lead_id", "kind", "occurred_at"):
            touches[lead_id][kind].append(at)

    # A deactivated user (a placeholder an import created, someone who left) is alerted of
    # nothing and follows nothing up: what they hold is nobody's, and counts as such.
    inactive = set(User.objects.filter(is_active=False).values_list("pk", flat=True))
    cals = calendars()
    results = []
    for lead_id, started_at in spells:
        owner_now, grade_now, source = facts[lead_id]
        timeline = owners.get(lead_id) or [(EARLIEST, later_first.get(lead_id, owner_now))]
        timeline = [(at, None if who in inactive else who) for at, who in timeline]
        left = [c for c in changes.get(lead_id, ()) if c[0] > started_at and c[1] != "mql"]
        end = left[0] if left else None  # (at, to_status, by, reason)
        grade = next(
            (g for at, g in reversed(grades.get(lead_id, ())) if at <= started_at + _SLACK),
            grade_now,
        )
        until = started_at + _SLACK
        touched = {
            kind: [at for at in times if at <= until]
            for kind, times in touches.get(lead_id, {}).items()
        }
        policy = sla.choose_policy(policies, grade, source or "", touched, started_at)
        if policy is None:
            continue
        lead_verdicts = tuple(v for v in verdicts.get(lead_id, ()) if v[0] >= started_at)
        spell = sla.Spell(
            lead_id=lead_id,
            started_at=started_at,
            ended_at=end[0] if end else None,
            left_to=end[1] if end else "",
            owners=tuple(timeline),
            follow_ups=tuple(f for f in follow_ups.get(lead_id, ()) if f[0] >= started_at),
            verdicts=lead_verdicts,
            hand_close=_hand_close(end, lead_verdicts),
        )
        calendar = cals.of(spell.owner_at(started_at))
        evaluation = sla.evaluate(spell, policy, calendar, as_of)
        if scope.owner_ids is None or evaluation.owner in scope.owner_ids:
            results.append(evaluation)
    return results


# A qualification or touch recorded within a minute after the status change belongs to it
# (the scoring pass that promotes a lead writes both at the same moment).
_SLACK = timedelta(minutes=1)


def _hand_close(end: tuple | None, verdicts: tuple) -> sla.HandClose | None:
    """The spell's end when a person closed it by hand (moved the lead back or disqualified
    it), or None: it ended otherwise, or through Sales review (whose rejection recycles the
    lead with its verdict at the same moment)."""
    if end is None:
        return None
    at, to_status, by, reason = end
    if not (is_backwards(Lead.Status.MQL, to_status) or to_status == Lead.Status.DISQUALIFIED):
        return None
    if any(abs(verdict_at - at) <= _SLACK for verdict_at, _ in verdicts):
        return None
    return sla.HandClose(at=at, by=by, to_status=to_status, reason=reason)
