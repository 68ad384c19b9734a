"""Read models for the service-level pages, the API and `accord sla evaluate`: the clocks
and the board, and the settings pages' policies and calendars in words."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accord.analytics import business_hours, sla
from accord.analytics.months import next_month
from accord.core import figures
from accord.core.forms import as_percent, plain_number
from accord.crm.models import Activity, Channel, Lead, LeadOwnerChange, LeadStatusChange, Touchpoint
from accord.people.models import User
from accord.qualify.models import LeadReview, Qualification
from accord.sla import actions, kept
from accord.sla.clocks import Scope, as_calendar, evaluate_all, next_turn
from accord.sla.models import BusinessCalendar, FollowUpPolicy

# "About 70% of new leads are never followed up": the industry figure the board compares to.
INDUSTRY_NEVER_FOLLOWED_UP = 0.70
UNASSIGNED_LABEL = "(unassigned)"


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def people(ids) -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=[i for i in ids if i])}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def rep_row(figures: sla.RepFigures, users: dict[int, User]) -> dict:
    user = users.get(figures.rep)
    return {
        "rep": user.username if user else UNASSIGNED_LABEL,
        "name": (user.get_full_name() or user.username) if user else "Nobody (unassigned)",
        "user_id": figures.rep,
        "due": figures.due,
        "met": figures.met,
        "breached": figures.breached,
        "at_risk": figures.at_risk,
        "on_track": figures.on_track,
        "compliance": figures.compliance,
        "first_compliance": figures.first_compliance,
        "attempts_compliance": figures.attempts_compliance,
        "median_first_touch_hours": _round(figures.median_first_touch_hours),
        "attempts_per_lead": _round(figures.attempts_per_lead, 2),
        "never_followed_up": figures.never_followed_up,
        "never_followed_up_share": figures.never_followed_up_share,
        "closed_by_hand": figures.closed_by_hand,
    }


def evaluate(as_of: datetime) -> dict:
    """Every clock as of `as_of`, summed up: what `accord sla evaluate --json` prints."""
    evaluations = evaluate_all(as_of)
    total, reps = sla.summarise(evaluations)
    users = people(reps)
    by_rep = sorted(
        (rep_row(f, users) for f in reps.values()), key=lambda r: (r["user_id"] is None, r["rep"])
    )
    return {
        "as_of": as_of.isoformat(),
        "leads_due": total.due,
        "met": total.met,
        "breached": total.breached,
        "at_risk": total.at_risk,
        "on_track": total.on_track,
        "unassigned": sum(1 for e in evaluations if e.status == sla.UNASSIGNED),
        "never_followed_up": total.never_followed_up,
        "never_followed_up_share": _round(total.never_followed_up_share, 4),
        "closed_by_hand": total.closed_by_hand,
        "by_rep": [
            {
                "rep": r["rep"],
                "due": r["due"],
                "met": r["met"],
                "breached": r["breached"],
                "median_first_touch_hours": r["median_first_touch_hours"],
            }
            for r in by_rep
        ],
    }


# What the clocks read: kept figures built on them last until one of these tables changes
# or a running clock turns (`next_turn`).
CLOCK_TABLES = (
    *figures.table_names(
        [Lead, LeadStatusChange, LeadOwnerChange, Activity, Touchpoint, LeadReview, Qualification]
    ),
    *kept.SHARED,  # policies, calendars, people, teams, channels: what every clock shares
)


def _started(as_of: datetime, scope: Scope, kept_clocks: bool) -> list[sla.Evaluation]:
    """The spells that started in the scope's period, evaluated as of `as_of`: read from the
    kept clocks (`kept.started_now`) when asked to and `as_of` is now, else replayed from
    history (what the equality tests compare the kept clocks with)."""
    if kept_clocks and figures.is_now(as_of):
        return kept.started_now(scope)
    return evaluate_all(as_of, scope)


def board(date_from: date, date_to: date, *, as_of: datetime | None = None, owner_ids=None) -> dict:
    """The per-rep board for MQL spells that started in [date_from, date_to]: kept (see
    `accord.core.figures`) when asked about now, with its freshness as `kept`."""
    if as_of is not None:
        return board_at(date_from, date_to, as_of=as_of, owner_ids=owner_ids)
    moment = timezone.now()
    owners = ",".join(str(i) for i in sorted(owner_ids)) if owner_ids is not None else "all"
    key = f"sla.board:{timezone.get_current_timezone_name()}:{date_from}:{date_to}:{owners}"
    kept = figures.kept(
        key,
        CLOCK_TABLES,
        lambda: board_at(date_from, date_to, as_of=moment, owner_ids=owner_ids, kept_clocks=True),
        valid_until=lambda found: found["turns_at"],
    )
    return kept.value | {"kept": kept}


def board_at(
    date_from: date, date_to: date, *, as_of: datetime, owner_ids=None, kept_clocks=False
) -> dict:
    """The board computed as of `as_of`, its clocks replayed from history, or read from the
    clocks kept per lead (`kept_clocks`, when `as_of` is now)."""
    scope = Scope(
        started_from=day_start(date_from),
        started_to=day_start(date_to + timedelta(days=1)),
        owner_ids=owner_ids,
    )
    evaluations = _started(as_of, scope, kept_clocks)
    total, reps = sla.summarise(evaluations)
    users = people(reps)
    rows = sorted(
        (rep_row(f, users) for f in reps.values()),
        key=lambda r: (r["compliance"] is None, -(r["compliance"] or 0), r["rep"]),
    )
    return {
        "from": date_from,
        "to": date_to,
        "as_of": as_of,
        "total": rep_row(total, users) | {"rep": "Team", "name": "Everybody"},
        "reps": rows,
        "industry_never_followed_up": INDUSTRY_NEVER_FOLLOWED_UP,
        "trend": weekly_trend(evaluations),
        "rep_chart": {
            "labels": [r["name"] for r in rows if r["due"]],
            "values": [r["compliance"] for r in rows if r["due"]],
            "percent": True,
        },
        "open": open_clocks(evaluations, users),
        "closed_by_hand": closed_by_hand(evaluations),
        "turns_at": next_turn(evaluations, as_of),
    }


def weekly_trend(evaluations: list[sla.Evaluation]) -> dict:
    """Compliance per week of the spells' start (Monday), for the chart."""
    weeks: dict[date, sla.RepFigures] = defaultdict(lambda: sla.RepFigures(rep=None))
    for e in evaluations:
        day = timezone.localtime(e.started_at).date()
        weeks[day - timedelta(days=day.weekday())].add(e)
    ordered = sorted(weeks)
    return {
        "labels": [f"{w:%d %b}" for w in ordered],
        "datasets": [
            {"label": "Met / due", "values": [weeks[w].compliance for w in ordered]},
            {"label": "First response", "values": [weeks[w].first_compliance for w in ordered]},
            {"label": "Attempts", "values": [weeks[w].attempts_compliance for w in ordered]},
        ],
        "percent": True,
        "legend": "bottom",
    }


