"""Opportunity journeys in the engine: their touches, the channel transitions they make, and
ChannelAttribution's path summary.

No Django imports here. The functions take the contract's tables (`tables.py`); the work is
done in the engine, and only small aggregates come to Python, except in `path_rows()`,
which streams.

Journeys that convert. Each opportunity is one journey, as in `rules.py`, and the window is
the same: the touches of the leads of the opportunity's account, and of its primary lead
(once, if it is both), from `lookback_days` (days of 24 hours) before the opportunity's
creation to the conversion moment, both ends inclusive. The conversion moment is the
creation on basis "pipeline", the close of a won opportunity on basis "revenue" (other
opportunities have no revenue journey). Touches are ordered by (time, id). A touch whose
channel is unknown to the channels table is left out. The lead creation of a journey is its
primary lead's, else that of the earliest lead of its account.

Journeys that do not convert, in `transitions()` and `path_rows()`, which look at one
period: `period` (start, end) if given, else the `lookback_days` before `as_of` (both ends
inclusive; `as_of` defaults to now).
A converting journey counts if its conversion moment lies in the period. A visitor is an
account, or a lead without an account on its own. A visitor with a touch in the period but
no conversion in it (no opportunity of its account, nor one with a primary lead of its own,
created in it on pipeline basis, or won in it on revenue basis) is one journey that ends in
(null), made of its touches in the period. So every visitor active in the period either
converted (once per opportunity) or is one null journey, and the two kinds of journeys come
from the same stretch of time. An opportunity with no touch in its window converts nowhere
in the chain: it is reported in `unattributed`, never dropped.

Paths. Consecutive repeats of a channel are collapsed (a > a > b > a is a > b > a), as
`markov.py` does for a first-order chain. A journey with the touches c1..ck (collapsed) makes
the transitions (start) -> c1 -> ... -> ck, then ck -> (conversion) or ck -> (null): weight
1 per journey, and the opportunity's amount as value on ck -> (conversion).

Portably. Only joins, anti-joins, distinct unions, group-by with count/sum/min, and the
window functions `row_number` and `lag` are used. Timestamps are never subtracted: the end
of a window compares two timestamps, and its start compares whole seconds since 1970
(`epoch_seconds()` floored, as in `funnel_rates`) with the creation's minus the lookback in
seconds, because SQLite before 3.46 cannot shift a timestamp by an interval. So the start is
exact to the second: a touch in the very second the lookback starts counts even if it came a
fraction of that second too early, where `rules.window()` would leave it out.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

import ibis

from accord.analytics.attribution import markov
from accord.analytics.attribution.markov import PathRow
from accord.analytics.attribution.rules import Options
from accord.analytics.tables import Tables, rows

START, CONVERSION, NULL = markov.START, markov.CONVERSION, markov.NULL
DAY = 86_400
CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Transitions:
    """The first-order chain's counts: journeys per transition between states.

    `transitions` holds every transition, (start) -> channel, channel -> channel and
    channel -> (conversion) or (null); the `*_by_last` dicts are its last column again,
    by the journey's last channel, with the converting journeys' value (Decimal).
    """

    transitions: dict[tuple[str, str], int]
    conversions_by_last: dict[str, int]
    value_by_last: dict[str, Decimal]
    nulls_by_last: dict[str, int]
    journeys: int  # converting journeys with a touch in their window
    null_journeys: int
    unattributed: list[tuple[int, Decimal | None]]  # (opportunity, amount), no touch in window

    def chain(self) -> markov.Transitions:
        """The counts as `markov.markov_from_transitions` reads them."""
        between = {
            (a, b): n
            for (a, b), n in self.transitions.items()
            if b not in (markov.CONVERSION, markov.NULL)
        }
        return markov.Transitions(
            counts=between,
            conversions=self.conversions_by_last,
            value={channel: float(v) for channel, v in self.value_by_last.items()},
            nulls=self.nulls_by_last,
        )


def journey_touches(
    t: Tables,
    *,
    basis: str = "pipeline",
    lookback_days: int = 365,
    period: tuple[datetime, datetime] | None = None,
) -> ibis.Table:
    """One row per opportunity and touch in its window (module docstring), built without I/O.

    Columns: opportunity_id, amount, opp_created_at, closed_at (won or lost; null while
    open), lead_created_at, touchpoint_id, occurred_at, channel (the channel's key),
    campaign_id. Every opportunity on pipeline basis, the won ones on revenue basis; with a
    `period`, those whose conversion moment lies in it (both ends inclusive).
    """
    Options(basis=basis, lookback_days=lookback_days)  # says what is wrong with them
    deals = _with_lead_creation(t, _converting(t, basis, _bounds(period)))
    touches = _window_touches(t, deals, lookback_days)
    return touches.select(
        "opportunity_id",
        "amount",
        "opp_created_at",
        "closed_at",
        "lead_created_at",
        "touchpoint_id",
        "occurred_at",
        "channel",
        "campaign_id",
    )


def transitions_query(
    t: Tables,
    *,
    basis: str = "pipeline",
    lookback_days: int = 365,
    as_of: datetime | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> dict[str, ibis.Table]:
    """The queries behind `transitions()`, built without I/O.

    "transitions": one row per transition (from_state, to_state, journeys, cents: the value
    of the converting journeys, on -> (conversion) rows); "unattributed": opportunity_id and
    cents of the converting opportunities with no touch in their window.
    """
    Options(basis=basis, lookback_days=lookback_days)
    period = _bounds(period) or _period(lookback_days, as_of)
    steps = _ordered(_steps(t, basis, lookback_days, period))
    moves = steps.filter(steps.previous.isnull() | (steps.previous != steps.channel)).select(
        from_state=steps.previous.coalesce(START),
        to_state=steps.channel,
        cents=ibis.null().cast("int64"),
    )
    ends = steps.filter(steps.following.isnull())
    ends = ends.select(
        from_state=ends.channel,
        to_state=ibis.ifelse(ends.converted, CONVERSION, NULL),
        cents=ends.cents,
    )
    both = moves.union(ends)
    matrix = both.group_by("from_state", "to_state").aggregate(
        # Plain integers from every driver: PostgreSQL's SUM of bigints is a numeric.
        journeys=both.count().cast("int64"),
        cents=both.cents.sum().cast("int64"),
    )
    deals = _converting(t, basis, period)
    touched = (
        _window_touches(t, deals, lookback_days)
        .group_by("opportunity_id")
        .aggregate(touches=lambda touches: touches.count())
    )
    # A left join on the counted deals, not an anti-join: SQLite ran the anti-join's
    # correlated subquery once per deal (108 s at the demo's size, a second this way).
    joined = deals.left_join(touched, "opportunity_id")
    missing = joined.filter(joined.touches.isnull())
    return {
        "transitions": matrix,
        "unattributed": missing.select("opportunity_id", cents=_cents(missing.amount)),
    }


def transitions(
    t: Tables,
    *,
    basis: str = "pipeline",
    lookback_days: int = 365,
    as_of: datetime | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> Transitions:
    """Journeys per transition of the first-order chain over the `lookback_days` before
    `as_of` (now by default), counted in the engine (module docstring)."""
    queries = transitions_query(
        t, basis=basis, lookback_days=lookback_days, as_of=as_of, period=period
    )
    counts: dict[tuple[str, str], int] = {}
    conversions: dict[str, int] = {}
    value: dict[str, Decimal] = {}
    nulls: dict[str, int] = {}
    for row in rows(queries["transitions"]):
        source, target = row["from_state"], row["to_state"]
        counts[source, target] = row["journeys"]
        if target == CONVERSION:
            conversions[source] = row["journeys"]
            value[source] = _money(row["cents"] or 0)
        elif target == NULL:
            nulls[source] = row["journeys"]
    unattributed = sorted(
        (row["opportunity_id"], _money(row["cents"])) for row in rows(queries["unattributed"])
    )
    return Transitions(
        transitions=dict(sorted(counts.items())),
        conversions_by_last=dict(sorted(conversions.items())),
        value_by_last=dict(sorted(value.items())),
        nulls_by_last=dict(sorted(nulls.items())),
        journeys=sum(conversions.values()),
        null_journeys=sum(nulls.values()),
        unattributed=unattributed,
    )


def path_query(
    t: Tables,
    *,
    basis: str = "pipeline",
    lookback_days: int = 365,
    as_of: datetime | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> ibis.Table:
    """The journeys' collapsed steps in path order (converted, journey, position, cents,
    channel), built without I/O: what `path_rows()` streams."""
    Options(basis=basis, lookback_days=lookback_days)
    period = _bounds(period) or _period(lookback_days, as_of)
    steps = _ordered(_steps(t, basis, lookback_days, period), last=False)
    kept = steps.filter(steps.previous.isnull() | (steps.previous != steps.channel))
    kept = kept.select("converted", "journey", "position", "cents", "channel")
    return kept.order_by("converted", "journey", "position")


def path_rows(
    t: Tables,
    *,
    basis: str = "pipeline",
    lookback_days: int = 365,
    as_of: datetime | None = None,
    period: tuple[datetime, datetime] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> list[PathRow]:
    """ChannelAttribution's path summary of the same journeys as `transitions()`: one row per
    distinct collapsed path, with its conversions, their value and its nulls; sorted by path.

    Ordered string aggregation is not portable, so the engine sends each journey's steps in
    order, `chunk_rows` rows at a time, and Python joins them into paths: memory grows with
    the number of distinct paths, not with the journeys or touches.
    """
    query = path_query(t, basis=basis, lookback_days=lookback_days, as_of=as_of, period=period)
    totals: dict[tuple[str, ...], list[int]] = {}  # path -> [conversions, cents, nulls]
    steps = _stream(query, chunk_rows)
    # SQLite says 1 or 0 for converted.
    for (converted, _), journey in groupby(steps, key=lambda step: (bool(step[0]), step[1])):
        journey = list(journey)  # one journey's steps at a time
        total = totals.setdefault(tuple(step[4] for step in journey), [0, 0, 0])
        if converted:
            total[0] += 1
            total[1] += journey[0][3] or 0
        else:
            total[2] += 1
    return [
        PathRow(path, conversions, Decimal(cents).scaleb(-2), nulls)
        for path, (conversions, cents, nulls) in sorted(totals.items())
    ]


# --- Queries --------------------------------------------------------------------------------


def _period(lookback_days: int, as_of: datetime | None) -> tuple[datetime, datetime]:
    if as_of is None:
        as_of = datetime.now(UTC)
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be time-zone aware")
    # The contract's timestamps are UTC without a zone; so are the literals compared to them.
    end = as_of.astimezone(UTC).replace(tzinfo=None)
    return end - timedelta(days=lookback_days), end


def _bounds(period: tuple[datetime, datetime] | None) -> tuple[datetime, datetime] | None:
    """A period of aware moments as the contract's naive UTC, checked."""
    if period is None:
        return None
    start, end = period
    if any(m.tzinfo is None or m.utcoffset() is None for m in period):
        raise ValueError("a period's start and end must be time-zone aware")
    if start > end:
        raise ValueError(f"the period starts ({start:%Y-%m-%d}) after it ends ({end:%Y-%m-%d})")
    return start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None)


