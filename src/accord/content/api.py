"""The library in the API: the list (the list page's filters, cursor pages), one asset with
its versions, and content influence (every asset under one model; one asset under every
model). Reading needs the read scope, as every GET does."""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from accord.content import influence, queries
from accord.content.filters import AssetFilterForm
from accord.content.models import Asset
from accord.core.api_types import RecordId
from accord.core.engine import EngineError
from accord.crm.api import LIST_HELP, Page, filter_parameters, list_page

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
    + ": q (search), kind, stage, persona, owner (user id), status, review=overdue, sort.",
    openapi_extra=filter_parameters(AssetFilterForm),
)
def list_assets(request, limit: int = 100, cursor: str | None = None):
    return list_page(request, queries.assets(), AssetFilterForm, limit)


@router.get("/assets/{asset_id}", response=AssetDetailOut, summary="One content asset")
def get_asset(request, asset_id: RecordId):
    return get_object_or_404(Asset.objects.prefetch_related("versions"), pk=asset_id)


class InfluenceAssetOut(Schema):
    id: int
    title: str
    owner: str | None = Field(description="The owner's username")
    credit: str = Field(description="Dollars credited to the asset's content touches")
    opportunities: int = Field(description="Opportunities with the asset in their journey")
    won: int = Field(description="Of those, the won ones")


class InfluenceOut(Schema):
    model: str
    basis: str
    total: str
    assets: list[InfluenceAssetOut]


@router.get(
    "/content/influence",
    response=InfluenceOut,
    summary="Content influence: every asset's credit under one model",
    description="Every asset, largest credit first (unused ones with 0.00), under `model` ("
    + ", ".join(influence.MODELS)
    + ") on `basis` (pipeline or revenue), over the 365 days up to today. 422 names a wrong "
    "model or basis.",
)
def content_influence(request, model: str = influence.DEFAULT_MODEL, basis: str = "pipeline"):
    try:
        return influence.summary(model, basis)
    except ValueError as error:
        raise HttpError(422, str(error)) from None
    except EngineError as error:
        raise HttpError(503, str(error)) from None


class VersionCreditOut(Schema):
    version: int | None
    credit: Decimal
    opportunities: int


class ModelCreditOut(Schema):
    label: str
    credit: Decimal
    versions: list[VersionCreditOut]


class BasisInfluenceOut(Schema):
    models: dict[str, ModelCreditOut]
    opportunities: int
    won: int
    won_revenue: Decimal
    closed: dict[str, int | float | None] = Field(
        description="Closed deals with the asset in their journey and without it: "
        "with_n, with_won, with_rate, without_n, without_won, without_rate (fractions)"
    )
    computed_at: datetime


class AssetInfluenceOut(Schema):
    id: int
    title: str
    bases: dict[str, BasisInfluenceOut]


@router.get(
    "/assets/{asset_id}/influence",
    response=AssetInfluenceOut,
    summary="One asset's influence under every model, on both bases, by version",
)
def asset_influence(request, asset_id: RecordId):
    asset = get_object_or_404(Asset, pk=asset_id)
    try:
        return influence.of_asset(asset)
    except EngineError as error:
        raise HttpError(503, str(error)) from None
