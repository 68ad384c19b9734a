"""Lead definitions as data: fit rules, engagement rules, grades, the MQL condition.

This module is the reference: `parse()` checks a definition and says exactly what is wrong
with it, and `evaluate()` scores one lead in plain Python. The set-based scoring that runs
in the database (`accord.qualify.sql`) must give the same grades and scores; the tests hold
the two against each other on random leads.

Fit. Each fit rule tests one field of the lead or its account and adds its points (which
may be negative: free-mail addresses, students, competitors) when it matches. The sum is
the lead's fit points; the grade is A, B or C for the first threshold the points reach,
else D.

Text matching ignores surrounding spaces and the case of the letters A-Z (other letters
are compared as they are, which is what both SQLite and PostgreSQL can do the same way).
A missing account reads as empty fields.

Engagement. Each engagement rule matches touchpoints by kind, channel and campaign (any
it does not name) up to the moment of scoring, and adds its points for every match,
halved every `half_life_days` of age when it decays. A rule's total is capped at `cap`
(for a negative rule: at minus `cap`). The score is the sum of the rule totals rounded
to a whole number, halves up.

MQL. A lead passes when its grade is one of the definition's grades and its score is at
least the minimum.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime

GRADES = ("A", "B", "C", "D")
TEXT_FIELDS = {
    "title": "Job title",
    "email_domain": "Email domain",
    "source": "Source channel",
    "industry": "Account industry",
    "country": "Account country",
}
NUMBER_FIELDS = {"employees": "Account employees"}
FIELDS = {**TEXT_FIELDS, **NUMBER_FIELDS}
TEXT_OPS = {
    "equals": "equals",
    "one_of": "is one of",
    "contains": "contains",
    "starts_with": "starts with",
    "is_empty": "is empty",
}
NUMBER_OPS = {"equals": "equals", "between": "is between", "is_empty": "is empty"}
OPS = {**TEXT_OPS, **NUMBER_OPS}
MAX_POINTS = 1000
MAX_RULES = 100


class DefinitionError(ValueError):
    """What is wrong with a definition: a list of (where, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems))


@dataclass(frozen=True)
class FitRule:
    field: str
    op: str
    value: tuple = ()  # text values (folded), or (low, high) numbers, or (number,)
    points: int = 0
    label: str = ""

    def describe(self) -> str:
        name = FIELDS[self.field]
        if self.op == "is_empty":
            return f"{name} is empty"
        if self.op == "between":
            low, high = self.value
            if low is None:
                return f"{name} at most {high:g}"
            if high is None:
                return f"{name} at least {low:g}"
            return f"{name} between {low:g} and {high:g}"
        if self.op == "one_of":
            return f"{name} is one of {', '.join(self.value)}"
        shown = f"{self.value[0]:g}" if self.field in NUMBER_FIELDS else repr(self.value[0])
        return f"{name} {OPS[self.op]} {shown}"


@dataclass(frozen=True)
class EngagementRule:
    points: int
    kind: str = ""  # touchpoint kind, "" for any
    channel: str = ""  # channel key, "" for any
    campaign: int | None = None
    cap: int | None = None
    half_life_days: float | None = None
    label: str = ""

    def what(self) -> str:
        """Which touches the rule counts."""
        parts = [self.kind.replace("_", " ") if self.kind else "any touch"]
        if self.channel:
            parts.append(f"via {self.channel.replace('_', ' ')}")
        if self.campaign is not None:
            parts.append(f"in campaign {self.campaign}")
        return " ".join(parts)

    def describe(self) -> str:
        text = self.what() + f": {self.points:+d} each"
        if self.half_life_days:
            text += f", halving every {self.half_life_days:g} days"
        if self.cap is not None:
            text += f", at most {self.cap} in all"
        return text


@dataclass(frozen=True)
class Definition:
    fit_rules: tuple[FitRule, ...]
    engagement_rules: tuple[EngagementRule, ...]
    thresholds: dict  # grade -> minimum fit points, for A, B, C
    mql_grades: frozenset
    mql_min_score: int

    def grade(self, fit_points: int) -> str:
        for grade in GRADES[:3]:
            if fit_points >= self.thresholds[grade]:
                return grade
        return "D"

    def passes(self, grade: str, score: int) -> bool:
        return grade in self.mql_grades and score >= self.mql_min_score

    def condition(self) -> str:
        grades = " or ".join(g for g in GRADES if g in self.mql_grades)
        return f"grade {grades} and score at least {self.mql_min_score}"


