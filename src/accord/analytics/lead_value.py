"""Lead value: what a lead of each type is worth, from the company's own history.

No Django imports here. `lead_values()` takes the contract's tables (`tables.py`), runs one
aggregate query in the engine and returns plain Python data.

Cohort. The leads created in [cohort_from, cohort_to) (UTC days). Choose a cohort whose
horizon has passed: a lead created yesterday has had no time to be won, and would pull its
type's probability down.

Reached. With `reached` (a lifecycle status such as "mql"), the cohort keeps only the leads
that ever reached that status or a later one (new < mql < accepted < sql < opportunity <
customer; imports may skip stages): the value of a lead of each type once it got there.
An MQL is worth more than a new lead of the same type, because many new ones never qualify.

Won. A lead is won when an opportunity whose primary lead it is was closed won no later
than `horizon_days` after the lead was created. Its won amount is the sum of those
opportunities (nearly always one).

Per type (the leads sharing the values of the `group_by` keys):
- probability = won leads / leads, with its Wilson score interval (90% by default);
- value = probability x the average won amount, to the cent, and the interval the same way.

The average won amount is the whole cohort's: the won amount per won lead over every type.
A type's own average would rest on a handful of deals (a type with 40 leads and 3 wins
would have its value set by 3 amounts), while the amount of a deal usually varies less
between lead types than the chance of winning one. Each type's own average is returned
too, for information. The value interval carries the probability's uncertainty only.

Days, portably. As in `funnel_rates`, timestamps become whole seconds since 1970 and the
engine compares integers: closed_at <= created_at + horizon is
closed_seconds <= created_seconds + horizon_days x 86,400. Only filters, inner, left and
semi joins, group-by with count/sum, coalesce and arithmetic are used: all compile for
SQLite, PostgreSQL, DuckDB and PySpark.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only for type hints: the web app imports this module for its grouping keys and
    # intervals, and Ibis takes most of a second to load (see `lead_values()`).
    import ibis

    from accord.analytics.tables import Tables

# Allowed grouping keys, and what a type shows when the lead has no such value.
GROUP_KEYS = {
    "source": "Source",
    "grade": "Fit grade",
    "source_group": "Source group",
    "country": "Country",
    "industry": "Industry",
}
MISSING = {
    "source": "none",
    "grade": "ungraded",
    "source_group": "none",
    "country": "unknown",
    "industry": "unknown",
}
LIFECYCLE = ("new", "mql", "accepted", "sql", "opportunity", "customer")
DEFAULT_GROUP_BY = ("source", "grade")
DEFAULT_HORIZON_DAYS = 365
MAX_HORIZON_DAYS = 3 * 365
CONFIDENCE = 0.90
DAY = 86_400
CENTS = Decimal("0.01")


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval for a proportion: `successes` out of `n`.

    Unlike p ± z·sqrt(p(1 - p)/n) it stays inside [0, 1] and does not shrink to nothing
    at 0 or n successes: 0 of 10 is 0% to 21.3% at 90%.
    """
    if n <= 0:
        raise ValueError("An interval needs at least one trial (n > 0).")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}); got {successes}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence}.")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    # At the ends one bound is exact; floating point would give -1e-17 or 0.9999999999.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def check_group_by(group_by: Iterable[str]) -> tuple[str, ...]:
    """The grouping keys in order, or ValueError naming the allowed ones."""
    keys = tuple(group_by)
    allowed = ", ".join(GROUP_KEYS)
    if not keys:
        raise ValueError(f"Group by at least one of: {allowed}.")
    for key in keys:
        if key not in GROUP_KEYS:
            raise ValueError(f"Cannot group lead value by {key!r}; group by any of: {allowed}.")
    if len(set(keys)) != len(keys):
        raise ValueError(f"Each grouping key may appear once; got {', '.join(keys)}.")
    return keys


def check_horizon(horizon_days: int) -> int:
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int):
        raise ValueError(f"The horizon is a whole number of days; got {horizon_days!r}.")
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise ValueError(f"The horizon must be 1 to {MAX_HORIZON_DAYS} days; got {horizon_days}.")
    return horizon_days


def type_key(group_by: Sequence[str], values: dict[str, Any]) -> tuple[str, ...]:
    """A lead type's key: its value of each grouping key, missing ones named (`MISSING`)."""
    return tuple(str(values.get(key) or "") or MISSING[key] for key in group_by)


