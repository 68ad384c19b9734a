"""One calculation of a version from a person's inputs: the only place results are made.

Every door that stores or shows results (the public page, its live JSON, the submit, a rep's
adjusted copy on the deal, the business case) reads the inputs with `read_inputs` and
computes with `compute`, on the server. Formulas are compiled once per version and kept
(a published version never changes; a draft is compiled again when its parts change).

Inputs arrive as a person types them: numbers as text (thousands commas allowed), a
percentage input in percent (15 means 15%, stored as 0.15), a choice as its value, yes/no as
yes/no, true/false or 1/0. Anything else, an input the version does not have, or a value
out of its range is refused, naming the input and why; nothing is computed from half of
them.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from accord.analytics import formulas
from accord.calculators import checks
from accord.calculators.models import CalculatorVersion

MAX_INPUT_TEXT = 40
_YES = {"1", "yes", "true", "on", "y"}
_NO = {"0", "no", "false", "off", "n"}
_COMPILED: dict[tuple[int, str], formulas.Compiled] = {}


def _fingerprint(version: CalculatorVersion) -> str:
    if version.status != CalculatorVersion.Status.DRAFT:
        # Only a draft changes; but an id can come back (SQLite reuses the highest one after a
        # delete, a test's rollback does), so say which version this is beside it.
        return f"{version.calculator_id}:{version.number}:{version.created_at.isoformat()}"
    return repr(version.content())


def compiled(version: CalculatorVersion) -> formulas.Compiled:
    key = (version.pk, _fingerprint(version))
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) > 500:
            _COMPILED.clear()
        found = _COMPILED[key] = checks.compile_version(version.content())
    return found


def plain(value: Decimal) -> str:
    """A Decimal as stored in JSON: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _read_one(item: dict, raw) -> Decimal:
    """One input as typed, as the formulas take it; raises ValueError with the reason."""
    kind = item["type"]
    if isinstance(raw, bool):
        raw = "1" if raw else "0"
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, float):
        raw = repr(raw)
    if not isinstance(raw, str):
        raise ValueError("give a number")
    text = raw.strip()
    if len(text) > MAX_INPUT_TEXT:
        raise ValueError(f"at most {MAX_INPUT_TEXT} characters")
    if kind == "yesno":
        if text.lower() in _YES:
            return Decimal(1)
        if text.lower() in _NO:
            return Decimal(0)
        raise ValueError("answer yes or no")
    if kind == "percent":
        text = text.rstrip("%").strip()
    elif kind == "money":
        text = text.lstrip("$€£").strip()
    value = checks.number(text)
    if value is None:
        raise ValueError(f"{raw.strip()!r} is not a number")
    if kind == "percent":
        value = value / 100
    if kind == "whole" and value != value.to_integral_value():
        raise ValueError("give a whole number")
    if kind == "choice":
        allowed = [Decimal(c["value"]) for c in item["choices"]]
        if value not in allowed:
            labels = ", ".join(c["label"] for c in item["choices"])
            raise ValueError(f"choose one of: {labels}")
        return value
    rng = checks.input_range(item)
    shown = (lambda v: plain(v * 100) + "%") if kind == "percent" else plain
    if rng.min is not None and value < rng.min:
        raise ValueError(f"at least {shown(Decimal(rng.min))}")
    if rng.max is not None and value > rng.max:
        raise ValueError(f"at most {shown(Decimal(rng.max))}")
    return value


def read_inputs(
    version: CalculatorVersion, raw: dict, *, extra_ok: frozenset[str] = frozenset()
) -> dict[str, Decimal]:
    """The version's inputs from what a person typed, each checked; raises ValidationError
    {input key: [reason]} naming every bad one. An empty optional input takes its default;
    an empty required one is refused; a field the version has no input for is refused
    (unless the door names it in `extra_ok`, such as the email field)."""
    problems: dict[str, list[str]] = {}
    values: dict[str, Decimal] = {}
    keys = {item["key"] for item in version.inputs}
    for key in raw:
        if key not in keys and key not in extra_ok:
            problems.setdefault(str(key)[:40], []).append("this calculator has no such input")
    for item in version.inputs:
        given = raw.get(item["key"])
        if given is None or (isinstance(given, str) and not given.strip()):
            if item.get("required", True):
                problems.setdefault(item["key"], []).append(f"{item['label']}: required")
            else:
                values[item["key"]] = Decimal(item["default"])
            continue
        try:
            values[item["key"]] = _read_one(item, given)
        except ValueError as error:
            problems.setdefault(item["key"], []).append(f"{item['label']}: {error}")
    if problems:
        raise ValidationError(problems)
    return values


@dataclass(frozen=True)
class Result:
    inputs: dict[str, Decimal]
    values: dict[str, Decimal]  # every named value, outputs included

    def stored_inputs(self) -> dict[str, str]:
        return {k: plain(v) for k, v in self.inputs.items()}

    def stored_values(self) -> dict[str, str]:
        return {k: plain(v) for k, v in self.values.items()}


def compute(version: CalculatorVersion, inputs: dict[str, Decimal]) -> Result:
    """Every value from read inputs; raises ValidationError naming the value that cannot be
    computed (a division by zero the inputs' ranges could not rule out, say)."""
    try:
        values = formulas.evaluate(compiled(version), inputs)
    except formulas.FormulaError as error:
        raise ValidationError({"__all__": [f"These inputs cannot be computed: {error}"]}) from None
    return Result(inputs=dict(inputs), values=values)


def defaults(version: CalculatorVersion) -> dict[str, Decimal]:
    return {item["key"]: Decimal(item["default"]) for item in version.inputs}


def typed(version: CalculatorVersion, inputs: dict[str, str]) -> dict[str, str]:
    """Stored inputs as a person would type them again (percentages in percent): what an
    edit form starts from."""
    kinds = {item["key"]: item["type"] for item in version.inputs}
    return {
        k: plain(Decimal(v) * 100) if kinds.get(k) == "percent" else v for k, v in inputs.items()
    }
