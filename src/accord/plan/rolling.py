"""What a rolling plan takes from the data: the carry-in and the next plan's months.

**Carry-in.** The deals the records already open at the plan's start are expected to win,
per month: each open opportunity at its stage's observed probability of winning, in the
month of its expected close date (this month's, when that date has passed); each MQL,
accepted lead and SQL not yet further, at the plan's conversion from its stage to won, in
the month of its stage date plus the plan's lags from there to won. A record whose expected
month is before the plan starts is stale and not counted. For a plan that has started the
records are taken as they stood at its start (the status and stage histories); for one
still to come, as they stand now.

**Next plan.** The months after a plan's last one take the deals of the next plan in force
when it starts right after it; else the funnel continues this plan by its growth input.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from accord.analytics.funnel import STAGES, STEPS, FunnelInputs, lag_to_won, reverse_funnel
from accord.analytics.months import add_months, first_of, next_month
from accord.crm.models import Lead, LeadStatusChange, Opportunity, OpportunityStageChange
from accord.crm.queries import OPEN_STAGES, kept_win_rates
from accord.plan.models import Plan, PlanRevision

# Lead status -> the plan stage it stands at, for the leads the carry-in counts.
LEAD_STAGES = {Lead.Status.MQL: "mql", Lead.Status.ACCEPTED: "sal", Lead.Status.SQL: "sql"}


def as_of(start: date, now: datetime) -> datetime:
    """The moment the carry-in is taken: the plan's start, or now if it has not come."""
    return min(timezone.make_aware(datetime.combine(start, time.min)), now)


def conversion(inputs: FunnelInputs, stage: str) -> Fraction:
    """The plan's rate from `stage` to won."""
    rate = Fraction(1)
    for step in STEPS[STAGES.index(stage) :]:
        rate *= Fraction(inputs.rates[step])
    return rate


def placed(inputs: FunnelInputs, records, opportunity_rate) -> dict[str, dict[date, Fraction]]:
    """Expected wins per plan stage and month from `(stage, date, count)` records: a lead
    stage (mql, sal, sql) at the plan's conversion, the date moved on by the lags to won; an
    opportunity stage at `opportunity_rate(stage)`, the date being its expected close.
    Months before the plan's start are stale and left out."""
    wins: dict[str, dict[date, Fraction]] = {}
    for stage, day, count in records:
        if stage in STAGES:
            at = stage
            month = first_of(day + timedelta(days=lag_to_won(inputs, stage)))
            expected = conversion(inputs, stage) * count
        else:
            at, month = "opportunity", first_of(day)
            expected = Fraction(opportunity_rate(stage)) * count
        if month >= inputs.start and expected:
            by_month = wins.setdefault(at, {})
            by_month[month] = by_month.get(month, Fraction(0)) + expected
    return wins


def _open_leads(moment: datetime, historical: bool) -> list[tuple[str, datetime]]:
    """(status, since when) of the leads standing at MQL, accepted or SQL at `moment`."""
    statuses = list(LEAD_STAGES)
    if not historical:
        return list(
            Lead.objects.filter(status__in=statuses, status_changed_at__lte=moment).values_list(
                "status", "status_changed_at"
            )
        )
    last = LeadStatusChange.objects.filter(lead=OuterRef("pk"), changed_at__lt=moment).order_by(
        "-changed_at", "-pk"
    )
    return list(
        Lead.objects.filter(created_at__lt=moment)
        .annotate(then=Subquery(last.values("to_status")[:1]))
        .annotate(since=Subquery(last.values("changed_at")[:1]))
        .filter(then__in=statuses)
        .values_list("then", "since")
    )


def _open_opportunities(moment: datetime, historical: bool) -> list[tuple[str, date | None]]:
    """(stage, expected close date) of the opportunities open at `moment`."""
    found = Opportunity.objects.filter(created_at__lt=moment).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=moment)
    )
    if not historical:
        return list(found.filter(stage__in=OPEN_STAGES).values_list("stage", "close_date"))
    last = OpportunityStageChange.objects.filter(
        opportunity=OuterRef("pk"), changed_at__lt=moment
    ).order_by("-changed_at", "-pk")
    return [
        (stage, close)
        for stage, close in found.annotate(then=Subquery(last.values("to_stage")[:1])).values_list(
            "then", "close_date"
        )
        if stage in OPEN_STAGES
    ]


def carry_in(inputs: FunnelInputs, now: datetime | None = None) -> dict[str, dict[date, Fraction]]:
    """Expected wins per month from the records open at the plan's start (`inputs`' start,
    rates and lags; opportunities at their stage's observed win probability)."""
    now = now or timezone.now()
    moment = as_of(inputs.start, now)
    historical = moment < now
    today = timezone.localtime(moment).date()
    records = [
        (LEAD_STAGES[status], timezone.localtime(since).date(), 1)
        for status, since in _open_leads(moment, historical)
    ]
    records += [
        (stage, max(close or today, today), 1)
        for stage, close in _open_opportunities(moment, historical)
    ]
    rates = kept_win_rates(now, inputs.rates["opp_won"]).value
    return placed(inputs, records, lambda stage: rates[stage].rate)


def next_plan(plan: Plan) -> tuple[Plan | None, str]:
    """The plan in force that starts the month after `plan` ends, and a warning when another
    plan in force overlaps those months without starting there."""
    end = next_month(plan.months[-1])
    after = add_months(end, 12)
    signed = Plan.objects.filter(revisions__status=PlanRevision.Status.APPROVED).exclude(pk=plan.pk)
    for other in signed.distinct().order_by("fiscal_year", "first_month", "pk"):
        if other.start == end:
            return other, ""
    for other in signed.distinct():
        if plan.start < other.start < after and other.start != end:
            return None, (
                f"{other.name} starts in {other.start:%B %Y}, inside the months after this plan "
                f"that are planned from it, and does not start in {end:%B %Y}: those months "
                "continue this plan by its growth input instead."
            )
    return None, ""


def next_deals(plan: Plan) -> tuple[tuple[Decimal, ...], str]:
    """The next signed plan's deals per month, and any warning."""
    following, warning = next_plan(plan)
    if following is None:
        return (), warning
    funnel = reverse_funnel(following.in_force.funnel_inputs())
    return tuple(Decimal(n) for n in funnel.monthly["won"]), ""
