"""Markov removal effects, the exact solve: hand-worked chains, ChannelAttribution, edges.

A two-channel chain with a loop is worked by hand as fractions (the algebra is in the
comments), for conversions and for value. ChannelAttribution 2.2.5's own output on two
tables must agree within its simulation noise. Then the edges: repeats, a channel every
conversion needs, one channel, no conversions, only nulls, empty input, bad rows. Hypothesis
checks on random tables that shares sum to 1, that removal effects match an independent
exact solve in fractions that really removes each channel, and that row order is irrelevant.
"""

import csv
import io
import math
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.analytics.attribution.markov import (
    START,
    MarkovResult,
    PathRow,
    Transitions,
    collapse,
    markov,
    markov_from_transitions,
    parse_path,
    path_table_csv,
    read_path_table,
    read_paths,
)


def assert_attribution_adds_up(result: MarkovResult):
    assert math.fsum(result.shares.values()) == pytest.approx(1, abs=1e-12)
    assert math.fsum(result.conversions.values()) == pytest.approx(result.total_conversions)
    if result.total_value:
        assert math.fsum(result.value_shares.values()) == pytest.approx(1, abs=1e-12)
        assert math.fsum(result.value.values()) == pytest.approx(result.total_value)


# Two channels, three paths, a loop between a and b (4 journeys on each path):
#
#   path    conversions  value  nulls
#   a       2            200    2
#   a > b   3            900    1
#   b > a   1            100    3
#
# Transitions: start->a 8, start->b 4; a->b 4, a->conv 2+1, a->null 2+3 (a's outflow 12);
# b->a 4, b->conv 3, b->null 1 (b's outflow 8). So from start: a 2/3, b 1/3; from a:
# b 1/3, conv 1/4, null 5/12; from b: a 1/2, conv 3/8, null 1/8.
#
# P(conversion) from each state, x:
#   x_a = 1/4 + x_b/3,  x_b = 3/8 + x_a/2  =>  x_a = 3/8 + x_a/6  =>  x_a = 9/20, x_b = 3/5
#   P_full = 2/3 * 9/20 + 1/3 * 3/5 = 3/10 + 1/5 = 1/2   (= 6 conversions / 12 journeys)
# Without a (start->a and b->a go to null): P = 1/3 * 3/8 = 1/8, RE(a) = 1 - (1/8)/(1/2) = 3/4
# Without b (start->b and a->b go to null): P = 2/3 * 1/4 = 1/6, RE(b) = 1 - (1/6)/(1/2) = 2/3
# Shares: 3/4 : 2/3 = 9 : 8, so a gets 9/17 of the 6 conversions and b 8/17.
LOOP = [
    PathRow(("a",), 2, 200, 2),
    PathRow(("a", "b"), 3, 900, 1),
    PathRow(("b", "a"), 1, 100, 3),
]


def test_removal_effects_of_a_chain_with_a_loop_match_the_algebra():
    result = markov(LOOP)

    assert result.channels == ("a", "b")
    assert result.conversion_probability == pytest.approx(float(Fraction(1, 2)), rel=1e-12)
    assert result.removal_effects == {
        "a": pytest.approx(float(Fraction(3, 4)), rel=1e-12),
        "b": pytest.approx(float(Fraction(2, 3)), rel=1e-12),
    }
    assert result.shares == {
        "a": pytest.approx(float(Fraction(9, 17)), rel=1e-12),
        "b": pytest.approx(float(Fraction(8, 17)), rel=1e-12),
    }
    assert result.conversions == {
        "a": pytest.approx(float(Fraction(54, 17)), rel=1e-12),
        "b": pytest.approx(float(Fraction(48, 17)), rel=1e-12),
    }
    assert (result.total_conversions, result.total_value, result.total_null) == (6, 1200, 6)
    assert_attribution_adds_up(result)


