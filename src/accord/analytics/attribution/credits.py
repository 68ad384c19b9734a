"""Rule-based attribution in the engine: every model of `rules.py`, set-based.

No Django imports here. `credit_query()` gives each touch of each opportunity's window
(`journeys.journey_touches`) its weight under one model, computed with window functions over
each journey; `credits()` runs it and brings small summaries to Python. The rules are those of
`rules.py`, and the tests hold the two against each other touch for touch.

How the rules become window functions, per journey (one opportunity), touches in (time, id)
order:
- position: `row_number`; touches: `count`.
- Milestones as positions. Touches at or before a moment are a prefix of that order, so "the
  last touch at or before" it is the count of touches at or before it, or the first touch when
  that count is 0: lead creation counts up to the lead's creation (or the opportunity's, if
  earlier or unknown), opportunity creation up to the opportunity's creation. The first touch
  is position 1, closed won the last position.
- A touch's milestone share is the sum of the shares of the milestones at its position. The
  touches strictly between the first and the latest milestone that hold none are counted with
  a windowed `sum`; with none, the milestone shares are scaled up to 1 (shares and their
  scaled versions are exact fractions turned into floats in Python).
- Time decay: 2^-((newest - touch) / half-life) in whole seconds since 1970, normalised by the
  journey's sum. Relative to the newest touch, as the reference does, so nothing underflows;
  the conversion moment cancels out. Whole seconds, as in `journeys.py`, because engines
  disagree on fractions of a second: where the reference sees touches less than a second
  apart, a weight may differ by a factor up to 2^(1 s / half-life) (1.000001 for a week).

Only `row_number`, windowed `count`/`sum`/`max`, group-by, joins and POWER are used: no
ordered first/last, no GREATEST and no timestamp subtraction. SQLite needs its math functions
(built in by default since 3.35) for POWER.

Money. Weights are floats and credit = weight x amount is a float in the engine. Whole cents
per touch are the reference's job (`rules.credits`: largest remainder per opportunity). Here
each channel's, campaign's and month's credit is rounded to cents in Python, by largest
remainder so that each summary adds up exactly to `total`. A channel's total agrees with the
reference's cents summed within one cent per opportunity as a rule, and always within one
cent per credited touch of the channel: the reference may give the leftover cents of one
opportunity to several touches of the same channel.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from math import floor, fsum
from typing import Any

import ibis

from accord.analytics.attribution.journeys import (
    DAY,
    _bounds,
    _cents,
    _converting,
    _seconds,
    journey_touches,
)
from accord.analytics.attribution.rules import DEFAULTS, MILESTONES, MODELS, POSITIONS, Options
from accord.analytics.tables import Tables, rows

COLUMNS = ("opportunity_id", "touchpoint_id", "occurred_at", "channel", "campaign_id")


Period = tuple[datetime, datetime] | None


def credit_query(
    t: Tables, model: str, options: Options = DEFAULTS, period: Period = None
) -> ibis.Table:
    """One row per opportunity and touch in its window, with the model's weight (float; a
    journey's weights sum to 1) and credit (weight x amount, float), built without I/O.

    Columns: opportunity_id, touchpoint_id, occurred_at, channel, campaign_id, weight,
    credit. Every opportunity on pipeline basis, the won ones on revenue basis (module
    docstring of `journeys.py`), or those converting in `period` (aware start and end,
    both inclusive); one without a touch in its window has no row.
    """
    weighted = weighted_touches(t, model, options, period)
    credit = weighted.weight * weighted.amount.cast("float64")
    return weighted.select(*COLUMNS, weight=weighted.weight, credit=credit)


def weighted_touches(
    t: Tables, model: str, options: Options = DEFAULTS, period: Period = None
) -> ibis.Table:
    """`journeys.journey_touches` with each touch's `weight` (float) under the model."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: use one of {', '.join(MODELS)}")
    touches = journey_touches(
        t, basis=options.basis, lookback_days=options.lookback_days, period=period
    )
    if model == "linear":
        return touches.mutate(weight=1.0 / touches.touchpoint_id.count().over(_journey()))
    if model == "time_decay":
        return _time_decay(touches, options.half_life_days)
    return _positions(_placed(touches), *_shares(model, options))


