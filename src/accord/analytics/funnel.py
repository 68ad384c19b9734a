"""The reverse funnel: from a revenue target down to the leads needed, month by month.

Pure arithmetic on exact fractions (no floats, no Django): 840 / 0.6 must be 1,400, not
1,400.0000000000002 rounded up to 1,401.

Counts. Deals = ceil(target / average selling price). Going up the funnel, each stage
needs ceil(next stage's count / the step's rate), rounding up at every step, the way a
planner would: 168 deals at a 25% win rate need 672 opportunities; 672 at 80% SQL to
opportunity need 840 SQLs; and so on. The year's figure for a stage is this count.

Months: a rolling plan. Deals are spread over the plan's months by the seasonality weights,
D(τ); the months after the plan's last one continue it, from the next plan's deals when it
is signed (`next_deals`), else from the same month a year earlier × (1 + growth). Records
already open at the plan's start will win some deals (`carry_in`, expected wins per month,
C(τ)), so the deals left to source are D*(τ) = max(0, D(τ) − C(τ)). A stage's volume must
happen the lag from it to won earlier: each month's deals are taken as spread evenly over
its days and moved back by the lag as an interval, so a month's volume can land partly in
each of two earlier months. A record open at the start has passed the stages up to its own,
and will still pass the later ones inside the plan: so at stage s only the records at s or
further are credited, and against the earliest part of each month's volume first (they stand
for the deals whose stage s happened before the start). What lands inside the plan's months
is the plan's creation target, rounded to whole numbers (largest remainders; ties to the
earlier month); what feeds the months after the plan is the following year's share of this
year's work ("for FY+1"). What lands before the start and the carry-in does not cover is the
**start gap**: deals the first months need that only MQLs from before the plan could have
fed. It is reported, never added to month one. With no lags and no carry-in every figure is
the year's count above.

Sources. The share of pipeline each source group must deliver (marketing, sales, partner)
splits every stage's count the same way (largest remainders), so marketing's quota is its
share of MQLs and its share of opportunities at the average selling price.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from accord.analytics.months import add_months, next_month, starting

STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")
STAGE_LABELS = {
    "lead": "Leads",
    "mql": "MQLs",
    "sal": "Accepted (SAL)",
    "sql": "SQLs",
    "opportunity": "Opportunities",
    "won": "Deals won",
}
# A step leads from STAGES[i] to STAGES[i + 1].
STEPS = ("lead_mql", "mql_sal", "sal_sql", "sql_opp", "opp_won")
STEP_LABELS = {
    "lead_mql": "Lead → MQL",
    "mql_sal": "MQL → accepted",
    "sal_sql": "Accepted → SQL",
    "sql_opp": "SQL → opportunity",
    "opp_won": "Opportunity → won",
}
STAGE_NOUNS = {
    "lead": "leads",
    "mql": "MQLs",
    "sal": "accepted leads",
    "sql": "SQLs",
    "opportunity": "opportunities",
    "won": "deals",
}
SOURCES = ("marketing", "sales", "partner")
MAX_LAG_DAYS = 730
MIN_GROWTH, MAX_GROWTH = Decimal(-1), Decimal(10)
# The stage from which open records count in the carry-in (a plain lead does not): the
# start gap is measured there.
GAP_STAGE = "mql"


class FunnelError(ValueError):
    """Inputs a funnel cannot be computed from; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class FunnelInputs:
    target: Decimal
    asp: Decimal
    rates: dict[str, Decimal]
    start: date  # first day of the plan's first month
    months: int = 12
    lags: dict[str, int] = field(default_factory=dict)
    seasonality: tuple[Decimal, ...] = ()  # one weight per month; empty = uniform
    shares: dict[str, Decimal] = field(default_factory=dict)  # empty = all marketing
    # Next year's months: the same month a year earlier × (1 + growth), unless the next
    # plan's deals per month are given (they follow this plan's last month).
    growth: Decimal = Decimal(0)
    next_deals: tuple[Decimal, ...] = ()
    # Expected wins per month (first day of the month) from the records open at the start,
    # by the stage they stand at then (mql, sal, sql or opportunity).
    carry_in: dict[str, dict[date, Fraction]] = field(default_factory=dict)