def test_value_is_attributed_by_its_own_removal_effects():
    # Same chain. A conversion's value is the mean value per conversion of the paths that
    # ended on its last channel: m_a = (200 + 100) / (2 + 1) = 100, m_b = 900 / 3 = 300.
    # Expected value from each state, y (conversion from a pays 100, from b pays 300):
    #   y_a = 1/4 * 100 + y_b/3,  y_b = 3/8 * 300 + y_a/2
    #   =>  y_a = 25 + 37.5 + y_a/6  =>  y_a = 75, y_b = 150
    #   y_start = 2/3 * 75 + 1/3 * 150 = 100   (= 1200 value / 12 journeys)
    # Without a: 1/3 * 112.5 = 37.5, VRE(a) = 1 - 37.5/100 = 5/8
    # Without b: 2/3 * 25 = 50/3,    VRE(b) = 1 - (50/3)/100 = 5/6
    # Value shares 5/8 : 5/6 = 3 : 4, so a gets 3/7 of the 1200 and b 4/7. b closes the
    # bigger deals, so its value share is above its conversion share (8/17).
    result = markov(LOOP)

    assert result.value_removal_effects == {
        "a": pytest.approx(5 / 8, rel=1e-12),
        "b": pytest.approx(5 / 6, rel=1e-12),
    }
    assert result.value_shares == {
        "a": pytest.approx(3 / 7, rel=1e-12),
        "b": pytest.approx(4 / 7, rel=1e-12),
    }
    assert result.value == {
        "a": pytest.approx(3600 / 7, rel=1e-12),
        "b": pytest.approx(4800 / 7, rel=1e-12),
    }


# The toy table of Sergey Bryl's "Marketing Multi-Channel Attribution model with R (part 1:
# Markov chains concept)", analyzecore.com, 2016: by hand, P_full = 1/3 and P without c1 =
# 1/6, so RE = 1/2, 1, 1 and c1, c2, c3 get 0.2, 0.4, 0.4 of the one conversion.
# ChannelAttribution 2.2.5 (PyPI, Python) printed, for markov_model(Data, "path", "conv",
# var_value="value", var_null="null", out_more=True) with its defaults (seed 0):
#   c1  total_conversions 0.200949  value 200.948992  removal effects 0.502969 (both)
#   c2                    0.399526        399.525504                  1.0
#   c3                    0.399526        399.525504                  1.0
TOY = [
    PathRow(("c1", "c2", "c3"), 1, 1000, 0),
    PathRow(("c1",), 0, 0, 1),
    PathRow(("c2", "c3"), 0, 0, 1),
]


def simulation_noise(effect, conversion_probability, simulations):
    """Standard error of a removal effect that ChannelAttribution estimates as a fraction
    of its simulated conversions. It reports one fold of nsim_start / nfold (10) paths or
    more, so this is an upper bound."""
    simulated_conversions = simulations / 10 * conversion_probability
    return math.sqrt(effect * (1 - effect) / simulated_conversions)


def test_the_analyzecore_toy_matches_the_algebra_and_channel_attribution():
    result = markov(TOY)

    assert result.removal_effects == {"c1": 0.5, "c2": 1.0, "c3": 1.0}
    assert result.conversions == pytest.approx({"c1": 0.2, "c2": 0.4, "c3": 0.4}, rel=1e-12)
    assert result.value == pytest.approx({"c1": 200, "c2": 400, "c3": 400}, rel=1e-12)
    noise = simulation_noise(0.5, result.conversion_probability, 1e5)
    assert result.removal_effects["c1"] == pytest.approx(0.502969, abs=4 * noise)
    assert result.conversions["c1"] == pytest.approx(0.200949, abs=4 * noise)