@dataclass(frozen=True)
class LeadType:
    """One lead type's figures. Fractions are floats in [0, 1]; money is Decimal."""

    type: dict[str, str]
    leads: int
    won: int
    probability: float
    interval: tuple[float, float]
    own_average_won_amount: Decimal | None  # this type's won leads only, for information
    value: Decimal | None  # None when the cohort won nothing at all
    value_interval: tuple[Decimal, Decimal] | None

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(self.type.values())


@dataclass(frozen=True)
class LeadValues:
    cohort_from: date
    cohort_to: date
    horizon_days: int
    group_by: tuple[str, ...]
    confidence: float
    reached: str | None  # the cohort's leads that reached this status, or all of them
    leads: int
    won: int
    average_won_amount: Decimal | None  # per won lead, over the whole cohort
    types: list[LeadType]  # highest value first

    @property
    def overall(self) -> LeadType | None:
        """Every lead of the cohort as one type; None for an empty cohort."""
        if not self.leads:
            return None
        return _lead_type({}, self.leads, self.won, None, self.average_won_amount, self.confidence)

    def value_of(self, key: tuple[str, ...]) -> Decimal | None:
        """The value of the type with this key (see `type_key`); None if it had no leads."""
        return self._values.get(key)

    @cached_property
    def _values(self) -> dict[tuple[str, ...], Decimal | None]:
        return {t.key: t.value for t in self.types}

    def as_json(self) -> dict:
        """Money as strings ("1234.50"), fractions as numbers rounded to 4 places."""
        return {
            "horizon_days": self.horizon_days,
            "cohort": {"from": self.cohort_from.isoformat(), "to": self.cohort_to.isoformat()},
            "group_by": list(self.group_by),
            "confidence": self.confidence,
            "leads": self.leads,
            "won": self.won,
            "average_won_amount": _text(self.average_won_amount),
            "types": [
                {
                    "type": t.type,
                    "leads": t.leads,
                    "won": t.won,
                    "probability": round(t.probability, 4),
                    "interval": [round(t.interval[0], 4), round(t.interval[1], 4)],
                    "value": _text(t.value),
                    "value_interval": (
                        [_text(v) for v in t.value_interval] if t.value_interval else None
                    ),
                    "own_average_won_amount": _text(t.own_average_won_amount),
                }
                for t in self.types
            ],
        }


def lead_value_query(
    tables: Tables,
    *,
    group_by: Sequence[str] = DEFAULT_GROUP_BY,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    cohort_from: date,
    cohort_to: date,
    reached: str | None = None,
) -> ibis.Table:
    """The query behind `lead_values()`, built without I/O: one row per type with
    the grouping keys ("" for none), leads, won and won_cents."""
    keys = check_group_by(group_by)
    check_horizon(horizon_days)
    start, end = _window(cohort_from, cohort_to)
    leads = tables.leads
    leads = leads.filter(leads.created_at >= start, leads.created_at < end)
    if reached is not None:
        if reached not in LIFECYCLE:
            raise ValueError(f"reached must be a lifecycle status ({', '.join(LIFECYCLE)}).")
        changes = tables.lead_status_changes
        later = LIFECYCLE[LIFECYCLE.index(reached) :]
        leads = leads.semi_join(changes.filter(changes.to_status.isin(later)), "lead_id")
    cohort = leads.select(
        "lead_id",
        "source_id",
        "account_id",
        grade=leads.fit_grade,
        created_s=_seconds(leads.created_at),
    )
    won = _won_per_lead(tables, cohort, horizon_days)
    joined = cohort.left_join(won, cohort.lead_id == won.won_lead_id)
    columns = {"lead_id": joined.lead_id, "grade": joined.grade, "won_cents": joined.won_cents}
    if {"source", "source_group"} & set(keys):
        channels = tables.channels
        channels = channels.select(
            channel=channels.channel_id, source=channels.key, source_group=channels.group
        )
        joined = joined.left_join(channels, joined.source_id == channels.channel)
        columns |= {"source": joined.source, "source_group": joined.source_group}
    if {"country", "industry"} & set(keys):
        accounts = tables.accounts
        accounts = accounts.select(
            account=accounts.account_id, country=accounts.country, industry=accounts.industry
        )
        joined = joined.left_join(accounts, joined.account_id == accounts.account)
        columns |= {"country": joined.country, "industry": joined.industry}
    typed = joined.select(
        lead_id=columns["lead_id"],
        won_cents=columns["won_cents"],
        **{key: columns[key].coalesce("") for key in keys},
    )
    metrics = {
        "leads": typed.lead_id.count(),
        "won": typed.lead_id.count(where=typed.won_cents.notnull()),
        "won_cents": typed.won_cents.sum().coalesce(0),
    }
    # Plain integers from every driver: PostgreSQL's SUM of bigints is a numeric.
    return typed.group_by(*keys).aggregate(
        **{name: value.cast("int64") for name, value in metrics.items()}
    )