def validate(inputs: FunnelInputs) -> None:
    """Raise FunnelError for the first input that cannot make a funnel."""
    if inputs.target is None or inputs.target <= 0:
        raise FunnelError("target", "The revenue target must be more than zero.")
    if inputs.asp is None or inputs.asp <= 0:
        raise FunnelError("asp", "The average selling price must be more than zero.")
    for step in STEPS:
        rate = inputs.rates.get(step)
        if rate is None:
            raise FunnelError(step, f"The {STEP_LABELS[step]} rate is missing.")
        if not 0 < rate <= 1:
            raise FunnelError(
                step,
                f"The {STEP_LABELS[step]} rate must be above 0% and at most 100%; "
                f"got {(rate * 100).normalize():f}%.",
            )
    unknown = set(inputs.rates) - set(STEPS)
    if unknown:
        raise FunnelError("rates", f"Unknown steps: {', '.join(sorted(unknown))}.")
    for step, days in inputs.lags.items():
        if step not in STEPS:
            raise FunnelError("lags", f"Unknown step {step!r} in the lags.")
        if not isinstance(days, int) or not 0 <= days <= MAX_LAG_DAYS:
            raise FunnelError(
                step, f"The {STEP_LABELS[step]} lag must be 0 to {MAX_LAG_DAYS} days."
            )
    if not 1 <= inputs.months <= 36:
        raise FunnelError("months", "A plan covers 1 to 36 months.")
    if inputs.start.day != 1:
        raise FunnelError("start", "A plan starts on the first day of a month.")
    if inputs.seasonality:
        if len(inputs.seasonality) != inputs.months:
            raise FunnelError(
                "seasonality",
                f"Give one seasonality weight per month ({inputs.months}); "
                f"got {len(inputs.seasonality)}.",
            )
        if any(w < 0 for w in inputs.seasonality):
            raise FunnelError("seasonality", "Seasonality weights cannot be negative.")
        if not any(w > 0 for w in inputs.seasonality):
            raise FunnelError(
                "seasonality", "At least one month needs a seasonality weight above zero."
            )
    if inputs.growth is None or not MIN_GROWTH <= inputs.growth <= MAX_GROWTH:
        raise FunnelError("growth", "Growth for next year must be between -100% and 1,000%.")
    if any(d is None or d < 0 for d in inputs.next_deals):
        raise FunnelError("next_deals", "The next plan's deals per month cannot be negative.")
    for stage, by_month in inputs.carry_in.items():
        if stage not in STAGES[1:-1]:
            raise FunnelError("carry_in", f"Unknown stage {stage!r} in the carry-in.")
        for month, wins in by_month.items():
            if wins < 0 or month.day != 1:
                raise FunnelError("carry_in", "Carry-in is wins (not negative) per month.")
    if inputs.shares:
        unknown = set(inputs.shares) - set(SOURCES)
        if unknown:
            raise FunnelError("shares", f"Unknown sources: {', '.join(sorted(unknown))}.")
        if any(s < 0 for s in inputs.shares.values()):
            raise FunnelError("shares", "A source's share cannot be negative.")
        if sum(inputs.shares.values()) != 1:
            total = sum(inputs.shares.values()) * 100
            raise FunnelError(
                "shares", f"The source shares must add up to 100%; they add up to {total:g}%."
            )


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


def stage_counts(inputs: FunnelInputs) -> dict[str, int]:
    """The year's whole-number volume per stage, rounding up at every step."""
    rates = {step: Fraction(inputs.rates[step]) for step in STEPS}
    counts = {"won": _ceil(Fraction(inputs.target) / Fraction(inputs.asp))}
    for i in range(len(STEPS) - 1, -1, -1):
        counts[STAGES[i]] = _ceil(counts[STAGES[i + 1]] / rates[STEPS[i]])
    return {stage: counts[stage] for stage in STAGES}


def _shift_back(volume: dict[date, Fraction], days: int) -> dict[date, Fraction]:
    """Move each month's volume `days` earlier, spreading it by day overlap."""
    if days == 0:
        return dict(volume)
    moved: dict[date, Fraction] = {}
    for first, amount in volume.items():
        if not amount:
            continue
        end = next_month(first)
        span = (end - first).days
        lo, hi = first - timedelta(days=days), end - timedelta(days=days)
        cursor = date(lo.year, lo.month, 1)
        while cursor < hi:
            nxt = next_month(cursor)
            overlap = (min(hi, nxt) - max(lo, cursor)).days
            if overlap > 0:
                moved[cursor] = moved.get(cursor, Fraction(0)) + amount * Fraction(overlap, span)
            cursor = nxt
    return moved


