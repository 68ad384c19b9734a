"""The library in the API: the list (the list page's filters, cursor pages) and one asset
with its versions. Reading needs the read scope, as every GET does."""

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema

from accord.content import queries
from accord.content.filters import AssetFilterForm
from accord.content.models import Asset
from accord.core.api_types import RecordId
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
