"""Shapley attribution on channel sets, computed exactly on a path summary.

No Django imports here. Input: the path rows of `markov.py`. Order and repeats inside a
path are ignored: a journey is the set of channels it touched.

The game. Players are channels. The worth of a coalition S is the conversions of the
journeys whose channel set is a subset of S:

    v(S) = sum of R(T) over channel sets T contained in S,

with R(T) the conversions of journeys whose channel set is exactly T. This is the game of
Zhao et al. (2018), "Shapley value methods for attribution modeling in online advertising",
behind their simplified Shapley value. v is the sum of R(T) times the unanimity game of T,
Shapley values are linear, and a unanimity game is shared equally by its members, so

    credit(c) = sum of R(T) / |T| over the sets T that contain c:

each journey's conversions split equally among its distinct channels.

Why this game: it is defined on any path table (every coalition has a worth, whether or
not some journey had exactly that set), it is efficient (credits add up to the total
conversions), and it has that exact closed form, so no channel count is too large. The
rate-based games (Shao & Li 2011; Dalessandro et al. 2012, the basis of Google's
data-driven model: v(S) = conversion rate of journeys exposed to S) use the non-converting
journeys, but leave v(S) undefined for sets no journey had, need imputing, and have no
closed form. Here non-converting journeys add nothing to any coalition, so they do not
move credit (the Markov model is the one that uses them). Zhao et al.'s ordered variant
needs touch positions, which sets ignore on purpose.

Computation. Up to ENUMERATION_LIMIT channels, the Shapley formula itself is evaluated
over all 2^n coalitions (worths by a subset-sum transform, then the weighted marginal
contributions): that is the definition, and it checks the closed form. Beyond the limit
the closed form is used; it is exact, not an approximation. Conversion value is credited
by the same game with value in place of conversions.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from accord.analytics.attribution.markov import PathRow

ENUMERATION_LIMIT = 16
ENUMERATION = "enumeration"
CLOSED_FORM = "closed form"


@dataclass(frozen=True)
class ShapleyResult:
    channels: tuple[str, ...]
    credits: dict[str, float]
    shares: dict[str, float]
    value_credits: dict[str, float]
    method: str


def shapley(rows: Iterable[PathRow], *, method: str | None = None) -> ShapleyResult:
    """Shapley credits on channel sets (module docstring).

    `method` forces "enumeration" (at most ENUMERATION_LIMIT channels) or "closed form";
    by default enumeration is used up to the limit and the closed form beyond it.
    """
    sets = _channel_sets(rows)
    channels = tuple(sorted({channel for channel_set in sets for channel in channel_set}))
    if method is None:
        method = ENUMERATION if len(channels) <= ENUMERATION_LIMIT else CLOSED_FORM
    if method == ENUMERATION:
        if len(channels) > ENUMERATION_LIMIT:
            raise ValueError(
                f"enumeration over {len(channels)} channels would need 2^{len(channels)} "
                f"coalitions; the limit is {ENUMERATION_LIMIT} (use the closed form)"
            )
        conversion_credits, value_credits = _by_enumeration(sets, channels)
    elif method == CLOSED_FORM:
        conversion_credits, value_credits = _by_closed_form(sets, channels)
    else:
        raise ValueError(f"method must be {ENUMERATION!r} or {CLOSED_FORM!r}, not {method!r}")

    total = math.fsum(conversions for conversions, _ in sets.values())
    shares = {c: credit / total for c, credit in conversion_credits.items()} if total else {}
    return ShapleyResult(
        channels=channels,
        credits=conversion_credits,
        shares=shares,
        value_credits=value_credits,
        method=method,
    )


def _channel_sets(rows: Iterable[PathRow]) -> dict[frozenset[str], tuple[float, float]]:
    """Conversions and value per distinct channel set, summed exactly in a fixed order."""
    grouped: dict[frozenset[str], list[tuple[float, float]]] = {}
    for row in rows:
        if not isinstance(row, PathRow):
            raise ValueError(f"expected PathRow, got {row!r}")
        grouped.setdefault(frozenset(row.path), []).append((row.conversions, row.value))
    return {
        channel_set: (
            math.fsum(conversions for conversions, _ in grouped[channel_set]),
            math.fsum(value for _, value in grouped[channel_set]),
        )
        for channel_set in sorted(grouped, key=sorted)
    }


def _by_closed_form(
    sets: dict[frozenset[str], tuple[float, float]], channels: tuple[str, ...]
) -> tuple[dict[str, float], dict[str, float]]:
    parts: dict[str, list[tuple[float, float]]] = {channel: [] for channel in channels}
    for channel_set, (conversions, value) in sets.items():
        for channel in channel_set:
            parts[channel].append((conversions / len(channel_set), value / len(channel_set)))
    return (
        {channel: math.fsum(c for c, _ in parts[channel]) for channel in channels},
        {channel: math.fsum(v for _, v in parts[channel]) for channel in channels},
    )


def _by_enumeration(
    sets: dict[frozenset[str], tuple[float, float]], channels: tuple[str, ...]
) -> tuple[dict[str, float], dict[str, float]]:
    n = len(channels)
    bit = {channel: 1 << i for i, channel in enumerate(channels)}
    # worth[S] holds (conversions, value); coalition S is a bit mask over `channels`.
    worth = np.zeros((1 << n, 2))
    for channel_set, amounts in sets.items():
        worth[sum(bit[channel] for channel in channel_set)] += amounts
    # Subset sums: after bit i, worth[S] adds worth[S without i] for every S holding i.
    for i in range(n):
        halves = worth.reshape(-1, 2, 1 << i, 2)
        halves[:, 1] += halves[:, 0]

    masks = np.arange(1 << n)
    sizes = np.bitwise_count(masks)
    # Shapley weight of a coalition of s others: s! (n - 1 - s)! / n! = 1 / (n C(n-1, s)).
    weights = np.array([1 / (n * math.comb(n - 1, s)) for s in range(n)])
    conversion_credits, value_credits = {}, {}
    for channel in channels:
        without = masks[masks & bit[channel] == 0]
        marginal = worth[without | bit[channel]] - worth[without]
        credit = weights[sizes[without]] @ marginal
        conversion_credits[channel] = float(credit[0])
        value_credits[channel] = float(credit[1])
    return conversion_credits, value_credits