def _largest_remainder(total: int, weights: list[Fraction]) -> list[int]:
    """Whole numbers in proportion to weights that add up to total; ties go earlier."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        return [0] * len(weights)
    exact = [total * w / weight_sum for w in weights]
    whole = [math.floor(x) for x in exact]
    short = total - sum(whole)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - whole[i]), i))
    for i in order[:short]:
        whole[i] += 1
    return whole


@dataclass
class Funnel:
    inputs: FunnelInputs
    counts: dict[str, int]  # the year's volume per stage: what the months add up to
    months: list[date]
    monthly: dict[str, list[int]]  # stage -> whole numbers per plan month
    # stage -> per plan month, the part of `monthly` that feeds deals after the plan's end
    for_next: dict[str, list[int]]
    by_source: dict[str, dict[str, int]]  # source -> stage -> count
    warnings: list[str]
    gross: dict[str, int] = field(default_factory=dict)  # the target's funnel, no timing
    carry_in: Fraction = Fraction(0)  # expected wins from records open at the start
    carry_in_by_month: dict[date, Fraction] = field(default_factory=dict)
    start_gap: int = 0  # deals only MQLs from before the start could have fed, uncovered
    deals_to_source: list[Fraction] = field(default_factory=list)  # D*(τ), plan months
    deals_by_month: dict[date, Fraction] = field(default_factory=dict)  # D(τ), and after

    @property
    def start_gap_amount(self) -> Decimal:
        return self.start_gap * self.inputs.asp

    @property
    def start_gap_message(self) -> str:
        if not self.start_gap:
            return ""
        n = self.start_gap
        return (
            f"Start gap: {n:,} deal{'s' if n != 1 else ''} (${self.start_gap_amount:,.0f}) in the "
            f"first months would need MQLs from before {self.inputs.start:%B %Y} that the "
            "pipeline in flight does not cover. They are not added to the first month: pull "
            "pipeline forward, raise the win rate, or sign a re-phased revision."
        )

    @property
    def won_amount(self) -> Decimal:
        return self.counts["won"] * self.inputs.asp

    def quarters(self) -> list[dict]:
        out = []
        for q in range(0, len(self.months), 3):
            months = self.months[q : q + 3]
            out.append(
                {
                    "quarter": f"Q{q // 3 + 1}",
                    "first_month": months[0],
                    "counts": {s: sum(self.monthly[s][q : q + 3]) for s in STAGES},
                }
            )
        return out

    def monthly_bookings(self) -> list[Decimal]:
        return [n * self.inputs.asp for n in self.monthly["won"]]

    def value_per_mql(self) -> Decimal:
        """What one planned MQL is worth in bookings: the plan's MQL -> won rate x its
        average selling price. Marketing's quota in dollars is its MQLs at this value; its
        pipeline is counted before the win rate, so it is several times larger."""
        value = self.inputs.asp
        for step in STEPS[STAGES.index("mql") :]:
            value *= self.inputs.rates[step]
        return value

    def quotas(self) -> dict:
        asp = self.inputs.asp
        marketing = self.by_source.get("marketing", {})
        mqls = marketing.get("mql", 0)
        return {
            "sales": {
                "bookings": self.inputs.target,
                "deals": self.counts["won"],
                "pipeline": self.counts["opportunity"] * asp,
            },
            "marketing": {
                "mqls": mqls,
                "value": (mqls * self.value_per_mql()).quantize(Decimal("0.01")),
                "opportunities": marketing.get("opportunity", 0),
                "pipeline": marketing.get("opportunity", 0) * asp,
            },
        }

    def as_json(self) -> dict:
        asp = self.inputs.asp
        stages = []
        for stage in reversed(STAGES):
            row = {"stage": stage, "count": self.counts[stage]}
            if stage == "won":
                row["amount"] = str(self.won_amount)
            elif stage == "opportunity":
                row["amount"] = str(self.counts[stage] * asp)
            stages.append(row)
        quotas = self.quotas()
        return {
            "stages": stages,
            "months": [
                {
                    "month": f"{m:%Y-%m}",
                    **{s: self.monthly[s][i] for s in STAGES},
                    "bookings": str(self.monthly["won"][i] * asp),
                }
                for i, m in enumerate(self.months)
            ],
            "quarters": [
                {"quarter": q["quarter"], "first_month": f"{q['first_month']:%Y-%m}", **q["counts"]}
                for q in self.quarters()
            ],
            "for_next_year": {
                s: [
                    {"month": f"{m:%Y-%m}", "count": n}
                    for m, n in zip(self.months, row, strict=True)
                    if n
                ]
                for s, row in self.for_next.items()
                if any(row)
            },
            "carry_in": {
                "deals": str(
                    round(Decimal(self.carry_in.numerator) / self.carry_in.denominator, 2)
                ),
                "by_month": {
                    f"{m:%Y-%m}": str(round(Decimal(v.numerator) / v.denominator, 2))
                    for m, v in sorted(self.carry_in_by_month.items())
                    if v
                },
            },
            "start_gap": {
                "deals": self.start_gap,
                "amount": str(self.start_gap_amount),
                "message": self.start_gap_message,
            },
            "growth": str(self.inputs.growth),
            "by_source": self.by_source,
            "quotas": {
                team: {k: str(v) if isinstance(v, Decimal) else v for k, v in figures.items()}
                for team, figures in quotas.items()
            },
            "warnings": self.warnings,
        }


def lag_to_won(inputs: FunnelInputs, stage: str) -> int:
    """Days from `stage` to won: the sum of the lags of the steps after it."""
    i = STAGES.index(stage)
    return sum(inputs.lags.get(step, 0) for step in STEPS[i:])


def _deals_by_month(inputs: FunnelInputs, deals: int, months: list[date]) -> dict[date, Fraction]:
    """D(τ) over the plan's months and as many after as the longest lag reaches."""
    weights = [Fraction(w) for w in inputs.seasonality] or [Fraction(1)] * len(months)
    total = sum(weights)
    planned = {m: deals * w / total for m, w in zip(months, weights, strict=True)}
    reach = lag_to_won(inputs, "lead")
    # As far as the longest lag reaches, and at least the quarter after the plan.
    after = starting(next_month(months[-1]), max(reach // 28 + 2, 3))
    growth = 1 + Fraction(inputs.growth)
    extended = dict(planned)
    for k, month in enumerate(after):
        if k < len(inputs.next_deals):
            extended[month] = Fraction(inputs.next_deals[k])
        else:
            extended[month] = extended.get(add_months(month, -12), Fraction(0)) * growth
    return extended


def _carry_from(inputs: FunnelInputs, stage: str) -> dict[date, Fraction]:
    """Expected wins per month from the records open at the start at `stage` or further."""
    past = STAGES[STAGES.index(stage) :]
    wins: dict[date, Fraction] = {}
    for at, by_month in inputs.carry_in.items():
        if at in past:
            for month, n in by_month.items():
                wins[month] = wins.get(month, Fraction(0)) + Fraction(n)
    return wins


def _year_count(deals: Fraction, stage: str, rates: dict[str, Fraction]) -> int:
    """Whole `stage` volume for `deals` deals, rounding up at every step like stage_counts."""
    count = _ceil(deals)
    for i in range(len(STEPS) - 1, STAGES.index(stage) - 1, -1):
        count = _ceil(count / rates[STEPS[i]])
    return count


def reverse_funnel(inputs: FunnelInputs) -> Funnel:
    validate(inputs)
    gross = stage_counts(inputs)
    months = starting(inputs.start, inputs.months)
    plan_months = set(months)
    end = next_month(months[-1])
    rates = {step: Fraction(inputs.rates[step]) for step in STEPS}
    deals = _deals_by_month(inputs, gross["won"], months)
    total_carry = _carry_from(inputs, "lead")

    monthly = {"won": _largest_remainder(gross["won"], [deals[m] for m in months])}
    for_next = {"won": [0] * len(months)}
    counts = {"won": gross["won"]}
    uncovered = {}
    for stage in STAGES[:-1]:
        lag = lag_to_won(inputs, stage)
        carry = _carry_from(inputs, stage)
        inside = dict.fromkeys(months, Fraction(0))
        feeds_next = dict.fromkeys(months, Fraction(0))
        early = Fraction(0)
        for month, amount in deals.items():
            # What the records past this stage at the start cover of this month's deals.
            left = min(carry.get(month, Fraction(0)), amount)
            for at, volume in sorted(_shift_back({month: amount}, lag).items()):
                covered = min(volume, left)
                volume, left = volume - covered, left - covered
                if at < inputs.start:
                    early += volume
                elif at in plan_months:
                    inside[at] += volume
                    if month >= end:
                        feeds_next[at] += volume
        uncovered[stage] = early
        counts[stage] = _year_count(sum(inside.values()), stage, rates)
        weights = [inside[m] for m in months]
        monthly[stage] = _largest_remainder(counts[stage], weights)
        for_next[stage] = [
            round(n * feeds_next[m] / inside[m]) if inside[m] else 0
            for n, m in zip(monthly[stage], months, strict=True)
        ]

    warnings: list[str] = []
    start_gap = _ceil(uncovered[GAP_STAGE]) if uncovered[GAP_STAGE] else 0

    shares = {s: Fraction(v) for s, v in inputs.shares.items()} or {"marketing": Fraction(1)}
    sources = [s for s in SOURCES if s in shares]
    by_source: dict[str, dict[str, int]] = {s: {} for s in sources}
    for stage in STAGES:
        split = _largest_remainder(counts[stage], [shares[s] for s in sources])
        for source, n in zip(sources, split, strict=True):
            by_source[source][stage] = n
    return Funnel(
        inputs,
        {s: counts[s] for s in STAGES},
        months,
        monthly,
        for_next,
        by_source,
        warnings,
        gross=gross,
        carry_in=sum(total_carry.values(), Fraction(0)),
        carry_in_by_month=total_carry,
        start_gap=start_gap,
        deals_to_source=[deals[m] - min(total_carry.get(m, Fraction(0)), deals[m]) for m in months],
        deals_by_month=deals,
    )
