"""Read models for the CRM pages: timelines, overviews and the figures behind charts."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accord.analytics import pacing
from accord.analytics.months import add_months, between, first_of, months_apart
from accord.core import figures
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    Channel,
    Lead,
    LeadOwnerChange,
    LeadStatusChange,
    Opportunity,
    OpportunityStageChange,
    Touchpoint,
)
from accord.people.models import Team, User


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # touchpoint | activity | status | owner
    title: str
    detail: str = ""
    who: str = ""


# The lead page shows the newest events; a lead with hundreds of touches links to them all.
TIMELINE_SHOWN = 50


def lead_timeline(lead: Lead, limit: int | None = None) -> tuple[list[TimelineEntry], int]:
    """Everything that happened to a lead, newest first (the newest `limit` if given), and
    how many events there are in all. Read as plain values (no model per row): the newest
    of each kind, with the people named once."""

    def newest(queryset, field: str, *columns):
        ordered = queryset.order_by(f"-{field}", "-id").values_list(field, *columns)
        return list(ordered[:limit] if limit is not None else ordered)

    touches = newest(lead.touchpoints, "occurred_at", "kind", "channel__name", "campaign__name")
    activities = newest(lead.activities, "occurred_at", "kind", "outcome", "notes", "user_id")
    statuses = newest(
        LeadStatusChange.objects.filter(lead=lead),
        "changed_at", "from_status", "to_status", "reason", "changed_by_id",
    )  # fmt: skip
    owners = newest(
        LeadOwnerChange.objects.filter(lead=lead),
        "changed_at", "from_owner_id", "to_owner_id", "changed_by_id",
    )  # fmt: skip
    people_ids = {a[4] for a in activities} | {c[4] for c in statuses}
    people_ids |= {person for c in owners for person in c[1:]}
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=people_ids - {None})}
    touch_kinds, activity_kinds = dict(Touchpoint.Kind.choices), dict(Activity.Kind.choices)
    entries = [
        TimelineEntry(at, "touchpoint", touch_kinds.get(kind, kind),
                      " · ".join(filter(None, [channel, campaign or ""])))
        for at, kind, channel, campaign in touches
    ]  # fmt: skip
    entries += [
        TimelineEntry(at, "activity", activity_kinds.get(kind, kind),
                      " · ".join(filter(None, [outcome, notes])), people.get(user, ""))
        for at, kind, outcome, notes, user in activities
    ]  # fmt: skip
    labels = dict(Lead.Status.choices)
    for at, from_status, to_status, reason, by in statuses:
        title = (
            f"Status {labels.get(from_status, from_status)} → {labels[to_status]}"
            if from_status
            else f"Created as {labels[to_status]}"
        )
        entries.append(TimelineEntry(at, "status", title, reason, people.get(by, "")))
    for at, from_owner, to_owner, by in owners:
        title = f"Owner {people.get(from_owner, 'nobody')} → {people.get(to_owner, 'nobody')}"
        entries.append(TimelineEntry(at, "owner", title, who=people.get(by, "")))
    order = {"status": 0, "owner": 1, "touchpoint": 2, "activity": 3}
    entries.sort(key=lambda e: (e.at, order[e.kind]), reverse=True)
    if limit is None:
        return entries, len(entries)
    # The four counts in one statement (written out: composing four subqueries through the
    # ORM cost more than running them).
    counts = " + ".join(
        f'(SELECT COUNT(*) FROM "{model._meta.db_table}" WHERE lead_id = %s)'  # noqa: S608
        for model in (Touchpoint, Activity, LeadStatusChange, LeadOwnerChange)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}", [lead.pk] * 4)
        total = int(cursor.fetchone()[0])
    return entries[:limit], total


def count_of(model, field: str, where: Q | None = None):
    """How many rows of `model` (those matching `where`) point at the listed row through
    `field`, as a subquery."""
    rows = model.objects.filter(where or Q(), **{field: OuterRef("pk")}).order_by()
    return Coalesce(Subquery(rows.values(field).annotate(n=Count("pk")).values("n")), 0)


def monthly_counts(queryset, field: str, months: int = 12, *, end: date | None = None) -> dict:
    """Counts per calendar month for the last `months` months, as chart data."""
    end = end or timezone.localdate()
    first = add_months(first_of(end), -(months - 1))
    rows = (
        queryset.filter(**{f"{field}__date__gte": first})
        .annotate(month=TruncMonth(field))
        .values("month")
        .annotate(n=Count("id"))
    )
    found = {
        r["month"].date() if isinstance(r["month"], datetime) else r["month"]: r["n"] for r in rows
    }
    shown = between(first, end)
    return {
        "labels": [month.strftime("%b %Y") for month in shown],
        "values": [found.get(month, 0) for month in shown],
    }


# What the overview reads: its figures are kept until one of these tables changes.
OVERVIEW_TABLES = figures.table_names([Lead, LeadStatusChange, Opportunity, Account, Campaign])


CAMPAIGN_TOUCH_TABLES = figures.table_names([Touchpoint])


def campaign_touch_counts() -> figures.Kept[dict[int, int]]:
    """{campaign id: its touchpoints} for the campaign list, kept until a touchpoint changes."""
    return figures.kept(
        "crm.campaign_touches",
        CAMPAIGN_TOUCH_TABLES,
        lambda: dict(
            Touchpoint.objects.exclude(campaign=None)
            .order_by()
            .values_list("campaign")
            .annotate(n=Count("*"))
        ),
    )


def overview() -> figures.Kept[dict]:
    """Company-wide figures for the home page, kept until the data changes (or the day)."""
    today = timezone.localdate()
    key = f"crm.overview:{timezone.get_current_timezone_name()}:{today.isoformat()}"
    return figures.kept(key, OVERVIEW_TABLES, lambda: overview_now(today))


def overview_now(today: date | None = None) -> dict:
    """The overview's figures computed from scratch."""
    statuses = dict(Lead.objects.values_list("status").annotate(n=Count("id")))
    # A lead counts at every stage it has reached (or passed), so the funnel reads as one.
    reached = {
        status: LeadStatusChange.objects.filter(to_status__in=Lead.statuses_from(status))
        .values("lead")
        .distinct()
        .count()
        for status in Lead.LIFECYCLE
    }
    won = Opportunity.objects.filter(stage=Opportunity.Stage.WON)
    open_opps = Opportunity.objects.exclude(stage__in=Opportunity.CLOSED_STAGES)
    return {
        "leads": sum(statuses.values()),
        "accounts": Account.objects.count(),
        "open_pipeline": open_opps.aggregate(s=Sum("amount"))["s"] or 0,
        "open_count": open_opps.count(),
        "won_amount": won.aggregate(s=Sum("amount"))["s"] or 0,
        "won_count": won.count(),
        # The totals are all-time: the page says since when.
        "first_lead_at": Lead.objects.aggregate(first=Min("created_at"))["first"],
        "first_won_at": won.aggregate(first=Min("closed_at"))["first"],
        "campaigns": Campaign.objects.count(),
        "funnel": {
            "labels": [Lead.Status(s).label for s in Lead.LIFECYCLE],
            "values": [reached[s] for s in Lead.LIFECYCLE],
        },
        "leads_by_month": monthly_counts(Lead.objects.all(), "created_at", end=today),
    }