def summary_queries(
    t: Tables, model: str, options: Options = DEFAULTS, period: Period = None
) -> dict[str, ibis.Table]:
    """The queries behind `credits()`, built without I/O.

    "cells": credit (float) per channel, campaign_id, year and month of the touch; "deals":
    one row with the cents and the count of the opportunities on the basis (total_cents,
    opportunities) and of those without a touch in their window (unattributed_*).
    """
    credited = credit_query(t, model, options, period)
    cells = credited.group_by(
        "channel",
        "campaign_id",
        # Cast: PostgreSQL extracts numerics.
        year=credited.occurred_at.year().cast("int64"),
        month=credited.occurred_at.month().cast("int64"),
    ).aggregate(credit=credited.credit.sum())
    return {"cells": cells, "deals": _deals_query(t, options, period)}


def credits(
    t: Tables, model: str, options: Options = DEFAULTS, period: Period = None
) -> dict[str, Any]:
    """Run `summary_queries()` and `summarise()` their rows."""
    queries = summary_queries(t, model, options, period)
    return summarise(rows(queries["cells"]), rows(queries["deals"])[0], model, options)


def summarise(
    cells: Iterable[Mapping[str, Any]], deals: Mapping[str, Any], model: str, options: Options
) -> dict[str, Any]:
    """Credit (Decimal) by channel, by campaign (None: no campaign) and by month of the touch
    ("YYYY-MM"), each adding up to `total`: the amounts of the opportunities credited.
    `unattributed` is the amount of those without a touch in their window, so
    `total + unattributed == total_amount`, every amount on the basis; the counts of both
    kinds of opportunities come with them."""
    cells = list(cells)
    # Sums over no rows are null; PostgreSQL's sums of integers are numerics.
    total_cents = int(deals["total_cents"] or 0)
    unattributed_cents = int(deals["unattributed_cents"] or 0)
    unattributed_deals = int(deals["unattributed_opportunities"] or 0)
    attributed_cents = total_cents - unattributed_cents

    def summary(key: Callable[[Mapping[str, Any]], Hashable]) -> dict:
        exact: dict[Hashable, list[float]] = {}
        for cell in cells:
            exact.setdefault(key(cell), []).append(cell["credit"] or 0.0)
        cents = apportion({k: fsum(v) * 100 for k, v in exact.items()}, attributed_cents)
        return {k: _money(cents[k]) for k in sorted(cents, key=lambda k: (k is None, k))}

    return {
        "model": model,
        "basis": options.basis,
        "by_channel": summary(lambda cell: cell["channel"]),
        "by_campaign": summary(lambda cell: cell["campaign_id"]),
        "by_month": summary(lambda cell: f"{int(cell['year']):04d}-{int(cell['month']):02d}"),
        "total": _money(attributed_cents),
        "unattributed": _money(unattributed_cents),
        "total_amount": _money(total_cents),
        "opportunities": int(deals["opportunities"]) - unattributed_deals,
        "unattributed_opportunities": unattributed_deals,
    }


# --- Queries --------------------------------------------------------------------------------


def _journey(*, ordered: bool = False):
    order_by = ("occurred_at", "touchpoint_id") if ordered else None
    return ibis.window(group_by="opportunity_id", order_by=order_by)


def _placed(touches: ibis.Table) -> ibis.Table:
    """The touches with the positions (from 1) of their own and of each milestone."""
    lead_moment = touches.lead_created_at.coalesce(touches.opp_created_at)
    up_to_lead = (touches.occurred_at <= lead_moment) & (
        touches.occurred_at <= touches.opp_created_at
    )
    up_to_opportunity = touches.occurred_at <= touches.opp_created_at
    counted = touches.mutate(
        position=ibis.row_number().over(_journey(ordered=True)) + 1,
        touches=touches.touchpoint_id.count().over(_journey()),
        up_to_lead=ibis.ifelse(up_to_lead, 1, 0).sum().over(_journey()),
        up_to_opportunity=ibis.ifelse(up_to_opportunity, 1, 0).sum().over(_journey()),
    )
    return counted.mutate(
        first_touch=ibis.literal(1),
        lead_creation=ibis.ifelse(counted.up_to_lead > 0, counted.up_to_lead, 1),
        opportunity_creation=ibis.ifelse(
            counted.up_to_opportunity > 0, counted.up_to_opportunity, 1
        ),
        # The last touch of the window: the close on revenue basis; on pipeline basis it is
        # the opportunity creation touch, where full path keeps the closed-won share.
        closed_won=counted.touches,
    )