# A small B2B table with repeats and loops, written by path_table_csv and given to
# ChannelAttribution 2.2.5 (PyPI, Python): markov_model(Data, "path", "total_conversions",
# var_value="total_conversion_value", var_null="total_null", out_more=True), seed 0.
REFERENCE = [
    PathRow(("paid_search",), 30, 3000, 270),
    PathRow(("email",), 10, 800, 190),
    PathRow(("paid_search", "email"), 20, 2600, 80),
    PathRow(("webinar", "paid_search"), 15, 2250, 35),
    PathRow(("webinar", "email", "webinar"), 8, 1600, 12),
    PathRow(("organic",), 12, 900, 288),
    PathRow(("organic", "paid_search", "organic"), 6, 600, 44),
    PathRow(("events", "webinar", "paid_search"), 9, 2700, 21),
    PathRow(("events",), 4, 1200, 46),
    PathRow(("email", "email", "paid_search", "email"), 7, 700, 43),
    PathRow(("paid_search", "webinar", "paid_search", "webinar"), 5, 1000, 15),
    PathRow(("events", "organic", "events"), 0, 0, 30),
    PathRow(("webinar",), 3, 450, 47),
]
# Printed with nsim_start=1e7 and max_step=1000 (its default max_step cuts simulated paths
# at the longest observed one, which biases chains with loops; ours is that limit):
#   channel      conversions  value        RE conversions  RE value
CHANNEL_ATTRIBUTION_LONG = {
    "paid_search": (51.656347, 7264.858146, 0.571445, 0.583501),
    "email": (31.129218, 3681.881174, 0.344365, 0.295722),
    "webinar": (20.921560, 3439.612698, 0.231444, 0.276264),
    "organic": (18.142936, 1938.477532, 0.200705, 0.155695),
    "events": (7.149939, 1475.170450, 0.079096, 0.118483),
}
# Printed with its defaults (nsim_start=1e5, max_step = longest path):
CHANNEL_ATTRIBUTION_DEFAULT = {
    "paid_search": (52.375940, 7385.380196, 0.576439, 0.588514),
    "email": (30.587272, 3546.753297, 0.336637, 0.282628),
    "webinar": (20.645542, 3389.062620, 0.227221, 0.270062),
    "organic": (18.012889, 2017.376803, 0.198246, 0.160758),
    "events": (7.378357, 1461.427084, 0.081205, 0.116456),
}


@pytest.mark.parametrize(
    "printed, simulations",
    [(CHANNEL_ATTRIBUTION_LONG, 1e7), (CHANNEL_ATTRIBUTION_DEFAULT, 1e5)],
    ids=["long simulation", "defaults"],
)
def test_channel_attribution_agrees_within_its_simulation_noise(printed, simulations):
    result = markov(REFERENCE)

    assert result.channels == tuple(sorted(printed))
    for channel, (conversions, value, effect, value_effect) in printed.items():
        noise = simulation_noise(effect, result.conversion_probability, simulations)
        # Four standard errors; value effects also carry the spread of deal sizes.
        assert result.removal_effects[channel] == pytest.approx(effect, abs=4 * noise)
        assert result.value_removal_effects[channel] == pytest.approx(value_effect, abs=8 * noise)
        # A share moves by the effect's error over the sum of effects (about 1.4 here).
        assert result.conversions[channel] == pytest.approx(
            conversions, abs=4 * noise * result.total_conversions
        )
        assert result.value[channel] == pytest.approx(value, abs=8 * noise * result.total_value)
    assert_attribution_adds_up(result)


def test_the_chain_reproduces_the_observed_conversion_rate_and_value_per_journey():
    # The fitted chain conserves the observed flow at every state, so P(start -> conversion)
    # is conversions over journeys: 129 / (129 + 1121).
    result = markov(REFERENCE)

    assert result.total_conversions == 129
    assert result.total_null == 1121
    assert result.conversion_probability == pytest.approx(129 / 1250, rel=1e-12)


def test_collapse_merges_consecutive_repeats_only():
    assert collapse(("a", "a", "b", "a")) == ("a", "b", "a")
    assert collapse(["a"]) == ("a",)
    assert collapse(()) == ()


