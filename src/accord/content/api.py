"""The library in the API: the list (the list page's filters, cursor pages) and one asset
with its versions. Reading needs the read scope, as every GET does."""

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from accord.content import queries, sending
from accord.content.filters import AssetFilterForm
from accord.content.models import Asset
from accord.core.api_types import Moment, RecordId
from accord.crm.api import LIST_HELP, Page, filter_parameters, list_page
from accord.crm.models import Lead, Opportunity
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
    + ": q (search), kind, stage, persona, owner (user id), status, review=overdue, sort.",
    openapi_extra=filter_parameters(AssetFilterForm),
)
def list_assets(request, limit: int = 100, cursor: str | None = None):
    return list_page(request, queries.assets(), AssetFilterForm, limit)


@router.get("/assets/{asset_id}", response=AssetDetailOut, summary="One content asset")
def get_asset(request, asset_id: RecordId):
    return get_object_or_404(Asset.objects.prefetch_related("versions"), pk=asset_id)


class SendIn(Schema):
    lead: RecordId
    opportunity: RecordId | None = None
    expires_at: Moment | None = Field(
        None, description="When the link stops working (ISO 8601 with a zone)"
    )
    email_gate: bool = Field(False, description="Ask the reader's email before showing the asset")


class LinkOut(Schema):
    id: int
    url: str = Field(description="The public link to give the lead (no login)")
    asset_id: int
    version: int
    lead_id: int
    opportunity_id: int | None
    sent_by_id: int | None
    sent_at: datetime
    expires_at: datetime | None
    email_gate: bool
    revoked_at: datetime | None


class LinkUsageOut(LinkOut):
    state: str = Field(description="sent, opened, expired or revoked")
    opens: int
    first_opened: datetime | None
    last_opened: datetime | None
    seconds: int = Field(description="Seconds the page was read, all visits")
    downloads: int


class UsageOut(Schema):
    views: int = Field(description="Asset page views inside (once per person per day)")
    downloads: int = Field(description="Downloads inside")
    sends: int
    uses: int = Field(description="Used on a deal (shown in a meeting...)")
    opens: int = Field(description="Opens of its tracked links by buyers")
    buyer_downloads: int
    links_opened: int = Field(description="Tracked links opened at least once")
    links: list[LinkUsageOut]
    next_cursor: str | None


def _link_out(request, link, **extra) -> dict:
    return {
        "id": link.pk,
        "url": request.build_absolute_uri(reverse("content:link", args=[link.token])),
        "asset_id": link.asset_id,
        "version": link.version.number,
        "lead_id": link.lead_id,
        "opportunity_id": link.opportunity_id,
        "sent_by_id": link.sent_by_id,
        "sent_at": link.sent_at,
        "expires_at": link.expires_at,
        "email_gate": link.email_gate,
        "revoked_at": link.revoked_at,
        **extra,
    }


@router.post(
    "/assets/{asset_id}/sends",
    response={201: LinkOut},
    summary="Send an asset to a lead",
    description="Makes a tracked link to the asset's current version (a touchpoint of kind "
    "content and an email follow-up on the lead). Needs a write token of somebody who may "
    "work the lead; the asset must be published. Refusals answer 403 or 422.",
)
def send_asset(request, asset_id: RecordId, payload: SendIn):
    token = require_write_scope(request)
    asset = get_object_or_404(Asset, pk=asset_id)
    lead = get_object_or_404(Lead, pk=payload.lead)
    opportunity = (
        get_object_or_404(Opportunity, pk=payload.opportunity) if payload.opportunity else None
    )
    link = sending.send(token.user, asset, lead, opportunity=opportunity,
                        expires_at=payload.expires_at, email_gate=payload.email_gate)  # fmt: skip
    return Status(201, _link_out(request, link))


@router.get(
    "/assets/{asset_id}/usage",
    response=UsageOut,
    summary="An asset's usage",
    description="All-time counts, and its tracked links in the order they were sent with what "
    "their buyers did (pages of `limit`, `cursor` from next_cursor).",
)
def asset_usage(request, asset_id: RecordId, limit: int = 100, cursor: str | None = None):
    asset = get_object_or_404(Asset, pk=asset_id)
    page = list_page(request, queries.links(asset=asset), None, limit)
    now = timezone.now()
    links = [
        _link_out(
            request,
            link,
            state=queries.link_state(link, now),
            opens=link.opens,
            first_opened=link.first_opened,
            last_opened=link.last_opened,
            seconds=link.seconds,
            downloads=link.downloads,
        )  # fmt: skip
        for link in page["items"]
    ]
    return {**queries.usage_counts(asset), "links": links, "next_cursor": page["next_cursor"]}
