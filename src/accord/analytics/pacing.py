"""Pacing and forecast arithmetic for the scoreboard.

Pure: no Django, no database. Dates, whole numbers and Decimals in; plain data out.

Periods. A plan's fiscal year, one of its quarters (fiscal: Q1 is the plan's first three
months) or one of its months. `end` is the first day after the period.

Pacing. The plan to date counts every month that has ended in full and the current month
in proportion to the share of it that has gone by; months not started count nothing. A
number is behind when it is under 90% of its plan to date, ahead at 100% or more.

Forecast to the period's end, in three parts:

1. what is already won in the period;
2. open opportunities expected to close in the period (close date inside it), each stage's
   amount times that stage's win probability (`win_rates`);
3. opportunities the plan still expects to be created in the period's months that have
   not started, the part of them that can close before the period ends (the plan's
   opportunity-to-won lag, with a month's opportunities spread evenly over its days),
   at the plan's opportunity-to-won rate and average selling price.

Win probability of an open stage: of the opportunities closed (won or lost) in the last
twelve months that were ever in that stage (their stage history says so), the share won.
A stage that fewer than MIN_STAGE_SAMPLE such deals went through uses the rate over all
opportunities closed in those months; with no closed deal at all, the plan's own rate.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from accord.analytics.months import days_in, next_month

BEHIND_BELOW = Decimal("0.9")
# A stage running below half or above twice its plan over a whole month or more is not
# noise: the plan's rate or lag for it no longer matches the company (the page says so).
FAR_BELOW, FAR_ABOVE = Decimal("0.5"), Decimal(2)
MIN_STAGE_SAMPLE = 20


class PeriodError(ValueError):
    """A period that is not one of the plan's; the message says what would be."""


@dataclass(frozen=True)
class Period:
    key: str  # "year", "q1".."q4" or "YYYY-MM"
    label: str
    months: tuple[date, ...]

    @property
    def start(self) -> date:
        return self.months[0]

    @property
    def end(self) -> date:
        """The first day after the period."""
        return next_month(self.months[-1])

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def _span(months: Sequence[date]) -> str:
    first, last = months[0], months[-1]
    if first.year == last.year:
        return f"{first:%b} – {last:%b %Y}"
    return f"{first:%b %Y} – {last:%b %Y}"


def periods(plan_months: Sequence[date]) -> list[Period]:
    """Every period of a plan: the year, its four quarters, its twelve months."""
    months = tuple(plan_months)
    found = [Period("year", f"Whole year ({_span(months)})", months)]
    for q in range(0, len(months), 3):
        quarter = months[q : q + 3]
        found.append(Period(f"q{q // 3 + 1}", f"Q{q // 3 + 1} ({_span(quarter)})", quarter))
    found += [Period(f"{m:%Y-%m}", f"{m:%B %Y}", (m,)) for m in months]
    return found


def period_named(key: str, plan_months: Sequence[date]) -> Period:
    for period in periods(plan_months):
        if period.key == key.strip().lower():
            return period
    raise PeriodError(
        f"“{key[:20]}” is not a period of this plan. Choose year, q1 to q4, or a month from "
        f"{plan_months[0]:%Y-%m} to {plan_months[-1]:%Y-%m}."
    )


def default_period(plan_months: Sequence[date], today: date) -> Period:
    """The fiscal quarter containing today, or the whole year when today is outside it."""
    for period in periods(plan_months)[1:5]:
        if period.start <= today < period.end:
            return period
    return periods(plan_months)[0]


def elapsed(month: date, now: datetime) -> Decimal:
    """The share of a calendar month gone by at `now` (local time): 0 to 1."""
    start = datetime.combine(month, time.min, tzinfo=now.tzinfo)
    end = datetime.combine(next_month(month), time.min, tzinfo=now.tzinfo)
    if now <= start:
        return Decimal(0)
    if now >= end:
        return Decimal(1)
    return Decimal((now - start).total_seconds()) / Decimal((end - start).total_seconds())


@dataclass(frozen=True)
class Pace:
    plan: Decimal  # the plan for all the months given
    plan_to_date: Decimal
    actual: Decimal  # to date

    @property
    def ratio(self) -> Decimal | None:
        return self.actual / self.plan_to_date if self.plan_to_date else None

    @property
    def state(self) -> str:
        """'behind', 'ahead' or '' (on track, or nothing planned yet)."""
        if self.ratio is None:
            return ""
        if self.ratio < BEHIND_BELOW:
            return "behind"
        return "ahead" if self.ratio >= 1 else ""


def pace(plan: Sequence, actual: Sequence, shares: Sequence[Decimal]) -> Pace:
    """Plan and actual over months, with each month's elapsed share."""
    plan_to_date = sum((Decimal(p) * s for p, s in zip(plan, shares, strict=True)), Decimal(0))
    done = sum((Decimal(a) for a, s in zip(actual, shares, strict=True) if s > 0), Decimal(0))
    return Pace(sum((Decimal(p) for p in plan), Decimal(0)), plan_to_date, done)