def _seconds(timestamp: ibis.Value) -> ibis.Value:
    """Whole seconds since 1970: the same integer on every engine."""
    return timestamp.epoch_seconds().floor()


def _cents(amount: ibis.Value) -> ibis.Value:
    # Whole cents, so that sums are exact on engines that store money as floats (SQLite).
    return (amount * 100).round().cast("int64")


def _converting(t: Tables, basis: str, period: tuple[datetime, datetime] | None) -> ibis.Table:
    """The opportunities that convert on this basis (in the period, if given), with their
    conversion moment."""
    deals = t.opportunities
    if basis == "revenue":
        deals = deals.filter(deals.stage == "won", deals.closed_at.notnull())
    deals = deals.select(
        "opportunity_id",
        "account_id",
        "primary_lead_id",
        "amount",
        "closed_at",
        opp_created_at=deals.created_at,
        converted_at=deals.created_at if basis == "pipeline" else deals.closed_at,
    )
    if period is not None:
        start, end = period
        deals = deals.filter(deals.converted_at >= start, deals.converted_at <= end)
    return deals


def _with_lead_creation(t: Tables, deals: ibis.Table) -> ibis.Table:
    """The deals with lead_created_at: their primary lead's creation, else the earliest of
    their account's leads."""
    leads = t.leads
    primary = leads.select(primary_lead_id=leads.lead_id, primary_created_at=leads.created_at)
    earliest = (
        leads.filter(leads.account_id.notnull())
        .group_by("account_id")
        .aggregate(earliest_created_at=leads.created_at.min())
    )
    joined = deals.left_join(primary, "primary_lead_id").left_join(earliest, "account_id")
    return joined.select(
        *deals.columns,
        lead_created_at=joined.primary_created_at.coalesce(joined.earliest_created_at),
    )


