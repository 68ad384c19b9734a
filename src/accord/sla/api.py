"""The service-level API: policies, one lead's clocks, the board and an evaluation."""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from accord.core.api_types import Day, Moment, RecordId, Username
from accord.core.periods import reporting_period
from accord.crm.models import Lead
from accord.people import permissions
from accord.people.api_auth import require_write_scope
from accord.people.models import User
from accord.sla import actions, queries
from accord.sla.models import DEFAULT_TOUCH_WINDOW_DAYS, FollowUpPolicy

router = Router(tags=["service levels"])


class PolicyIn(Schema):
    name: str = Field(..., max_length=120)
    priority: int = Field(..., description="lower wins when a lead matches several policies")
    active: bool = True
    grades: list[str] = Field([], description="fit grades A-D; empty: any")
    sources: list[str] = Field([], description="channel keys; empty: any")
    touch_kind: str = Field("", description="only leads with a touchpoint of this kind")
    touch_window_days: int = Field(
        DEFAULT_TOUCH_WINDOW_DAYS,
        description="...at most this many days before the lead became MQL (1 to 365)",
    )
    first_response_hours: Decimal = Field(..., description="business hours, more than 0")
    attempts: int = Field(..., description="attempts required, 1 to 50")
    attempt_days: int = Field(..., description="business days for the attempts, 1 to 60")
    attempt_kinds: list[str] = Field(..., description="activity kinds that count: call, email…")
    at_risk_share: Decimal = Field(
        Decimal("0.75"), description="fraction of the time after which a clock is at risk"
    )


class PolicyOut(PolicyIn):
    id: int
    overlaps_with: list[str] = Field([], description="active policies whose segment overlaps")


class ClockOut(Schema):
    status: str = Field(..., description="on_track, at_risk, met, breached, closed, unassigned")
    due_at: datetime
    at_risk_at: datetime
    done_at: datetime | None


class AttemptsOut(ClockOut):
    made: int
    required: int


class PolicyRef(Schema):
    id: int
    name: str


class LeadClockOut(Schema):
    lead: int
    policy: PolicyRef
    started_at: datetime
    status: str
    owner: str | None = Field(None, description="username; null when unassigned")
    first_response: ClockOut
    attempts: AttemptsOut
    first_touch_hours: float | None = Field(None, description="business hours")
    never_followed_up: bool | None = Field(None, description="null while attempts are open")
    reassigned: bool


class RepOut(Schema):
    rep: str = Field(..., description="username, or (unassigned)")
    name: str
    due: int
    met: int
    breached: int
    at_risk: int
    on_track: int
    compliance: float | None = Field(None, description="met / due, a fraction")
    first_compliance: float | None
    attempts_compliance: float | None
    median_first_touch_hours: float | None
    attempts_per_lead: float | None
    never_followed_up: int
    never_followed_up_share: float | None
    closed_by_hand: int = Field(
        0,
        description="MQLs closed by hand (moved back, disqualified) before any follow-up: breached",
    )


class BoardOut(Schema):
    from_: date = Field(..., alias="from")
    to: date
    total: RepOut
    reps: list[RepOut]
    industry_never_followed_up: float
    figures_as_of: datetime = Field(
        ...,
        description="when these figures were computed: they are kept until the data under "
        "them changes or a clock turns",
    )


class BoardIn(Schema):
    from_: Day | None = Field(None, alias="from", description="first MQL day, YYYY-MM-DD")
    to: Day | None = Field(None, description="last MQL day (default today)")


class QueueItemOut(Schema):
    lead: int
    name: str
    grade: str = Field(..., description="fit grade A-D; empty if not graded")
    score: int = Field(..., description="engagement score")
    status: str = Field(..., description="breached, unassigned, at_risk or on_track")
    next_due: datetime = Field(..., description="the earliest deadline not met (past if breached)")
    policy: PolicyRef
    attempts_made: int = Field(..., description="attempts that count, within the window")
    attempts_so_far: int = Field(..., description="with those made after the deadline")
    attempts_required: int


class EvaluateRep(Schema):
    rep: str
    due: int
    met: int
    breached: int
    median_first_touch_hours: float | None


