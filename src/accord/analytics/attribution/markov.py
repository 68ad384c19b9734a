"""Markov attribution: first-order removal effects, solved exactly on a path summary.

No Django imports here, and no I/O but writing and reading path tables as CSV. The input
is a path summary in ChannelAttribution's format: one row per distinct path, with the
journeys on it that converted (`total_conversions`), their value (`total_conversion_value`)
and the journeys that did not convert (`total_null`); as `PathRow`s, or in columns as a
`PathTable` (`read_path_table` reads a CSV file into one with Arrow, a million journeys in
a fraction of a second). The engine builds that table; this module gets the small result
as Python data. Counting the transitions is vectorised (NumPy), so a million journeys'
table takes a tenth of a second here, and the solve is on a matrix as small as the
channels.

The chain. States are (start), each channel, (conversion) and (null). Consecutive repeats
of a channel are collapsed first (a > a > b > a is a > b > a), as ChannelAttribution does
for order 1, so there are no self-loops. Every journey on a path contributes the
transitions start -> c1 -> ... -> ck, then ck -> (conversion) if it converted or
ck -> (null) if not. Transition probabilities are the counts over each state's outflow.

Removal effects. Removing channel c sends every transition into c to (null), the usual
convention (Anderl et al. 2014) and the one ChannelAttribution follows:

    RE(c) = 1 - P_without_c / P_full,    P = P(start is absorbed in conversion).

ChannelAttribution 2.2.x estimates this by simulation: RE(c) is the fraction of simulated
conversions whose path visited c, which is the same quantity, since a journey converts in
the chain without c exactly when it converts without visiting c. Here it is solved. With
Q the transitions among transient states (start and the channels), N = (I - Q)^-1 the
fundamental matrix and x = N r the absorption probabilities into conversion (r = one-step
probability of converting), the chance of reaching c from start is N[s, c] / N[c, c], and
by the Markov property at the first visit to c

    P_full - P_without_c = (N[s, c] / N[c, c]) * x[c],
    RE(c) = N[s, c] * x[c] / (N[c, c] * x[s]).

One LU solve of (I - Q) gives all of N, so every removal effect costs O(n^3) once instead
of one solve per channel. Shares are the removal effects over their sum (the sum is at least
1 whenever anything converts: every converting journey visits a channel), and a channel's
conversions are its share times the total conversions.

Conversion value, as ChannelAttribution does it: a separate value-weighted removal effect,
not the conversion shares reused. Its simulation gives each simulated conversion a value
drawn from the observed values per conversion of the paths that ended on the same last
channel, so the expected value of a conversion from last channel l is
m_l = (value of paths ending on l) / (conversions of paths ending on l). The value chain
is the same chain with reward m_l on l -> (conversion); with r_v[l] = p(l -> conversion) m_l
= (value ending on l) / (outflow of l) and x_v = N r_v:

    VRE(c) = N[s, c] * x_v[c] / (N[c, c] * x_v[s]),
    value(c) = VRE(c) / sum(VRE) * total value.

Value and conversion shares differ when channels close deals of different sizes.

Differences from ChannelAttribution, on purpose: the numbers are exact, not simulated;
simulated paths there stop after the longest observed path (its `max_step` default) and the
longer ones are dropped, which biases removal effects on chains with loops, so our numbers
are its limit for a large `max_step`; and journey counts may be fractional weights.

Facts that check the solve: x[s] equals total conversions / journeys, and x_v[s] total
value / journeys, because the fitted chain conserves the observed flow at every state.
"""

import csv
import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, groupby
from operator import attrgetter, itemgetter
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

SEPARATOR = " > "
CSV_HEADER = ("path", "total_conversions", "total_conversion_value", "total_null")


