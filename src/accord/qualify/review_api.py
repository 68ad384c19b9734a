"""The sales review API: accept or reject a lead, and the rejection rates."""

from datetime import date, datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from accord.core.api_types import Day, RecordId
from accord.core.periods import reporting_period
from accord.crm.models import Lead
from accord.people.api_auth import require_write_scope
from accord.qualify import reviews
from accord.qualify.models import LeadReview

router = Router(tags=["sales reviews"])


class ReviewIn(Schema):
    decision: Literal["accepted", "rejected"]
    reason: str = Field("", description="a rejection reason's key; required to reject")
    comment: str = Field("", max_length=reviews.COMMENT_MAX)


class ReviewOut(Schema):
    id: int
    lead_id: int
    lead_status: str
    decision: str
    reason: str | None = Field(None, description="the rejection reason's key")
    reason_label: str | None
    comment: str
    reviewer: str | None = Field(None, description="username")
    at: datetime


class RateOut(Schema):
    key: str = Field(..., description="source key, campaign id or username; empty for none")
    label: str
    reviewed: int
    accepted: int
    rejected: int
    rejection_rate: float | None = Field(..., description="rejected / reviewed, a fraction")


class ReasonRateOut(Schema):
    key: str
    label: str
    rejected: int
    share: float | None = Field(..., description="of all rejections, a fraction")


class RatesOut(Schema):
    from_: date = Field(..., alias="from")
    to: date
    reviewed: int
    accepted: int
    rejected: int
    rejection_rate: float | None
    by_source: list[RateOut]
    by_campaign: list[RateOut]
    by_reason: list[ReasonRateOut]
    by_reviewer: list[RateOut]


class PeriodIn(Schema):
    from_: Day | None = Field(None, alias="from", description="first day, YYYY-MM-DD")
    to: Day | None = Field(None, description="last day, YYYY-MM-DD (default today)")


def _fraction(value) -> float | None:
    return None if value is None else round(float(value), 4)


def _rate_out(row: reviews.RateRow) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "reviewed": row.reviewed,
        "accepted": row.accepted,
        "rejected": row.rejected,
        "rejection_rate": _fraction(row.rejection_rate),
    }


def _review_out(review: LeadReview) -> dict:
    return {
        "id": review.pk,
        "lead_id": review.lead_id,
        "lead_status": review.lead.status,
        "decision": review.decision,
        "reason": review.reason.key if review.reason else None,
        "reason_label": review.reason.label if review.reason else None,
        "comment": review.comment,
        "reviewer": review.reviewer.username if review.reviewer else None,
        "at": review.at,
    }


@router.post(
    "/leads/{lead_id}/review",
    response=ReviewOut,
    summary="Accept or reject a lead handed to sales",
    description="`accepted` moves an MQL to accepted (SAL). `rejected` needs an active "
    "reason's key (see the rejection reasons page) and sends an MQL or accepted lead back "
    "to nurture (recycled). Needs a write token; reps review their own leads, managers "
    "their team's.",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "decision": "rejected",
                        "reason": "no-budget",
                        "comment": "Budget frozen until Q3.",
                    }
                }
            }
        }
    },
)
def review_lead(request, lead_id: RecordId, payload: ReviewIn):
    token = require_write_scope(request)
    lead = get_object_or_404(Lead, pk=lead_id)
    if payload.decision == LeadReview.Decision.ACCEPTED:
        review = reviews.accept_lead(lead, actor=token.user, comment=payload.comment)
    else:
        review = reviews.reject_lead(
            lead, actor=token.user, reason=payload.reason, comment=payload.comment
        )
    return _review_out(review)


@router.get(
    "/reviews/rejection-rates",
    response=RatesOut,
    by_alias=True,
    summary="Rejection rates by source, campaign, reason and rep",
    description="Reviews given from `from` to `to`, whole days in the server's time zone, "
    "both included; by default the last 90 days. Rates are fractions (0.25 = 25%); a "
    "lead's campaign is the campaign of its first touchpoint with one since it was created.",
)
def rejection_rates(request, period: Query[PeriodIn]):
    start, end = reporting_period(
        period.from_, period.to, timezone.localdate(), fields=("from", "to")
    )
    rates = reviews.rejection_rates(start, end)
    return {
        "from": rates.start,
        "to": rates.end,
        "reviewed": rates.total.reviewed,
        "accepted": rates.total.accepted,
        "rejected": rates.total.rejected,
        "rejection_rate": _fraction(rates.total.rejection_rate),
        "by_source": [_rate_out(row) for row in rates.by_source],
        "by_campaign": [_rate_out(row) for row in rates.by_campaign],
        "by_reason": [
            {"key": r.key, "label": r.label, "rejected": r.rejected, "share": _fraction(r.share)}
            for r in rates.by_reason
        ],
        "by_reviewer": [_rate_out(row) for row in rates.by_reviewer],
    }
