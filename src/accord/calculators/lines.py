"""The editor's line format: each part of a version as plain lines, one item a line.

    inputs        key | label | type | min | max | default | unit | help
                  (type: number, money, percent, whole, yesno, or `choice: Small=1, Large=3`;
                  a key ending in `?` is optional for the buyer; percent numbers are written
                  as percentages, `15` or `15%`, and stored as fractions)
    assumptions   key | label | value | source          (a value may be written `20%`)
    tables        name: key, value1, value2, ...        (one row a line)
    values        key | label | formula
                  output: format | how we computed this  (optional, on the next line:
                  the value is a result the buyer sees; format money, percent, number, months)

Blank lines and lines starting with `#` are skipped. `parse` turns the texts into the parts
`checks.clean` takes (a ValidationError names the part and the line); `render` is its inverse.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from accord.calculators.checks import number

PARTS = ("inputs", "assumptions", "tables", "values")


def _lines(text: str):
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield n, line


def _cells(line: str, size: int) -> list[str]:
    cells = [cell.strip() for cell in line.split("|")]
    return (
        (cells + [""] * size)[:size]
        if len(cells) <= size
        else cells[: size - 1] + [" | ".join(cells[size - 1 :])]
    )


def _percent(text: str) -> str:
    """A percentage as written (`15`, `15%`) to the fraction stored (0.15)."""
    value = number(text.rstrip("%").strip())
    return text if value is None else format((value / 100).normalize(), "f")


def _assumption_shown(item: dict) -> str:
    """An assumption's value as the builder wrote it: a percentage as a percentage."""
    if not item.get("percent"):
        return item["value"]
    value = number(item["value"])
    return item["value"] if value is None else format((value * 100).normalize(), "f") + "%"


def _parse_inputs(text: str, problems: dict) -> list[dict]:
    items = []
    for n, line in _lines(text):
        key, label, kind, low, high, default, unit, help_ = _cells(line, 8)
        item = {"key": key.rstrip("?").strip(), "label": label, "required": not key.endswith("?")}
        item.update(unit=unit, help=help_, choices=[])
        if kind.lower().startswith("choice"):
            item["type"] = "choice"
            spec = kind.partition(":")[2]
            for choice in filter(None, (c.strip() for c in spec.split(","))):
                c_label, sep, c_value = choice.rpartition("=")
                if not sep:
                    problems.setdefault("inputs", []).append(
                        f"line {n}: write each choice as label=value, not {choice!r}"
                    )
                    continue
                item["choices"].append({"label": c_label.strip(), "value": c_value.strip()})
        else:
            item["type"] = kind.lower()
        convert = _percent if item["type"] == "percent" else (lambda v: v)
        for name, cell in (("min", low), ("max", high), ("default", default)):
            item[name] = convert(cell) if cell else None
        if item["type"] == "yesno" and default.lower() in ("yes", "no"):
            item["default"] = "1" if default.lower() == "yes" else "0"
        items.append(item)
    return items


def _parse_assumptions(text: str) -> list[dict]:
    items = []
    for _, line in _lines(text):
        key, label, value, source = _cells(line, 4)
        items.append(
            {
                "key": key,
                "label": label,
                "value": _percent(value) if value.endswith("%") else value,
                "percent": value.endswith("%"),
                "source": source,
            }
        )
    return items


def _parse_tables(text: str, problems: dict) -> dict:
    tables: dict[str, list] = {}
    for n, line in _lines(text):
        name, sep, row = line.partition(":")
        if not sep:
            problems.setdefault("tables", []).append(
                f"line {n}: write a row as name: key, value, ... (no colon found)"
            )
            continue
        tables.setdefault(name.strip(), []).append([c.strip() for c in row.split(",")])
    return tables


def _parse_values(text: str, problems: dict) -> list[dict]:
    items = []
    for n, line in _lines(text):
        if line.lower().startswith("output:"):
            if not items:
                problems.setdefault("values", []).append(
                    f"line {n}: an output line follows the value it describes"
                )
                continue
            fmt, explain = _cells(line.partition(":")[2], 2)
            items[-1].update(is_output=True, format=fmt.lower(), explain=explain)
            continue
        key, label, formula = _cells(line, 3)
        if not formula and "=" in key:  # the short form: key = formula
            key, _, formula = key.partition("=")
            key, formula = key.strip(), formula.strip()
        items.append({"key": key, "label": label, "formula": formula, "is_output": False})
    return items


def parse(texts: dict) -> dict:
    """The parts from the editor's texts (and its horizon)."""
    problems: dict[str, list[str]] = {}
    content = {
        "horizon_months": texts.get("horizon_months", 36),
        "inputs": _parse_inputs(texts.get("inputs", ""), problems),
        "assumptions": _parse_assumptions(texts.get("assumptions", "")),
        "tables": _parse_tables(texts.get("tables", ""), problems),
        "values": _parse_values(texts.get("values", ""), problems),
    }
    if problems:
        raise ValidationError(problems)
    return content


def _shown(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "percent":
        return format((Decimal(value) * 100).normalize(), "f") + "%"
    return str(value)


def render(content: dict) -> dict[str, str]:
    """The editor's texts for stored parts."""
    inputs = []
    for item in content.get("inputs", []):
        kind = item["type"]
        if kind == "choice":
            kind = "choice: " + ", ".join(f"{c['label']}={c['value']}" for c in item["choices"])
        cells = [
            item["key"] + ("" if item.get("required", True) else "?"),
            item["label"],
            kind,
            _shown(item.get("min"), item["type"]),
            _shown(item.get("max"), item["type"]),
            _shown(item.get("default"), item["type"]),
            item.get("unit", ""),
            item.get("help", ""),
        ]
        inputs.append(" | ".join(cells).rstrip(" |"))
    assumptions = [
        " | ".join([a["key"], a["label"], _assumption_shown(a), a["source"]])
        for a in content.get("assumptions", [])
    ]
    tables = [
        f"{name}: " + ", ".join(row)
        for name, rows in content.get("tables", {}).items()
        for row in rows
    ]
    values = []
    for v in content.get("values", []):
        values.append(f"{v['key']} | {v['label']} | {v['formula']}")
        if v.get("is_output"):
            values.append(f"  output: {v['format']} | {v.get('explain', '')}".rstrip(" |"))
    return {
        "inputs": "\n".join(inputs),
        "assumptions": "\n".join(assumptions),
        "tables": "\n".join(tables),
        "values": "\n".join(values),
    }
