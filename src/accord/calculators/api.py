"""Value calculators in the API: the list, one calculator's published version (its
inputs, its assumptions with their sources, its outputs) and what it earned (its stats).
Any token may read them. Numbers are strings of Decimals; percentages are fractions (0.8 for
80%)."""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from accord.calculators import queries
from accord.calculators import stats as calculator_stats
from accord.calculators.models import Calculator
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
    value: str  # a fraction when `percent` (0.8 for 80%)
    percent: bool = False
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


class StatsFigures(Schema):
    views: int = Field(description="Visits to the public page")
    starts: int = Field(description="Visits where an input was changed")
    completions: int = Field(description="Submissions on the public page")
    leads: int = Field(description="People who submitted, each once, in their first month")
    new_leads: int = Field(description="Of the leads, those the submission created")
    existing_leads: int
    accepted: int = Field(description="Leads that reached accepted or further afterwards")
    opportunities: int = Field(description="Those leads' opportunities opened afterwards")
    won_deals: int
    pipeline: Decimal = Field(description="Their amount (influenced pipeline)")
    won: Decimal = Field(description="The amount of those closed won")
    sourced_pipeline: Decimal = Field(description="Pipeline whose lead the calculator brought in")
    sourced_won: Decimal


class StatsMonth(StatsFigures):
    month: date = Field(description="The month's first day, in the company's time zone")


class StatsOut(StatsFigures):
    calculator_id: int
    by_month: list[StatsMonth]


@router.get(
    "/calculators/{calculator_id}/stats",
    response=StatsOut,
    summary="What a value calculator earned",
    description="Totals and month by month: views, starts and completions in the month they "
    "happened; leads in the month of their first submission, with what came of them "
    "(accepted, pipeline and won revenue of their opportunities opened afterwards).",
)
def calculator_stats_api(request, calculator_id: RecordId):
    calculator = get_object_or_404(Calculator, pk=calculator_id)
    found = calculator_stats.stats(calculator)
    return {
        "calculator_id": calculator.pk,
        **found.total.as_dict(),
        "by_month": [m.as_dict() for m in found.by_month],
    }
