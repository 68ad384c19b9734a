"""The value calculators' formula language: grammar and precedence, every function, the
save-time checks with their messages and positions, hostile text, and two properties (random
valid formulas agree with a reference evaluator written here; random text only ever gets the
module's own errors)."""

import decimal
import time
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accord.analytics.formulas import (
    EvaluationError,
    FormulaError,
    FormulaProblems,
    Range,
    check,
    compile_formulas,
    evaluate,
)

TIERS = {"tiers": [(0, D("0"), D("100")), (10, D("0.05"), D("90")), (50, D("0.1"), D("80"))]}


def value(text, **inputs):
    """One formula over inputs without ranges; returns its Decimal."""
    compiled = compile_formulas(
        {"v": text}, inputs={k: Range() for k in inputs}, constants={"rate": D("0.2")}, tables=TIERS
    )
    return evaluate(compiled, {k: D(str(v)) for k, v in inputs.items()})["v"]


def problems(text, inputs=None, **others):
    found = check(
        {"v": text, **others}, inputs=inputs or {}, constants={"rate": D("0.2")}, tables=TIERS
    )
    return [(p.formula, p.column, p.message) for p in found]


# --- Grammar and precedence ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),  # left to right
        ("100 / 10 / 5", "2"),
        ("2^3^2", "512"),  # right associative
        ("-2^2", "-4"),  # unary minus looser than ^ (not Excel's 4)
        ("(-2)^2", "4"),
        ("2^-1", "0.5"),
        ("20%", "0.20"),
        ("200 * 15%", "30.00"),
        ("50%^2", "0.2500"),  # % binds tighter than ^
        ("2^50%", "1.414213562373095048801688724"),
        ("1 + 2 > 2", "1"),  # comparison loosest
        ("3 * (2 < 1)", "0"),
        (".5 + 1.25", "1.75"),
        ("- -3", "3"),
        ("rate * 10", "2.0"),
        ("1 = 1", "1"),
        ("1 <> 1", "0"),
        ("2 >= 2", "1"),
        ("2 <= 1", "0"),
    ],
)
def test_arithmetic_and_precedence(text, expected):
    assert value(text) == D(expected)
    assert str(value(text)) == expected


def test_functions_are_case_insensitive_and_each_computes():
    assert value("if(x > 5, 1, 2)", x=6) == 1
    assert value("IF(x > 5, 1, 2)", x=5) == 2
    assert value("AND(1, x > 1)", x=2) == 1 and value("AND(1, 0)") == 0
    assert value("OR(0, x)", x=0) == 0 and value("OR(0, 3)") == 1
    assert value("NOT(x)", x=0) == 1 and value("NOT(2)") == 0
    assert value("MIN(3, -1, 2)") == -1
    assert value("MAX(3, -1, 2)") == 3
    assert value("SUM(1, 2, 3.5)") == D("6.5")
    assert value("ABS(-4.2)") == D("4.2")
    assert value("ROUND(2.5)") == 3  # half away from zero, as spreadsheets
    assert value("ROUND(-2.5)") == -3
    assert value("ROUND(1234.5678, 2)") == D("1234.57")
    assert value("ROUND(1234.5678, -2)") == D("1.2E+3")


def test_if_and_or_only_evaluate_what_they_need():
    assert value("IF(x = 0, 0, 1 / x)", x=0) == 0
    assert value("AND(x <> 0, 1 / x > 0)", x=0) == 0
    assert value("OR(x = 0, 1 / x > 0)", x=0) == 1


def test_lookup_finds_the_band_and_a_key_below_the_first_is_a_miss():
    assert value("LOOKUP(seats, tiers)", seats=0) == 0
    assert value("LOOKUP(seats, tiers)", seats=10) == D("0.05")  # exact key
    assert value("LOOKUP(seats, tiers)", seats=49) == D("0.05")  # band
    assert value("LOOKUP(seats, tiers, 2)", seats=500) == 80
    with pytest.raises(EvaluationError) as miss:
        value("LOOKUP(seats, tiers)", seats=-1)
    assert miss.value.formula == "v"
    assert "-1 is below the first key of table tiers (0)" in str(miss.value)


def test_values_use_each_other_in_dependency_order():
    compiled = compile_formulas(
        {"net": "benefit - cost", "benefit": "hours * 52 * rate", "cost": "1000"},
        inputs={"hours": Range(D(0), D(40))},
        constants={"rate": D("50")},
    )
    assert evaluate(compiled, {"hours": D(10)}) == {"cost": 1000, "benefit": 26000, "net": 25000}