def test_repeated_touches_in_a_row_change_nothing():
    repeated = [
        PathRow(("a", "a", "b", "b", "b"), 3, 30, 1),
        PathRow(("b", "a", "a"), 1, 10, 2),
        PathRow(("a", "b"), 2, 20, 2),
    ]
    collapsed = [
        PathRow(("a", "b"), 3, 30, 1),
        PathRow(("b", "a"), 1, 10, 2),
        PathRow(("a", "b"), 2, 20, 2),
    ]

    assert markov(repeated) == markov(collapsed)


def test_a_channel_every_conversion_passes_gets_the_full_removal_effect():
    # Every converting path ends on demo: without it nothing converts.
    result = markov(
        [
            PathRow(("webinar", "demo"), 4, 400, 6),
            PathRow(("email", "demo"), 2, 200, 8),
            PathRow(("demo",), 1, 100, 9),
            PathRow(("webinar",), 0, 0, 20),
        ]
    )

    assert result.removal_effects["demo"] == 1.0
    assert result.removal_effects["webinar"] < 1
    assert max(result.shares, key=result.shares.get) == "demo"
    assert_attribution_adds_up(result)


def test_a_single_channel_gets_everything():
    result = markov([PathRow(("webinar",), 3, 900, 7), PathRow(("webinar", "webinar"), 1, 100, 1)])

    assert result.channels == ("webinar",)
    assert result.removal_effects == {"webinar": 1.0}
    assert result.shares == {"webinar": 1.0}
    assert result.conversions == {"webinar": 4.0}
    assert result.value == {"webinar": 1000.0}
    assert result.conversion_probability == pytest.approx(4 / 12, rel=1e-12)


def test_no_conversions_gives_no_shares_and_zero_credit():
    result = markov([PathRow(("a", "b"), 0, 0, 5), PathRow(("b",), 0, 0, 3)])

    assert result.channels == ("a", "b")
    assert result.shares == {}
    assert result.value_shares == {}
    assert result.removal_effects == {"a": 0.0, "b": 0.0}
    assert result.conversions == {"a": 0.0, "b": 0.0}
    assert result.value == {"a": 0.0, "b": 0.0}
    assert result.conversion_probability == 0
    assert (result.total_conversions, result.total_value, result.total_null) == (0, 0, 8)


def test_a_channel_seen_only_on_paths_that_never_converted_gets_nothing():
    result = markov(
        [
            PathRow(("a",), 5, 50, 5),
            PathRow(("a", "b"), 5, 50, 5),
            PathRow(("cold_call",), 0, 0, 40),
            PathRow(("trade_show",), 0, 0, 0),  # a row with no journeys at all
        ]
    )

    assert result.channels == ("a", "b", "cold_call", "trade_show")
    assert result.removal_effects["cold_call"] == 0.0
    assert result.removal_effects["trade_show"] == 0.0
    assert result.shares["cold_call"] == 0.0
    assert result.conversions["cold_call"] == 0.0
    assert result.total_null == 50
    assert_attribution_adds_up(result)


def test_conversions_without_value_give_no_value_shares():
    result = markov([PathRow(("a",), 2, 0, 1), PathRow(("a", "b"), 1, 0, 1)])

    assert result.shares  # conversions are still attributed
    assert result.value_shares == {}
    assert result.value == {"a": 0.0, "b": 0.0}


def test_empty_input_gives_an_empty_result():
    result = markov([])

    assert result == MarkovResult(
        channels=(),
        removal_effects={},
        shares={},
        conversions={},
        value_removal_effects={},
        value_shares={},
        value={},
        conversion_probability=0.0,
        total_conversions=0.0,
        total_value=0.0,
        total_null=0.0,
    )


