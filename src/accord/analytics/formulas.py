"""The formula language of value calculators: a spreadsheet syntax, parsed by a real grammar
(lark, LALR), checked when saved, compiled once into closures and evaluated over Decimal.

Pure: no Django, no database. Never Python's eval/exec/compile/getattr on user text: the
text is a lark parse tree turned into small Python closures over a fixed set of operations.

The language
------------
- Numbers `12`, `12.5`, `.5`; `20%` is 0.20 (`x%` is x / 100, for any operand).
- `+ - * / ^`, parentheses; comparisons `= <> < <= > >=` (not chained: `a < b < c` is a
  syntax error; put them in IF/AND/OR/NOT or in parentheses).
- Precedence, loosest first: comparison < `+ -` < `* /` < unary minus < `^` (right
  associative) < postfix `%`. So `2^3^2` is 512 and **`-2^2` is -4** (as in mathematics and
  Google Sheets' POW, not Excel, which gives 4): write `(-2)^2` for 4.
- Booleans: a comparison is 1 (true) or 0 (false), usable in arithmetic (`(seats > 10) * 500`);
  IF/AND/OR/NOT take any number, non-zero meaning true. IF, AND and OR evaluate only what they
  need (`IF(x = 0, 0, 1 / x)` never divides by zero).
- Functions (case-insensitive; argument counts checked when saved): IF(condition, then, else),
  AND(a, ...), OR(a, ...), NOT(a), MIN(a, ...), MAX(a, ...), SUM(a, ...), ABS(x),
  ROUND(x) or ROUND(x, digits) (half away from zero, as spreadsheets do; digits -15..15),
  LOOKUP(key, table) or LOOKUP(key, table, column).
- Names (letters, digits, underscores, not starting with a digit; case-sensitive) of inputs,
  constants (assumptions) and other values (the calculator's formulas). Tables are named only
  as LOOKUP's second argument.

Tables for LOOKUP: `{name: [(key, value1, value2, ...), ...]}`, every item a Decimal (or an
int), keys strictly ascending, every row the same length. `LOOKUP(key, t, column)` finds the
row with the largest key <= `key` (a spreadsheet's approximate LOOKUP: bands such as "from 10
seats, 8% off"; an exact key is a hit too) and returns its value number `column` (1-based,
default 1: the first value after the key; a constant). A key below the first row's is a miss:
an EvaluationError. Keys are numbers only.

Save-time checks (`check`, and `compile_formulas` which refuses with the same problems):
syntax (lark's position), characters outside printable ASCII, length (2,000 characters),
nesting (50 levels, counted before parsing for parentheses and after for operators), size
(10,000 operations over the calculator), unknown names and functions (with the closest known
name), argument counts, LOOKUP's table and column, a cycle between values (named: a -> b -> a),
a divisor that can be zero given the inputs' ranges (interval arithmetic over the inputs'
min/max, the constants and the tables; a divisor whose range is wholly unknown is not flagged,
and a guard `IF(x > 0, y / x, ...)` or `IF(x = 0, ..., y / x)` on a name is understood), an
exponent that is or can be over 100 in magnitude (`9^9^9`), names used twice (an input and a
value of the same name).

Evaluation limits (`evaluate`): Decimal with 28 digits and exponents within +-40 (beyond is an
overflow), every value within +-10^15, exponents within +-100, inputs within their ranges. The
language has no loops or user functions, so a formula's work is bounded by its size (10,000
operations at most): there is no way to hang the evaluator. Any failure is an EvaluationError
naming the value.
"""

import bisect
import decimal
import difflib
import operator
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from lark import Lark, Token, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

MAX_LENGTH = 2_000
MAX_DEPTH = 50
MAX_OPERATIONS = 10_000
MAX_EXPONENT = Decimal(100)
MAX_VALUE = Decimal(10) ** 15
MAX_ROUND_DIGITS = 15

# The evaluation context: built once, entered once per evaluate().
CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=40,
    Emin=-40,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
# Interval arithmetic at save time: no traps, infinities allowed.
_LOOSE = decimal.Context(prec=28, Emax=999_999, Emin=-999_999, traps=[])
_INF = Decimal("Infinity")

