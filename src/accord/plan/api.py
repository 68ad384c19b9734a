"""The revenue plan API: plans, revisions, approvals and the computed funnel."""

from datetime import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from accord.analytics.funnel import SOURCES, STAGES, STEPS
from accord.core.api_types import RecordId
from accord.core.periods import OUT_OF_RANGE, in_range
from accord.people.models import User
from accord.plan import actions, coverage
from accord.plan.models import Plan, PlanRevision
from accord.plan.queries import funnel_of

router = Router(tags=["plans"])

EXAMPLE_INPUTS = {
    "target": "18984000",
    "asp": "113000",
    "rates": {
        "lead_mql": "0.1",
        "mql_sal": "0.7",
        "sal_sql": "0.6",
        "sql_opp": "0.8",
        "opp_won": "0.25",
    },
    "lags": {"lead_mql": 14, "mql_sal": 2, "sal_sql": 7, "sql_opp": 7, "opp_won": 75},
    "shares": {"marketing": "0.6", "sales": "0.3", "partner": "0.1"},
}


class GoalIn(Schema):
    owner: str | None = Field(None, description="username")
    due_on: str | None = Field(None, description="YYYY-MM-DD")


class InputsIn(Schema):
    # The sizes the plan's page and its columns hold: a larger number cannot be stored.
    target: Decimal = Field(
        ..., max_digits=16, decimal_places=2, description="new-business revenue target, dollars"
    )
    asp: Decimal = Field(
        ..., max_digits=14, decimal_places=2, description="average selling price, dollars"
    )
    rates: dict[str, Decimal] = Field(..., description="step -> fraction in (0, 1]")
    lags: dict[str, int] = Field(default_factory=dict, description="step -> days")
    shares: dict[str, Decimal] = Field(
        default_factory=lambda: {"marketing": Decimal(1)},
        description="source group (marketing, sales, partner) -> fraction; they sum to 1",
    )
    seasonality: list[Decimal] = Field(
        default_factory=lambda: [Decimal(1)] * 12, description="12 weights, fiscal order"
    )
    goals: dict[str, GoalIn] = Field(default_factory=dict, description="stage -> owner, due")
    growth: Decimal = Field(
        Decimal(0),
        max_digits=7,
        decimal_places=4,
        description="next year's months, until its plan is signed: this year's x (1 + growth); "
        "a fraction from -1 to 10",
    )
    coverage: Decimal = Field(
        Decimal(3),
        max_digits=5,
        decimal_places=2,
        description="next quarter's open pipeline as a multiple of the bookings it needs",
    )


class PlanIn(InputsIn):
    name: str = Field(..., max_length=120)
    fiscal_year: int = Field(..., ge=2000, le=2100)
    first_month: int = Field(1, ge=1, le=12)


class ChangeIn(InputsIn):
    note: str = Field("", max_length=300)


class ApprovalOut(Schema):
    side: str
    user: str
    approved_at: datetime


class DeclineOut(Schema):
    user: str | None
    declined_at: datetime
    comment: str


class DeclineIn(Schema):
    comment: str = Field(..., max_length=1000, description="Why (at least 10 characters).")


class RevisionOut(Schema):
    number: int
    status: str
    target: Decimal
    asp: Decimal
    rates: dict
    lags: dict
    basis: dict
    shares: dict
    seasonality: list
    growth: Decimal
    coverage: Decimal
    note: str
    created_at: datetime
    approved_at: datetime | None
    approvals: list[ApprovalOut]
    declined: DeclineOut | None


class PlanOut(Schema):
    id: int
    name: str
    fiscal_year: int
    first_month: int
    starts: str
    status: str
    in_force_revision: int | None
    current: RevisionOut