@dataclass
class LeadFacts:
    """What the rules can see of one lead (None or "" for anything missing)."""

    title: str = ""
    email: str = ""
    source: str = ""  # channel key
    industry: str = ""
    country: str = ""
    employees: int | None = None


@dataclass(frozen=True)
class TouchFacts:
    kind: str
    channel: str
    campaign: int | None
    occurred_at: datetime


@dataclass
class Evaluation:
    fit_points: int
    grade: str
    score: int
    passes: bool
    fit: list = field(default_factory=list)  # (rule, points) for the rules that matched
    engagement: list = field(default_factory=list)  # (rule, touches, points) for each rule


def fold(text) -> str:
    """Text as the rules compare it: trimmed of spaces, A-Z in lower case."""
    return str(text or "").strip(" ").translate(_LOWER)


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def email_domain(email: str) -> str:
    email = str(email or "")
    return email[email.index("@") + 1 :] if "@" in email else ""


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


# Reading a definition -----------------------------------------------------------------


def _integer(raw, where, problems, *, low=-MAX_POINTS, high=MAX_POINTS, name="points"):
    if isinstance(raw, bool) or raw is None or raw == "":
        problems.append((where, f"{name} is required and must be a whole number"))
        return None
    try:
        number = int(str(raw).strip())
    except ValueError:
        problems.append((where, f"{name} must be a whole number, not {raw!r}"))
        return None
    if not low <= number <= high:
        problems.append((where, f"{name} must be between {low} and {high}, not {number}"))
        return None
    return number


def _number(raw, where, problems, name):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        number = float(str(raw).strip().replace(",", ""))
    except ValueError:
        problems.append((where, f"{name} must be a number, not {raw!r}"))
        return None
    if not math.isfinite(number):
        problems.append((where, f"{name} must be a finite number"))
        return None
    return number


def _texts(raw) -> list[str]:
    values = raw if isinstance(raw, list | tuple) else str(raw or "").split(",")
    return [fold(v) for v in values if fold(v)]


def _fit_rule(raw: dict, where: str, problems: list) -> FitRule | None:
    before = len(problems)
    name = raw.get("field")
    op = raw.get("op")
    if name not in FIELDS:
        problems.append((where, f"unknown field {name!r}; use one of {', '.join(FIELDS)}"))
        return None
    ops = NUMBER_OPS if name in NUMBER_FIELDS else TEXT_OPS
    if op not in ops:
        problems.append(
            (where, f"{FIELDS[name]} cannot be tested with {op!r}; use one of {', '.join(ops)}")
        )
        return None
    points = _integer(raw.get("points"), where, problems)
    if points == 0:
        problems.append((where, "a rule worth 0 points changes nothing; give it points"))
    value: tuple = ()
    raw_value = raw.get("value")
    if op == "is_empty":
        value = ()
    elif name in NUMBER_FIELDS and op == "between":
        if isinstance(raw_value, list | tuple) and len(raw_value) == 2:
            low_raw, high_raw = raw_value
        else:
            low_raw, high_raw = raw.get("min"), raw.get("max")
        low = _number(low_raw, where, problems, "the minimum")
        high = _number(high_raw, where, problems, "the maximum")
        if low is None and high is None and len(problems) == before:
            problems.append((where, "give a minimum, a maximum or both"))
        elif low is not None and high is not None and low > high:
            problems.append((where, f"the minimum {low:g} is above the maximum {high:g}"))
        value = (low, high)
    elif name in NUMBER_FIELDS:
        number = _number(
            raw_value[0] if isinstance(raw_value, list | tuple) and raw_value else raw_value,
            where,
            problems,
            "the value",
        )
        if number is None and len(problems) == before:
            problems.append((where, "give the number to compare with"))
        value = (number,)
    else:
        texts = _texts(raw_value)
        if not texts:
            problems.append(
                (where, "give the text to compare with (to match a blank field use 'is empty')")
            )
        elif op != "one_of" and len(texts) > 1 and not isinstance(raw_value, str):
            problems.append((where, f"'{OPS[op]}' takes one value; use 'is one of' for several"))
        if op != "one_of" and isinstance(raw_value, str):
            texts = [fold(raw_value)] if fold(raw_value) else []
        value = tuple(texts)
    if len(problems) > before:
        return None
    return FitRule(name, op, value, points, str(raw.get("label") or "")[:120])