GRAMMAR = r"""
?start: comparison
?comparison: sum
    | sum COMP_OP sum -> compare
?sum: product (ADD_OP product)*
?product: unary (MUL_OP unary)*
?unary: power
    | ADD_OP unary -> sign
?power: postfix
    | postfix "^" unary -> pow
?postfix: atom
    | postfix "%" -> percent
?atom: NUMBER -> number
    | NAME -> name
    | NAME "(" [arguments] ")" -> call
    | "(" comparison ")"
arguments: comparison ("," comparison)*
COMP_OP: "<=" | ">=" | "<>" | "<" | ">" | "="
ADD_OP: "+" | "-"
MUL_OP: "*" | "/"
NUMBER: /\d+(\.\d+)?|\.\d+/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /[ \t\r\n]+/
"""

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True, propagate_positions=True)

# name: (fewest arguments, most arguments or None for any number, how to say it)
FUNCTIONS = {
    "IF": (3, 3, "IF(condition, value if true, value if false)"),
    "AND": (1, None, "AND(a, b, ...)"),
    "OR": (1, None, "OR(a, b, ...)"),
    "NOT": (1, 1, "NOT(a)"),
    "MIN": (1, None, "MIN(a, b, ...)"),
    "MAX": (1, None, "MAX(a, b, ...)"),
    "SUM": (1, None, "SUM(a, b, ...)"),
    "ABS": (1, 1, "ABS(x)"),
    "ROUND": (1, 2, "ROUND(x) or ROUND(x, digits)"),
    "LOOKUP": (2, 3, "LOOKUP(key, table) or LOOKUP(key, table, column)"),
}


class FormulaError(Exception):
    """The module's own errors; nothing else escapes it."""


class EvaluationError(FormulaError):
    """A value could not be computed: `formula` names it, the message says why."""

    def __init__(self, formula: str, message: str):
        super().__init__(f"{formula}: {message}")
        self.formula = formula
        self.message = message


class FormulaProblems(FormulaError):
    """compile_formulas refused: `problems` lists every Problem check found."""

    def __init__(self, problems: list["Problem"]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Range:
    """What an input may be: min and max (inclusive), either unknown (None)."""

    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class Problem:
    formula: str  # the value's (or table's) name
    offset: int  # 0-based character offset into the formula's text
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.formula}, line {self.line} column {self.column}: {self.message}"


@dataclass
class Compiled:
    """Formulas parsed and checked once; evaluate() runs them many times."""

    order: list[tuple[str, Callable]]  # values in dependency order
    inputs: dict[str, Range]
    constants: dict[str, Decimal]
    depends: dict[str, set[str]] = field(default_factory=dict)


# --- Nodes: what a formula becomes after parsing ----------------------------------------


@dataclass
class Node:
    kind: str  # number, name, sign, pow, percent, chain, compare, call
    pos: int
    value: object = None  # number: Decimal; name: str; call: function name; sign/compare: op
    children: list = field(default_factory=list)
    ops: list = field(default_factory=list)  # chain: the operators between children