def test_parse_path_splits_on_the_separator_and_trims_names():
    assert parse_path("webinar > paid_search") == ("webinar", "paid_search")
    assert parse_path(" webinar  > paid search ") == ("webinar", "paid search")
    assert parse_path("a|b", sep="|") == ("a", "b")
    with pytest.raises(ValueError, match="empty"):
        parse_path("")
    with pytest.raises(ValueError, match="empty channel name"):
        parse_path("a >  > b")


def test_read_paths_takes_channel_attribution_columns_and_numeric_text():
    assert read_paths(
        [
            {
                "path": "webinar > email",
                "total_conversions": "2",
                "total_conversion_value": "150.5",
                "total_null": 3,
            },
            {
                "path": ["email"],
                "total_conversions": 1,
                "total_conversion_value": 20,
                "total_null": 0,
            },
        ]
    ) == [PathRow(("webinar", "email"), 2.0, 150.5, 3.0), PathRow(("email",), 1.0, 20.0, 0.0)]


GOOD = {"path": "a > b", "total_conversions": 1, "total_conversion_value": 10, "total_null": 2}


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"total_null": -1}, "total_null must not be negative"),
        ({"total_conversions": -0.5}, "total_conversions must not be negative"),
        ({"total_conversion_value": "ten"}, "total_conversion_value must be a number"),
        ({"total_conversions": None}, "total_conversions must be a number"),
        ({"total_conversions": True}, "total_conversions must be a number"),
        ({"total_null": float("nan")}, "total_null must be finite"),
        ({"path": ""}, "path is empty"),
        ({"path": []}, "path is empty"),
        ({"path": "a >  > b"}, "empty channel name"),
        ({"total_conversions": 0}, "value 10.0 on a path with no conversions"),
    ],
)
def test_bad_rows_raise_value_error_naming_the_row(change, problem):
    with pytest.raises(ValueError, match="path row 2") as error:
        read_paths([GOOD, GOOD | change, GOOD])
    assert problem in str(error.value)


def test_a_missing_column_is_named():
    row = {"path": "a", "total_conversions": 1, "total_null": 0}
    with pytest.raises(ValueError, match=r"path row 1 .*missing column 'total_conversion_value'"):
        read_paths([row])


def test_path_table_csv_writes_channel_attributions_format_and_reads_back():
    file = io.StringIO()
    path_table_csv([*LOOP, PathRow(("paid, search", "a"), 0.5, 12.25, 1)], file)

    assert file.getvalue().splitlines() == [
        "path,total_conversions,total_conversion_value,total_null",
        "a,2,200,2",
        "a > b,3,900,1",
        "b > a,1,100,3",
        '"paid, search > a",0.5,12.25,1',
    ]
    file.seek(0)
    assert read_paths(csv.DictReader(file)) == [
        *LOOP,
        PathRow(("paid, search", "a"), 0.5, 12.25, 1),
    ]


HEADER = "path,total_conversions,total_conversion_value,total_null"


def table_file(*lines: str) -> io.BytesIO:
    return io.BytesIO("\n".join([HEADER, *lines, ""]).encode())


def test_read_path_table_reads_the_same_table_as_read_paths():
    text = "\n".join(
        [
            HEADER + ",ignored",
            "webinar > email,2,150.5,3,x",
            " webinar  > paid search ,1,20,0,y",
            "NA > null,1,20,0,y",
            '"paid, search > email > email",0.5,12.25,1,z',
            "email,0,0,7,",
        ]
    )
    table = read_path_table(io.BytesIO(text.encode()))
    rows = read_paths(csv.DictReader(io.StringIO(text)))

    assert table.channels == ("NA", "email", "null", "paid search", "paid, search", "webinar")
    assert table.lengths.tolist() == [2, 2, 2, 3, 1]
    assert [table.channels[i] for i in table.states] == [name for row in rows for name in row.path]
    assert markov(table) == markov(rows)