def _revision_out(revision: PlanRevision) -> dict:
    return {
        "number": revision.number,
        "status": revision.status,
        "target": revision.target,
        "asp": revision.asp,
        "rates": revision.rates,
        "lags": revision.lags,
        "basis": revision.basis,
        "shares": revision.shares,
        "seasonality": revision.seasonality,
        "growth": revision.growth,
        "coverage": revision.coverage,
        "note": revision.note,
        "created_at": revision.created_at,
        "approved_at": revision.approved_at,
        "approvals": [
            {"side": a.side, "user": a.user.username, "approved_at": a.approved_at}
            for a in revision.approvals.select_related("user")
        ],
        "declined": {
            "user": revision.declined_by.username if revision.declined_by else None,
            "declined_at": revision.declined_at,
            "comment": revision.decline_comment,
        }
        if revision.declined_at
        else None,
    }


def _plan_out(plan: Plan) -> dict:
    current = plan.current
    in_force = plan.in_force
    return {
        "id": plan.pk,
        "name": plan.name,
        "fiscal_year": plan.fiscal_year,
        "first_month": plan.first_month,
        "starts": f"{plan.start:%Y-%m}",
        "status": current.status,
        "in_force_revision": in_force.number if in_force else None,
        "current": _revision_out(current),
    }


def _values(payload: InputsIn) -> actions.PlanValues:
    for step in payload.rates:
        if step not in STEPS:
            raise HttpError(422, f"rates: unknown step {step!r} (steps: {', '.join(STEPS)})")
    for source in payload.shares:
        if source not in SOURCES:
            raise HttpError(422, f"shares: unknown source {source!r} ({', '.join(SOURCES)})")
    if len(payload.seasonality) != 12:
        raise HttpError(422, f"seasonality: give 12 weights; got {len(payload.seasonality)}")
    goals = {}
    for stage, goal in payload.goals.items():
        if stage not in STAGES:
            raise HttpError(422, f"goals: unknown stage {stage!r} ({', '.join(STAGES)})")
        owner = None
        if goal.owner:
            owner = User.objects.filter(username=goal.owner, is_active=True).first()
            if owner is None:
                raise HttpError(422, f"goals.{stage}.owner: no active user {goal.owner!r}")
        due = None
        if goal.due_on:
            try:
                due = datetime.strptime(goal.due_on, "%Y-%m-%d").date()
            except ValueError:
                raise HttpError(
                    422, f"goals.{stage}.due_on: {goal.due_on!r} is not YYYY-MM-DD"
                ) from None
            if not in_range(due):
                raise HttpError(422, f"goals.{stage}.due_on: {OUT_OF_RANGE}")
        goals[stage] = (owner, due)
    return actions.PlanValues(
        target=payload.target,
        asp=payload.asp,
        rates=dict(payload.rates),
        lags=dict(payload.lags),
        basis={s: PlanRevision.Basis.ASSUMED for s in STEPS},
        shares=dict(payload.shares),
        seasonality=list(payload.seasonality),
        goals=goals or None,
        growth=payload.growth,
        coverage=payload.coverage,
    )


def _missing_rates(payload: InputsIn) -> None:
    missing = [s for s in STEPS if s not in payload.rates]
    if missing:
        raise HttpError(422, f"rates: missing {', '.join(missing)}")


def _writer(request) -> User:
    if request.auth.scope != "write":
        raise HttpError(403, "This token is read-only; create a token with write scope.")
    return request.auth.user


@router.get("/plans", response=list[PlanOut], summary="List plans")
def list_plans(request):
    return [_plan_out(p) for p in Plan.objects.all()[:200]]


@router.post(
    "/plans",
    response={201: PlanOut},
    summary="Create a plan (a draft needing both approvals)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "name": "FY2027",
                        "fiscal_year": 2027,
                        "first_month": 1,
                        **EXAMPLE_INPUTS,
                    }
                }
            }
        }
    },
)
def create_plan(request, payload: PlanIn):
    actor = _writer(request)
    _missing_rates(payload)
    plan = actions.create_plan(
        actor,
        name=payload.name.strip(),
        fiscal_year=payload.fiscal_year,
        first_month=payload.first_month,
        values=_values(payload),
    )
    return Status(201, _plan_out(plan))