def queue_order(e: sla.Evaluation) -> tuple:
    """Breached (still open) first, then by the next deadline: the order of a rep's queue,
    where every lead waiting for them is listed."""
    return (e.status != sla.BREACHED, e.next_due, e.lead_id)


# "Needs follow-up now" lists this many leads at most.
OPEN_CLOCKS_SHOWN = 50


def open_clocks(evaluations: list[sla.Evaluation], users: dict[int, User]) -> dict:
    """Leads still MQL whose clocks are unassigned, at risk or breached: what needs doing now.
    (A breach does not close the lead: it waits for its follow-up all the same.)

    What can still be saved comes first (unassigned and at risk, by deadline), then the
    breaches, most overdue first, as many as the list has room for; `counts` says how many
    of each there are in all."""
    waiting = [e for e in evaluations if e.needs_follow_up and e.status != sla.ON_TRACK]
    savable = sorted((e for e in waiting if e.status != sla.BREACHED), key=queue_order)
    breached = sorted((e for e in waiting if e.status == sla.BREACHED), key=queue_order)
    shown = (savable + breached)[:OPEN_CLOCKS_SHOWN]
    leads = Lead.objects.in_bulk([e.lead_id for e in shown])
    return {
        "counts": {
            status: sum(1 for e in waiting if e.status == status)
            for status in (sla.UNASSIGNED, sla.AT_RISK, sla.BREACHED)
        },
        "more_breached": len(savable) + len(breached) - len(shown),
        "rows": [
            {
                "lead": leads.get(e.lead_id),
                "evaluation": e,
                "owner": users.get(e.owner),
                "next_due": e.next_due,
            }
            for e in shown
            if e.lead_id in leads
        ],
    }


QUEUE_DENIED = "Only the rep, their managers, leaders and admins open a rep's follow-up queue."