def lead_values(
    tables: Tables,
    *,
    group_by: Sequence[str] = DEFAULT_GROUP_BY,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    cohort_from: date,
    cohort_to: date,
    reached: str | None = None,
    confidence: float = CONFIDENCE,
) -> LeadValues:
    """The value of each lead type among the leads created in [cohort_from, cohort_to)
    (that reached `reached`, if given)."""
    from accord.analytics.tables import rows  # loads Ibis, which the tables already need

    keys = check_group_by(group_by)
    query = lead_value_query(
        tables,
        group_by=keys,
        horizon_days=horizon_days,
        cohort_from=cohort_from,
        cohort_to=cohort_to,
        reached=reached,
    )
    found = rows(query)
    leads = sum(row["leads"] for row in found)
    won = sum(row["won"] for row in found)
    average = _money(sum(row["won_cents"] for row in found), won)
    types = [
        _lead_type(
            dict(zip(keys, type_key(keys, row), strict=True)),
            row["leads"],
            row["won"],
            _money(row["won_cents"], row["won"]),
            average,
            confidence,
        )
        for row in found
    ]
    types.sort(key=lambda t: (-(t.value or 0), -t.leads, t.key))
    return LeadValues(
        cohort_from=cohort_from,
        cohort_to=cohort_to,
        horizon_days=horizon_days,
        group_by=keys,
        confidence=confidence,
        reached=reached,
        leads=leads,
        won=won,
        average_won_amount=average,
        types=types,
    )


# --- Queries --------------------------------------------------------------------------------


def _window(cohort_from: date, cohort_to: date) -> tuple[datetime, datetime]:
    if cohort_from >= cohort_to:
        raise ValueError("cohort_from must come before cohort_to.")
    # The contract's timestamps are UTC without a zone; so are the literals compared to them.
    return (
        datetime(cohort_from.year, cohort_from.month, cohort_from.day),
        datetime(cohort_to.year, cohort_to.month, cohort_to.day),
    )


def _seconds(timestamp: ibis.Value) -> ibis.Value:
    """Whole seconds since 1970: the same integer on every engine."""
    return timestamp.epoch_seconds().floor()


def _won_per_lead(tables: Tables, cohort: ibis.Table, horizon_days: int) -> ibis.Table:
    """won_lead_id, won_cents: the cohort's leads won within the horizon, and for how much."""
    deals = tables.opportunities
    deals = deals.filter(
        deals.stage == "won", deals.closed_at.notnull(), deals.primary_lead_id.notnull()
    ).select(
        won_lead_id=deals.primary_lead_id,
        closed_s=_seconds(deals.closed_at),
        # Whole cents, so that the sum is exact on engines that store money as floats.
        cents=(deals.amount * 100).round().cast("int64"),
    )
    leads = cohort.select("lead_id", "created_s")
    pairs = deals.inner_join(leads, deals.won_lead_id == leads.lead_id)
    pairs = pairs.filter(pairs.closed_s <= pairs.created_s + horizon_days * DAY)
    return pairs.group_by("won_lead_id").aggregate(won_cents=pairs.cents.sum().cast("int64"))


# --- Python's share: small divisions ----------------------------------------------------------


def _lead_type(
    type_: dict[str, str],
    leads: int,
    won: int,
    own_average: Decimal | None,
    average: Decimal | None,
    confidence: float,
) -> LeadType:
    low, high = wilson_interval(won, leads, confidence)
    value = value_interval = None
    if average is not None:
        value = (Decimal(won) / Decimal(leads) * average).quantize(CENTS, ROUND_HALF_UP)
        value_interval = (_times(low, average), _times(high, average))
    return LeadType(
        type=type_,
        leads=leads,
        won=won,
        probability=won / leads,
        interval=(low, high),
        own_average_won_amount=own_average,
        value=value,
        value_interval=value_interval,
    )


def _times(fraction: float, amount: Decimal) -> Decimal:
    return (Decimal(fraction) * amount).quantize(CENTS, ROUND_HALF_UP)


def _money(cents: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(cents) / count / 100).quantize(CENTS, ROUND_HALF_UP)


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"
