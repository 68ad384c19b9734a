"""The save-time checks of a calculator version: every part, then the formulas.

`clean(content)` returns the version's parts normalised (numbers as Decimal strings, percent
inputs as fractions) or raises a ValidationError whose messages are keyed by part (`inputs`,
`assumptions`, `tables`, `values`, `horizon_months`), each naming the item and, for a
formula, the line and column. `compile_version` turns checked parts into what
`formulas.evaluate` runs. The formula language itself is `accord.analytics.formulas`.
"""

import decimal
import re
from decimal import Decimal

from django.core.exceptions import ValidationError

from accord.analytics import formulas
from accord.analytics.formulas import Range

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
KEY_RULE = "a key is 1 to 40 letters, digits and underscores, starting with a letter"
INPUT_TYPES = ("number", "money", "percent", "whole", "choice", "yesno")
OUTPUT_FORMATS = ("money", "percent", "number", "months")
HORIZONS = (12, 24, 36)
# A name every formula may use: the version's horizon in months (12, 24 or 36).
HORIZON = "horizon_months"
MAX_ITEMS = 100
PARTS = ("horizon_months", "inputs", "assumptions", "tables", "values")


def number(value) -> Decimal | None:
    """A finite Decimal from a JSON number or string, or None if it is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except decimal.DecimalException:
            return None
    else:
        return None
    return result if result.is_finite() else None


def _text(value, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _plain(value: Decimal) -> str:
    """A Decimal as a string without exponent noise: 0.15, 1200, 0.5."""
    text = format(value.normalize(), "f")
    return text


class _Problems:
    def __init__(self):
        self.by_part: dict[str, list[str]] = {}

    def add(self, part: str, message: str) -> None:
        self.by_part.setdefault(part, []).append(message)

    def raise_any(self) -> None:
        if self.by_part:
            raise ValidationError(self.by_part)


def _name(kind: str, index: int, key) -> str:
    return f"{kind} {index}" + (f" ({key})" if isinstance(key, str) and key else "")


def _clean_input(item, index: int, problems: _Problems) -> dict | None:
    if not isinstance(item, dict):
        problems.add("inputs", f"input {index}: not an input")
        return None
    key = item.get("key")
    where = _name("input", index, key)
    ok = True

    def refuse(message: str) -> None:
        nonlocal ok
        ok = False
        problems.add("inputs", f"{where}: {message}")

    if not isinstance(key, str) or not KEY.match(key):
        refuse(KEY_RULE)
    label = _text(item.get("label"), 120)
    if not label:
        refuse("give it a label")
    kind = item.get("type")
    if kind not in INPUT_TYPES:
        refuse(f"the type must be one of {', '.join(INPUT_TYPES)}, not {kind!r}")
        return None
    bounds = {}
    for bound in ("min", "max", "default"):
        raw = item.get(bound)
        if raw in (None, ""):
            bounds[bound] = None
            continue
        value = number(raw)
        if value is None:
            refuse(f"{bound} {raw!r} is not a number")
        bounds[bound] = value
    low, high, default = bounds["min"], bounds["max"], bounds["default"]
    choices = []
    if kind == "choice":
        if low is not None or high is not None:
            refuse("a choice input takes its range from its choices: leave min and max empty")
        raw_choices = item.get("choices") or []
        if not isinstance(raw_choices, list) or not raw_choices:
            refuse("a choice input needs at least one choice (a label and a value)")
            raw_choices = []
        for n, choice in enumerate(raw_choices, 1):
            c_label = _text(choice.get("label") if isinstance(choice, dict) else None, 80)
            c_value = number(choice.get("value")) if isinstance(choice, dict) else None
            if not c_label or c_value is None:
                refuse(f"choice {n} needs a label and a numeric value")
                continue
            choices.append({"label": c_label, "value": _plain(c_value)})
        values = [Decimal(c["value"]) for c in choices]
        if len(set(values)) != len(values):
            refuse("two choices have the same value")
        if values:
            low, high = min(values), max(values)
            if default is not None and default not in values:
                refuse(f"the default {_plain(default)} is not one of the choices' values")
    elif kind == "yesno":
        low, high = Decimal(0), Decimal(1)
        if default is not None and default not in (0, 1):
            refuse("a yes/no input's default is 1 (yes) or 0 (no)")
    if default is None:
        refuse("give it a default (the value the preview and the buyer start from)")
    if kind == "whole":
        for bound, value in (("min", low), ("max", high), ("default", default)):
            if value is not None and value != value.to_integral_value():
                refuse(f"a whole-number input's {bound} must be whole, not {_plain(value)}")
    if low is not None and high is not None and low > high:
        refuse(f"min {_plain(low)} is above max {_plain(high)}")
    elif default is not None:
        if low is not None and default < low:
            refuse(f"the default {_plain(default)} is below min {_plain(low)}")
        if high is not None and default > high:
            refuse(f"the default {_plain(default)} is above max {_plain(high)}")
    if not ok:
        return None
    return {
        "key": key,
        "label": label,
        "type": kind,
        "help": _text(item.get("help"), 300),
        "unit": _text(item.get("unit"), 30),
        "default": _plain(default),
        "min": None if low is None or kind in ("choice", "yesno") else _plain(low),
        "max": None if high is None or kind in ("choice", "yesno") else _plain(high),
        "required": item.get("required", True) is not False,
        "choices": choices,
    }


def input_range(item: dict) -> Range:
    if item["type"] == "yesno":
        return Range(Decimal(0), Decimal(1))
    if item["type"] == "choice":
        values = [Decimal(c["value"]) for c in item["choices"]]
        return Range(min(values), max(values))
    return Range(
        None if item.get("min") is None else Decimal(item["min"]),
        None if item.get("max") is None else Decimal(item["max"]),
    )


def _clean_assumption(item, index: int, problems: _Problems) -> dict | None:
    if not isinstance(item, dict):
        problems.add("assumptions", f"assumption {index}: not an assumption")
        return None
    key = item.get("key")
    where = _name("assumption", index, key)
    before = len(problems.by_part.get("assumptions", []))
    if not isinstance(key, str) or not KEY.match(key):
        problems.add("assumptions", f"{where}: {KEY_RULE}")
    label = _text(item.get("label"), 120)
    if not label:
        problems.add("assumptions", f"{where}: give it a label")
    value = number(item.get("value"))
    if value is None:
        problems.add("assumptions", f"{where}: the value {item.get('value')!r} is not a number")
    source = _text(item.get("source"), 300)
    if not source:
        problems.add(
            "assumptions",
            f"{where}: say where the number comes from (its source): both teams sign it",
        )
    if len(problems.by_part.get("assumptions", [])) > before:
        return None
    # Stored as a fraction; `percent` remembers it was written as a percentage (80% is 0.8),
    # so the builder, both leaders signing it and the buyer read it as one.
    return {
        "key": key,
        "label": label,
        "value": _plain(value),
        "percent": item.get("percent") is True,
        "source": source,
    }


def _clean_value(item, index: int, problems: _Problems) -> dict | None:
    if not isinstance(item, dict):
        problems.add("values", f"value {index}: not a value")
        return None
    key = item.get("key")
    where = _name("value", index, key)
    before = len(problems.by_part.get("values", []))
    if not isinstance(key, str) or not KEY.match(key):
        problems.add("values", f"{where}: {KEY_RULE}")
    label = _text(item.get("label"), 120) or (key if isinstance(key, str) else "")
    formula = item.get("formula")
    if not isinstance(formula, str) or not formula.strip():
        problems.add("values", f"{where}: give it a formula")
    is_output = bool(item.get("is_output"))
    fmt = item.get("format") or ("number" if is_output else "")
    if is_output and fmt not in OUTPUT_FORMATS:
        problems.add(
            "values", f"{where}: the format must be one of {', '.join(OUTPUT_FORMATS)}, not {fmt!r}"
        )
    if len(problems.by_part.get("values", [])) > before:
        return None
    return {
        "key": key,
        "label": label,
        "formula": formula.strip(),
        "is_output": is_output,
        "format": fmt if is_output else "",
        "explain": _text(item.get("explain"), 500) if is_output else "",
    }


def _clean_tables(raw, problems: _Problems) -> dict:
    if not isinstance(raw, dict):
        problems.add("tables", "tables are {name: [[key, value, ...], ...]}")
        return {}
    tables = {}
    for name, rows in raw.items():
        if not isinstance(name, str) or not KEY.match(name):
            problems.add("tables", f"table {name!r}: {KEY_RULE}")
            continue
        if not isinstance(rows, list) or not all(isinstance(r, list | tuple) for r in rows):
            problems.add("tables", f"table {name}: every row is a list of numbers")
            continue
        clean_rows = []
        for n, row in enumerate(rows, 1):
            numbers = [number(item) for item in row]
            if any(item is None for item in numbers):
                problems.add("tables", f"table {name}, row {n}: every key and value is a number")
                break
            clean_rows.append([_plain(item) for item in numbers])
        else:
            tables[name] = clean_rows
    return tables


def _items(content: dict, part: str, problems: _Problems) -> list:
    raw = content.get(part) or []
    if not isinstance(raw, list):
        problems.add(part, f"{part} must be a list")
        return []
    if len(raw) > MAX_ITEMS:
        problems.add(part, f"at most {MAX_ITEMS} {part}, not {len(raw)}")
        return []
    return raw


def clean(content: dict) -> dict:
    """The version's parts checked and normalised, or a ValidationError naming every problem
    (by part, item and, for a formula, line and column)."""
    problems = _Problems()
    horizon = content.get("horizon_months", 36)
    if isinstance(horizon, str) and horizon.isdigit():
        horizon = int(horizon)
    if horizon not in HORIZONS:
        problems.add("horizon_months", f"the horizon is 12, 24 or 36 months, not {horizon!r}")
    inputs = [
        _clean_input(item, n, problems)
        for n, item in enumerate(_items(content, "inputs", problems), 1)
    ]
    assumptions = [
        _clean_assumption(item, n, problems)
        for n, item in enumerate(_items(content, "assumptions", problems), 1)
    ]
    values = [
        _clean_value(item, n, problems)
        for n, item in enumerate(_items(content, "values", problems), 1)
    ]
    tables = _clean_tables(content.get("tables") or {}, problems)
    seen: dict[str, str] = {HORIZON: "the horizon (a name every formula may use)"}
    for part, kind, items in (
        ("inputs", "an input", inputs),
        ("assumptions", "an assumption", assumptions),
        ("values", "a value", values),
    ):
        for item in items:
            if item is None:
                continue
            if item["key"] in seen:
                problems.add(
                    part, f"the key {item['key']} is used twice: already {seen[item['key']]}"
                )
            else:
                seen[item["key"]] = kind
    for name in tables:
        if name in seen:
            problems.add("tables", f"the table name {name} is already {seen[name]}")
    problems.raise_any()  # the formulas can only be checked over well-formed parts
    cleaned = {
        "horizon_months": horizon,
        "inputs": inputs,
        "assumptions": assumptions,
        "tables": tables,
        "values": values,
    }
    for problem in formulas.check(
        {v["key"]: v["formula"] for v in values},
        inputs=_ranges(cleaned),
        constants=_constants(cleaned),
        tables=tables,
    ):
        part = "tables" if problem.formula.startswith("table ") else "values"
        problems.add(part, str(problem))
    problems.raise_any()
    return cleaned


def _ranges(content: dict) -> dict[str, Range]:
    return {item["key"]: input_range(item) for item in content["inputs"]}


def _constants(content: dict) -> dict[str, Decimal]:
    constants = {a["key"]: Decimal(a["value"]) for a in content["assumptions"]}
    constants[HORIZON] = Decimal(content["horizon_months"])
    return constants


def compile_version(content: dict) -> formulas.Compiled:
    """Checked parts compiled for `formulas.evaluate` (raises FormulaProblems if not clean)."""
    return formulas.compile_formulas(
        {v["key"]: v["formula"] for v in content["values"]},
        inputs=_ranges(content),
        constants=_constants(content),
        tables=content["tables"],
    )


def defaults(content: dict) -> dict[str, Decimal]:
    return {item["key"]: Decimal(item["default"]) for item in content["inputs"]}