@router.get("/plans/{plan_id}", response=PlanOut, summary="One plan and its current revision")
def get_plan(request, plan_id: RecordId):
    return _plan_out(get_object_or_404(Plan, pk=plan_id))


@router.put(
    "/plans/{plan_id}",
    response=PlanOut,
    summary="Change a plan's numbers",
    description="A draft nobody approved is changed in place; otherwise a new revision starts, "
    "needing both approvals again.",
)
def change_plan(request, plan_id: RecordId, payload: ChangeIn):
    actor = _writer(request)
    plan = get_object_or_404(Plan, pk=plan_id)
    _missing_rates(payload)
    actions.change_plan(actor, plan, _values(payload), note=payload.note)
    return _plan_out(plan)


@router.delete("/plans/{plan_id}", response={204: None}, summary="Delete a draft plan")
def delete_plan(request, plan_id: RecordId):
    actor = _writer(request)
    plan = get_object_or_404(Plan, pk=plan_id)
    actions.delete_plan(actor, plan)
    return Status(204, None)


@router.get(
    "/plans/{plan_id}/revisions", response=list[RevisionOut], summary="Every revision, newest first"
)
def list_revisions(request, plan_id: RecordId):
    plan = get_object_or_404(Plan, pk=plan_id)
    return [_revision_out(r) for r in plan.revisions.order_by("-number")]


@router.post(
    "/plans/{plan_id}/revisions/{number}/approve",
    response=PlanOut,
    summary="Approve a draft revision for marketing or sales",
    description="The token's user must be a leader of a marketing or a sales team; the "
    "revision is in force once one leader of each side has approved it.",
)
def approve_revision(request, plan_id: RecordId, number: RecordId):
    actor = _writer(request)
    revision = get_object_or_404(PlanRevision, plan_id=plan_id, number=number)
    actions.approve(actor, revision)
    return _plan_out(revision.plan)


@router.post(
    "/plans/{plan_id}/revisions/{number}/decline",
    response=PlanOut,
    summary="Decline a draft revision, saying why",
    description="Whoever could approve the revision may decline it instead, with a comment "
    "of at least 10 characters; the revision in force stays in force and a change starts a "
    "new draft.",
)
def decline_revision(request, plan_id: RecordId, number: RecordId, payload: DeclineIn):
    actor = _writer(request)
    revision = get_object_or_404(PlanRevision, plan_id=plan_id, number=number)
    actions.decline(actor, revision, payload.comment)
    return _plan_out(revision.plan)


@router.get(
    "/plans/{plan_id}/funnel",
    summary="The reverse funnel of a plan",
    description="The rolling funnel: stages from won down to leads with this year's counts "
    "(and amounts for won and opportunity), months, quarters, the part of each month's volume "
    "for next year, the carry-in (deals the pipeline in flight at the start is expected to "
    "win), the start gap, the split by source, quotas, warnings. `revision` picks a revision "
    "(default: the current one).",
)
def plan_funnel(request, plan_id: RecordId, revision: RecordId | None = None):
    plan = get_object_or_404(Plan, pk=plan_id)
    shown = plan.current if revision is None else get_object_or_404(plan.revisions, number=revision)
    return {
        "plan": plan.pk,
        "revision": shown.number,
        "status": shown.status,
        **funnel_of(shown).as_json(),
    }


@router.get(
    "/plans/{plan_id}/coverage",
    summary="Next quarter's pipeline coverage",
    description="For the quarter after today's (the plan's fiscal quarters): the deals and "
    "bookings the rolling plan needs, the pipeline wanted at the revision's coverage ratio, "
    "the open pipeline expected to close then and its ratio, whether it is on pace, and the "
    "pipeline built for it week by week this quarter against the pace. The revision in force "
    "(else the current draft).",
)
def plan_coverage(request, plan_id: RecordId):
    plan = get_object_or_404(Plan, pk=plan_id)
    shown = plan.in_force or plan.current
    now = timezone.now()
    found = coverage.next_quarter(funnel_of(shown, now), shown, now)
    return {"plan": plan.pk, "revision": shown.number, **found.as_json()}