# --- Forecast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WinRate:
    won: int
    closed: int
    rate: Decimal
    basis: str  # "stage", "overall" or "plan"


def win_rates(
    stages: Sequence[str],
    by_stage: Mapping[str, tuple[int, int]],
    overall: tuple[int, int],
    plan_rate: Decimal,
    min_sample: int = MIN_STAGE_SAMPLE,
) -> dict[str, WinRate]:
    """Stage -> win probability from (won, closed) counts; see the module docstring."""
    won, closed = overall
    if closed:
        fallback = WinRate(won, closed, Decimal(won) / Decimal(closed), "overall")
    else:
        fallback = WinRate(0, 0, Decimal(plan_rate), "plan")
    rates = {}
    for stage in stages:
        won, closed = by_stage.get(stage, (0, 0))
        if closed >= min_sample:
            rates[stage] = WinRate(won, closed, Decimal(won) / Decimal(closed), "stage")
        else:
            rates[stage] = fallback
    return rates


@dataclass(frozen=True)
class OpenStage:
    stage: str
    count: int
    amount: Decimal
    win: WinRate

    @property
    def expected_amount(self) -> Decimal:
        return self.amount * self.win.rate

    @property
    def expected_deals(self) -> Decimal:
        return self.count * self.win.rate


@dataclass(frozen=True)
class FutureMonth:
    month: date
    opportunities: int  # the plan's opportunities created that month
    share: Decimal  # the part of them that can close before the period ends

    @property
    def closing(self) -> Decimal:
        return self.opportunities * self.share


@dataclass(frozen=True)
class Forecast:
    won_amount: Decimal
    won_count: int
    open: tuple[OpenStage, ...]
    future: tuple[FutureMonth, ...]
    plan_rate: Decimal
    asp: Decimal
    lag_days: int
    target: Decimal
    period_over: bool

    @property
    def open_count(self) -> int:
        return sum(s.count for s in self.open)

    @property
    def open_amount(self) -> Decimal:
        return sum((s.amount for s in self.open), Decimal(0))

    @property
    def open_expected(self) -> Decimal:
        return sum((s.expected_amount for s in self.open), Decimal(0))

    @property
    def future_planned(self) -> int:
        return sum(f.opportunities for f in self.future)

    @property
    def future_opportunities(self) -> Decimal:
        """The plan's future opportunities that can close inside the period."""
        return sum((f.closing for f in self.future), Decimal(0))

    @property
    def future_deals(self) -> Decimal:
        return self.future_opportunities * self.plan_rate

    @property
    def future_amount(self) -> Decimal:
        return self.future_deals * self.asp

    @property
    def amount(self) -> Decimal:
        return self.won_amount + self.open_expected + self.future_amount

    @property
    def deals(self) -> Decimal:
        open_deals = sum((s.expected_deals for s in self.open), Decimal(0))
        return self.won_count + open_deals + self.future_deals

    @property
    def ratio(self) -> Decimal | None:
        return self.amount / self.target if self.target else None

    @property
    def state(self) -> str:
        return Pace(self.target, self.target, self.amount).state


def closing_share(month: date, period_end: date, lag_days: int) -> Decimal:
    """Of a month's new opportunities, spread evenly over its days, the part created at
    least `lag_days` before `period_end`, so that they close inside the period."""
    latest = period_end - timedelta(days=lag_days)
    days = (min(latest, next_month(month)) - month).days
    return Decimal(max(0, days)) / Decimal(days_in(month))


def forecast(
    *,
    period: Period,
    today: date,
    won_amount: Decimal,
    won_count: int,
    open_pipeline: Mapping[str, tuple[int, Decimal]],
    rates: Mapping[str, WinRate],
    plan_months: Sequence[date],
    plan_opportunities: Sequence[int],
    plan_rate: Decimal,
    asp: Decimal,
    lag_days: int,
    target: Decimal,
) -> Forecast:
    """Won so far + open pipeline x win probability + the plan's future opportunities."""
    over = today >= period.end
    open_stages = ()
    if not over:
        open_stages = tuple(
            OpenStage(stage, *open_pipeline[stage], rates[stage])
            for stage in rates
            if open_pipeline.get(stage, (0, 0))[0]
        )
    planned = dict(zip(plan_months, plan_opportunities, strict=True))
    future = tuple(
        FutureMonth(m, planned[m], closing_share(m, period.end, lag_days))
        for m in period.months
        if m > today
    )
    return Forecast(
        won_amount=Decimal(won_amount),
        won_count=won_count,
        open=open_stages,
        future=future,
        plan_rate=Decimal(plan_rate),
        asp=Decimal(asp),
        lag_days=lag_days,
        target=Decimal(target),
        period_over=over,
    )
