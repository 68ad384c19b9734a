"""Read models of the calculators: the list, one calculator's page, the builder's preview."""

import decimal
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from accord.analytics import formulas
from accord.calculators import checks
from accord.calculators.models import Calculator, CalculatorVersion

Status = CalculatorVersion.Status


def calculators():
    """Every calculator with its versions (newest first) and who signed them."""
    return Calculator.objects.select_related("owner").prefetch_related(
        Prefetch(
            "versions",
            queryset=CalculatorVersion.objects.select_related("created_by", "proposed_by")
            .prefetch_related("approvals__user")
            .order_by("-number"),
        )
    )


def published(calculator: Calculator) -> CalculatorVersion | None:
    return next((v for v in calculator.versions.all() if v.status == Status.PUBLISHED), None)


def summary(calculator: Calculator) -> dict:
    """The list's row: the published version, else the newest one's status."""
    versions = list(calculator.versions.all())
    live = published(calculator)
    latest = versions[0] if versions else None
    return {
        "calculator": calculator,
        "published": live,
        "latest": latest,
        "status": live.status if live else (latest.status if latest else Status.DRAFT),
    }


def _test_value(item: dict, raw) -> Decimal | str:
    """A test input as the builder typed it (percentages as percentages), as evaluate takes it."""
    if raw in (None, ""):
        return Decimal(item["default"])
    value = checks.number(str(raw).rstrip("%"))
    if value is None:
        return str(raw)  # evaluate names the input and says it is not a number
    return value / 100 if item["type"] == "percent" else value


def preview(content: dict, test_inputs: dict) -> dict:
    """What the builder sees beside the editor: the save-time problems, the test inputs
    (defaults where none is given) and every value the formulas compute from them."""
    try:
        cleaned = checks.clean(content)
    except ValidationError as error:
        problems = [
            f"{part}: {message}" if part != "__all__" else message
            for part, messages in error.message_dict.items()
            for message in messages
        ]
        return {"problems": problems, "inputs": [], "values": [], "error": ""}
    given = {
        item["key"]: _test_value(item, test_inputs.get(item["key"])) for item in cleaned["inputs"]
    }
    shown = [
        {**item, "test": _shown(given[item["key"]], item["type"])} for item in cleaned["inputs"]
    ]
    try:
        results = formulas.evaluate(checks.compile_version(cleaned), given)
    except formulas.FormulaError as error:
        return {"problems": [], "inputs": shown, "values": [], "error": str(error)}
    values = [
        {
            **value,
            "value": results[value["key"]],
            "shown": shown_value(results[value["key"]], value),
        }
        for value in cleaned["values"]
    ]
    return {"problems": [], "inputs": shown, "values": values, "error": ""}


def _shown(value, kind: str) -> str:
    if not isinstance(value, Decimal):
        return str(value)
    if kind == "percent":
        value = value * 100
    try:
        return format(value.normalize(), "f")
    except decimal.DecimalException:
        return str(value)


def shown_value(value: Decimal, item: dict) -> str:
    """A computed value as the builder reads it: money with cents, a percent as a percent
    (stored as a fraction), months to one decimal, anything else to four places at most."""
    fmt = item.get("format") or ""
    if fmt == "percent":
        return f"{(value * 100).quantize(Decimal('0.01')).normalize():f}%"
    if fmt == "money":
        return f"{value.quantize(Decimal('0.01')):,f}"
    if fmt == "months":
        return f"{value.quantize(Decimal('0.1')):f}"
    return f"{value.quantize(Decimal('0.0001')).normalize():,f}"


def assumption_shown(item: dict) -> str:
    """An assumption's value as people read it: a percentage as written (0.8 stored, 80%
    shown), any other number with thousands separators and no trailing zeros."""
    value = Decimal(item["value"])
    if item.get("percent"):
        return f"{(value * 100).normalize():f}%"
    return f"{value.normalize():,f}"


def assumptions_shown(version: CalculatorVersion) -> list[dict]:
    return [{**item, "shown": assumption_shown(item)} for item in version.assumptions]
