"""The arithmetic of content ratings: the t quantile without scipy, the 90% interval against
values computed by hand, and no interval under two ratings."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.analytics import ratings

CRITERIA = [
    {"key": "accuracy", "name": "Accuracy", "labels": list("abcde"), "weight": 1},
    {"key": "fit", "name": "Fit", "labels": list("abcde"), "weight": 1},
    {"key": "reaction", "name": "Reaction", "labels": list("abcde"), "weight": 2},
]


@pytest.mark.parametrize(
    ("df", "expected"),
    # Student's t 0.95 quantiles from the published tables.
    [(1, 6.313752), (2, 2.919986), (3, 2.353363), (4, 2.131847), (10, 1.812461), (30, 1.697261)],
)
def test_the_t_quantile_matches_the_tables(df, expected):
    assert ratings.t_quantile(0.95, df) == pytest.approx(expected, abs=1e-6)


def test_the_90_percent_interval_of_four_ratings_is_the_hand_computed_one():
    # 4, 5, 3, 4: mean 4, s = √(2/3), se = s/2 = 0.408248; t(0.95, 3) = 2.353363.
    summary = ratings.summarize([4, 5, 3, 4])
    half = 2.353363 * math.sqrt(2 / 3) / 2
    assert summary.count == 4 and summary.mean == 4
    assert summary.low == pytest.approx(4 - half, abs=1e-6)  # 3.039
    assert summary.high == pytest.approx(4 + half, abs=1e-6)  # 4.961
    assert not summary.too_few


def test_one_rating_has_a_mean_but_too_few_ratings_for_an_interval():
    one = ratings.summarize([4])
    assert (one.mean, one.low, one.high, one.too_few) == (4, None, None, True)
    assert ratings.summarize([]).mean is None


def test_the_interval_is_cut_to_the_scale():
    wide = ratings.summarize([1, 5])
    assert (wide.low, wide.high) == (1, 5)


def test_the_overall_score_is_weighted_and_its_interval_is_over_whole_ratings():
    scores = [{"accuracy": 4, "fit": 4, "reaction": 2}, {"accuracy": 5, "fit": 3, "reaction": 4}]
    per_criterion, overall = ratings.summarize_ratings(CRITERIA, scores)
    assert [s.mean for _, s in per_criterion] == [4.5, 3.5, 3]
    # (4 + 4 + 2·2) / 4 = 3 and (5 + 3 + 2·4) / 4 = 4.
    assert overall.mean == 3.5 and overall.count == 2
    half = 6.313752 * math.sqrt(0.5) / math.sqrt(2)
    assert overall.low == pytest.approx(max(1, 3.5 - half), abs=1e-6)


def test_scores_off_the_scale_name_their_criterion():
    with pytest.raises(ratings.RubricError) as error:
        ratings.check_scores(CRITERIA, {"accuracy": 6, "fit": True, "tone": 3})
    problems = dict(error.value.problems)
    assert "Accuracy: 6 is outside the scale" in problems["accuracy"]
    assert "Fit: True is outside the scale" in problems["fit"]
    assert "Reaction: give a score" in problems["reaction"]
    assert "no criterion 'tone'" in problems["tone"]


@given(st.lists(st.sampled_from([1.0, 1.5, 2.0, 2.75, 3.0, 3.4, 4.0, 4.25, 5.0]), max_size=400))
def test_the_databases_sums_give_the_same_summary_as_the_ratings_themselves(values):
    """The owners' scorecard summarizes from count, sum and sum of squares (added up by the
    database): the same mean and interval as from the ratings, to the displayed precision."""
    from_values = ratings.summarize(values)
    from_sums = ratings.summarize_moments(len(values), sum(values), sum(v * v for v in values))
    assert from_sums.count == from_values.count
    for a, b in [
        (from_sums.mean, from_values.mean),
        (from_sums.low, from_values.low),
        (from_sums.high, from_values.high),
    ]:
        assert (a is None) == (b is None)
        if a is not None:
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