@dataclass(frozen=True)
class QueueItem:
    lead: Lead
    evaluation: sla.Evaluation
    attempts_late: int  # the rep's follow-ups after the attempts' deadline: done, not met

    @property
    def next_due(self) -> datetime:
        return self.evaluation.next_due

    @property
    def attempts_so_far(self) -> int:
        return self.evaluation.attempts_made + self.attempts_late


def follow_up_queue(rep: User, as_of: datetime | None = None) -> list[QueueItem]:
    """A rep's follow-ups: the MQLs they own now whose clocks wait for them, breached first,
    then by the next deadline."""
    as_of = as_of or timezone.now()
    leads = {
        lead.pk: lead
        for lead in Lead.objects.filter(owner=rep, status=Lead.Status.MQL).select_related(
            "account", "source"
        )
    }
    if not leads:
        return []
    found = [e for e in evaluate_all(as_of, Scope(lead_ids=list(leads))) if e.needs_follow_up]
    found.sort(key=queue_order)
    late = defaultdict(list)
    if found:
        for lead_id, at, kind in Activity.objects.filter(
            lead_id__in=[e.lead_id for e in found],
            user=rep,
            occurred_at__gt=min(e.attempts.due_at for e in found),
            occurred_at__lte=as_of,
        ).values_list("lead_id", "occurred_at", "kind"):
            late[lead_id].append((at, kind))

    def after_deadline(e: sla.Evaluation) -> int:
        return sum(
            1
            for at, kind in late[e.lead_id]
            if at > e.attempts.due_at and kind in e.policy.attempt_kinds
        )

    return [QueueItem(leads[e.lead_id], e, after_deadline(e)) for e in found]


def clocks_by_lead(lead_ids, as_of: datetime | None = None) -> dict[int, sla.Evaluation]:
    """Each lead's newest MQL spell with its clocks: what a list of leads shows."""
    if as_of is None:  # now: the kept clocks (accord.sla.kept), one row per lead
        return {lead_id: spells[0] for lead_id, spells in kept.spells_now(lead_ids).items()}
    found: dict[int, sla.Evaluation] = {}
    for e in evaluate_all(as_of, Scope(lead_ids=list(lead_ids))):
        if e.lead_id not in found or e.started_at > found[e.lead_id].started_at:
            found[e.lead_id] = e
    return found


def closed_by_hand(evaluations: list[sla.Evaluation], limit=50) -> dict:
    """Clocks a person closed outside Sales review (moving the lead back, disqualifying it):
    newest first, with who, why, and whether it counts against the owner (no answer before)."""
    found = sorted(
        (e for e in evaluations if e.hand_close is not None),
        key=lambda e: e.hand_close.at,
        reverse=True,
    )
    shown = found[:limit]
    users = people({e.owner for e in shown} | {e.hand_close.by for e in shown})
    leads = Lead.objects.in_bulk([e.lead_id for e in shown])
    return {
        "count": len(found),
        "charged": sum(e.charged_for_hand_close for e in found),
        "rows": [
            {
                "lead": leads[e.lead_id],
                "evaluation": e,
                "owner": users.get(e.owner),
                "by": users.get(e.hand_close.by),
                "at": e.hand_close.at,
                "to": Lead.Status(e.hand_close.to_status).label,
                "reason": e.hand_close.reason,
                "charged": e.charged_for_hand_close,
            }
            for e in shown
            if e.lead_id in leads
        ],
    }


def lead_clocks(lead: Lead, as_of: datetime | None = None) -> list[sla.Evaluation]:
    """Every MQL spell of one lead with its clocks, newest first."""
    if as_of is None:  # now: the kept clocks (accord.sla.kept)
        return kept.spells_now([lead.pk]).get(lead.pk, [])
    found = evaluate_all(as_of, Scope(lead_ids=[lead.pk]))
    return sorted(found, key=lambda e: e.started_at, reverse=True)


def clock_json(e: sla.Evaluation, users: dict[int, User] | None = None) -> dict:
    users = users if users is not None else people([e.owner])

    def one(clock: sla.Clock) -> dict:
        return {
            "status": clock.status,
            "due_at": clock.due_at.isoformat(),
            "at_risk_at": clock.at_risk_at.isoformat(),
            "done_at": clock.done_at.isoformat() if clock.done_at else None,
        }

    owner = users.get(e.owner)
    return {
        "lead": e.lead_id,
        "policy": {"id": e.policy.id, "name": e.policy.name},
        "started_at": e.started_at.isoformat(),
        "status": e.status,
        "owner": owner.username if owner else None,
        "first_response": one(e.first),
        "attempts": one(e.attempts) | {"made": e.attempts_made, "required": e.policy.attempts},
        "first_touch_hours": _round(e.first_touch_hours, 2),
        "never_followed_up": e.never_followed_up,
        "reassigned": e.reassigned,
    }