def _engagement_rule(raw: dict, where: str, problems: list, known: dict) -> EngagementRule | None:
    before = len(problems)
    points = _integer(raw.get("points"), where, problems)
    if points == 0:
        problems.append((where, "a rule worth 0 points changes nothing; give it points"))
    kind = str(raw.get("touch_kind") or "").strip()
    channel = str(raw.get("channel") or "").strip()
    campaign = raw.get("campaign")
    if kind and "kinds" in known and kind not in known["kinds"]:
        problems.append((where, f"unknown touchpoint kind {kind!r}"))
    if channel and "channels" in known and channel not in known["channels"]:
        problems.append((where, f"unknown channel {channel!r}"))
    if campaign in ("", None):
        campaign = None
    else:
        try:
            campaign = int(campaign)
        except (TypeError, ValueError):
            problems.append((where, f"campaign must be a campaign's id, not {campaign!r}"))
            campaign = None
        else:
            if "campaigns" in known and campaign not in known["campaigns"]:
                problems.append((where, f"there is no campaign with id {campaign}"))
    cap = raw.get("cap")
    if cap not in (None, ""):
        cap = _integer(cap, where, problems, low=1, high=100 * MAX_POINTS, name="the cap")
    else:
        cap = None
    half_life = _number(raw.get("half_life_days"), where, problems, "the half-life")
    if half_life is not None and not 0.01 <= half_life <= 3650:
        problems.append((where, "the half-life must be between 0.01 and 3650 days"))
    if len(problems) > before:
        return None
    return EngagementRule(
        points, kind, channel, campaign, cap, half_life, str(raw.get("label") or "")[:120]
    )


def parse(
    rules: list,
    thresholds: dict,
    mql_grades,
    mql_min_score,
    *,
    known: dict | None = None,
) -> Definition:
    """Check a definition and build it, or raise DefinitionError listing every problem.

    `known` may hold the sets "kinds", "channels" (keys) and "campaigns" (ids) that
    engagement rules are allowed to name.
    """
    known = known or {}
    problems: list[tuple[str, str]] = []
    fit_rules, engagement_rules = [], []
    if not isinstance(rules, list):
        raise DefinitionError([("rules", "must be a list of rules")])
    if not rules:
        problems.append(("rules", "a definition needs at least one rule"))
    if len(rules) > MAX_RULES:
        problems.append(("rules", f"at most {MAX_RULES} rules, not {len(rules)}"))
    for number, raw in enumerate(rules, start=1):
        where = f"rule {number}"
        if not isinstance(raw, dict):
            problems.append((where, "must be an object"))
            continue
        kind = raw.get("type")
        if kind == "fit":
            rule = _fit_rule(raw, where, problems)
            if rule:
                fit_rules.append(rule)
        elif kind == "engagement":
            rule = _engagement_rule(raw, where, problems, known)
            if rule:
                engagement_rules.append(rule)
        else:
            problems.append((where, f"type must be 'fit' or 'engagement', not {kind!r}"))
    levels = {}
    for grade in GRADES[:3]:
        raw = (thresholds or {}).get(grade)
        levels[grade] = _integer(
            raw,
            f"grade {grade}",
            problems,
            low=-100 * MAX_POINTS,
            high=100 * MAX_POINTS,
            name="the threshold",
        )
    if None not in levels.values() and not levels["A"] > levels["B"] > levels["C"]:
        problems.append(
            (
                "grades",
                "thresholds must fall from A to C (A above B above C), "
                f"not A {levels['A']}, B {levels['B']}, C {levels['C']}",
            )
        )
    grades = list(mql_grades or [])
    unknown = [g for g in grades if g not in GRADES]
    if unknown:
        problems.append(("MQL condition", f"unknown grade {unknown[0]!r}; grades are A-D"))
    if not grades:
        problems.append(("MQL condition", "choose at least one grade that can become MQL"))
    score = _integer(
        mql_min_score,
        "MQL condition",
        problems,
        low=0,
        high=100 * MAX_POINTS,
        name="the minimum score",
    )
    if problems:
        raise DefinitionError(problems)
    definition = Definition(
        tuple(fit_rules), tuple(engagement_rules), levels, frozenset(grades), score
    )
    _check_reachable(definition)
    return definition