# --- Evaluation limits -------------------------------------------------------------------


def test_run_time_failures_name_the_value():
    compiled = compile_formulas(
        {"ok": "1", "share": "10 / x", "root": "x ^ 0.5"}, inputs={"x": Range()}
    )
    with pytest.raises(EvaluationError, match="^share: division by zero$"):
        evaluate(compiled, {"x": D(0)})
    with pytest.raises(EvaluationError, match="^root: an invalid operation"):
        evaluate(compiled, {"x": D(-4)})


def test_limits_on_exponents_results_and_inputs():
    big = compile_formulas({"p": "2 ^ x"}, inputs={"x": Range()})
    with pytest.raises(EvaluationError, match="the exponent 101 is over the limit of 100"):
        evaluate(big, {"x": D(101)})
    with pytest.raises(EvaluationError, match=r"p: the value .* is beyond the limit of ±10\^15"):
        evaluate(big, {"x": D(60)})
    huge = compile_formulas({"p": "x * x * x"}, inputs={"x": Range()})
    with pytest.raises(EvaluationError, match="p: a result is too large"):
        evaluate(huge, {"x": D("1E+20")})
    ranged = compile_formulas({"p": "x"}, inputs={"x": Range(D(1), D(10))})
    with pytest.raises(EvaluationError, match=r"^x: 11 is outside its range \(1 to 10\)$"):
        evaluate(ranged, {"x": D(11)})
    with pytest.raises(EvaluationError, match="^x: this input has no value$"):
        evaluate(ranged, {})
    with pytest.raises(EvaluationError, match="^x: not a number"):
        evaluate(ranged, {"x": "ten"})


# --- Save-time checks: message and position ----------------------------------------------


def test_syntax_errors_say_where():
    assert problems("1 +") == [("v", 4, "the formula ends too soon")]
    assert problems("1 + * 2") == [("v", 5, "unexpected '*'")]
    assert problems("1 < 2 < 3")[0][:2] == ("v", 7)
    assert "cannot be chained" in problems("1 < 2 < 3")[0][2]
    assert problems("") == [("v", 1, "the formula is empty")]


def test_positions_count_lines_and_columns():
    found = check({"v": "1 +\n  revnue"}, constants={"revenue": D(1)})
    assert (found[0].line, found[0].column, found[0].offset) == (2, 3, 6)
    assert str(found[0]) == "v, line 2 column 3: unknown name revnue (did you mean revenue?)"


def test_unknown_names_and_functions_suggest_the_closest():
    assert problems("rat * 2") == [("v", 1, "unknown name rat (did you mean rate?)")]
    assert problems("1 + zzz") == [("v", 5, "unknown name zzz")]
    assert problems("MAXX(1, 2)") == [("v", 1, "unknown function MAXX (did you mean MAX?)")]
    assert problems("tiers + 1") == [("v", 1, "tiers is a table: use LOOKUP(key, tiers)")]


def test_argument_counts():
    assert problems("IF(1, 2)") == [
        ("v", 1, "IF takes IF(condition, value if true, value if false); it was given 2 arguments")
    ]
    assert problems("ABS()") == [("v", 1, "ABS takes ABS(x); it was given 0 arguments")]
    assert problems("ROUND(1, 2, 3)")[0][2].startswith("ROUND takes ROUND(x) or ROUND(x, digits)")


def test_lookup_needs_a_table_and_a_column_it_has():
    assert problems("LOOKUP(1, tierz)") == [
        (
            "v",
            11,
            "LOOKUP's second argument must be a table's name (did you mean tiers?) (tables: tiers)",
        )
    ]
    assert problems("LOOKUP(1, tiers, 3)") == [
        ("v", 18, "LOOKUP's column must be a whole number from 1 to 2 (table tiers)")
    ]
    bad = check({"v": "1"}, tables={"t": [(5, 1), (2, 3)]})
    assert [(p.formula, p.message) for p in bad] == [
        ("table t", "keys must be in ascending order, each once")
    ]


def test_a_cycle_is_named():
    found = check({"a": "b + 1", "b": "c * 2", "c": "a"})
    assert [str(p) for p in found] == [
        "a, line 1 column 1: a cycle between values: a -> b -> c -> a"
    ]
    assert [p.message for p in check({"a": "a + 1"})] == ["a cycle between values: a -> a"]