@pytest.mark.parametrize(
    "line, problem",
    [
        ("a > b,1,10,-1", "total_null must be a finite number, not negative"),
        ("a > b,-0.5,10,2", "total_conversions must be a finite number, not negative"),
        ("a > b,1,nan,2", "total_conversion_value must be a finite number"),
        ("a > b,,10,2", "total_conversions is empty"),
        (",1,10,2", "path is empty"),
        ("a >  > b,1,10,2", "path 'a >  > b' has an empty channel name"),
        ("a > b,0,10,2", "value 10.0 on a path with no conversions"),
    ],
)
def test_a_bad_path_table_file_names_the_row(line, problem):
    good = "a > b,1,10,2"
    with pytest.raises(ValueError, match="path row 2") as error:
        read_path_table(table_file(good, line, good))
    assert problem in str(error.value)


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"path,total_conversions,total_null\na,1,0\n", "total_conversion_value"),
        (b"", "not a path table"),
        (HEADER.encode() + b"\na,ten,10,2\n", "not a path table"),
    ],
)
def test_a_file_that_is_no_path_table_says_why(content, problem):
    with pytest.raises(ValueError, match=problem):
        read_path_table(io.BytesIO(content))


def test_a_path_table_file_with_no_rows_gives_an_empty_result():
    assert markov(read_path_table(table_file())) == markov([])


@settings(deadline=None, database=None)
@given(st.data())
def test_any_table_written_and_read_back_in_columns_gives_the_same_result(data):
    table = data.draw(tables)
    file = io.StringIO()
    path_table_csv(table, file)

    assert markov(read_path_table(io.BytesIO(file.getvalue().encode()))) == markov(table)


def test_path_table_csv_refuses_a_channel_name_with_the_separator():
    with pytest.raises(ValueError, match="contains '>'"):
        path_table_csv([PathRow(("a>b",), 1, 1, 1)], io.StringIO())


# An independent reference for the property tests: the chain in fractions, solved by
# Gaussian elimination, with each channel really removed (transitions into it -> null).


def exact_conversion_probability(table, removed=None):
    if not table:
        return Fraction(0)
    transitions: dict[str, dict[str, Fraction]] = {}
    for row in table:
        states = ["(start)", *collapse(row.path)]
        journeys = Fraction(row.conversions) + Fraction(row.nulls)
        for a, b in zip(states, states[1:], strict=False):
            transitions.setdefault(a, {}).setdefault(b, Fraction(0))
            transitions[a][b] += journeys
        outcomes = transitions.setdefault(states[-1], {})
        outcomes["(conversion)"] = outcomes.get("(conversion)", 0) + Fraction(row.conversions)
        outcomes["(null)"] = outcomes.get("(null)", 0) + Fraction(row.nulls)
    states = sorted(set(transitions) - {removed})
    position = {state: i for i, state in enumerate(states)}
    size = len(states)
    # (I - Q) x = r, where moving into a removed channel is moving to null.
    matrix = [[Fraction(int(i == j)) for j in range(size)] + [Fraction(0)] for i in range(size)]
    for state in states:
        outflow = sum(transitions[state].values())
        if not outflow:
            continue
        for target, count in transitions[state].items():
            if target == "(conversion)":
                matrix[position[state]][size] += count / outflow
            elif target in position:
                matrix[position[state]][position[target]] -= count / outflow
    for column in range(size):
        pivot = next(r for r in range(column, size) if matrix[r][column] != 0)
        matrix[column], matrix[pivot] = matrix[pivot], matrix[column]
        for r in range(size):
            if r != column and matrix[r][column] != 0:
                factor = matrix[r][column] / matrix[column][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[column], strict=True)]
    start = position["(start)"]
    return matrix[start][size] / matrix[start][start]


tables = st.lists(
    st.builds(
        lambda path, conversions, nulls, per_conversion: PathRow(
            tuple(path), conversions, conversions * per_conversion, nulls
        ),
        st.lists(st.sampled_from("abcde"), min_size=1, max_size=6),
        st.integers(0, 6),
        st.integers(0, 6),
        st.integers(1, 500),
    ),
    max_size=10,
)


