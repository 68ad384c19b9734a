"""Shapley credits on channel sets: the definition by hand, enumeration against closed form.

A three-channel table is worked through the Shapley formula by hand (coalition worths and
weights in the comments). Hypothesis checks on random tables that enumerating coalitions
and the closed form agree and that credits add up to the totals. Then the edges: order and
repeats, journeys that never converted, one channel, empty input, many channels.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.analytics.attribution.markov import PathRow
from accord.analytics.attribution.shapley import (
    CLOSED_FORM,
    ENUMERATION,
    ENUMERATION_LIMIT,
    shapley,
)

# Journeys by channel set: {a} 1 conversion (value 10), {a, b} 3 (value 90),
# {a, b, c} 6 (value 120), and 4 journeys on {c} that did not convert.
# Worth v(S) = conversions of journeys whose set lies inside S:
#   v(a) = 1, v(b) = v(c) = v(bc) = 0, v(ab) = 1 + 3 = 4, v(ac) = 1, v(abc) = 10.
# With 3 players a coalition of s others weighs s! (2 - s)! / 3!: 1/3, 1/6, 1/6, 1/3.
#   a: 1/3 (v(a) - 0) + 1/6 (v(ab) - v(b)) + 1/6 (v(ac) - v(c)) + 1/3 (v(abc) - v(bc))
#      = 1/3 + 4/6 + 1/6 + 10/3 = 4.5
#   b: 1/3 * 0 + 1/6 (4 - 1) + 1/6 (0 - 0) + 1/3 (10 - 1) = 0.5 + 3 = 3.5
#   c: 1/3 * 0 + 1/6 (1 - 1) + 1/6 (0 - 0) + 1/3 (10 - 4) = 2
# The closed form agrees: a = 1 + 3/2 + 6/3, b = 3/2 + 6/3, c = 6/3.
# Value, the same game: a = 10 + 90/2 + 120/3 = 95, b = 45 + 40 = 85, c = 40.
TABLE = [
    PathRow(("a",), 1, 10, 2),
    PathRow(("b", "a"), 3, 90, 5),
    PathRow(("a", "b", "c"), 6, 120, 0),
    PathRow(("c",), 0, 0, 4),
]


@pytest.mark.parametrize("method", [ENUMERATION, CLOSED_FORM])
def test_three_channels_get_the_credit_worked_by_hand(method):
    result = shapley(TABLE, method=method)

    assert result.method == method
    assert result.channels == ("a", "b", "c")
    assert result.credits == pytest.approx({"a": 4.5, "b": 3.5, "c": 2.0}, rel=1e-12)
    assert result.shares == pytest.approx({"a": 0.45, "b": 0.35, "c": 0.2}, rel=1e-12)
    assert result.value_credits == pytest.approx({"a": 95, "b": 85, "c": 40}, rel=1e-12)


def test_enumeration_is_the_default_up_to_the_limit():
    assert shapley(TABLE).method == ENUMERATION


def test_order_and_repeats_inside_a_path_are_ignored():
    assert (
        shapley([PathRow(("a", "b", "a", "a"), 2, 20, 1)]).credits
        == shapley([PathRow(("b", "a"), 2, 20, 1)]).credits
        == {"a": 1.0, "b": 1.0}
    )


def test_journeys_that_never_converted_move_no_credit():
    with_nulls = shapley([*TABLE, PathRow(("b",), 0, 0, 500)])

    assert with_nulls.credits == pytest.approx(shapley(TABLE).credits, rel=1e-12)


def test_a_single_channel_gets_everything():
    result = shapley([PathRow(("webinar",), 3, 300, 9), PathRow(("webinar",), 1, 50, 0)])

    assert result.channels == ("webinar",)
    assert result.credits == {"webinar": 4.0}
    assert result.shares == {"webinar": 1.0}
    assert result.value_credits == {"webinar": 350.0}


def test_empty_input_gives_an_empty_result():
    result = shapley([])

    assert (result.channels, result.credits, result.shares, result.value_credits) == (
        (),
        {},
        {},
        {},
    )


def test_no_conversions_gives_zero_credit_and_no_shares():
    result = shapley([PathRow(("a", "b"), 0, 0, 7)])

    assert result.credits == {"a": 0.0, "b": 0.0}
    assert result.shares == {}


def test_beyond_the_limit_the_closed_form_is_used_and_enumeration_is_refused():
    channels = [f"channel_{i:02d}" for i in range(ENUMERATION_LIMIT + 4)]
    table = [PathRow(tuple(channels[i : i + 3]), 1 + i % 3, 10 * i, 1) for i in range(18)]

    result = shapley(table)

    assert result.method == CLOSED_FORM
    assert math.fsum(result.credits.values()) == pytest.approx(sum(r.conversions for r in table))
    with pytest.raises(ValueError, match=f"2\\^{len(channels)} coalitions"):
        shapley(table, method=ENUMERATION)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be"):
        shapley(TABLE, method="sampling")


tables = st.lists(
    st.builds(
        lambda path, conversions, nulls, per_conversion: PathRow(
            tuple(path), conversions, conversions * per_conversion, nulls
        ),
        st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6),
        st.floats(0, 50).map(lambda x: round(x, 2)),
        st.integers(0, 6),
        st.integers(1, 500),
    ),
    max_size=12,
)


@settings(deadline=None, database=None)
@given(tables)
def test_enumeration_and_closed_form_agree(table):
    enumerated = shapley(table, method=ENUMERATION)
    closed = shapley(table, method=CLOSED_FORM)

    assert enumerated.channels == closed.channels
    assert enumerated.credits == pytest.approx(closed.credits, rel=1e-9, abs=1e-9)
    assert enumerated.value_credits == pytest.approx(closed.value_credits, rel=1e-9, abs=1e-7)


@settings(deadline=None, database=None)
@given(tables, st.sampled_from([ENUMERATION, CLOSED_FORM]))
def test_credits_add_up_to_the_totals(table, method):
    result = shapley(table, method=method)

    total = math.fsum(row.conversions for row in table)
    assert math.fsum(result.credits.values()) == pytest.approx(total, rel=1e-12, abs=1e-9)
    assert math.fsum(result.value_credits.values()) == pytest.approx(
        math.fsum(row.value for row in table), rel=1e-12, abs=1e-7
    )
    assert all(credit >= -1e-9 for credit in result.credits.values())
    if total:
        assert math.fsum(result.shares.values()) == pytest.approx(1, abs=1e-12)
