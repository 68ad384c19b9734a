"""Content influence: the revenue each content asset had a hand in, under every model.

No Django imports here. A content touch is a touchpoint the `content_touches` table ties to
an asset (and version). Influence reads the journeys of `journeys.py` and the weights of
`credits.py` in the engine:

- Credit per touch in whole cents (`touch_cents_query`), as the reference `rules.credits`
  gives them: each touch's exact share of its opportunity's cents rounded down, the cents
  left over one each to the largest remainders, equal remainders (to a millionth of a cent,
  so that float noise never decides) to the earlier touch. So an asset's credit is the sum
  of its touches' cents, and equals the reference's roll-up to the cent. Accord stores the
  content touches' cents (`influence`) and rolls the stored rows up (`rolled_up`): computing
  every model takes minutes at a large company's size, summing stored cents milliseconds.
- Data-driven models (Markov, Shapley) credit channels, not touches. Here an opportunity's
  amount is shared among the channels of its journey in proportion to the model's channel
  shares over the period, and each channel's part evenly over that channel's touches in the
  window. A journey whose channels all have a share of 0 is shared evenly over its touches.
- Reach (`reach_query`): per asset, the opportunities with one of its content touches in
  their window, how many of them are won and their won amount.
- Won against lost (`closed_query`): per asset, the closed deals (won or lost: the same last
  stage) with the asset in their window up to the close, and how many were won; the deals
  without it are the total less those. Sample sizes come with the rates, never hidden.

Only joins, group-by, `row_number` and windowed sums are used: the same on every engine.
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import ibis

from accord.analytics.attribution import credits as rule_credits
from accord.analytics.attribution import journeys, markov, shapley
from accord.analytics.attribution.journeys import _bounds, _cents, _window_touches
from accord.analytics.attribution.rules import DEFAULTS, Options
from accord.analytics.tables import Tables, rows

DATA_DRIVEN = ("markov", "shapley")
MODELS = (*rule_credits.MODELS, *DATA_DRIVEN)

Period = tuple[datetime, datetime] | None


def channel_shares(
    t: Tables, model: str, options: Options = DEFAULTS, period: Period = None
) -> dict[str, float]:
    """A data-driven model's value share per channel over the period (small: to Python)."""
    if model == "markov":
        counted = journeys.transitions(
            t, basis=options.basis, lookback_days=options.lookback_days, period=period
        )
        return dict(markov.markov_from_transitions(counted.chain()).value_shares)
    if model == "shapley":
        paths = journeys.path_rows(
            t, basis=options.basis, lookback_days=options.lookback_days, period=period
        )
        return dict(shapley.shapley(paths).shares)
    raise ValueError(f"{model!r} is not a data-driven model: use one of {', '.join(DATA_DRIVEN)}")


def touch_cents_query(
    t: Tables,
    model: str,
    options: Options = DEFAULTS,
    period: Period = None,
    shares: Mapping[str, float] | None = None,
) -> ibis.Table:
    """One row per opportunity and touch in its window: opportunity_id, touchpoint_id,
    channel, cents (whole cents, summing to the opportunity's amount), built without I/O.
    A data-driven model needs its `shares` (`channel_shares`)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: use one of {', '.join(MODELS)}")
    if model in DATA_DRIVEN:
        if shares is None:
            raise ValueError(f"the {model} model needs its channel shares")
        weighted = _by_channel_shares(t, options, period, shares)
    else:
        weighted = rule_credits.weighted_touches(t, model, options, period)
    return _whole_cents(weighted)


def _journey(**order):
    return ibis.window(group_by="opportunity_id", **order)


def _by_channel_shares(
    t: Tables, options: Options, period: Period, shares: Mapping[str, float]
) -> ibis.Table:
    touches = journeys.journey_touches(
        t, basis=options.basis, lookback_days=options.lookback_days, period=period
    )
    # One flat CASE: nested ones overflow SQLite's parser with a few dozen channels.
    pairs = [(touches.channel == c, ibis.literal(float(v))) for c, v in sorted(shares.items())]
    share = ibis.cases(*pairs, else_=ibis.literal(0.0)) if pairs else ibis.literal(0.0)
    per_channel = ibis.window(group_by=("opportunity_id", "channel"))
    counted = touches.mutate(
        part=share / touches.touchpoint_id.count().over(per_channel).cast("float64"),
        touches=touches.touchpoint_id.count().over(_journey()).cast("float64"),
    )
    summed = counted.mutate(whole=counted.part.sum().over(_journey()))
    return summed.mutate(
        weight=ibis.ifelse(summed.whole > 0, summed.part / summed.whole, 1.0 / summed.touches)
    )


def _whole_cents(weighted: ibis.Table) -> ibis.Table:
    """Largest remainder per opportunity, in the engine (module docstring). Few levels of
    nesting: SQLite's parser gives up on queries nested too deep."""
    amount = _cents(weighted.amount)
    exact = (amount.cast("float64") * weighted.weight).round(6)
    whole = exact.floor().cast("int64")
    floored = weighted.select(
        "opportunity_id",
        "touchpoint_id",
        "occurred_at",
        "channel",
        amount_cents=amount,
        whole=whole,
        remainder=exact - whole.cast("float64"),
    )
    ranked = floored.mutate(
        short=floored.amount_cents - floored.whole.sum().over(_journey()),
        rank=ibis.row_number().over(
            _journey(order_by=(ibis.desc("remainder"), "occurred_at", "touchpoint_id"))
        ),
    )
    return ranked.select(
        "opportunity_id",
        "touchpoint_id",
        "channel",
        cents=ranked.whole + ibis.ifelse(ranked.rank < ranked.short, 1, 0),
    )