def two_way(now: datetime) -> dict:
    """`two_way_at(now)`, kept until the data changes, a clock turns or the day ends."""
    moment = timezone.now()
    if not figures.is_now(now):
        return two_way_at(now)
    today = timezone.localdate(moment)
    midnight = day_start(today + timedelta(days=1))
    kept = figures.kept(
        f"sla.two_way:{timezone.get_current_timezone_name()}:{today}",
        tuple(sorted({*CLOCK_TABLES, *value_tables()})),
        lambda: two_way_at(moment, kept_clocks=True),
        valid_until=lambda found: figures.earliest([found["turns_at"], midnight]),
    )
    return kept.value | {"kept": kept}


def value_tables() -> tuple[str, ...]:
    from accord.plan.queries import FUNNEL_TABLES
    from accord.qualify.value import VALUE_TABLES

    return (*VALUE_TABLES, *FUNNEL_TABLES)


def two_way_at(now: datetime, kept_clocks: bool = False) -> dict:
    """Marketing's delivery against its commitment next to sales' follow-up, per month.

    Marketing: marketing-sourced MQLs and their lead value against the plan in force (the
    lead value page's figures). Sales: the follow-up clocks of every MQL that started in
    the month, evaluated now: replayed from history, or read from the clocks kept per lead
    (`kept_clocks`, as the kept page does). The kept figures it reads are asked for as of
    `now` however long the clocks take (`figures.holding_now`).
    """
    with figures.holding_now(now):
        return _two_way_at(now, kept_clocks)


def _two_way_at(now: datetime, kept_clocks: bool) -> dict:
    from accord.plan.queries import kept_funnel
    from accord.qualify import value
    from accord.qualify.models import LeadDefinition

    opts = value.choose_options(today=timezone.localdate(now))
    mql_values = value.kept_lead_values(opts, reached=Lead.Status.MQL).value
    delivered = value.delivered_value(mql_values, now)
    months = [row["month"] for row in delivered["months"]]
    following = next_month(months[-1])
    evaluations = _started(
        now, Scope(started_from=day_start(months[0]), started_to=day_start(following)), kept_clocks
    )
    by_month: dict[date, sla.RepFigures] = defaultdict(lambda: sla.RepFigures(rep=None))
    for e in evaluations:
        by_month[timezone.localtime(e.started_at).date().replace(day=1)].add(e)
    rows = []
    for row in delivered["months"]:
        sales = by_month.get(row["month"]) if row["started"] else None
        rows.append(
            row
            | {
                "mql_ratio": (
                    row["mqls"] / row["mql_quota"] if row["started"] and row["mql_quota"] else None
                ),
                "sales": sales,
            }
        )
    labels = delivered["chart"]["labels"]
    # The plan's quotas rest on the funnel, whose carry-in changes with the win rates'
    # window: the page holds no longer than the funnel does.
    revision = delivered["revision"]
    funnel_until = kept_funnel(revision, now).valid_until if revision else None
    return {
        "turns_at": figures.earliest([next_turn(evaluations, now), funnel_until]),
        "delivered": delivered,
        "rows": rows,
        "has_definition": LeadDefinition.objects.filter(
            status=LeadDefinition.Status.ACTIVE
        ).exists(),
        "marketing_chart": {
            "labels": labels,
            "datasets": [
                {"label": "MQLs delivered", "values": [r["mqls"] for r in rows]},
                *(
                    [{"label": "MQLs committed", "values": [r["mql_quota"] for r in rows]}]
                    if delivered["revision"]
                    else []
                ),
            ],
            "legend": "bottom",
        },
        "sales_chart": {
            "labels": labels,
            "datasets": [
                {
                    "label": "First response met",
                    "values": [r["sales"].first_compliance if r["sales"] else None for r in rows],
                },
                {
                    "label": "Attempts met",
                    "values": [
                        r["sales"].attempts_compliance if r["sales"] else None for r in rows
                    ],
                },
            ],
            "percent": True,
            "legend": "bottom",
        },
    }


# --- The settings pages: policies and calendars in words -------------------------------------