class EvaluateOut(Schema):
    as_of: datetime
    leads_due: int
    met: int
    breached: int
    at_risk: int
    on_track: int
    unassigned: int
    never_followed_up: int
    never_followed_up_share: float | None
    closed_by_hand: int = Field(
        0,
        description="MQLs closed by hand (moved back, disqualified) before any follow-up: breached",
    )
    by_rep: list[EvaluateRep]


def _policy_out(policy: FollowUpPolicy) -> dict:
    return {
        "id": policy.pk,
        **{field: getattr(policy, field) for field in actions.POLICY_FIELDS},
        "overlaps_with": [other.name for other in actions.overlaps(policy)],
    }


def _rounded(row: dict) -> dict:
    return {
        k: round(float(v), 4) if k.endswith(("compliance", "share")) and v is not None else v
        for k, v in row.items()
    }


@router.get("/sla/policies", response=list[PolicyOut], summary="Follow-up policies")
def list_policies(request):
    return [_policy_out(p) for p in FollowUpPolicy.objects.all()]


@router.post(
    "/sla/policies",
    response={201: PolicyOut},
    summary="Create a follow-up policy",
    description="Needs a write token of an admin, leader or sales ops manager. Invalid "
    "values answer 422 naming each field.",
)
def create_policy(request, payload: PolicyIn):
    token = require_write_scope(request)
    policy = actions.save_policy(token.user, payload.dict())
    return Status(201, _policy_out(policy))


@router.get(
    "/leads/{lead_id}/clocks",
    response=list[LeadClockOut],
    summary="A lead's follow-up clocks",
    description="One entry per time the lead became MQL under a policy, newest first, "
    "evaluated now.",
)
def lead_clocks(request, lead_id: RecordId):
    lead = get_object_or_404(Lead, pk=lead_id)
    found = queries.lead_clocks(lead)
    users = queries.people({e.owner for e in found})
    return [queries.clock_json(e, users) for e in found]


@router.get(
    "/sla/board",
    response=BoardOut,
    by_alias=True,
    summary="The follow-up board",
    description="Per rep and in total, for leads that became MQL from `from` to `to` (whole "
    "days in the server's time zone; default the last 90 days). Fractions, not percentages.",
)
def board(request, period: Query[BoardIn]):
    start, end = reporting_period(
        period.from_, period.to, timezone.localdate(), at_most_a_year=True, fields=("from", "to")
    )
    data = queries.board(start, end)
    return {
        "from": data["from"],
        "to": data["to"],
        "total": _rounded(data["total"]),
        "reps": [_rounded(row) for row in data["reps"]],
        "industry_never_followed_up": data["industry_never_followed_up"],
        "figures_as_of": data["kept"].computed_at,
    }


@router.get(
    "/sla/queue",
    response=list[QueueItemOut],
    summary="A rep's follow-up queue",
    description="The MQLs `rep` (a username; default the token's owner) owns whose clocks wait "
    "for them: breached first, then by the next deadline. A rep reads their own; their "
    "managers, leaders and admins anybody's they may open on the page (403 otherwise).",
)
def follow_up_queue(request, rep: Username = ""):
    viewer = request.auth.user
    person = get_object_or_404(User, username=User.normalize_username(rep)) if rep else viewer
    permissions.require(permissions.can_see_follow_up_queue(viewer, person), queries.QUEUE_DENIED)
    return [
        {
            "lead": item.lead.pk,
            "name": item.lead.name,
            "grade": item.lead.fit_grade or "",
            "score": item.lead.engagement_score,
            "status": item.evaluation.status,
            "next_due": item.next_due,
            "policy": {"id": item.evaluation.policy.id, "name": item.evaluation.policy.name},
            "attempts_made": item.evaluation.attempts_made,
            "attempts_so_far": item.attempts_so_far,
            "attempts_required": item.evaluation.policy.attempts,
        }
        for item in queries.follow_up_queue(person)
    ]


@router.get(
    "/sla/evaluate",
    response=EvaluateOut,
    summary="Every clock as of a moment",
    description="What `accord sla evaluate --json` prints; `at` is an ISO date-time "
    "(default now). Sends nothing.",
)
def evaluate(request, at: Moment | None = None):
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return queries.evaluate(moment)
