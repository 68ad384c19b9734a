"""The reverse funnel: from a revenue target down to the leads needed, month by month.

Pure arithmetic on exact fractions (no floats, no Django): 840 / 0.6 must be 1,400, not
1,400.0000000000002 rounded up to 1,401.

Counts. Deals = ceil(target / average selling price). Going up the funnel, each stage
needs ceil(next stage's count / the step's rate), rounding up at every step, the way a
planner would: 168 deals at a 25% win rate need 672 opportunities; 672 at 80% SQL to
opportunity need 840 SQLs; and so on. The year's figure for a stage is this count.

Months. Deals are spread over the plan's months by the seasonality weights. A stage's
volume must happen the step lags earlier: the opportunities that close in May were created
`opp_won` days before. Each month's volume is taken as spread evenly over its days and moved
back by the lag as an interval, so a month's volume can land partly in each of two earlier
months. The resulting shape (fractional) is then rounded to whole numbers that sum to the
stage's year figure (largest remainders; ties to the earlier month). Volume that would
have to happen before the plan starts is not dropped: it is added to the first month and
reported in `before_start` with a warning, because nobody can create last year's leads
this year.

Sources. The share of pipeline each source group must deliver (marketing, sales, partner)
splits every stage's count the same way (largest remainders), so marketing's quota is its
share of MQLs and its share of opportunities at the average selling price.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from accord.analytics.months import next_month, starting

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
    counts: dict[str, int]
    months: list[date]
    monthly: dict[str, list[int]]  # stage -> whole numbers per plan month
    before_start: dict[str, int]  # stage -> volume due before the plan starts (in month 1)
    by_source: dict[str, dict[str, int]]  # source -> stage -> count
    warnings: list[str]

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

    def quotas(self) -> dict:
        asp = self.inputs.asp
        marketing = self.by_source.get("marketing", {})
        return {
            "sales": {
                "bookings": self.inputs.target,
                "deals": self.counts["won"],
                "pipeline": self.counts["opportunity"] * asp,
            },
            "marketing": {
                "mqls": marketing.get("mql", 0),
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
            "before_start": self.before_start,
            "by_source": self.by_source,
            "quotas": {
                team: {k: str(v) if isinstance(v, Decimal) else v for k, v in figures.items()}
                for team, figures in quotas.items()
            },
            "warnings": self.warnings,
        }


def reverse_funnel(inputs: FunnelInputs) -> Funnel:
    validate(inputs)
    counts = stage_counts(inputs)
    months = starting(inputs.start, inputs.months)
    weights = [Fraction(w) for w in inputs.seasonality] or [Fraction(1)] * len(months)

    # The fractional shape of each stage over time, walking up from won.
    shape = {"won": dict(zip(months, weights, strict=True))}
    for i in range(len(STEPS) - 1, -1, -1):
        lag = inputs.lags.get(STEPS[i], 0)
        shape[STAGES[i]] = _shift_back(shape[STAGES[i + 1]], lag)

    monthly: dict[str, list[int]] = {}
    before_start: dict[str, int] = {}
    warnings: list[str] = []
    for stage in STAGES:
        early = sum((v for m, v in shape[stage].items() if m < inputs.start), Fraction(0))
        in_plan = [shape[stage].get(m, Fraction(0)) for m in months]
        in_plan[0] += early
        whole = _largest_remainder(counts[stage], in_plan)
        monthly[stage] = whole
        if early:
            share = early / sum(shape[stage].values())
            due_early = min(whole[0], _ceil(counts[stage] * share))
            if due_early:
                before_start[stage] = due_early
    if before_start:
        parts = [
            f"{before_start[s]:,} of the {counts[s]:,} {STAGE_NOUNS[s]}"
            for s in STAGES
            if s in before_start
        ]
        warnings.append(
            f"Because of the lags, {', '.join(parts)} would have to happen before the plan "
            f"starts ({inputs.start:%B %Y}). They are counted in the first month, flagged ⚑."
        )

    shares = {s: Fraction(v) for s, v in inputs.shares.items()} or {"marketing": Fraction(1)}
    sources = [s for s in SOURCES if s in shares]
    by_source: dict[str, dict[str, int]] = {s: {} for s in sources}
    for stage in STAGES:
        split = _largest_remainder(counts[stage], [shares[s] for s in sources])
        for source, n in zip(sources, split, strict=True):
            by_source[source][stage] = n
    return Funnel(inputs, counts, months, monthly, before_start, by_source, warnings)