def _window_touches(t: Tables, deals: ibis.Table, lookback_days: int) -> ibis.Table:
    """The deals' columns with touchpoint_id, occurred_at, channel and campaign_id, one row
    per deal and touch in its window."""
    leads = t.leads
    of_account = deals.inner_join(
        leads.select(account_id=leads.account_id, lead_id=leads.lead_id), "account_id"
    ).select("opportunity_id", "lead_id")
    of_primary = deals.filter(deals.primary_lead_id.notnull()).select(
        "opportunity_id", lead_id=deals.primary_lead_id
    )
    # Distinct: the primary lead is usually one of the account's leads too.
    journey_leads = of_account.union(of_primary, distinct=True)
    touches = t.touchpoints
    channels = t.channels.select(channel_id=t.channels.channel_id, channel=t.channels.key)
    touches = touches.inner_join(channels, "channel_id").select(
        "touchpoint_id", "lead_id", "occurred_at", "channel", "campaign_id"
    )
    joined = journey_leads.inner_join(touches, "lead_id").inner_join(deals, "opportunity_id")
    return joined.filter(
        _seconds(joined.occurred_at) >= _seconds(joined.opp_created_at) - lookback_days * DAY,
        joined.occurred_at <= joined.converted_at,
    )


def _steps(
    t: Tables, basis: str, lookback_days: int, period: tuple[datetime, datetime]
) -> ibis.Table:
    """Every touch of every journey of the period, converting or not:
    converted, journey (opportunity or visitor), cents, touchpoint_id, occurred_at, channel."""
    deals = _converting(t, basis, period)
    won = _window_touches(t, deals, lookback_days)
    won = won.select(
        converted=ibis.literal(True),
        journey=won.opportunity_id,
        cents=_cents(won.amount),
        touchpoint_id=won.touchpoint_id,
        occurred_at=won.occurred_at,
        channel=won.channel,
    )
    start, end = period
    leads = t.leads.select(
        "lead_id",
        # A lead without an account is a visitor of its own; ids are positive, so minus its
        # id never meets an account's.
        visitor=t.leads.account_id.coalesce(-t.leads.lead_id),
    )
    by_account = deals.filter(deals.account_id.notnull()).select(visitor=deals.account_id)
    by_primary = deals.inner_join(
        leads.rename(primary_lead_id="lead_id"), "primary_lead_id"
    ).select("visitor")
    converted = by_account.union(by_primary, distinct=True)
    touches = t.touchpoints
    touches = touches.filter(touches.occurred_at >= start, touches.occurred_at <= end)
    channels = t.channels.select(channel_id=t.channels.channel_id, channel=t.channels.key)
    lost = (
        touches.inner_join(channels, "channel_id")
        .inner_join(leads, "lead_id")
        .anti_join(converted, "visitor")
    )
    lost = lost.select(
        converted=ibis.literal(False),
        journey=lost.visitor,
        cents=ibis.null().cast("int64"),
        touchpoint_id=lost.touchpoint_id,
        occurred_at=lost.occurred_at,
        channel=lost.channel,
    )
    return won.union(lost)