UPCOMING_CLOSED_DAYS = 5
# How far ahead to look for them: a year covers every public holiday.
LOOK_AHEAD_DAYS = 400


def _plural(count: int | Decimal, word: str) -> str:
    number = plain_number(count) if isinstance(count, Decimal) else str(count)
    return f"{number} {word}{'' if count == 1 else 's'}"


def _listed(items: list[str]) -> str:
    return ", ".join(items)


def segment_text(policy: FollowUpPolicy, channel_names: dict[str, str]) -> str:
    """The leads a policy covers, in words: 'Grades A, B · sources Webinar · leads with a
    Demo request', or 'Every MQL'."""
    parts = []
    if policy.grades:
        parts.append(("Grade " if len(policy.grades) == 1 else "Grades ") + _listed(policy.grades))
    if policy.sources:
        names = [channel_names.get(key, key) for key in policy.sources]
        parts.append(("source " if len(names) == 1 else "sources ") + _listed(names))
    if policy.touch_kind:
        label = dict(Touchpoint.Kind.choices).get(policy.touch_kind, policy.touch_kind)
        article = "an" if label[:1].lower() in "aeiou" else "a"
        window = _plural(policy.touch_window_days, "day")
        parts.append(f"leads with {article} {label} in the {window} before MQL")
    if not parts:
        return "Every MQL"
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class PolicyRow:
    policy: FollowUpPolicy
    segment: str
    first_response: str
    attempts: str
    counts: str
    at_risk: str


def policy_rows() -> list[PolicyRow]:
    channel_names = dict(Channel.objects.values_list("key", "name"))
    kind_labels = dict(Activity.Kind.choices)
    rows = []
    for policy in FollowUpPolicy.objects.order_by("priority"):
        kinds = [label for key, label in kind_labels.items() if key in policy.attempt_kinds]
        rows.append(
            PolicyRow(
                policy=policy,
                segment=segment_text(policy, channel_names),
                first_response=_plural(policy.first_response_hours, "business hour"),
                attempts=f"{policy.attempts} within "
                + _plural(policy.attempt_days, "business day"),
                counts=_listed(kinds),
                at_risk=f"{as_percent(policy.at_risk_share)}%",
            )
        )
    return rows


def week_summary(week: dict) -> str:
    """{"mon": [["09:00", "17:00"]], ...} -> 'Mon–Fri 09:00–17:00 · Sat 10:00–14:00'."""
    texts = actions.week_text(week)
    groups: list[list] = []  # [first day, last day, hours]
    for index, day in enumerate(business_hours.WEEKDAYS):
        if groups and groups[-1][2] == texts[day]:
            groups[-1][1] = index
        else:
            groups.append([index, index, texts[day]])
    names = [name[:3] for name in business_hours.DAY_NAMES]
    parts = [
        (names[first] if first == last else f"{names[first]}–{names[last]}")
        + " "
        + hours.replace("-", "–")
        for first, last, hours in groups
        if hours
    ]
    return " · ".join(parts) or "Closed every day"


@dataclass(frozen=True)
class CalendarRow:
    calendar: BusinessCalendar
    week: str
    days_off: int
    closed_days: list[tuple[date, str]]
    problem: str = ""


def closed_days(row: BusinessCalendar, count: int = UPCOMING_CLOSED_DAYS) -> list:
    """The next `count` days the calendar would be open but for a public holiday or a day
    off, from today in the calendar's time zone, with their names."""
    calendar = as_calendar(row)
    names = {day_off.date: day_off.name for day_off in row.days_off.all()}
    day = timezone.now().astimezone(calendar.zone).date()
    found = []
    for _ in range(LOOK_AHEAD_DAYS):
        if calendar.week[day.weekday()]:
            name = names.get(day) or calendar.holiday_name(day)
            if name:
                found.append((day, name))
                if len(found) == count:
                    break
        day += timedelta(days=1)
    return found


def calendar_rows() -> list[CalendarRow]:
    rows = BusinessCalendar.objects.select_related("team").prefetch_related("days_off")
    result = []
    # The company default first, then the teams by name.
    for row in sorted(rows, key=lambda r: (r.team_id is not None, r.name.lower())):
        try:
            upcoming, problem = closed_days(row), ""
        except business_hours.CalendarError as error:
            upcoming, problem = [], str(error)
        result.append(
            CalendarRow(
                calendar=row,
                week=week_summary(row.week or {}),
                days_off=len(row.days_off.all()),
                closed_days=upcoming,
                problem=problem,
            )
        )
    return result