@dataclass(frozen=True)
class PathRow:
    """Journeys that followed one path: how many converted, their value, how many did not."""

    path: tuple[str, ...]
    conversions: float
    value: float
    nulls: float

    def __post_init__(self) -> None:
        if isinstance(self.path, str) or not isinstance(self.path, Sequence):
            raise ValueError(f"path must be a sequence of channel names, not {self.path!r}")
        path = tuple(self.path)
        if not path:
            raise ValueError("path is empty")
        for channel in path:
            if not isinstance(channel, str) or not channel.strip():
                raise ValueError(f"path {path!r} has an empty or non-text channel name")
        object.__setattr__(self, "path", path)
        for name in ("conversions", "value", "nulls"):
            object.__setattr__(self, name, _count(name, getattr(self, name)))
        if self.value > 0 and self.conversions == 0:
            raise ValueError(f"value {self.value} on a path with no conversions")


@dataclass(frozen=True)
class MarkovResult:
    """Per channel, sorted by name. With no conversions (or no value) the shares are empty,
    removal effects and attributed amounts 0."""

    channels: tuple[str, ...]
    removal_effects: dict[str, float]
    shares: dict[str, float]
    conversions: dict[str, float]
    value_removal_effects: dict[str, float]
    value_shares: dict[str, float]
    value: dict[str, float]
    conversion_probability: float
    total_conversions: float
    total_value: float
    total_null: float


def collapse(path: Iterable[str]) -> tuple[str, ...]:
    """The path with consecutive repeats of a channel collapsed: a>a>b>a is a>b>a."""
    return tuple([channel for channel, _ in groupby(path)])


def parse_path(text: str, sep: str = SEPARATOR) -> tuple[str, ...]:
    """Channels of a path written as text; spaces around each name are dropped."""
    if not isinstance(text, str):
        raise ValueError(f"path must be text, not {text!r}")
    # Interned: a large table names a few channels millions of times, so each name is then
    # one string in memory and compares by identity when the model maps names to states.
    channels = tuple([sys.intern(part.strip()) for part in text.split(sep)])
    if channels == ("",):
        raise ValueError("path is empty")
    if "" in channels:
        raise ValueError(f"path {text!r} has an empty channel name")
    return channels


def read_paths(rows: Iterable[Mapping[str, Any]], sep: str = SEPARATOR) -> list[PathRow]:
    """Path rows from dicts in ChannelAttribution's columns (numbers may be numeric text).

    `path` is either text joined with `sep` or a sequence of channel names.
    """
    result = []
    for number, row in enumerate(rows, start=1):
        try:
            path = row["path"]
            result.append(
                PathRow(
                    path=parse_path(path, sep) if isinstance(path, str) else path,
                    conversions=_count("total_conversions", row["total_conversions"]),
                    value=_count("total_conversion_value", row["total_conversion_value"]),
                    nulls=_count("total_null", row["total_null"]),
                )
            )
        except (KeyError, ValueError) as error:
            detail = f"missing column {error}" if isinstance(error, KeyError) else error
            raise ValueError(f"path row {number} ({dict(row)!r}): {detail}") from None
    return result


def path_table_csv(rows: Iterable[PathRow], file: IO[str]) -> None:
    """Write rows in ChannelAttribution's format, to run it on the same data.

    Its reader splits paths on ">" and needs whole conversion and null counts, so a channel
    name containing ">" is refused and whole numbers are written without a decimal point.
    """
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        for channel in row.path:
            if ">" in channel:
                raise ValueError(f"channel name {channel!r} contains '>', the path separator")
        writer.writerow(
            [
                SEPARATOR.join(row.path),
                _number_text(row.conversions),
                _number_text(row.value),
                _number_text(row.nulls),
            ]
        )


def markov(rows: "Iterable[PathRow] | PathTable") -> MarkovResult:
    """First-order Markov removal effects and attribution, solved exactly (module docstring).

    `rows`: path rows, or the same table in columns (`PathTable`, which `read_path_table`
    reads from a CSV file)."""
    table = rows if isinstance(rows, PathTable) else PathTable.of(rows)
    counts, to_conversion, value_at_end, to_null = _transition_counts(table)
    return _solve(table.channels, counts, to_conversion, value_at_end, to_null)


