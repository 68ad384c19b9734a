"""Money in and out: what campaigns cost, who became a customer, which pipeline marketing
sourced or touched, and the unit economics built from them.

No Django imports here. The queries run in the engine on the contract's tables and return a
few rows per month; the arithmetic on those rows is plain Python on Decimals.

Definitions (the README repeats them for users):
- A campaign's cost counts in the channel of the campaign and the month it was spent.
- A new customer is an account on the day its first won opportunity closed; the amount of
  that first deal is the new customer's annual revenue (opportunity amounts are annual
  contract values).
- Acquisition cost (CAC) of a stretch of months = marketing and sales cost in those months /
  customers new in them. ARPA = the new customers' first-deal revenue / their number.
  Lifetime value (LTV) = ARPA x gross margin / annual churn. Payback = CAC / (ARPA x gross
  margin / 12), in months. Each is None where its divisor is 0: no figure rather than a
  made-up one.
- Marketing-sourced: an opportunity whose source channel (its own, else its primary lead's)
  is in the marketing group. Marketing-influenced: one with at least one touch on a
  marketing channel in its journey window (`journeys.py`); every sourced one with a touch in
  its window is influenced too.
- Return on spend (ROI) of a channel or campaign = the credit a model gives it / its cost.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis

from accord.analytics.attribution.journeys import _bounds, _cents, _converting, journey_touches
from accord.analytics.tables import Tables, rows

CENT = Decimal("0.01")
MARKETING = "marketing"


@dataclass(frozen=True)
class Inputs:
    """What the data cannot tell: fractions in (0, 1]."""

    gross_margin: Decimal = Decimal("0.75")
    annual_churn: Decimal = Decimal("0.15")

    def __post_init__(self) -> None:
        for name in ("gross_margin", "annual_churn"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or not 0 < value <= 1:
                raise ValueError(f"{name} must be a fraction above 0 and at most 1, not {value!r}")


@dataclass(frozen=True)
class MonthFigures:
    """One month: costs and the customers won (money in Decimal dollars)."""

    month: date  # the first day
    marketing_cost: Decimal = Decimal(0)
    sales_cost: Decimal = Decimal(0)
    new_customers: int = 0
    new_revenue: Decimal = Decimal(0)  # first-deal amounts of the new customers


# --- Queries ---------------------------------------------------------------------------------


def costs_query(t: Tables, first_month: date, last_month: date) -> ibis.Table:
    """Campaign costs of the months from `first_month` to `last_month` (first days, both
    inclusive), per month, channel key and campaign: month, channel, campaign_id, cents."""
    costs = t.campaign_costs
    costs = costs.filter(costs.month >= first_month, costs.month <= last_month)
    campaigns = t.campaigns.select("campaign_id", "channel_id")
    channels = t.channels.select(channel_id=t.channels.channel_id, channel=t.channels.key)
    joined = costs.inner_join(campaigns, "campaign_id").inner_join(channels, "channel_id")
    return joined.group_by(joined.month, joined.channel, joined.campaign_id).aggregate(
        cents=_cents(joined.amount).sum().cast("int64")
    )


def new_customers_query(t: Tables) -> ibis.Table:
    """Customers by the month they became one: year, month, customers, cents (the amounts of
    their first won deals). An account's first won deal is its earliest close, ties by id."""
    won = t.opportunities.filter(
        (t.opportunities.stage == "won")
        & t.opportunities.closed_at.notnull()
        & t.opportunities.account_id.notnull()
    )
    order = ibis.window(group_by="account_id", order_by=("closed_at", "opportunity_id"))
    ranked = won.mutate(rank=ibis.row_number().over(order))
    first = ranked.filter(ranked.rank == 0)  # Ibis counts rows from 0
    return first.group_by(
        year=first.closed_at.year().cast("int64"), month=first.closed_at.month().cast("int64")
    ).aggregate(
        customers=first.count().cast("int64"), cents=_cents(first.amount).sum().cast("int64")
    )


def sourcing_query(
    t: Tables, *, basis: str, period: tuple[datetime, datetime], lookback_days: int = 365
) -> ibis.Table:
    """One row for the opportunities converting in `period` on `basis`: opportunities and
    cents in all, marketing-sourced, and marketing-influenced (module docstring)."""
    deals = _converting(t, basis, _bounds(period))
    groups = t.channels.select(channel_id=t.channels.channel_id, group=t.channels.group)
    leads = t.leads.select(primary_lead_id=t.leads.lead_id, lead_source_id=t.leads.source_id)
    opps = t.opportunities.select("opportunity_id", "source_id")
    sourced = (
        deals.left_join(opps, "opportunity_id")
        .left_join(leads, "primary_lead_id")
        .mutate(channel_id=lambda r: r.source_id.coalesce(r.lead_source_id))
    )
    sourced = sourced.left_join(groups, "channel_id").select(
        "opportunity_id", "amount", sourced_flag=lambda r: (r.group == MARKETING).fill_null(False)
    )
    touches = journey_touches(t, basis=basis, lookback_days=lookback_days, period=period)
    keys = t.channels.select(channel=t.channels.key, group=t.channels.group)
    marketing_touched = (
        touches.inner_join(keys, "channel")
        .filter(lambda r: r.group == MARKETING)
        .select("opportunity_id")
        .distinct()
        .mutate(influenced_flag=ibis.literal(1))
    )
    joined = sourced.left_join(marketing_touched, "opportunity_id")
    cents = _cents(joined.amount)
    influenced = joined.influenced_flag.notnull()
    return joined.aggregate(
        opportunities=joined.count().cast("int64"),
        cents=cents.sum().cast("int64"),
        sourced=ibis.ifelse(joined.sourced_flag, 1, 0).sum().cast("int64"),
        sourced_cents=ibis.ifelse(joined.sourced_flag, cents, 0).sum().cast("int64"),
        influenced=ibis.ifelse(influenced, 1, 0).sum().cast("int64"),
        influenced_cents=ibis.ifelse(influenced, cents, 0).sum().cast("int64"),
    )