def _ordered(steps: ibis.Table, *, last: bool = True) -> ibis.Table:
    """The steps with their `position` in the journey (0 for the first, in (time, id)
    order), the channel of the touch before (`previous`, null for the first) and, if
    `last`, of the touch after (`following`, null for the last: a touch's channel never is).
    All over one window, so the engine sorts the touches once."""
    journey = ("converted", "journey")
    forward = ibis.window(group_by=journey, order_by=("occurred_at", "touchpoint_id"))
    columns = {
        "position": ibis.row_number().over(forward),
        "previous": steps.channel.lag().over(forward),
    }
    if last:
        columns["following"] = steps.channel.lead().over(forward)
    return steps.mutate(**columns)


# --- Python's share --------------------------------------------------------------------------


def _stream(query: ibis.Table, chunk_rows: int) -> Iterator[tuple[Any, ...]]:
    """The query's rows as tuples, fetched `chunk_rows` at a time."""
    backend = ibis.get_backend(query)
    if backend.name in ("sqlite", "duckdb"):
        # Ibis's SQLite batches are one pandas frame of the whole result; the cursor streams.
        # Ibis 12 streams DuckDB with `fetch_record_batch`, which DuckDB 2 removed: a cursor
        # streams there too (a connection of its own, which closing leaves the backend's).
        sql = backend.compile(query)
        if backend.name == "sqlite":
            cursor = backend.raw_sql(sql)
        else:
            cursor = backend.con.cursor().execute(sql)
        try:
            while chunk := cursor.fetchmany(chunk_rows):
                yield from chunk
        finally:
            cursor.close()
        return
    for batch in backend.to_pyarrow_batches(query, chunk_size=chunk_rows):
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)