@dataclass(frozen=True, eq=False)
class PathTable:
    """A path summary in columns, as the model works on it: the channels' names (sorted),
    every touch of every path as an index into them (path after path, in `states`), the
    touches per path (`lengths`) and per path the conversions, their value and the nulls.
    Built from checked rows (`of`) or by `read_path_table`, which check what they take."""

    channels: tuple[str, ...]
    states: np.ndarray
    lengths: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray

    @classmethod
    def of(cls, rows: Iterable[PathRow]) -> "PathTable":
        rows = list(rows)
        if not set(map(type, rows)) <= {PathRow}:
            wrong = next(row for row in rows if type(row) is not PathRow)
            raise ValueError(f"expected PathRow, got {wrong!r}")
        paths = [row.path for row in rows]
        names = list(chain.from_iterable(paths))
        channels = tuple(sorted(set(names)))
        index = {channel: i for i, channel in enumerate(channels)}
        # itemgetter looks every name up in one C loop (given two names or more it returns
        # a tuple).
        looked_up = itemgetter(*names)(index) if len(names) > 1 else [index[n] for n in names]
        outcomes = (
            np.fromiter(map(attrgetter(name), rows), dtype=float, count=len(rows))
            for name in ("conversions", "value", "nulls")
        )
        return cls(
            channels,
            np.fromiter(looked_up, dtype=np.intp, count=len(names)),
            np.fromiter(map(len, paths), dtype=np.intp, count=len(paths)),
            *outcomes,
        )