def _shares(model: str, options: Options) -> tuple[dict[str, Fraction], Fraction]:
    shares, spread = POSITIONS[model]
    if model == "u_shaped" and options.u_shape == "last_touch":
        shares = {
            "first_touch": shares["first_touch"],
            "opportunity_creation": shares["lead_creation"],
        }
    return shares, spread


def _positions(placed: ibis.Table, shares: dict[str, Fraction], spread: Fraction) -> ibis.Table:
    """Weights of a milestone model: merged milestone shares plus the spread between."""
    milestones = [placed[name] for name in shares]

    def share_sum(scale: Fraction) -> ibis.Value:
        parts = [
            _flag(placed.position == at) * float(share / scale)
            for at, share in zip(milestones, shares.values(), strict=True)
        ]
        return sum(parts[1:], parts[0])

    whole = sum(shares.values())
    if not spread:
        return placed.mutate(weight=share_sum(whole))
    # In window order first touch <= lead creation <= opportunity creation <= closed won,
    # so the model's latest milestone is its last in that order; its first is position 1.
    latest = placed[max(shares, key=MILESTONES.index)]
    between = (placed.position > 1) & (placed.position < latest) & ~placed.position.isin(milestones)
    marked = placed.mutate(
        with_spread=share_sum(whole + spread),
        without_spread=share_sum(whole),
        between=_flag(between),
        spread_over=ibis.ifelse(between, 1, 0).sum().over(_journey()),
    )
    spread_share = float(spread / (whole + spread))
    return marked.mutate(
        weight=ibis.ifelse(
            marked.spread_over > 0,
            marked.with_spread + marked.between * spread_share / marked.spread_over,
            marked.without_spread,
        )
    )


def _flag(condition: ibis.Value) -> ibis.Value:
    """1.0 or 0.0, as a real cast: Ibis writes float literals bare, and PostgreSQL reads a
    bare 0.4 as a numeric, not a float."""
    return ibis.ifelse(condition, 1, 0).cast("float64")


def _time_decay(touches: ibis.Table, half_life_days: float) -> ibis.Table:
    seconds = touches.mutate(seconds=_seconds(touches.occurred_at))
    newest = seconds.seconds.max().over(_journey())
    half_life = float(half_life_days) * DAY
    raw = seconds.mutate(raw=ibis.literal(2.0) ** ((seconds.seconds - newest) / half_life))
    return raw.mutate(weight=raw.raw / raw.raw.sum().over(_journey()))


def _deals_query(t: Tables, options: Options, period: Period) -> ibis.Table:
    """One row: the cents and count of every opportunity on the basis, and of those with no
    touch in their window."""
    deals = _converting(t, options.basis, _bounds(period))
    touched = journey_touches(
        t, basis=options.basis, lookback_days=options.lookback_days, period=period
    )
    touched = touched.select("opportunity_id").distinct().mutate(touched=ibis.literal(1))
    joined = deals.left_join(touched, "opportunity_id")
    cents = _cents(joined.amount)
    untouched = joined.touched.isnull()
    return joined.aggregate(
        total_cents=cents.sum(),
        unattributed_cents=ibis.ifelse(untouched, cents, 0).sum(),
        opportunities=joined.count(),
        unattributed_opportunities=ibis.ifelse(untouched, 1, 0).sum(),
    )


# --- Python's share --------------------------------------------------------------------------


def apportion(exact: dict[Hashable, float], total: int) -> dict[Hashable, int]:
    """Whole cents near the exact ones that add up to `total`: each rounded down, then the
    cents left over one each to the largest remainders (taken back from the smallest, if
    float error left too many).

    The same cents on every engine: engines add floats up in orders of their own, so equal
    amounts (one deal's equal shares in two months, say) may differ in their last bits, and
    they return rows in any order. So amounts count to a millionth of a cent, and of equal
    remainders the smaller key's comes first."""
    exact = {key: round(value, 6) for key, value in exact.items()}
    whole = {key: floor(value) for key, value in exact.items()}
    short = total - sum(whole.values())
    # Largest remainder first.
    order = sorted(exact, key=lambda key: (whole[key] - exact[key], key is None, key))
    if short < 0:
        order.reverse()
    for i in range(abs(short) if order else 0):
        whole[order[i % len(order)]] += 1 if short > 0 else -1
    return whole


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)