# --- Running them ----------------------------------------------------------------------------


def campaign_costs(t: Tables, first_month: date, last_month: date) -> list[dict[str, Any]]:
    """`costs_query()`'s rows with the cost in Decimal dollars under "cost"."""
    return [
        {
            "month": _as_date(row["month"]),
            "channel": row["channel"],
            "campaign_id": row["campaign_id"],
            "cost": _money(row["cents"]),
        }
        for row in rows(costs_query(t, first_month, last_month))
    ]


def new_customers(t: Tables) -> dict[date, tuple[int, Decimal]]:
    """Month (first day) -> (new customers, their first-deal revenue)."""
    return {
        date(int(row["year"]), int(row["month"]), 1): (int(row["customers"]), _money(row["cents"]))
        for row in rows(new_customers_query(t))
    }


def sourcing(
    t: Tables, *, basis: str, period: tuple[datetime, datetime], lookback_days: int = 365
) -> dict[str, Any]:
    """Sourced and influenced opportunities and amounts (Decimal) converting in `period`,
    with their shares of all of them (fractions; None when there are none)."""
    row = rows(sourcing_query(t, basis=basis, period=period, lookback_days=lookback_days))[0]
    total = _money(row["cents"])
    out: dict[str, Any] = {"opportunities": int(row["opportunities"] or 0), "amount": total}
    for kind in ("sourced", "influenced"):
        amount = _money(row[f"{kind}_cents"])
        out[kind] = {
            "opportunities": int(row[kind] or 0),
            "amount": amount,
            "share": float(amount / total) if total else None,
        }
    return out


# --- Arithmetic ------------------------------------------------------------------------------


def unit_economics(
    marketing_cost: Decimal,
    sales_cost: Decimal,
    customers: int,
    revenue: Decimal,
    inputs: Inputs,
) -> dict[str, Any]:
    """CAC, ARPA, LTV, LTV:CAC and payback of one stretch of time (module docstring)."""
    cost = marketing_cost + sales_cost
    cac = _ratio(cost, customers)
    arpa = _ratio(revenue, customers)
    ltv = arpa * inputs.gross_margin / inputs.annual_churn if arpa is not None else None
    monthly_margin = arpa * inputs.gross_margin / 12 if arpa is not None else None
    return {
        "marketing_cost": marketing_cost,
        "sales_cost": sales_cost,
        "cost": cost,
        "new_customers": customers,
        "new_revenue": revenue,
        "cac": _dollars(cac),
        "arpa": _dollars(arpa),
        "ltv": _dollars(ltv),
        "ltv_to_cac": _round(_ratio(ltv, cac), "0.01"),
        "payback_months": _round(_ratio(cac, monthly_margin), "0.1"),
    }


def by_quarter(months: Iterable[MonthFigures], inputs: Inputs) -> list[dict[str, Any]]:
    """`unit_economics()` per calendar quarter of the months given, oldest first, labelled
    like "2026 Q3"; a quarter covers only the months given."""
    quarters: dict[tuple[int, int], list[MonthFigures]] = {}
    for figures in months:
        quarters.setdefault((figures.month.year, (figures.month.month - 1) // 3 + 1), []).append(
            figures
        )
    return [
        {"quarter": f"{year} Q{q}", **_summed(quarters[year, q], inputs)}
        for year, q in sorted(quarters)
    ]


def total(months: Iterable[MonthFigures], inputs: Inputs) -> dict[str, Any]:
    """`unit_economics()` of all the months given together."""
    return _summed(list(months), inputs)


def roi(credit: Decimal, cost: Decimal) -> Decimal | None:
    """Credit per dollar spent, to two places; None without a cost."""
    return _round(_ratio(credit, cost), "0.01")


def _summed(months: list[MonthFigures], inputs: Inputs) -> dict[str, Any]:
    return unit_economics(
        sum((m.marketing_cost for m in months), Decimal(0)),
        sum((m.sales_cost for m in months), Decimal(0)),
        sum(m.new_customers for m in months),
        sum((m.new_revenue for m in months), Decimal(0)),
        inputs,
    )


def _ratio(top: Decimal | None, bottom: Decimal | int | None) -> Decimal | None:
    if top is None or not bottom:
        return None
    return Decimal(top) / Decimal(bottom)


def _round(value: Decimal | None, places: str) -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _dollars(value: Decimal | None) -> Decimal | None:
    return _round(value, "0.01")


def _money(cents: int | None) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2).quantize(CENT)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # SQLite hands dates over as text
        return date.fromisoformat(value[:10])
    return value


def as_mapping(figures: Mapping[str, Any]) -> dict[str, Any]:
    """The figures with Decimals as strings and dates as ISO text: storable as JSON."""
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, Mapping):
            out[key] = as_mapping(value)
        else:
            out[key] = value
    return out