def _months_since(moment: datetime, most: int = 24) -> int:
    return max(3, min(most, months_apart(moment.date(), timezone.localdate()) + 1))


def account_summary(account: Account) -> dict:
    opps = account.opportunities.all()
    touches = Touchpoint.objects.filter(lead__account=account)
    first_touch = touches.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    return {
        "open_pipeline": opps.exclude(stage__in=Opportunity.CLOSED_STAGES).aggregate(
            s=Sum("amount")
        )["s"]
        or 0,
        "won_amount": opps.filter(stage=Opportunity.Stage.WON).aggregate(s=Sum("amount"))["s"] or 0,
        "touches_by_month": monthly_counts(
            touches, "occurred_at", months=_months_since(first_touch) if first_touch else 12
        ),
    }


def lead_touches_by_channel(lead: Lead) -> dict:
    rows = lead.touchpoints.values("channel__name").annotate(n=Count("id")).order_by("-n")
    return {"labels": [r["channel__name"] for r in rows], "values": [r["n"] for r in rows]}


def campaign_summary(campaign: Campaign) -> dict:
    costs = list(campaign.costs.all())
    touches = Touchpoint.objects.filter(campaign=campaign)
    leads = Lead.objects.filter(touchpoints__campaign=campaign).distinct()
    return {
        "total_cost": sum((c.amount for c in costs), start=0),
        "costs": {
            "labels": [c.month.strftime("%b %Y") for c in costs],
            "values": [float(c.amount) for c in costs],
        },
        "touches": touches.count(),
        "leads": leads.count(),
        "mqls": leads.filter(Q(status_changes__to_status=Lead.Status.MQL)).distinct().count(),
    }


