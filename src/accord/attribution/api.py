"""The attribution API: the stored results, and asking for a new run."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from accord.analytics.attribution.rules import MAX_LOOKBACK_DAYS
from accord.attribution import actions, compute, queries
from accord.attribution.models import Spend
from accord.core.api_types import Day, ErrorOut
from accord.crm.models import Channel
from accord.people.api_auth import require_write_scope

router = Router(tags=["attribution"])


class ChannelCredit(Schema):
    channel: str = Field(..., description="the channel's key")
    credit: str = Field(..., description="dollars, two decimals")
    share: float = Field(..., description="a fraction of the total")
    conversions: float | None = Field(None, description="data-driven models: conversions")


class CampaignCredit(Schema):
    campaign_id: int | None = Field(..., description="null: touches without a campaign")
    campaign: str
    credit: str
    share: float


class ModelResult(Schema):
    model: str
    basis: str
    lookback_days: int
    total: str = Field(..., description="dollars credited; every model credits the same total")
    by_channel: list[ChannelCredit]
    by_campaign: list[CampaignCredit] = Field(..., description="rule-based models only")
    by_month: list[dict] = Field(..., description="month of the touch, rule-based models only")
    unattributed: dict = Field(..., description="opportunities with no touch in their window")


class RunOut(Schema):
    id: int
    basis: str
    status: str
    period_start: date
    period_end: date
    period: str = Field(
        ...,
        description="which period this answers: the standard trailing one (the 365 days up to "
        "the day the run was made) or the one asked for",
    )
    lookback_days: int
    finished_at: datetime | None
    models: dict[str, ModelResult] = Field({}, description="model key -> its credits")
    economics: dict = Field(
        {},
        description="costs by channel and campaign, CAC, LTV, LTV:CAC and payback for the "
        "period and per quarter, marketing-sourced and -influenced pipeline and revenue",
    )


class RunIn(Schema):
    basis: Literal["pipeline", "revenue"] = "pipeline"
    start: Day | None = Field(None, description="first day; with `end`, or neither")
    end: Day | None = Field(None, description="last day, today at the latest")
    lookback_days: int = Field(365, ge=1, le=MAX_LOOKBACK_DAYS)


def _run_out(run) -> dict:
    result = run.result or {}
    return {
        "id": run.pk,
        "basis": run.basis,
        "status": run.status,
        "period_start": run.period_start,
        "period_end": run.period_end,
        "period": (
            f"the standard trailing period: the 365 days up to {run.period_end}"
            if run.trailing
            else f"{run.period_start} to {run.period_end}"
        ),
        "lookback_days": run.lookback_days,
        "finished_at": run.finished_at,
        "models": result.get("models", {}),
        "economics": result.get("economics", {}),
    }


@router.get(
    "/attribution",
    response={200: RunOut, 404: ErrorOut},
    summary="The latest attribution results",
    description="Every model's credit by channel (and campaign, for rule-based models) and "
    "the period's economics on `basis` (pipeline or revenue): over exactly `start`..`end` if "
    "both are given, else over the standard trailing period (the 365 days up to the day the "
    "newest such run was made; never a one-off period someone computed). `period` names "
    "which. 404 until one has been computed (POST /attribution/runs).",
)
def latest(
    request,
    basis: Literal["pipeline", "revenue"] = "pipeline",
    start: Day | None = None,
    end: Day | None = None,
):
    try:
        compute.requested_period(start, end, timezone.now().date())
    except ValueError as error:
        raise HttpError(422, str(error)) from None
    if start is None:
        done = queries.latest_trailing(basis)
        missing = (
            f"No {basis} attribution over the standard trailing period (the 365 days up to "
            "a day it was computed) has been computed yet."
        )
    else:
        done, _ = queries.latest(basis, start, end)
        missing = f"No {basis} attribution has been computed for {start} to {end} yet."
    if done is None:
        raise HttpError(404, missing)
    return _run_out(done)


@router.post(
    "/attribution/runs",
    response={202: RunOut},
    summary="Compute attribution again",
    description="Queues a run of every model over `start`..`end` (default the 365 days up to "
    "today; a write token of an admin, leader or manager); answers with the run, already "
    "finished if the worker was quick. A run already waiting for the same basis and period "
    "is returned instead of a second one.",
)
def start(request, payload: RunIn):
    token = require_write_scope(request)
    try:
        run = actions.request_run(
            token.user, payload.basis, payload.start, payload.end, payload.lookback_days
        )
    except ValueError as error:
        raise HttpError(422, str(error)) from None
    run.refresh_from_db()
    return Status(202, _run_out(run))


class SpendIn(Schema):
    month: Day = Field(..., description="any day of the month; the line counts for the month")
    side: Literal["marketing", "sales"]
    channel: str | None = Field(
        None, description="a channel's key: program spend on it also counts toward its return"
    )
    label: str = Field(..., min_length=1, max_length=80, description="what it paid for")
    amount: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2, description="dollars")
    confirm_large_amount: bool = Field(
        False, description="true to keep an amount over 10x the largest month so far"
    )


class SpendOut(Schema):
    id: int
    month: date
    side: str
    channel: str | None
    label: str
    amount: str


@router.post(
    "/spend",
    response={201: SpendOut},
    summary="Add a spend line",
    description="One month's spend beyond campaigns (people, tools, an agency) on the marketing "
    "or the sales side; a write token of whoever keeps spend. The same rules as the page: a "
    "month more than a year outside the company's data is refused, and an amount over 10x the "
    "largest month so far needs `confirm_large_amount`. 422 names the field.",
)
def add_spend(request, payload: SpendIn):
    token = require_write_scope(request)
    channel = None
    if payload.channel:
        channel = Channel.objects.filter(key=payload.channel).first()
        if channel is None:
            raise HttpError(422, f"channel: no channel with the key {payload.channel!r}.")
    changes = payload.dict(exclude={"confirm_large_amount"}) | {"channel": channel}
    line = actions.save_spend(
        token.user, Spend(), changes, confirm_large=payload.confirm_large_amount
    )
    return Status(
        201,
        {
            "id": line.pk,
            "month": line.month,
            "side": line.side,
            "channel": channel.key if channel else None,
            "label": line.label,
            "amount": str(line.amount),
        },
    )