def content_cents_query(t: Tables, credited: ibis.Table) -> ibis.Table:
    """The credited touches that are content touches, with their asset and version: what is
    stored per touch (opportunity_id, touchpoint_id, asset_id, version_id, cents), built
    without I/O."""
    joined = credited.inner_join(t.content_touches, "touchpoint_id")
    return joined.select(
        "opportunity_id", "touchpoint_id", "asset_id", "version_id", cents=joined.cents
    )


# The stored per-touch credits (Accord's `content_contentcredit`), as `rolled_up` reads them.
STORED_CREDITS = ibis.schema(
    {
        "run_id": "int64",
        "basis": "string",
        "model": "string",
        "touchpoint_id": "int64",
        "opportunity_id": "int64",
        "asset_id": "int64",
        "version_id": "int64",
        "cents": "int64",
    }
)


def rolled_up(credits: ibis.Table) -> ibis.Table:
    """Stored per-touch credits (`STORED_CREDITS`, filtered as the caller needs) summed per
    model, asset and version: model, asset_id, version_id, cents, opportunities (those
    credited through the asset's touches). Built without I/O."""
    return credits.group_by("model", "asset_id", "version_id").aggregate(
        cents=credits.cents.sum().cast("int64"),
        opportunities=credits.opportunity_id.nunique().cast("int64"),
    )


def rolled_up_by_group(credits: ibis.Table, groups: Mapping[int, int]) -> ibis.Table:
    """Stored per-touch credits summed per group of assets (`groups`: asset_id -> group id,
    e.g. the owner): model, group_id, cents, opportunities (distinct across the group's
    assets). Assets outside `groups` are left out; `groups` must not be empty. Built without
    I/O."""
    if not groups:
        raise ValueError("no groups of assets to roll the credits up by")
    # One flat CASE: nested ones overflow SQLite's parser with a few dozen assets.
    pairs = [(credits.asset_id == a, ibis.literal(int(g))) for a, g in sorted(groups.items())]
    grouped = credits.mutate(group_id=ibis.cases(*pairs, else_=ibis.null("int64")))
    grouped = grouped.filter(grouped.group_id.notnull())
    return grouped.group_by("model", "group_id").aggregate(
        cents=grouped.cents.sum().cast("int64"),
        opportunities=grouped.opportunity_id.nunique().cast("int64"),
    )


def reach_query(t: Tables, options: Options = DEFAULTS, period: Period = None) -> ibis.Table:
    """Per asset: opportunities with one of its content touches in their window, the won
    ones and their won cents, built without I/O."""
    touches = journeys.journey_touches(
        t, basis=options.basis, lookback_days=options.lookback_days, period=period
    )
    deals = t.opportunities.select("opportunity_id", "stage")
    used = (
        touches.inner_join(t.content_touches, "touchpoint_id")
        .select("asset_id", "opportunity_id", "amount")
        .distinct()
        .inner_join(deals, "opportunity_id")
    )
    won = used.stage == "won"
    return used.group_by("asset_id").aggregate(
        opportunities=used.count().cast("int64"),
        won=ibis.ifelse(won, 1, 0).sum().cast("int64"),
        won_cents=ibis.ifelse(won, _cents(used.amount), 0).sum().cast("int64"),
    )