def company_counts() -> dict[str, int | str]:
    """What the database holds, as `accord stats` and `accord demo` report it."""
    won = Opportunity.objects.filter(stage=Opportunity.Stage.WON)
    won_amount = won.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return {
        "leads": Lead.objects.count(),
        "accounts": Account.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "campaigns": Campaign.objects.count(),
        "touchpoints": Touchpoint.objects.count(),
        "activities": Activity.objects.count(),
        "users": User.objects.count(),
        "channels": Channel.objects.count(),
        "teams": Team.objects.count(),
        "won_opportunities": won.count(),
        "won_amount": str(Decimal(won_amount).quantize(Decimal("0.01"))),
    }


# --- Win probabilities of open deals ----------------------------------------------------------

OPEN_STAGES = tuple(s for s in Opportunity.Stage.values if s not in Opportunity.CLOSED_STAGES)
WIN_RATE_DAYS = 365


def closed_outcomes(now: datetime) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    """(won, closed) among the deals closed in the last 365 days: for each open stage, of
    those that were ever at it (their stage history), and over them all."""
    closed = Opportunity.objects.filter(
        stage__in=Opportunity.CLOSED_STAGES,
        closed_at__gt=now - timedelta(days=WIN_RATE_DAYS),
        closed_at__lte=now,
    )
    overall = closed.aggregate(
        closed=Count("id"), won=Count("id", filter=Q(stage=Opportunity.Stage.WON))
    )
    by_stage = {
        row["to_stage"]: (row["won"], row["closed"])
        for row in OpportunityStageChange.objects.filter(
            opportunity__in=closed, to_stage__in=OPEN_STAGES
        )
        .values("to_stage")
        .annotate(
            closed=Count("opportunity", distinct=True),
            won=Count(
                "opportunity",
                distinct=True,
                filter=Q(opportunity__stage=Opportunity.Stage.WON),
            ),
        )
        .order_by()
    }
    return by_stage, (overall["won"], overall["closed"])


def observed_win_rates(now: datetime, plan_rate: Decimal) -> dict[str, pacing.WinRate]:
    """Win probability per open stage (see accord.analytics.pacing)."""
    by_stage, overall = closed_outcomes(now)
    return pacing.win_rates(OPEN_STAGES, by_stage, overall, plan_rate)


WIN_RATE_TABLES = figures.table_names([Opportunity, OpportunityStageChange])


def win_rates_change_at(now: datetime) -> datetime | None:
    """The first moment after `now` at which the 365-day window of `closed_outcomes` holds
    other deals on unchanged data: the oldest closed deal in it leaves, or a deal closed
    (by its date) in the future comes in."""
    closed = Opportunity.objects.filter(stage__in=Opportunity.CLOSED_STAGES)
    window = closed.filter(
        closed_at__gt=now - timedelta(days=WIN_RATE_DAYS), closed_at__lte=now
    ).aggregate(first=Min("closed_at"))["first"]
    coming = closed.filter(closed_at__gt=now).aggregate(first=Min("closed_at"))["first"]
    leaves = window + timedelta(days=WIN_RATE_DAYS) if window else None
    return figures.earliest([leaves, coming])


def kept_win_rates(now: datetime, plan_rate: Decimal) -> figures.Kept[dict]:
    """`observed_win_rates` kept until a deal changes or one enters or leaves the window.
    Asked about another moment than now (a replay), it computes without keeping."""
    moment = timezone.now()
    if not figures.is_now(now):
        rates = observed_win_rates(now, plan_rate)
        return figures.Kept(rates, now, {}, None)
    return figures.kept(
        f"crm.win_rates:{plan_rate}",
        WIN_RATE_TABLES,
        lambda: observed_win_rates(moment, plan_rate),
        valid_until=lambda _rates: win_rates_change_at(moment),
    )
