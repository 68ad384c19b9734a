"""The library in the API: the list (the list page's filters, cursor pages), one asset with
its versions, its ratings and the active rating rubric. Reading needs the read scope, as
every GET does; rating needs a write token (and the verb's rules: not a viewer, the asset
sent or used on that lead, once per version and deal)."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from accord.content import queries, ratings
from accord.content.filters import AssetFilterForm
from accord.content.models import Asset, Rating, Rubric
from accord.core.api_types import RecordId
from accord.crm.api import LIST_HELP, Page, filter_parameters, list_page
from accord.crm.models import Lead
from accord.people.api_auth import require_write_scope

router = Router(tags=["Content"])


class VersionOut(Schema):
    number: int
    file_name: str
    url: str = Field(description="The link of a link version; empty for a file")
    download: str = Field(description="Path that downloads a file version (a signed-in page)")
    size: int | None
    content_type: str
    note: str
    created_at: datetime

    @staticmethod
    def resolve_download(obj) -> str:
        return obj.get_download_url() if obj.file else ""


class AssetOut(Schema):
    id: int
    title: str
    kind: str
    owner_id: int | None
    owner_team_id: int | None
    stages: list[str]
    personas: list[str]
    industry: str
    product: str
    tags: list[str]
    status: str
    review_by: date | None
    stale: bool = Field(description="Published and not reviewed 14 days after review_by")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_stale(obj) -> bool:
        return obj.is_stale(timezone.localdate())


class AssetDetailOut(AssetOut):
    description: str
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj):
        return list(obj.versions.all())


class AssetPage(Page):
    items: list[AssetOut]


@router.get(
    "/assets",
    response=AssetPage,
    summary="List content assets",
    description=LIST_HELP.split(": q")[0]
    + ": q (search), kind, stage, persona, owner (user id), status, review=overdue, "
    "rated=below3 (overall score under 3 under the active rubric), sort (rating: best "
    "rated first; rating_low).",
    openapi_extra=filter_parameters(AssetFilterForm),
)
def list_assets(request, limit: int = 100, cursor: str | None = None):
    return list_page(request, queries.assets(), AssetFilterForm, limit)


@router.get("/assets/{asset_id}", response=AssetDetailOut, summary="One content asset")
def get_asset(request, asset_id: RecordId):
    return get_object_or_404(Asset.objects.prefetch_related("versions"), pk=asset_id)


class CriterionOut(Schema):
    key: str
    name: str
    weight: float
    labels: list[str] = Field(description="The label of each point, 1 to 5")


class RubricOut(Schema):
    id: int
    number: int
    name: str
    status: str
    criteria: list[CriterionOut]
    active_from: datetime | None
    signed_by: list[str] = Field(description="username (side) of each signature")

    @staticmethod
    def resolve_signed_by(obj) -> list[str]:
        return [f"{a.user.username} ({a.side})" for a in obj.approvals.select_related("user")]


class SummaryOut(Schema):
    count: int
    mean: float | None
    low: float | None = Field(description="90% interval (Student's t); null under 2 ratings")
    high: float | None
    too_few: bool = Field(description="Fewer than 2 ratings: no interval")


class CriterionFigureOut(Schema):
    key: str
    name: str
    weight: float
    figures: SummaryOut


class RatingOut(Schema):
    id: int
    version: int
    rubric: int = Field(description="The rubric version the rating used")
    rater: str | None = Field(description="username")
    lead_id: int
    opportunity_id: int | None
    scores: dict[str, int]
    score: float = Field(description="Weighted over the rubric's criteria, 1 to 5")
    comment: str
    created_at: datetime


class RatingsOut(Schema):
    rubric: int | None = Field(description="The active rubric's version; figures are under it")
    criteria: list[CriterionFigureOut]
    overall: SummaryOut
    older: int = Field(description="Ratings under earlier rubrics (listed, not counted)")
    ratings: list[RatingOut]


class RatingIn(Schema):
    lead: RecordId = Field(description="The lead (deal) you sent or used the asset on")
    scores: dict[str, Any] = Field(description="Criterion key -> 1..5, every criterion")
    comment: str = ""


def _summary(summary) -> dict:
    def rounded(value):
        return None if value is None else round(value, 3)

    return {
        "count": summary.count,
        "mean": rounded(summary.mean),
        "low": rounded(summary.low),
        "high": rounded(summary.high),
        "too_few": summary.too_few,
    }


def _rating_out(rating: Rating) -> dict:
    return {
        "id": rating.pk,
        "version": rating.version.number,
        "rubric": rating.rubric.number,
        "rater": rating.rater.username if rating.rater else None,
        "lead_id": rating.lead_id,
        "opportunity_id": rating.opportunity_id,
        "scores": rating.scores,
        "score": float(rating.score),
        "comment": rating.comment,
        "created_at": rating.created_at,
    }


@router.get(
    "/assets/{asset_id}/ratings",
    response=RatingsOut,
    summary="An asset's ratings and their figures",
    description="Per criterion of the active rubric the mean, the count and a 90% interval "
    "(none under 2 ratings), the overall weighted score; then every rating, newest first, "
    "each with the asset version and the rubric version it used.",
)
def asset_ratings(request, asset_id: RecordId):
    asset = get_object_or_404(Asset, pk=asset_id)
    figures = queries.rating_figures(asset)
    return {
        "rubric": figures.rubric.number if figures.rubric else None,
        "criteria": [
            {"key": c.key, "name": c.name, "weight": c.weight, "figures": _summary(c.summary)}
            for c in figures.criteria
        ],
        "overall": _summary(figures.overall),
        "older": figures.older,
        "ratings": [_rating_out(r) for r in queries.ratings(asset)],
    }


@router.post(
    "/assets/{asset_id}/ratings",
    response={201: RatingOut},
    summary="Rate an asset on a deal",
    description="Needs a write token. Rates the version you last sent or used on that lead, "
    "under the active rubric: every criterion from 1 to 5. Refused (422, naming the field) "
    "with no rubric active, a score off the scale, a lead you have not sent or used it on, "
    "or a second rating of the same version on the same deal; viewers are refused (403).",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "lead": 42,
                        "scores": {"accuracy": 4, "stage_fit": 5, "buyer_reaction": 3},
                        "comment": "The CFO asked for the numbers behind it.",
                    }
                }
            }
        }
    },
)
def rate_asset(request, asset_id: RecordId, body: RatingIn):
    token = require_write_scope(request)
    asset = get_object_or_404(Asset, pk=asset_id)
    lead = Lead.objects.filter(pk=body.lead).first()
    if lead is None:
        raise ValidationError({"lead": f"There is no lead {body.lead}."})
    rating = ratings.rate(token.user, asset, lead, body.scores, body.comment)
    return Status(201, _rating_out(rating))


@router.get("/rubrics/active", response=RubricOut, summary="The active rating rubric")
def active_rubric(request):
    rubric = Rubric.objects.filter(status=Rubric.Status.ACTIVE).first()
    if rubric is None:
        raise HttpError(404, "No rating rubric is active yet.")
    return rubric
