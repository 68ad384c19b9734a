"""The arithmetic of content ratings: what a rubric's criteria must look like, a rating's
weighted score, and each criterion's mean with a 90% interval.

Pure: no Django, no database. Plain lists and dicts in, plain data out.

The interval is Student's t: mean ± t(0.95, n − 1) · s / √n, with s the sample standard
deviation, so two votes give a wide interval, not a confident average. scipy is not a
dependency; the t quantile is found by bisection on the t distribution's CDF, which is the
regularized incomplete beta function (evaluated by its continued fraction, as in Numerical
Recipes §6.4), exact to about 1e-10. The interval is cut to the scale (1 to 5): a mean of
ratings cannot leave it. Fewer than two ratings: no interval at all ("too few ratings").
"""

import math
import re
from dataclasses import dataclass

SCALE = (1, 2, 3, 4, 5)
LOWEST, HIGHEST = SCALE[0], SCALE[-1]
MIN_CRITERIA, MAX_CRITERIA = 3, 6
CONFIDENCE = 0.90
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class RubricError(ValueError):
    """The criteria are not a rubric: `problems` lists (where, what) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))
        self.problems = problems


def key_for(name: str) -> str:
    """A criterion's key from its name: 'Fit to the buying stage' -> 'fit_to_the_buying_stage'."""
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
    return key if key[:1].isalpha() else f"c_{key}"[:40]


def check_criteria(criteria) -> list[dict]:
    """The criteria, cleaned (key, name, labels, weight): 3 to 6 of them, each named, with a
    label for each point 1..5 and a weight above 0 (1 when not given). Raises RubricError."""
    problems: list[tuple[str, str]] = []
    if not isinstance(criteria, list):
        raise RubricError([("criteria", "give a list of criteria")])
    if not MIN_CRITERIA <= len(criteria) <= MAX_CRITERIA:
        problems.append(
            (
                "criteria",
                f"a rubric has {MIN_CRITERIA} to {MAX_CRITERIA} criteria, not {len(criteria)}",
            )
        )
    cleaned, keys = [], set()
    for number, given in enumerate(criteria, start=1):
        where = f"criterion {number}"
        if not isinstance(given, dict):
            problems.append((where, "give a name, labels and an optional weight"))
            continue
        name = str(given.get("name") or "").strip()
        if not name:
            problems.append((where, "give it a name"))
            continue
        where = name
        key = str(given.get("key") or key_for(name)).strip()
        if not KEY.match(key):
            problems.append((where, f"the key {key!r} must be lowercase letters, digits and _"))
        elif key in keys:
            problems.append((where, f"another criterion has the key {key!r}"))
        keys.add(key)
        labels = given.get("labels")
        if (
            not isinstance(labels, list)
            or len(labels) != len(SCALE)
            or not all(isinstance(label, str) and label.strip() for label in labels)
        ):
            problems.append((where, f"give a label for each point from {LOWEST} to {HIGHEST}"))
            labels = []
        weight = given.get("weight")
        if weight in (None, ""):
            weight = 1
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            weight = math.nan
        if not (math.isfinite(weight) and weight > 0):
            problems.append((where, "a weight must be a number above 0"))
        cleaned.append(
            {
                "key": key,
                "name": name[:80],
                "labels": [label.strip()[:80] for label in labels],
                "weight": weight if not weight.is_integer() else int(weight),
            }
        )
    if problems:
        raise RubricError(problems)
    return cleaned


def check_scores(criteria: list[dict], scores) -> dict[str, int]:
    """The scores of one rating, every criterion of the rubric scored 1..5 and nothing else.
    Raises RubricError naming each criterion that is missing or off the scale."""
    if not isinstance(scores, dict):
        raise RubricError([("scores", "give a score for each criterion")])
    problems, checked = [], {}
    for criterion in criteria:
        key, name = criterion["key"], criterion["name"]
        value = scores.get(key)
        if value in (None, ""):
            problems.append((key, f"{name}: give a score from {LOWEST} to {HIGHEST}"))
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            problems.append(
                (key, f"{name}: {value!r} is outside the scale; score from {LOWEST} to {HIGHEST}")
            )
            continue
        checked[key] = value
    known = {c["key"] for c in criteria}
    for key in scores:
        if key not in known:
            problems.append((str(key), f"the rubric has no criterion {key!r}"))
    if problems:
        raise RubricError(problems)
    return checked


def weighted_score(criteria: list[dict], scores: dict[str, int]) -> float:
    """One rating's score: its criteria's scores, averaged with the rubric's weights."""
    total = sum(c["weight"] for c in criteria)
    return sum(c["weight"] * scores[c["key"]] for c in criteria) / total


@dataclass(frozen=True)
class Summary:
    """The mean of some ratings, their count and a 90% interval (None with fewer than 2)."""

    count: int
    mean: float | None
    low: float | None
    high: float | None

    @property
    def too_few(self) -> bool:
        return self.count < 2


def summarize(values: list[float], confidence: float = CONFIDENCE) -> Summary:
    n = len(values)
    if n == 0:
        return Summary(0, None, None, None)
    mean = sum(values) / n
    if n < 2:
        return Summary(n, mean, None, None)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return Summary(n, mean, max(LOWEST, mean - half), min(HIGHEST, mean + half))


def summarize_moments(
    count: int, total: float, squares: float, confidence: float = CONFIDENCE
) -> Summary:
    """`summarize` from the values' count, sum and sum of squares, as a database adds them up
    (a scorecard over every rating of every asset an owner has, without reading them)."""
    if count == 0:
        return Summary(0, None, None, None)
    mean = total / count
    if count < 2:
        return Summary(count, mean, None, None)
    sd = math.sqrt(max(0.0, squares - count * mean * mean) / (count - 1))
    half = t_quantile(0.5 + confidence / 2, count - 1) * sd / math.sqrt(count)
    return Summary(count, mean, max(LOWEST, mean - half), min(HIGHEST, mean + half))


def summarize_ratings(
    criteria: list[dict], ratings: list[dict[str, int]]
) -> tuple[list[tuple[dict, Summary]], Summary]:
    """Each criterion with the summary of its scores, and the summary of the ratings'
    weighted scores (the interval of the overall score is over whole ratings: a rep who
    liked one criterion tends to like the others, so criteria are not independent votes)."""
    per_criterion = [
        (c, summarize([r[c["key"]] for r in ratings if c["key"] in r])) for c in criteria
    ]
    overall = summarize(
        [weighted_score(criteria, r) for r in ratings if all(c["key"] in r for c in criteria)]
    )
    return per_criterion, overall


def t_quantile(p: float, df: int) -> float:
    """The p-quantile (p > 0.5) of Student's t with `df` degrees of freedom, by bisection."""
    if not 0.5 < p < 1 or df < 1:
        raise ValueError("t_quantile needs 0.5 < p < 1 and df >= 1")
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t: 1 − ½·I_x(df/2, ½) with x = df / (df + t²), for t >= 0."""
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(x, df / 2, 0.5)
    return 1 - tail if t >= 0 else tail


def _incomplete_beta(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The continued fraction converges fast for x < (a + 1) / (a + b + 2); else use symmetry.
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(x, a, b) / a
    return 1 - front * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return result