def _check_reachable(definition: Definition) -> None:
    """Refuse a condition no lead could ever meet: it would silently produce no MQLs."""
    problems = []
    best_fit = sum(max(r.points, 0) for r in definition.fit_rules)
    best_grade = definition.grade(best_fit)
    reachable = [g for g in GRADES if GRADES.index(g) >= GRADES.index(best_grade)]
    if not any(g in definition.mql_grades for g in reachable):
        allowed = " or ".join(g for g in GRADES if g in definition.mql_grades)
        problems.append(
            (
                "MQL condition",
                f"grade {allowed} needs more fit points than the rules can give "
                f"(at most {best_fit}, which is grade {best_grade})",
            )
        )
    positive = [r for r in definition.engagement_rules if r.points > 0]
    if definition.mql_min_score > 0 and not positive:
        problems.append(
            (
                "MQL condition",
                f"a score of {definition.mql_min_score} needs engagement rules "
                "with positive points",
            )
        )
    elif positive and all(r.cap is not None for r in positive):
        best = sum(r.cap for r in positive)
        if definition.mql_min_score > best:
            problems.append(
                (
                    "MQL condition",
                    f"the minimum score {definition.mql_min_score} is above the "
                    f"most the capped rules can give ({best})",
                )
            )
    if problems:
        raise DefinitionError(problems)


# Scoring one lead ----------------------------------------------------------------------


def _field_value(lead: LeadFacts, name: str):
    if name == "email_domain":
        return fold(email_domain(lead.email))
    if name in NUMBER_FIELDS:
        return getattr(lead, name)
    return fold(getattr(lead, name))


def fit_matches(rule: FitRule, lead: LeadFacts) -> bool:
    value = _field_value(lead, rule.field)
    if rule.field in NUMBER_FIELDS:
        if rule.op == "is_empty":
            return value is None
        if value is None:
            return False
        if rule.op == "equals":
            return value == rule.value[0]
        low, high = rule.value
        return (low is None or value >= low) and (high is None or value <= high)
    if rule.op == "is_empty":
        return value == ""
    if rule.op == "equals":
        return value == rule.value[0]
    if rule.op == "one_of":
        return value in rule.value
    if rule.op == "contains":
        return rule.value[0] in value
    return value.startswith(rule.value[0])  # starts_with


def touch_matches(rule: EngagementRule, touch: TouchFacts) -> bool:
    return (
        (not rule.kind or touch.kind == rule.kind)
        and (not rule.channel or touch.channel == rule.channel)
        and (rule.campaign is None or touch.campaign == rule.campaign)
    )


def evaluate(definition: Definition, lead: LeadFacts, touches, as_of: datetime) -> Evaluation:
    fit = [(rule, rule.points) for rule in definition.fit_rules if fit_matches(rule, lead)]
    fit_points = sum(points for _, points in fit)
    grade = definition.grade(fit_points)
    engagement = []
    total = 0.0
    seen = [t for t in touches if t.occurred_at <= as_of]
    for rule in definition.engagement_rules:
        matched = [t for t in seen if touch_matches(rule, t)]
        points = 0.0
        for touch in matched:
            weight = 1.0
            if rule.half_life_days:
                age_days = (as_of - touch.occurred_at).total_seconds() / 86400.0
                weight = 0.5 ** (age_days / rule.half_life_days)
            points += rule.points * weight
        if rule.cap is not None:
            points = min(points, rule.cap) if rule.points > 0 else max(points, -rule.cap)
        engagement.append((rule, len(matched), points))
        total += points
    score = round_half_up(total)
    return Evaluation(fit_points, grade, score, definition.passes(grade, score), fit, engagement)