def read_path_table(source: "str | os.PathLike | IO[bytes]", sep: str = SEPARATOR) -> PathTable:
    """A path summary CSV in ChannelAttribution's columns, read into a PathTable.

    The same rules as `read_paths` (other columns are ignored; names are trimmed; counts
    must be finite and not negative; value needs conversions), but read by Arrow's CSV
    reader and split and coded by its compute functions, in C++: a million journeys' table
    in a fraction of a second. A bad file raises ValueError naming the first bad row
    (numbered from 1 after the header, as `read_paths` numbers them) and why.
    """
    numbers = CSV_HEADER[1:]
    try:
        data = pa_csv.read_csv(
            source,
            convert_options=pa_csv.ConvertOptions(
                column_types={"path": pa.string(), **dict.fromkeys(numbers, pa.float64())},
                include_columns=list(CSV_HEADER),
                # Only an empty field is missing: a channel may be called "NA" or "null".
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError) as error:
        raise ValueError(f"not a path table in ChannelAttribution's columns: {error}") from None
    # One array per column, so that one dictionary codes all the channel names.
    columns = {name: data.column(name).combine_chunks() for name in CSV_HEADER}
    for name, column in columns.items():
        if column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise ValueError(f"path row {row + 1}: {name} is empty")
    conversions, value, nulls = (columns[name].to_numpy() for name in numbers)
    for name, values in zip(numbers, (conversions, value, nulls), strict=True):
        if (bad := np.flatnonzero(~np.isfinite(values) | (values < 0))).size:
            row = int(bad[0])
            raise ValueError(
                f"path row {row + 1}: {name} must be a finite number, not negative, "
                f"not {values[row]!r} ({bad.size} such rows)"
            )
    if (wrong := np.flatnonzero((value > 0) & (conversions == 0))).size:
        row = int(wrong[0])
        raise ValueError(f"path row {row + 1}: value {value[row]} on a path with no conversions")

    split = pc.split_pattern(columns["path"], pattern=sep)
    lengths = pc.list_value_length(split).to_numpy().astype(np.intp)
    # Coded first and trimmed after: the dictionary of distinct spellings is short, and
    # " webinar" and "webinar" become one channel by renumbering its codes.
    coded = pc.dictionary_encode(pc.list_flatten(split))
    spellings = [name.strip() for name in coded.dictionary.to_pylist()]
    channels = sorted(set(spellings))
    position = {name: i for i, name in enumerate(channels)}
    renumber = np.array([position[name] for name in spellings], dtype=np.intp)
    states = renumber[coded.indices.to_numpy().astype(np.intp)]
    if channels and channels[0] == "":
        row = int(np.searchsorted(np.cumsum(lengths), np.argmax(states == 0), side="right"))
        path = columns["path"][row].as_py()
        raise ValueError(f"path row {row + 1}: path {path!r} has an empty channel name")
    return PathTable(
        channels=tuple(map(sys.intern, channels)),
        states=states,
        lengths=lengths,
        conversions=conversions,
        value=value,
        nulls=nulls,
    )


START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"  # the chain's other states


@dataclass(frozen=True)
class Transitions:
    """The chain's counts, as an engine can aggregate them without building paths.

    `counts[(a, b)]`: journeys that went from `a` (a channel, or START) to channel `b`,
    consecutive repeats already collapsed; `conversions`, `value` and `nulls` per channel:
    the journeys that ended on it and converted (and their value) or did not.
    """

    counts: Mapping[tuple[str, str], float]
    conversions: Mapping[str, float]
    value: Mapping[str, float]
    nulls: Mapping[str, float]


def markov_from_transitions(transitions: Transitions) -> MarkovResult:
    """The same as `markov()` on the paths these counts came from."""
    channels = tuple(
        sorted(
            {b for _, b in transitions.counts}
            | {a for a, _ in transitions.counts if a != START}
            | set(transitions.conversions)
            | set(transitions.value)
            | set(transitions.nulls)
        )
    )
    n = len(channels)
    index = {channel: i for i, channel in enumerate(channels)} | {START: n}
    counts = np.zeros((n + 1, n + 1))
    for (a, b), number in sorted(transitions.counts.items()):
        if b == START or a == b:
            raise ValueError(f"transition {a} -> {b} cannot happen in a collapsed chain")
        counts[index[a], index[b]] += _count(f"transition {a} -> {b}", number)
    ends = []
    for mapping, name in (
        (transitions.conversions, "conversions"),
        (transitions.value, "value"),
        (transitions.nulls, "nulls"),
    ):
        column = np.zeros(n + 1)
        for channel, number in sorted(mapping.items()):
            column[index[channel]] += _count(f"{name} of {channel}", number)
        ends.append(column)
    return _solve(channels, counts, *ends)


def _solve(channels, counts, to_conversion, value_at_end, to_null) -> MarkovResult:
    total_conversions = math.fsum(to_conversion)
    total_value = math.fsum(value_at_end)
    total_null = math.fsum(to_null)
    n = len(channels)
    start = n
    outflow = counts.sum(axis=1) + to_conversion + to_null
    # A state no journey left (only channels of rows with no journeys) has no transitions:
    # it is a dead end, which the chain treats like (null).
    scale = np.divide(1.0, outflow, out=np.zeros_like(outflow), where=outflow > 0)
    transient = counts * scale[:, None]
    rewards = np.column_stack([to_conversion * scale, value_at_end * scale])
    # The diagonal of N is needed, so the whole of N is solved for, once. I - Q is
    # invertible: every state with outflow reaches (conversion) or (null) with a chance > 0.
    fundamental = np.linalg.solve(np.eye(n + 1) - transient, np.eye(n + 1))
    absorbed = fundamental @ rewards  # columns: P(conversion), expected value

    removal_effects = _removal_effects(fundamental, absorbed[:, 0], start, channels)
    value_removal_effects = _removal_effects(fundamental, absorbed[:, 1], start, channels)
    shares, conversions = _attribute(removal_effects, total_conversions)
    value_shares, value = _attribute(value_removal_effects, total_value)
    return MarkovResult(
        channels=channels,
        removal_effects=removal_effects,
        shares=shares,
        conversions=conversions,
        value_removal_effects=value_removal_effects,
        value_shares=value_shares,
        value=value,
        conversion_probability=float(absorbed[start, 0]),
        total_conversions=total_conversions,
        total_value=total_value,
        total_null=total_null,
    )


def _transition_counts(
    table: PathTable,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Journeys between transient states (the channels in order, then start), and per state
    the journeys that converted from it, their value, and the journeys that stopped there.

    Vectorised: a touch is a transition unless it repeats the state before it in its path
    (that is the collapse), and the transitions are counted by one weighted bincount over
    (from, to) pairs. The sums are exact (see _exact_sums), so the order of the rows does
    not change the result by a single bit.
    """
    states, lengths = table.states, table.lengths
    touches = len(states)
    start = len(table.channels)
    size = start + 1
    journeys = table.conversions + table.nulls
    ends = np.cumsum(lengths) - 1
    # Each touch comes from the touch before it, or from start when it opens its path; it
    # is a transition unless it repeats the state it comes from.
    previous = np.empty(touches, dtype=np.intp)
    previous[1:] = states[:-1]
    previous[ends[:-1] + 1] = start
    previous[:1] = start
    moves = previous != states
    keys = (previous * size + states)[moves]
    weights = np.repeat(journeys, lengths)[moves]
    counts = _exact_sums(keys, weights, size * size).reshape(size, size)
    to_conversion, value_at_end, to_null = (
        _exact_sums(states[ends], outcome, size)
        for outcome in (table.conversions, table.value, table.nulls)
    )
    return counts, to_conversion, value_at_end, to_null


def _exact_sums(keys: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """The weights summed per key (0..size-1), each sum correctly rounded.

    Whole-number weights whose total stays below 2**53 (journey counts, whole-currency
    values) add up exactly in floating point in any order, so one bincount does; other
    weights are grouped by key and each group added with math.fsum.
    """
    if not len(keys):
        return np.zeros(size)
    if np.all(weights == np.floor(weights)) and float(weights.sum()) < 2.0**53:
        return np.bincount(keys, weights=weights, minlength=size).astype(float)
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(size + 1))
    ordered = weights[order].tolist()
    return np.array(
        [math.fsum(ordered[bounds[k] : bounds[k + 1]]) for k in range(size)], dtype=float
    )


def _removal_effects(
    fundamental: np.ndarray, absorbed: np.ndarray, start: int, channels: tuple[str, ...]
) -> dict[str, float]:
    """RE(c) = N[s, c] x[c] / (N[c, c] x[s]); all 0 when nothing converts (x[s] = 0)."""
    if absorbed[start] <= 0:
        return {channel: 0.0 for channel in channels}
    effects = {}
    for i, channel in enumerate(channels):
        effect = fundamental[start, i] * absorbed[i] / (fundamental[i, i] * absorbed[start])
        # Rounding can put a channel that every conversion passes a hair above 1.
        effects[channel] = min(1.0, max(0.0, float(effect)))
    return effects


def _attribute(
    effects: dict[str, float], total: float
) -> tuple[dict[str, float], dict[str, float]]:
    """Shares (empty when there is nothing to share) and the total split by them."""
    weight = math.fsum(effects.values())
    if total <= 0 or weight <= 0:
        return {}, {channel: 0.0 for channel in effects}
    shares = {channel: effect / weight for channel, effect in effects.items()}
    return shares, {channel: share * total for channel, share in shares.items()}


def _count(name: str, number: Any) -> float:
    if isinstance(number, bool):
        raise ValueError(f"{name} must be a number, not {number!r}")
    try:
        result = float(number)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {number!r}") from None
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, not {number!r}")
    if result < 0:
        raise ValueError(f"{name} must not be negative, not {number!r}")
    return result


def _number_text(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)
