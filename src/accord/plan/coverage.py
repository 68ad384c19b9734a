"""Next quarter's coverage: is the pipeline that will close next quarter already there?

Quarters follow the plan's fiscal year (its first month starts Q1) and roll on past its
end. Next quarter needs the rolling plan's deals for its three months at the plan's
average selling price, and the plan asks for `coverage` times that in open pipeline
expected to close then (3× by default: at a 25-35% win rate, that is what it takes).

Weighed now: the open opportunities whose expected close date falls in next quarter,
against a straight line from what was already open for next quarter when this quarter
began to the full coverage at its end (the day next quarter opens, it should be there).
And week by week since this quarter began, the pipeline built for next quarter (open then,
plus created since) against the same line, for the chart.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone

from accord.analytics.funnel import Funnel
from accord.analytics.months import add_months, months_apart
from accord.core import figures
from accord.crm.models import Opportunity
from accord.plan.models import PlanRevision

OPEN = Q(closed_at__isnull=True) & ~Q(stage__in=Opportunity.CLOSED_STAGES)


@dataclass(frozen=True)
class Week:
    starts: date
    # Pipeline for next quarter: open for it when this quarter began, plus what was created
    # for it since, up to the week's end (deals lost or moved meanwhile are not taken off).
    built: Decimal
    pace: Decimal  # where the straight line to full coverage stands at the week's end


@dataclass(frozen=True)
class Coverage:
    this_quarter: tuple[date, date]  # [start, end)
    next_quarter: tuple[date, date]
    label: str
    deals_needed: Decimal
    bookings_needed: Decimal
    ratio_wanted: Decimal
    pipeline_wanted: Decimal
    open_count: int
    open_amount: Decimal
    open_at_quarter_start: Decimal
    pace_today: Decimal
    weeks: tuple[Week, ...]
    link: str

    @property
    def ratio(self) -> Decimal | None:
        """Open pipeline due next quarter as a multiple of the bookings it needs."""
        if not self.bookings_needed:
            return None
        return (self.open_amount / self.bookings_needed).quantize(Decimal("0.01"))

    @property
    def on_track(self) -> bool:
        """The open pipeline due next quarter is at or above where the line stands today."""
        return self.open_amount >= self.pace_today

    @property
    def short_by(self) -> Decimal:
        return max(self.pipeline_wanted - self.open_amount, Decimal(0))

    def as_json(self) -> dict:
        return {
            "quarter": self.label,
            "starts": self.next_quarter[0].isoformat(),
            "ends": (self.next_quarter[1] - timedelta(days=1)).isoformat(),
            "deals_needed": str(self.deals_needed),
            "bookings_needed": _money(self.bookings_needed),
            "coverage_wanted": str(self.ratio_wanted),
            "pipeline_wanted": _money(self.pipeline_wanted),
            "open_pipeline": {"count": self.open_count, "amount": _money(self.open_amount)},
            "coverage": str(self.ratio) if self.ratio is not None else None,
            "on_track": self.on_track,
            "weeks": [
                {"starts": w.starts.isoformat(), "built": _money(w.built), "pace": _money(w.pace)}
                for w in self.weeks
            ],
        }


def _money(amount: Decimal) -> str:
    """Dollars and cents, the same on every database (SQLite's sums drop the cents)."""
    return str(Decimal(amount).quantize(Decimal("0.01")))


def quarter_of(first_month: date, today: date) -> tuple[date, date]:
    """The fiscal quarter (`first_month` starts one) holding `today`: [start, end)."""
    start = add_months(first_month, (months_apart(first_month, today) // 3) * 3)
    return start, add_months(start, 3)


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


COVERAGE_TABLES = figures.table_names([Opportunity, PlanRevision, "plan_plan"])


def _deals_key(funnel: Funnel) -> str:
    """The part of the funnel coverage reads, as a key: another funnel, another figure."""
    text = repr(sorted(funnel.deals_by_month.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def kept_next_quarter(funnel: Funnel, revision: PlanRevision, now: datetime) -> figures.Kept:
    """`next_quarter`, kept for the day until the deals or the plan change; a deal created
    (by its date) later today ends it sooner. Asked about another moment than now (a
    replay), it computes without keeping."""
    moment = timezone.now()
    if not figures.is_now(now):
        return figures.Kept(next_quarter(funnel, revision, now), now, {}, None)
    today = timezone.localdate(moment)

    def until(_found: Coverage) -> datetime | None:
        midnight = _moment(today + timedelta(days=1))
        later = Opportunity.objects.filter(created_at__gt=moment).aggregate(first=Min("created_at"))
        return figures.earliest([midnight, later["first"]])

    zone = timezone.get_current_timezone_name()
    key = f"plan.coverage:{revision.pk}:{zone}:{today}:{_deals_key(funnel)}"
    return figures.kept(
        key, COVERAGE_TABLES, lambda: next_quarter(funnel, revision, moment), valid_until=until
    )


def next_quarter(funnel: Funnel, revision: PlanRevision, now: datetime) -> Coverage:
    today = timezone.localdate(now)
    this = quarter_of(revision.plan.start, today)
    after = (this[1], add_months(this[1], 3))
    months = [add_months(after[0], i) for i in range(3)]
    deals = sum((funnel.deals_by_month.get(m, 0) for m in months), 0)
    deals = (Decimal(deals.numerator) / Decimal(deals.denominator)) if deals else Decimal(0)
    bookings = (deals * revision.asp).quantize(Decimal(1))
    wanted = (bookings * revision.coverage).quantize(Decimal(1))

    due = Opportunity.objects.filter(close_date__gte=after[0], close_date__lt=after[1])
    now_open = due.filter(OPEN).aggregate(n=Count("id"), amount=Sum("amount"))
    began = _moment(this[0])
    # Open for next quarter when this one began: created before, not closed before.
    before = due.filter(created_at__lt=began).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=began)
    ).aggregate(amount=Sum("amount"))["amount"] or Decimal(0)
    created = list(
        due.filter(created_at__gte=began, created_at__lte=now).values_list("created_at", "amount")
    )
    days = Decimal((this[1] - this[0]).days)
    climb = max(wanted - before, Decimal(0))

    def pace(day: date) -> Decimal:
        return (before + climb * Decimal((day - this[0]).days) / days).quantize(Decimal(1))

    weeks = []
    cursor = this[0]
    while cursor <= today and cursor < this[1]:
        week_end = min(cursor + timedelta(days=7), this[1])
        so_far = sum(
            (amount for at, amount in created if timezone.localdate(at) < week_end), Decimal(0)
        )
        weeks.append(Week(cursor, before + so_far, pace(week_end)))
        cursor = week_end
    link = reverse("crm:opportunities") + (
        f"?stage=open&closes_from={after[0].isoformat()}"
        f"&closes_to={(after[1] - timedelta(days=1)).isoformat()}"
    )
    q = months_apart(revision.plan.start, after[0]) // 3
    year = revision.plan.fiscal_year + q // 4
    label = f"Q{q % 4 + 1} FY{year} ({after[0]:%b} – {months[-1]:%b %Y})"
    return Coverage(
        this_quarter=this,
        next_quarter=after,
        label=label,
        deals_needed=deals.quantize(Decimal("0.1")),
        bookings_needed=bookings,
        ratio_wanted=revision.coverage,
        pipeline_wanted=wanted,
        open_count=now_open["n"] or 0,
        open_amount=now_open["amount"] or Decimal(0),
        open_at_quarter_start=before,
        pace_today=pace(min(today + timedelta(days=1), this[1])),
        weeks=tuple(weeks),
        link=link,
    )