def closed_query(
    t: Tables, options: Options = DEFAULTS, period: Period = None
) -> dict[str, ibis.Table]:
    """ "assets": per asset, closed deals (won or lost, closing in the period) with the asset
    in their window up to the close, and how many were won; "all": one row with every
    closed deal and the won ones. Built without I/O."""
    bounds = _bounds(period)
    deals = t.opportunities.filter(
        t.opportunities.stage.isin(("won", "lost")), t.opportunities.closed_at.notnull()
    )
    deals = deals.select(
        "opportunity_id",
        "account_id",
        "primary_lead_id",
        "stage",
        opp_created_at=deals.created_at,
        converted_at=deals.closed_at,
    )
    if bounds is not None:
        deals = deals.filter(deals.converted_at >= bounds[0], deals.converted_at <= bounds[1])
    touches = _window_touches(t, deals, options.lookback_days)
    used = (
        touches.inner_join(t.content_touches, "touchpoint_id")
        .select("asset_id", "opportunity_id", "stage")
        .distinct()
    )
    return {
        "assets": used.group_by("asset_id").aggregate(
            closed=used.count().cast("int64"),
            won=ibis.ifelse(used.stage == "won", 1, 0).sum().cast("int64"),
        ),
        "all": deals.aggregate(
            closed=deals.count().cast("int64"),
            won=ibis.ifelse(deals.stage == "won", 1, 0).sum().cast("int64"),
        ),
    }


FEW_DEALS = 20_000


def with_content_deals_only(t: Tables) -> Tables:
    """The tables with only the opportunities a content touch could be in the journey of:
    those of an account, or with a primary lead, that has a content touch at any time.

    A deal's touch credits (whole cents included) depend on its own journey alone, so the
    content touches' credits are the same computed over these deals as over every deal, and
    the engine weighs the journeys sales sent content in instead of every one. The deals are
    read first and named in the queries (as a subquery, SQLite's parser overflows on the
    models' nesting); when most deals have content (over FEW_DEALS), nothing is left out."""
    touched = (
        t.content_touches.select("touchpoint_id")
        .inner_join(t.touchpoints.select("touchpoint_id", "lead_id"), "touchpoint_id")
        .inner_join(t.leads.select("lead_id", "account_id"), "lead_id")
        .select("lead_id", "account_id")
        .distinct()
    )
    deals = t.opportunities
    reached = deals.filter(
        deals.account_id.isin(touched.account_id) | deals.primary_lead_id.isin(touched.lead_id)
    ).select("opportunity_id")
    ids = sorted({int(r["opportunity_id"]) for r in rows(reached)})
    if len(ids) > FEW_DEALS:
        return t
    return replace(t, opportunities=deals.filter(deals.opportunity_id.isin(ids or [-1])))


def influence(t: Tables, models=MODELS, options: Options = DEFAULTS, period: Period = None) -> dict:
    """Everything influence computes, as plain data, for storing:

    "touches": {model: [(opportunity_id, touchpoint_id, asset_id, version_id, cents)]}, the
    credit of every content touch; "reach": {asset_id: (opportunities, won, won_cents)};
    "closed": {asset_id: (closed, won)}; "closed_all": (closed, won) of every closed deal."""
    found: dict[str, list[tuple]] = {}
    reached = with_content_deals_only(t)
    for model in models:
        # Channel shares are the whole company's; each deal's credits only its own journey's.
        shares = channel_shares(t, model, options, period) if model in DATA_DRIVEN else None
        credited = touch_cents_query(reached, model, options, period, shares)
        found[model] = [
            (
                r["opportunity_id"],
                r["touchpoint_id"],
                r["asset_id"],
                r["version_id"],
                int(r["cents"]),
            )
            for r in rows(content_cents_query(reached, credited))
        ]
    closed = closed_query(reached, options, period)
    every = rows(closed_query(t, options, period)["all"])[0]
    return {
        "touches": found,
        "reach": {
            r["asset_id"]: (int(r["opportunities"]), int(r["won"] or 0), int(r["won_cents"] or 0))
            for r in rows(reach_query(reached, options, period))
        },
        "closed": {
            r["asset_id"]: (int(r["closed"]), int(r["won"] or 0)) for r in rows(closed["assets"])
        },
        "closed_all": (int(every["closed"] or 0), int(every["won"] or 0)),
    }