def test_a_divisor_that_can_be_zero_given_the_ranges():
    inputs = {"analysts": Range(D(0), D(100)), "hours": Range(D(1), D(40)), "free": Range()}
    assert problems("1000 / analysts", inputs) == [
        (
            "v",
            8,
            "division by analysts, which can be zero when analysts is 0 (it ranges from 0 to 100)",
        )
    ]
    assert problems("1000 / (hours - 1)", inputs) == [
        ("v", 9, "the divisor can be zero (it ranges from 0 to 39); guard it with IF or MAX")
    ]
    assert problems("1 / 0") == [("v", 5, "division by zero")]
    assert problems("1 / (rate - 0.2)") == [("v", 6, "division by zero")]
    # can be known not to be zero: fine
    assert (
        problems("1000 / hours + 1 / (hours * 2 + analysts) + 1 / MAX(analysts, 1)", inputs) == []
    )
    # guarded: fine
    assert problems("IF(analysts > 0, 1000 / analysts, 0)", inputs) == []
    assert problems("IF(analysts = 0, 0, 1000 / analysts)", inputs) == []
    assert problems("IF(analysts >= 0, 1000 / analysts, 0)", inputs) != []
    # wholly unknown: cannot be known, left to run time
    assert problems("1 / free", inputs) == []
    # through another value
    assert problems("1 / w", inputs, w="analysts * 2")[0][2].startswith(
        "division by w, which can be zero"
    )


def test_exponents_over_100():
    assert problems("9^9^9") == [
        ("v", 3, "the exponent is 387420489; exponents are limited to -100..100")
    ]
    assert problems("2^101")[0][2] == "the exponent is 101; exponents are limited to -100..100"
    assert problems("2^x", {"x": Range(D(0), D(500))})[0][2] == (
        "the exponent can be 500; exponents are limited to -100..100"
    )
    assert problems("2^100") == [] and problems("2^x", {"x": Range(D(0), D(12))}) == []


def test_names_used_twice_and_bad_value_names():
    found = check({"x": "1", "bad name": "2"}, inputs={"x": Range()})
    assert [p.message for p in found] == [
        "x is both an input and a value",
        "a value's name uses letters, digits and underscores, and starts with a letter",
    ]


def test_compile_refuses_with_every_problem():
    with pytest.raises(FormulaProblems) as refused:
        compile_formulas({"a": "1 +", "b": "nope"})
    assert [p.formula for p in refused.value.problems] == ["a", "b"]


# --- Hostile text: refused quickly with a clear answer -------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", 'unexpected character "\'"; text in quotes is not part of formulas'),
        ("__import__(1)", "unknown function __IMPORT__"),
        ("rate.__class__", "unexpected character '.'; there is no attribute access"),
        ("x[0]", "unexpected character '['; there is no indexing: use LOOKUP(key, table)"),
        ("(" * 10_000 + "1" + ")" * 10_000, "too long: 20,001 characters, the limit is 2,000"),
        ("(" * 60 + "1" + ")" * 60, "nested deeper than 50 levels"),
        ("-" * 60 + "1", "nested deeper than 50 levels"),
        ("2^" * 60 + "1", "nested deeper than 50 levels"),
        ("1" * 1_000_000, "too long: 1,000,000 characters, the limit is 2,000"),
        ("1 +\x00 2", "unexpected character '\\x00' (U+0000 a control character)"),
        ("r\u0430te", "unexpected character 'а' (U+0430 CYRILLIC SMALL LETTER A)"),
        ("１ + 1", "unexpected character '１' (U+FF11 FULLWIDTH DIGIT ONE)"),
        ("lambda: 1", "unexpected character ':'"),
        ("9^9^9", "the exponent is 387420489"),
    ],
)
def test_hostile_text_gets_a_clear_answer_quickly(text, message):
    started = time.perf_counter()
    found = check({"v": text}, inputs={"x": Range()}, constants={"rate": D(1)})
    assert time.perf_counter() - started < 0.5
    assert len(found) >= 1
    assert found[0].message.startswith(message), found[0].message


def test_a_long_flat_sum_is_not_too_deep():
    assert value(" + ".join(["1"] * 500)) == 500


# --- Properties --------------------------------------------------------------------------