@settings(deadline=None, database=None)
@given(tables)
def test_shares_sum_to_one_and_removal_effects_stay_between_zero_and_one(table):
    result = markov(table)

    assert all(0 <= effect <= 1 for effect in result.removal_effects.values())
    assert all(0 <= effect <= 1 for effect in result.value_removal_effects.values())
    if result.total_conversions:
        assert_attribution_adds_up(result)
        assert result.conversion_probability == pytest.approx(
            result.total_conversions / (result.total_conversions + result.total_null)
        )
    else:
        assert result.shares == {}
        assert set(result.conversions.values()) <= {0.0}


@settings(deadline=None, database=None)
@given(tables)
def test_removal_effects_match_an_exact_solve_that_removes_each_channel(table):
    result = markov(table)

    full = exact_conversion_probability(table)
    assert result.conversion_probability == pytest.approx(float(full), rel=1e-9, abs=1e-12)
    for channel in result.channels:
        expected = 1 - exact_conversion_probability(table, removed=channel) / full if full else 0
        assert result.removal_effects[channel] == pytest.approx(float(expected), abs=1e-9)


@settings(deadline=None, database=None)
@given(tables, st.randoms(use_true_random=False))
def test_the_order_of_rows_does_not_matter(table, rng: random.Random):
    shuffled = list(table)
    rng.shuffle(shuffled)

    assert markov(shuffled) == markov(table)


fractional_tables = st.lists(
    st.builds(
        PathRow,
        st.lists(st.sampled_from("abc"), min_size=1, max_size=5).map(tuple),
        st.floats(0.01, 50),
        st.floats(0, 5000),
        st.floats(0, 50),
    ),
    max_size=12,
)


@settings(deadline=None, database=None)
@given(fractional_tables, st.randoms(use_true_random=False))
def test_fractional_weights_are_summed_exactly_whatever_the_row_order(table, rng):
    shuffled = list(table)
    rng.shuffle(shuffled)

    assert markov(shuffled) == markov(table)


def transitions_of(table) -> Transitions:
    """What an engine aggregates instead of paths: the collapsed chain's counts."""
    counts, conversions, value, nulls = {}, {}, {}, {}
    for row in table:
        path = collapse(row.path)
        journeys = row.conversions + row.nulls
        for a, b in zip((START, *path), path, strict=False):
            counts[(a, b)] = counts.get((a, b), 0) + journeys
        last = path[-1]
        conversions[last] = conversions.get(last, 0) + row.conversions
        value[last] = value.get(last, 0) + row.value
        nulls[last] = nulls.get(last, 0) + row.nulls
    return Transitions(counts, conversions, value, nulls)


@settings(deadline=None, database=None)
@given(tables)
def test_transition_counts_give_the_same_attribution_as_the_paths(table):
    from_paths, from_counts = markov(table), markov_from_transitions(transitions_of(table))

    assert from_counts.channels == from_paths.channels
    assert from_counts.total_conversions == pytest.approx(from_paths.total_conversions)
    assert from_counts.total_value == pytest.approx(from_paths.total_value)
    for channel in from_paths.channels:
        assert from_counts.removal_effects[channel] == pytest.approx(
            from_paths.removal_effects[channel], abs=1e-12
        )
        assert from_counts.value[channel] == pytest.approx(from_paths.value[channel], abs=1e-9)


def test_impossible_transitions_are_refused():
    with pytest.raises(ValueError, match="cannot happen in a collapsed chain"):
        markov_from_transitions(Transitions({("a", "a"): 1}, {"a": 1}, {"a": 10}, {}))
    with pytest.raises(ValueError, match="must not be negative"):
        markov_from_transitions(Transitions({(START, "a"): -1}, {"a": 1}, {"a": 10}, {}))
