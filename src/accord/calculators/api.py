"""Value calculators in the API: the list, and one calculator's published version (its
inputs, its assumptions with their sources, its outputs). Any token may read them. Numbers
are strings of Decimals; percentages are fractions (0.8 for 80%)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from accord.calculators import queries
from accord.core.api_types import RecordId

router = Router(tags=["Calculators"])


class CalculatorOut(Schema):
    id: int
    name: str
    slug: str
    kind: str = Field(description="roi or tco")
    status: str = Field(description="The published version's status, else the newest one's")
    published_version: int | None = Field(description="The number of the published version")
    updated_at: datetime


class ChoiceOut(Schema):
    label: str
    value: str


class InputOut(Schema):
    key: str
    label: str
    type: str = Field(description="number, money, percent (a fraction), whole, choice or yesno")
    help: str
    unit: str
    default: str
    min: str | None
    max: str | None
    required: bool
    choices: list[ChoiceOut]


class AssumptionOut(Schema):
    key: str
    label: str
    value: str
    source: str


class OutputOut(Schema):
    key: str
    label: str
    formula: str
    format: str = Field(description="money, percent, number or months")
    explain: str


class CalculatorDetailOut(CalculatorOut):
    description: str
    horizon_months: int | None
    inputs: list[InputOut]
    assumptions: list[AssumptionOut]
    outputs: list[OutputOut]


def _row(summary: dict) -> dict:
    calculator, live = summary["calculator"], summary["published"]
    return {
        "id": calculator.pk,
        "name": calculator.name,
        "slug": calculator.slug,
        "kind": calculator.kind,
        "status": summary["status"],
        "published_version": live.number if live else None,
        "updated_at": calculator.updated_at,
    }


@router.get("/calculators", response=list[CalculatorOut], summary="List value calculators")
def list_calculators(request):
    return [_row(queries.summary(c)) for c in queries.calculators()]


@router.get(
    "/calculators/{calculator_id}",
    response=CalculatorDetailOut,
    summary="One value calculator",
    description="The published version's inputs, assumptions (with sources) and outputs; "
    "empty lists and a null horizon while no version is published.",
)
def get_calculator(request, calculator_id: RecordId):
    calculator = get_object_or_404(queries.calculators(), pk=calculator_id)
    summary = queries.summary(calculator)
    live = summary["published"]
    return {
        **_row(summary),
        "description": calculator.description,
        "horizon_months": live.horizon_months if live else None,
        "inputs": live.inputs if live else [],
        "assumptions": live.assumptions if live else [],
        "outputs": live.outputs if live else [],
    }
