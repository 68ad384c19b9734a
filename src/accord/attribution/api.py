"""The attribution API: the stored results, and asking for a new run."""

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from accord.api.auth import require_write_scope
from accord.attribution import actions, queries

router = Router(tags=["attribution"])


class ChannelCredit(Schema):
    channel: str = Field(..., description="the channel's key")
    credit: str = Field(..., description="dollars, two decimals")
    share: float = Field(..., description="a fraction of the total")
    conversions: float


class ModelResult(Schema):
    model: str
    basis: str
    lookback_days: int
    total: str
    by_channel: list[ChannelCredit]
    by_campaign: list[dict]
    unattributed: dict


class RunOut(Schema):
    id: int
    basis: str
    status: str
    as_of: datetime
    finished_at: datetime | None
    models: dict[str, ModelResult] = Field({}, description="model key -> its credits")


class RunIn(Schema):
    basis: Literal["pipeline", "revenue"] = "pipeline"


def _run_out(run) -> dict:
    return {
        "id": run.pk,
        "basis": run.basis,
        "status": run.status,
        "as_of": run.as_of,
        "finished_at": run.finished_at,
        "models": (run.result or {}).get("models", {}),
    }


@router.get(
    "/attribution",
    response=RunOut,
    summary="The latest attribution results",
    description="Every model's credit by channel from the newest finished run on `basis` "
    "(pipeline or revenue). 404 until one has been computed (POST /attribution/runs).",
)
def latest(request, basis: Literal["pipeline", "revenue"] = "pipeline"):
    done, _ = queries.latest(basis)
    if done is None:
        raise HttpError(404, f"No {basis} attribution has been computed yet.")
    return _run_out(done)


@router.post(
    "/attribution/runs",
    response={202: RunOut},
    summary="Compute attribution again",
    description="Queues a run of every model (a write token of an admin, leader or manager); "
    "answers with the run, already finished if the worker was quick. A run already waiting "
    "for the same basis is returned instead of a second one.",
)
def start(request, payload: RunIn):
    token = require_write_scope(request)
    try:
        run = actions.request_run(token.user, payload.basis)
    except PermissionDenied as error:
        raise HttpError(403, str(error)) from None
    run.refresh_from_db()
    return Status(202, _run_out(run))