def _position(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _problem(name: str, text: str, offset: int, message: str) -> Problem:
    line, column = _position(text, offset)
    return Problem(name, offset, line, column, message)


def _describe(char: str) -> str:
    try:
        label = unicodedata.name(char)
    except ValueError:
        label = "a control character"
    return f"{char!r} (U+{ord(char):04X} {label})"


def _prescan(name: str, text: str) -> Problem | None:
    """Length, characters and parenthesis depth, before lark sees the text: linear, no
    recursion, so 1 MB of text or 10,000 parentheses are refused at once."""
    if not isinstance(text, str):
        return _problem(name, "", 0, "a formula must be text")
    if len(text) > MAX_LENGTH:
        return _problem(
            name, "", 0, f"too long: {len(text):,} characters, the limit is {MAX_LENGTH:,}"
        )
    if not text.strip():
        return _problem(name, text, 0, "the formula is empty")
    depth = 0
    for offset, char in enumerate(text):
        if not (" " <= char <= "~" or char in "\t\r\n"):
            return _problem(
                name,
                text,
                offset,
                f"unexpected character {_describe(char)}: "
                "formulas use plain letters, digits and + - * / ^ % ( ) , < > =",
            )
        if char == "(":
            depth += 1
            if depth > MAX_DEPTH:
                return _problem(name, text, offset, f"nested deeper than {MAX_DEPTH} levels")
        elif char == ")":
            depth -= 1
    return None


def _syntax_problem(name: str, text: str, error: UnexpectedInput) -> Problem:
    offset = getattr(error, "pos_in_stream", None)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        hint = {
            "'": "; text in quotes is not part of formulas",
            '"': "; text in quotes is not part of formulas",
            ".": "; there is no attribute access (a number needs a digit after its point)",
            "[": "; there is no indexing: use LOOKUP(key, table)",
        }.get(char, "")
        return _problem(name, text, error.pos_in_stream, f"unexpected character {char!r}{hint}")
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return _problem(name, text, len(text), "the formula ends too soon")
    if isinstance(error, UnexpectedToken):
        token = error.token
        offset = token.start_pos if token.start_pos is not None else 0
        if token.type == "COMP_OP":
            message = (
                f"unexpected {token.value!r}: comparisons cannot be chained "
                "or used in arithmetic without parentheses"
            )
        else:
            message = f"unexpected {token.value!r}"
        return _problem(name, text, offset, message)
    return _problem(name, text, offset or 0, "not a formula")


def _tree_depth(tree: Tree) -> int:
    """The deepest nesting of the parse tree, without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
    return deepest


def _build(tree) -> Node:
    """Lark's tree into Nodes (depth already checked, so recursion is bounded)."""
    if isinstance(tree, Token):  # a lone NUMBER/NAME never reaches here (aliased), but be safe
        return Node("number", tree.start_pos, Decimal(tree.value))
    kind, kids = tree.data, tree.children
    if kind == "number":
        return Node("number", kids[0].start_pos, Decimal(kids[0].value))
    if kind == "name":
        return Node("name", kids[0].start_pos, str(kids[0].value))
    if kind == "call":
        args = [] if kids[1] is None else [_build(k) for k in kids[1].children]
        return Node("call", kids[0].start_pos, str(kids[0].value).upper(), args)
    if kind == "sign":
        return Node("sign", kids[0].start_pos, kids[0].value, [_build(kids[1])])
    if kind == "pow":
        left = _build(kids[0])
        return Node("pow", left.pos, None, [left, _build(kids[1])])
    if kind == "percent":
        inner = _build(kids[0])
        return Node("percent", inner.pos, None, [inner])
    if kind == "compare":
        left = _build(kids[0])
        return Node("compare", kids[1].start_pos, kids[1].value, [left, _build(kids[2])])
    if kind in ("sum", "product"):
        operands = [_build(k) for k in kids[0::2]]
        ops = [str(k.value) for k in kids[1::2]]
        return Node("chain", operands[0].pos, None, operands, ops)
    raise FormulaError(f"unknown parse node {kind}")  # pragma: no cover


def _walk(node: Node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def parse(name: str, text: str) -> tuple[Node | None, Problem | None]:
    """One formula's text into a Node tree, or the first problem with it."""
    problem = _prescan(name, text)
    if problem:
        return None, problem
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as error:
        return None, _syntax_problem(name, text, error)
    except (LarkError, RecursionError, ValueError, decimal.DecimalException):
        return None, _problem(name, text, 0, "not a formula")
    if _tree_depth(tree) > MAX_DEPTH:
        return None, _problem(name, text, 0, f"nested deeper than {MAX_DEPTH} levels")
    return _build(tree), None


# --- Save-time checks ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Iv:
    """A closed interval of possible values; `nonzero` when 0 is known to be excluded."""

    lo: Decimal
    hi: Decimal
    nonzero: bool = False

    @property
    def unknown(self) -> bool:
        return self.lo == -_INF and self.hi == _INF

    def has_zero(self) -> bool:
        return self.lo <= 0 <= self.hi and not self.nonzero


_ANY = _Iv(-_INF, _INF)
_BOOL = _Iv(Decimal(0), Decimal(1))


def _point(value: Decimal) -> _Iv:
    return _Iv(value, value, value != 0)


def _hull(*ivs: _Iv) -> _Iv:
    return _Iv(min(i.lo for i in ivs), max(i.hi for i in ivs), all(i.nonzero for i in ivs))


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return Decimal(0) if a == 0 or b == 0 else _LOOSE.multiply(a, b)


def _sane(iv: _Iv) -> _Iv:
    return _ANY if iv.lo.is_nan() or iv.hi.is_nan() else iv


def _fmt(value: Decimal) -> str:
    if value.is_infinite():
        return "unbounded"
    return f"{value.normalize():f}" if abs(value) < MAX_VALUE else f"{value:.3E}"


class _Checker:
    def __init__(self, formulas, inputs, constants, tables):
        self.formulas, self.inputs, self.constants, self.tables = (
            formulas,
            inputs,
            constants,
            tables,
        )
        self.problems: list[Problem] = []
        self.known = set(inputs) | set(constants) | set(formulas)
        self.intervals: dict[str, _Iv] = {}
        for key, rng in inputs.items():
            lo = _INF * -1 if rng.min is None else Decimal(rng.min)
            hi = _INF if rng.max is None else Decimal(rng.max)
            self.intervals[key] = _Iv(lo, hi, lo > 0 or hi < 0)
        for key, value in constants.items():
            self.intervals[key] = _point(Decimal(value))

    def add(self, name, offset, message):
        self.problems.append(_problem(name, self.formulas[name], offset, message))

    def suggest(self, word: str, pool) -> str:
        lowered = {p.lower(): p for p in pool}
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        return f" (did you mean {lowered[close[0]]}?)" if close else ""

    # names, functions, argument counts, LOOKUP shape: everything but ranges
    def names(self, name: str, root: Node) -> set[str]:
        used = set()
        for node in _walk(root):
            if node.kind == "name":
                if node.value in self.known:
                    used.add(node.value)
                elif node.value in self.tables:
                    self.add(
                        name, node.pos, f"{node.value} is a table: use LOOKUP(key, {node.value})"
                    )
                else:
                    self.add(
                        name,
                        node.pos,
                        f"unknown name {node.value}{self.suggest(node.value, self.known)}",
                    )
            elif node.kind == "call":
                self.call(name, node)
        return used

    def call(self, name: str, node: Node) -> None:
        fn = node.value
        if fn not in FUNCTIONS:
            self.add(name, node.pos, f"unknown function {fn}{self.suggest(fn, FUNCTIONS)}")
            node.kind = "bad"
            return
        fewest, most, usage = FUNCTIONS[fn]
        count = len(node.children)
        if count < fewest or (most is not None and count > most):
            self.add(
                name,
                node.pos,
                f"{fn} takes {usage}; it was given {count} argument{'s' * (count != 1)}",
            )
            node.kind = "bad"
            return
        if fn == "LOOKUP":
            table = node.children[1]
            if table.kind != "name" or table.value not in self.tables:
                known = f"{self.suggest(table.value, self.tables)}" if table.kind == "name" else ""
                listed = ", ".join(sorted(self.tables)) or "none defined"
                self.add(
                    name,
                    table.pos,
                    f"LOOKUP's second argument must be a table's name{known} (tables: {listed})",
                )
                node.kind = "bad"
                table.kind = "table"
                return
            table.kind = "table"  # not a value: skipped by the name check
            if len(node.children) == 3:
                column = node.children[2]
                width = len(self.tables[table.value][0]) - 1 if self.tables[table.value] else 0
                if (
                    column.kind != "number"
                    or column.value != column.value.to_integral_value()
                    or not 1 <= column.value <= width
                ):
                    self.add(
                        name,
                        column.pos,
                        f"LOOKUP's column must be a whole number from 1 to {width} "
                        f"(table {table.value})",
                    )
                    node.kind = "bad"

    # intervals: division by zero and exponents
    def interval(self, name: str, node: Node, env: Mapping[str, _Iv]) -> _Iv:
        kind = node.kind
        if kind == "number":
            return _point(node.value)
        if kind == "name":
            return env.get(node.value, _ANY)
        if kind in ("bad", "table"):
            return _ANY
        kids = node.children
        if kind == "sign":
            inner = self.interval(name, kids[0], env)
            return inner if node.value == "+" else _Iv(-inner.hi, -inner.lo, inner.nonzero)
        if kind == "percent":
            inner = self.interval(name, kids[0], env)
            return _Iv(inner.lo / 100, inner.hi / 100, inner.nonzero)
        if kind == "compare":
            for kid in kids:
                self.interval(name, kid, env)
            return _BOOL
        if kind == "pow":
            base = self.interval(name, kids[0], env)
            power = self.interval(name, kids[1], env)
            if not power.unknown and (power.hi > MAX_EXPONENT or power.lo < -MAX_EXPONENT):
                if power.lo == power.hi:
                    said = f"the exponent is {_fmt(power.lo)}"
                else:
                    worst = power.hi if power.hi > MAX_EXPONENT else power.lo
                    said = f"the exponent can be {_fmt(worst)}"
                self.add(name, kids[1].pos, f"{said}; exponents are limited to -100..100")
                return _ANY
            if (
                power.lo == power.hi
                and power.lo == power.lo.to_integral_value()
                and base.lo >= 0
                and power.lo >= 0
            ):
                n = int(power.lo)
                return _sane(
                    _Iv(_LOOSE.power(base.lo, n), _LOOSE.power(base.hi, n), base.nonzero or n == 0)
                )
            return _ANY
        if kind == "chain":
            total = self.interval(name, kids[0], env)
            for op, kid in zip(node.ops, kids[1:], strict=True):
                right = self.interval(name, kid, env)
                if op == "+":
                    total = _sane(
                        _Iv(_LOOSE.add(total.lo, right.lo), _LOOSE.add(total.hi, right.hi))
                    )
                elif op == "-":
                    total = _sane(
                        _Iv(
                            _LOOSE.subtract(total.lo, right.hi), _LOOSE.subtract(total.hi, right.lo)
                        )
                    )
                elif op == "*":
                    corners = [
                        _mul(a, b) for a in (total.lo, total.hi) for b in (right.lo, right.hi)
                    ]
                    total = _sane(_Iv(min(corners), max(corners), total.nonzero and right.nonzero))
                else:
                    if right.lo == right.hi == 0:
                        self.add(name, kid.pos, "division by zero")
                        total = _ANY
                    elif right.has_zero() and not right.unknown:
                        self.add(name, kid.pos, self.zero_message(kid, right))
                        total = _ANY
                    elif right.has_zero():
                        total = _ANY
                    else:
                        inverse = [_LOOSE.divide(1, b) if b else _INF for b in (right.lo, right.hi)]
                        corners = [_mul(a, b) for a in (total.lo, total.hi) for b in inverse]
                        total = _sane(_Iv(min(corners), max(corners), total.nonzero))
            return total
        if kind == "call":
            return self.function(name, node, env)
        return _ANY  # pragma: no cover

    def zero_message(self, node: Node, iv: _Iv) -> str:
        if node.kind == "name":
            return (
                f"division by {node.value}, which can be zero when {node.value} is 0 "
                f"(it ranges from {_fmt(iv.lo)} to {_fmt(iv.hi)})"
            )
        return (
            f"the divisor can be zero (it ranges from {_fmt(iv.lo)} to {_fmt(iv.hi)}); "
            "guard it with IF or MAX"
        )

    def function(self, name: str, node: Node, env) -> _Iv:
        fn, kids = node.value, node.children
        if fn == "IF":
            self.interval(name, kids[0], env)
            then_env, else_env = _narrow(kids[0], env)
            return _hull(
                self.interval(name, kids[1], then_env), self.interval(name, kids[2], else_env)
            )
        if fn == "LOOKUP":
            self.interval(name, kids[0], env)
            rows = self.tables[kids[1].value]
            column = int(kids[2].value) if len(kids) == 3 else 1
            return _hull(*[_point(Decimal(row[column])) for row in rows]) if rows else _ANY
        ivs = [self.interval(name, kid, env) for kid in kids]
        if fn in ("AND", "OR", "NOT"):
            return _BOOL
        if fn == "MIN":
            return _Iv(min(i.lo for i in ivs), min(i.hi for i in ivs), all(i.nonzero for i in ivs))
        if fn == "MAX":
            return _Iv(max(i.lo for i in ivs), max(i.hi for i in ivs), all(i.nonzero for i in ivs))
        if fn == "SUM":
            lo, hi = Decimal(0), Decimal(0)
            for i in ivs:
                lo, hi = _LOOSE.add(lo, i.lo), _LOOSE.add(hi, i.hi)
            return _sane(_Iv(lo, hi))
        if fn == "ABS":
            (i,) = ivs
            if i.lo >= 0:
                return i
            if i.hi <= 0:
                return _Iv(-i.hi, -i.lo, i.nonzero)
            return _Iv(Decimal(0), max(-i.lo, i.hi), i.nonzero)
        if fn == "ROUND":
            i = ivs[0]
            if len(kids) == 2 and not (
                ivs[1].lo == ivs[1].hi and abs(ivs[1].lo) <= MAX_ROUND_DIGITS
            ):
                return _ANY
            digits = int(ivs[1].lo) if len(kids) == 2 else 0
            return _sane(_Iv(_round_loose(i.lo, digits), _round_loose(i.hi, digits)))
        return _ANY  # pragma: no cover


def _round_loose(value: Decimal, digits: int) -> Decimal:
    if value.is_infinite():
        return value
    return _LOOSE.quantize(value, Decimal(1).scaleb(-digits)) if abs(value) < MAX_VALUE else value


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "<>": "<>"}


def _narrow(condition: Node, env):
    """The names' intervals where an IF's condition holds and where it fails, for the simple
    guards `name OP number` (or `number OP name`); otherwise the same env both ways."""
    if condition.kind != "compare":
        return env, env
    left, right = condition.children
    op = condition.value
    if left.kind == "number" and right.kind == "name":
        left, right, op = right, left, _FLIP[op]
    if left.kind != "name" or right.kind != "number" or left.value not in env:
        return env, env
    iv, c = env[left.value], right.value

    def clip(lo, hi, nonzero_if_open=False, open_at=None):
        lo, hi = max(iv.lo, lo), min(iv.hi, hi)
        nonzero = iv.nonzero or lo > 0 or hi < 0 or (open_at == 0 and c == 0)
        return {**env, left.value: _Iv(lo, hi, nonzero)}

    opposite = {"<": ">=", ">": "<=", "<=": ">", ">=": "<", "=": "<>", "<>": "="}

    def holds(o):
        if o == ">":
            return clip(c, _INF, open_at=c)
        if o == ">=":
            return clip(c, _INF)
        if o == "<":
            return clip(-_INF, c, open_at=c)
        if o == "<=":
            return clip(-_INF, c)
        if o == "=":
            return clip(c, c)
        # "<>": only zero is worth knowing about
        return {**env, left.value: _Iv(iv.lo, iv.hi, iv.nonzero or c == 0)}

    return holds(op), holds(opposite[op])


def _cycles(depends: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle once, as a path a -> b -> a, found without recursion."""
    found, state = [], {}
    for start in sorted(depends):
        if state.get(start):
            continue
        path, stack = [], [(start, iter(sorted(depends[start])))]
        state[start] = 1
        path.append(start)
        while stack:
            node, targets = stack[-1]
            for target in targets:
                if target not in depends:
                    continue
                if state.get(target) == 1:
                    found.append(path[path.index(target) :] + [target])
                elif not state.get(target):
                    state[target] = 1
                    path.append(target)
                    stack.append((target, iter(sorted(depends[target]))))
                    break
            else:
                stack.pop()
                path.pop()
                state[node] = 2
    return found


def _order(depends: dict[str, set[str]]) -> list[str]:
    """The values in an order where each comes after those it uses (Kahn's algorithm; the
    members of a cycle, already reported, go last)."""
    waiting = {name: set(uses) & set(depends) - {name} for name, uses in depends.items()}
    order = []
    ready = sorted(name for name, uses in waiting.items() if not uses)
    while ready:
        name = ready.pop(0)
        order.append(name)
        del waiting[name]
        freed = [other for other, uses in waiting.items() if name in uses and not uses - {name}]
        for other in waiting:
            waiting[other].discard(name)
        ready = sorted(set(ready) | set(freed))
    return order + sorted(waiting)


def _check_tables(tables) -> list[Problem]:
    problems = []
    for name, rows in tables.items():
        where = f"table {name}"
        try:
            rows = [tuple(Decimal(item) for item in row) for row in rows]
        except (TypeError, ValueError, decimal.DecimalException):
            problems.append(Problem(where, 0, 1, 1, "every key and value must be a number"))
            continue
        if not rows:
            problems.append(Problem(where, 0, 1, 1, "the table has no rows"))
        elif len({len(r) for r in rows}) > 1 or len(rows[0]) < 2:
            problems.append(
                Problem(where, 0, 1, 1, "every row needs a key and the same number of values")
            )
        elif any(a[0] >= b[0] for a, b in zip(rows, rows[1:], strict=False)):
            problems.append(Problem(where, 0, 1, 1, "keys must be in ascending order, each once"))
    return problems


def _analyse(formulas, inputs, constants, tables):
    problems: list[Problem] = []
    tables = dict(tables or {})
    problems += _check_tables(tables)
    clean_tables = {
        k: v for k, v in tables.items() if not any(p.formula == f"table {k}" for p in problems)
    }
    formulas = {str(k): v for k, v in formulas.items()}
    for name in formulas:
        if name in inputs or name in constants:
            kind = "an input" if name in inputs else "a constant"
            problems.append(Problem(name, 0, 1, 1, f"{name} is both {kind} and a value"))
        elif not _NAME_OK(name):
            problems.append(
                Problem(
                    name,
                    0,
                    1,
                    1,
                    "a value's name uses letters, digits and underscores, and starts with a letter",
                )
            )
    checker = _Checker(formulas, dict(inputs), dict(constants), clean_tables)
    trees, depends = {}, {}
    operations = 0
    for name, text in formulas.items():
        root, problem = parse(name, text)
        if problem:
            problems.append(problem)
            continue
        trees[name] = root
        operations += sum(1 for _ in _walk(root))
        depends[name] = {n for n in checker.names(name, root) if n in formulas}
    if operations > MAX_OPERATIONS:
        problems.append(
            Problem(
                next(iter(formulas)),
                0,
                1,
                1,
                f"too many operations: {operations:,} across the formulas, "
                f"the limit is {MAX_OPERATIONS:,}",
            )
        )
    in_cycle = set()
    for cycle in _cycles(depends):
        first, second = cycle[0], cycle[1]
        offset = next(
            (n.pos for n in _walk(trees[first]) if n.kind == "name" and n.value == second), 0
        )
        checker.add(first, offset, f"a cycle between values: {' -> '.join(cycle)}")
        in_cycle.update(cycle)
    order = _order(depends)
    for name in order:
        if name in trees:
            iv = checker.interval(name, trees[name], checker.intervals)
            checker.intervals[name] = _ANY if name in in_cycle else iv
    place = {name: index for index, name in enumerate(formulas)}
    problems += sorted(checker.problems, key=lambda p: (place.get(p.formula, 0), p.offset))
    return problems, trees, order, depends, clean_tables


def _NAME_OK(name: str) -> bool:
    return (
        bool(name) and name.isascii() and (name[0].isalpha()) and name.replace("_", "a").isalnum()
    )


def check(
    formulas: Mapping[str, str],
    *,
    inputs: Mapping[str, Range] | None = None,
    constants: Mapping[str, Decimal] | None = None,
    tables: Mapping | None = None,
) -> list[Problem]:
    """Every problem with a calculator's formulas, each naming the formula and the position.
    Never raises: an empty list means compile_formulas will accept them."""
    try:
        return _analyse(formulas, inputs or {}, constants or {}, tables or {})[0]
    except (RecursionError, MemoryError) as error:  # pragma: no cover - limits make it unreachable
        return [
            Problem(
                next(iter(formulas), "?"), 0, 1, 1, f"too complex to check ({type(error).__name__})"
            )
        ]


# --- Compiling into closures ---------------------------------------------------------------


class _Fail(Exception):
    """Raised inside a closure; evaluate() names the formula."""


def _divide(a, b):
    return lambda env: a(env) / b(env)


def _compile(node: Node, tables) -> Callable:
    kind, kids = node.kind, node.children
    if kind == "number":
        value = node.value
        return lambda env: value
    if kind == "name":
        return operator.itemgetter(node.value)
    if kind == "sign":
        inner = _compile(kids[0], tables)
        return inner if node.value == "+" else (lambda env: -inner(env))
    if kind == "percent":
        inner, hundredth = _compile(kids[0], tables), Decimal("0.01")
        return lambda env: inner(env) * hundredth
    if kind == "pow":
        base, power = _compile(kids[0], tables), _compile(kids[1], tables)

        def pow_(env):
            p = power(env)
            if abs(p) > MAX_EXPONENT:
                raise _Fail(f"the exponent {_fmt(p)} is over the limit of 100")
            return base(env) ** p

        return pow_
    if kind == "compare":
        left, right = _compile(kids[0], tables), _compile(kids[1], tables)
        test = {
            "<": operator.lt,
            ">": operator.gt,
            "<=": operator.le,
            ">=": operator.ge,
            "=": operator.eq,
            "<>": operator.ne,
        }[node.value]
        one, zero = Decimal(1), Decimal(0)
        return lambda env: one if test(left(env), right(env)) else zero
    if kind == "chain":
        total = _compile(kids[0], tables)
        for op, kid in zip(node.ops, kids[1:], strict=True):
            right = _compile(kid, tables)
            if op == "+":
                total = (lambda a, b: lambda env: a(env) + b(env))(total, right)
            elif op == "-":
                total = (lambda a, b: lambda env: a(env) - b(env))(total, right)
            elif op == "*":
                total = (lambda a, b: lambda env: a(env) * b(env))(total, right)
            else:
                total = _divide(total, right)
        return total
    if kind == "call":
        return _compile_call(node, tables)
    raise FormulaError(f"cannot compile {kind}")  # pragma: no cover


def _compile_call(node: Node, tables) -> Callable:
    fn = node.value
    one, zero = Decimal(1), Decimal(0)
    if fn == "LOOKUP":
        key = _compile(node.children[0], tables)
        table_name = node.children[1].value
        rows = [tuple(Decimal(x) for x in row) for row in tables[table_name]]
        keys = [row[0] for row in rows]
        column = int(node.children[2].value) if len(node.children) == 3 else 1
        values = [row[column] for row in rows]

        def lookup(env):
            k = key(env)
            at = bisect.bisect_right(keys, k) - 1
            if at < 0:
                raise _Fail(
                    f"LOOKUP: {_fmt(k)} is below the first key of table {table_name} "
                    f"({_fmt(keys[0])})"
                )
            return values[at]

        return lookup
    args = [_compile(kid, tables) for kid in node.children]
    if fn == "IF":
        cond, then, else_ = args
        return lambda env: then(env) if cond(env) else else_(env)
    if fn == "AND":
        return lambda env: one if all(a(env) for a in args) else zero
    if fn == "OR":
        return lambda env: one if any(a(env) for a in args) else zero
    if fn == "NOT":
        (a,) = args
        return lambda env: zero if a(env) else one
    if fn == "MIN":
        return lambda env: min(a(env) for a in args)
    if fn == "MAX":
        return lambda env: max(a(env) for a in args)
    if fn == "SUM":

        def sum_(env):
            total = zero
            for a in args:
                total += a(env)
            return total

        return sum_
    if fn == "ABS":
        (a,) = args
        return lambda env: abs(a(env))
    if fn == "ROUND":
        x = args[0]
        digits = args[1] if len(args) == 2 else (lambda env: zero)

        def round_(env):
            d = digits(env)
            if d != d.to_integral_value() or abs(d) > MAX_ROUND_DIGITS:
                raise _Fail(f"ROUND's digits must be a whole number from -15 to 15, not {_fmt(d)}")
            value = x(env)
            return value.quantize(Decimal(1).scaleb(-int(d)), rounding=decimal.ROUND_HALF_UP)

        return round_
    raise FormulaError(f"unknown function {fn}")  # pragma: no cover


def compile_formulas(
    formulas: Mapping[str, str],
    *,
    inputs: Mapping[str, Range] | None = None,
    constants: Mapping[str, Decimal] | None = None,
    tables: Mapping | None = None,
) -> Compiled:
    """Check and compile once (when a calculator is saved or loaded); raises FormulaProblems
    listing every problem check() finds."""
    inputs, constants = dict(inputs or {}), {k: Decimal(v) for k, v in (constants or {}).items()}
    problems, trees, order, depends, tables = _analyse(formulas, inputs, constants, tables or {})
    if problems:
        raise FormulaProblems(problems)
    compiled = [(name, _compile(trees[name], tables)) for name in order]
    return Compiled(order=compiled, inputs=inputs, constants=constants, depends=depends)


def _messages(error: Exception) -> str:
    if isinstance(error, decimal.DivisionByZero | decimal.DivisionUndefined):
        return "division by zero"
    if isinstance(error, decimal.Overflow):
        return "a result is too large"
    if isinstance(error, decimal.InvalidOperation):
        return "an invalid operation (such as a negative number raised to a fractional power)"
    return str(error)


def evaluate(compiled: Compiled, values: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Every value of the calculator, in dependency order, for these inputs (a preview with
    test inputs is just this). Inputs must be given and within their ranges; `values` may
    also override constants. Raises EvaluationError naming the input or value at fault."""
    env = dict(compiled.constants)
    for name, rng in compiled.inputs.items():
        if name not in values:
            raise EvaluationError(name, "this input has no value")
        value = values[name]
        if not isinstance(value, Decimal):
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise EvaluationError(name, f"not a number: {value!r}")
            try:
                value = Decimal(value)
            except decimal.DecimalException:
                raise EvaluationError(name, f"not a number: {value!r}") from None
        if not value.is_finite():
            raise EvaluationError(name, "not a finite number")
        if (rng.min is not None and value < rng.min) or (rng.max is not None and value > rng.max):
            low = -_INF if rng.min is None else Decimal(rng.min)
            high = _INF if rng.max is None else Decimal(rng.max)
            raise EvaluationError(
                name, f"{_fmt(value)} is outside its range ({_fmt(low)} to {_fmt(high)})"
            )
        env[name] = value
    for name in compiled.constants:
        if name in values:
            if not isinstance(values[name], Decimal) or not values[name].is_finite():
                raise EvaluationError(name, f"not a number: {values[name]!r}")
            env[name] = values[name]
    results = {}
    with decimal.localcontext(CONTEXT):
        for name, fn in compiled.order:
            try:
                result = fn(env)
            except _Fail as error:
                raise EvaluationError(name, str(error)) from None
            except decimal.DecimalException as error:
                raise EvaluationError(name, _messages(error)) from None
            if not -MAX_VALUE <= result <= MAX_VALUE:
                raise EvaluationError(
                    name, f"the value {_fmt(result)} is beyond the limit of ±10^15"
                )
            env[name] = results[name] = result
    return results