# The reference: a tree evaluated straight over Decimal, with the documented context and limits.
REFERENCE = decimal.Context(
    prec=28,
    Emax=40,
    Emin=-40,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
INPUTS = {"x": D("3"), "y": D("-2.5"), "z": D("0")}


class Refused(Exception):
    pass


def reference(tree):
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "name":
        return INPUTS[tree[1]]
    if kind == "neg":
        return -reference(tree[1])
    if kind == "pct":
        return reference(tree[1]) * D("0.01")
    if kind == "pow":
        return reference(tree[1]) ** tree[2]
    if kind == "bin":
        a, b = reference(tree[2]), reference(tree[3])
        return {"+": a + b, "-": a - b, "*": a * b}[tree[1]] if tree[1] != "/" else a / b
    if kind == "cmp":
        a, b = reference(tree[2]), reference(tree[3])
        holds = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "=": a == b, "<>": a != b}
        return D(1) if holds[tree[1]] else D(0)
    if kind == "if":
        return reference(tree[2]) if reference(tree[1]) != 0 else reference(tree[3])
    if kind == "fn":
        args = [reference(t) for t in tree[2]]
        return {
            "MIN": min,
            "MAX": max,
            "SUM": lambda xs: sum(xs, D(0)),
            "ABS": lambda xs: abs(xs[0]),
        }[tree[1]](args)
    raise AssertionError(kind)


def render(tree):
    def wrap(t):
        text = render(t)
        return text if t[0] in ("num", "name") else f"({text})"

    kind = tree[0]
    if kind == "num":
        return str(tree[1])
    if kind == "name":
        return tree[1]
    if kind == "neg":
        return f"-{wrap(tree[1])}"
    if kind == "pct":
        return f"{wrap(tree[1])}%"
    if kind == "pow":
        return f"{wrap(tree[1])}^{tree[2]}"
    if kind in ("bin", "cmp"):
        return f"{wrap(tree[2])} {tree[1]} {wrap(tree[3])}"
    if kind == "if":
        return f"IF({render(tree[1])}, {render(tree[2])}, {render(tree[3])})"
    return f"{tree[1].lower()}({', '.join(render(t) for t in tree[2])})"


numbers = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
leaves = st.one_of(
    numbers.map(lambda d: ("num", d)), st.sampled_from(["x", "y", "z"]).map(lambda n: ("name", n))
)
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(
        kids.map(lambda t: ("neg", t)),
        kids.map(lambda t: ("pct", t)),
        st.tuples(st.just("pow"), kids, st.integers(0, 3)),
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/"]), kids, kids),
        st.tuples(st.just("cmp"), st.sampled_from(["<", ">", "<=", ">=", "=", "<>"]), kids, kids),
        st.tuples(st.just("if"), kids, kids, kids),
        st.tuples(
            st.just("fn"),
            st.sampled_from(["MIN", "MAX", "SUM"]),
            st.lists(kids, min_size=1, max_size=3),
        ),
        st.tuples(st.just("fn"), st.just("ABS"), st.lists(kids, min_size=1, max_size=1)),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_random_valid_formulas_agree_with_the_reference(tree):
    text = render(tree)
    try:
        compiled = compile_formulas({"v": text}, inputs={k: Range() for k in INPUTS})
    except FormulaProblems as refused:
        # only a constant divisor that is zero may be refused; nothing else about these
        assert all("zero" in p.message for p in refused.problems), refused.problems
        assume(False)
    try:
        with decimal.localcontext(REFERENCE):
            expected = reference(tree)
        if abs(expected) > D(10) ** 15:
            raise Refused
    except (decimal.DecimalException, Refused):
        with pytest.raises(EvaluationError):
            evaluate(compiled, INPUTS)
        return
    assert evaluate(compiled, INPUTS)["v"] == expected


junk = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789.+-*/^%(),<>= xyzIFMAXNOTLOOKUPtiers_", max_size=80),
)


@settings(max_examples=400, deadline=None)
@given(junk)
def test_random_text_only_ever_gets_the_modules_own_errors(text):
    found = check({"v": text}, inputs={k: Range() for k in INPUTS}, tables=TIERS)
    assert all(p.formula == "v" and p.message for p in found)
    try:
        compiled = compile_formulas({"v": text}, inputs={k: Range() for k in INPUTS}, tables=TIERS)
    except FormulaProblems as refused:
        assert refused.problems == found
        return
    assert found == []
    try:
        assert isinstance(evaluate(compiled, INPUTS)["v"], D)
    except EvaluationError:
        pass


def test_every_error_is_a_formula_error():
    assert issubclass(EvaluationError, FormulaError) and issubclass(FormulaProblems, FormulaError)
