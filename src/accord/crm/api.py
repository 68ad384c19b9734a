"""The CRM's API: bulk upserts (the same engine and keys as the CSV import), lists, records."""

import base64
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from accord.api.auth import require_write
from accord.core.bulk import sqlite_cache_for_bulk_writes
from accord.crm import filters
from accord.crm.imports.upsert import (
    CREATED,
    REJECTED,
    UPDATED,
    Options,
    Upserter,
)
from accord.crm.kinds import Kind
from accord.crm.models import Account, Activity, Campaign, Lead, Opportunity, Touchpoint

router = Router(tags=["CRM"])


class BulkIn(Schema):
    source_system: str = Field(
        "api", max_length=40, description="Where the ids come from; the idempotency key's half."
    )
    items: list[dict[str, Any]] = Field(
        ...,
        description="Up to 10,000 records, each with Accord's field names (see the import format).",
    )


class ItemErrorOut(Schema):
    field: str
    value: str
    message: str


class ItemResultOut(Schema):
    index: int
    status: str = Field(..., description="created, updated, unchanged or rejected")
    errors: list[ItemErrorOut] = []


class BulkOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    results: list[ItemResultOut]


BULK_EXAMPLES = {
    Kind.LEADS: {
        "external_id": "L-1001",
        "email": "ann@acme.example",
        "first_name": "Ann",
        "company": "Acme",
        "source": "webinar",
        "status": "mql",
        "owner": "rep",
        "created_at": "2026-03-05T14:22:00Z",
    },
    Kind.ACCOUNTS: {
        "external_id": "A-77",
        "name": "Acme",
        "domain": "acme.example",
        "industry": "Manufacturing",
        "employees": 800,
        "country": "DE",
    },
    Kind.OPPORTUNITIES: {
        "external_id": "O-9",
        "name": "Acme platform",
        "account": "Acme",
        "amount": "125000.00",
        "stage": "proposal",
        "created_at": "2026-04-01T09:00:00Z",
        "close_date": "2026-06-30",
    },
    Kind.TOUCHPOINTS: {
        "external_id": "T-123",
        "lead": "ann@acme.example",
        "channel": "webinar",
        "kind": "webinar",
        "occurred_at": "2026-03-09T10:00:00Z",
    },
    Kind.ACTIVITIES: {
        "external_id": "C-5",
        "lead": "ann@acme.example",
        "user": "rep",
        "kind": "call",
        "occurred_at": "2026-03-10T11:30:00+01:00",
        "outcome": "Booked a demo",
    },
}


def _bulk(request, kind: Kind, payload: BulkIn) -> HttpResponse:
    require_write(request)
    limit = settings.API_BULK_MAX_ITEMS
    if len(payload.items) > limit:
        raise HttpError(413, f"At most {limit:,} items per request; split the batch.")
    if not payload.source_system.strip():
        raise HttpError(422, "source_system must not be blank.")
    options = Options(
        source_system=payload.source_system.strip(),
        actor=request.auth.user,
        via=f"api ({request.auth.name})",
    )
    counts = {CREATED: 0, UPDATED: 0, "unchanged": 0, REJECTED: 0}
    results = []
    with sqlite_cache_for_bulk_writes(), transaction.atomic():
        # One batch for the whole request: one look-up per kind of reference, one insert.
        upserter = Upserter(kind, options, batch_size=max(limit, 1))
        for result in upserter.process(enumerate(payload.items)):
            counts[result.status] += 1
            if not result.errors:
                # Most items: the status is one of four fixed words, the index a number.
                results.append(
                    f'{{"index": {result.index:d}, "status": "{result.status}", "errors": []}}'
                )
                continue
            errors = [
                {"field": e.column, "value": e.value, "message": e.message} for e in result.errors
            ]
            results.append(
                json.dumps({"index": result.index, "status": result.status, "errors": errors})
            )
    # The body BulkOut describes, written as text: validating thousands of results into
    # models and dumping them again cost more than the upsert's own Python work.
    body = json.dumps(counts)[:-1] + ', "results": [' + ", ".join(results) + "]}"
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _register_bulk(kind: Kind) -> None:
    def endpoint(request, payload: BulkIn):
        return _bulk(request, kind, payload)

    endpoint.__name__ = f"bulk_{kind}"
    router.post(
        f"/{kind}/bulk",
        response=BulkOut,
        summary=f"Create or update {kind} in bulk",
        description=(
            f"Upserts up to 10,000 {kind} on (source_system, external_id) — "
            + (
                "or the normalised email when there is no external_id. "
                if kind == Kind.LEADS
                else "or a natural key when there is no external_id. "
            )
            + "Each item is validated on its own; valid items are stored in one transaction "
            "and every item gets a result. Needs a write token and a manager, leader or "
            f"admin role. Example item: `{BULK_EXAMPLES[kind]}`"
        ),
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/json": {
                        "example": {"source_system": "crm", "items": [BULK_EXAMPLES[kind]]}
                    }
                }
            }
        },
    )(endpoint)


for _kind in BULK_EXAMPLES:
    _register_bulk(_kind)


# Reading: list endpoints with the list pages' filters and cursor pagination.


class Page(Schema):
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class LeadOut(Schema):
    id: int
    external_id: str
    source_system: str
    email: str
    first_name: str
    last_name: str
    title: str
    account_id: int | None
    source: str | None = Field(None, alias="source.key")
    owner: str | None = Field(None, alias="owner.username")
    status: str
    status_changed_at: datetime
    fit_grade: str
    engagement_score: int
    created_at: datetime


class AccountOut(Schema):
    id: int
    external_id: str
    source_system: str
    name: str
    domain: str
    industry: str
    employees: int | None
    country: str
    owner: str | None = Field(None, alias="owner.username")
    created_at: datetime


class OpportunityOut(Schema):
    id: int
    external_id: str
    source_system: str
    name: str
    account_id: int
    primary_lead_id: int | None
    owner: str | None = Field(None, alias="owner.username")
    source: str | None = Field(None, alias="source.key")
    amount: Decimal
    stage: str
    created_at: datetime
    close_date: date
    closed_at: datetime | None


class CampaignOut(Schema):
    id: int
    external_id: str
    source_system: str
    name: str
    channel: str = Field(..., alias="channel.key")
    kind: str
    starts_on: date
    ends_on: date | None


class TouchpointOut(Schema):
    id: int
    external_id: str
    source_system: str
    lead_id: int
    channel: str = Field(..., alias="channel.key")
    campaign_id: int | None
    kind: str
    occurred_at: datetime


class ActivityOut(Schema):
    id: int
    external_id: str
    source_system: str
    lead_id: int
    user: str | None = Field(None, alias="user.username")
    kind: str
    occurred_at: datetime
    outcome: str
    notes: str


class LeadPage(Page):
    items: list[LeadOut]


class AccountPage(Page):
    items: list[AccountOut]


class OpportunityPage(Page):
    items: list[OpportunityOut]


class CampaignPage(Page):
    items: list[CampaignOut]


class TouchpointPage(Page):
    items: list[TouchpointOut]


class ActivityPage(Page):
    items: list[ActivityOut]


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    try:
        return int(base64.urlsafe_b64decode(value.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "That cursor is not one this API gave out.") from None


def _page(request, queryset, form_class=None, limit: int = 100) -> dict:
    if not 1 <= limit <= 1000:
        raise HttpError(422, "limit must be between 1 and 1000.")
    if form_class is not None:
        form = form_class(request.GET)
        if not form.is_valid():
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
            raise HttpError(400, f"Bad filter: {details}")
        queryset = form.apply(queryset)
    rows = list(
        queryset.filter(id__gt=_cursor(request.GET.get("cursor"))).order_by("id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode() if more else None
    return {"items": rows, "next_cursor": next_cursor}


LIST_HELP = (
    "Oldest first by id; follow next_cursor for more. Filters as on the list page: "
    "q (search), date_from, date_to (YYYY-MM-DD)"
)


@router.get(
    "/leads",
    response=LeadPage,
    summary="List leads",
    description=LIST_HELP + ", owner (user id), status, source (channel key).",
)
def list_leads(request, limit: int = 100, cursor: str | None = None):
    return _page(
        request, Lead.objects.select_related("source", "owner"), filters.LeadFilterForm, limit
    )


@router.get("/leads/{lead_id}", response=LeadOut, summary="One lead")
def get_lead(request, lead_id: int):
    return get_object_or_404(Lead.objects.select_related("source", "owner"), pk=lead_id)


@router.get(
    "/accounts",
    response=AccountPage,
    summary="List accounts",
    description=LIST_HELP + ", industry, country, owner.",
)
def list_accounts(request, limit: int = 100, cursor: str | None = None):
    return _page(request, Account.objects.select_related("owner"), filters.AccountFilterForm, limit)


@router.get("/accounts/{account_id}", response=AccountOut, summary="One account")
def get_account(request, account_id: int):
    return get_object_or_404(Account.objects.select_related("owner"), pk=account_id)


@router.get(
    "/opportunities",
    response=OpportunityPage,
    summary="List opportunities",
    description=LIST_HELP + ", owner, stage, source.",
)
def list_opportunities(request, limit: int = 100, cursor: str | None = None):
    queryset = Opportunity.objects.select_related("owner", "source")
    return _page(request, queryset, filters.OpportunityFilterForm, limit)


@router.get("/opportunities/{opportunity_id}", response=OpportunityOut, summary="One opportunity")
def get_opportunity(request, opportunity_id: int):
    return get_object_or_404(
        Opportunity.objects.select_related("owner", "source"), pk=opportunity_id
    )


@router.get(
    "/campaigns",
    response=CampaignPage,
    summary="List campaigns",
    description="q (search), channel (key), kind.",
)
def list_campaigns(request, limit: int = 100, cursor: str | None = None):
    return _page(
        request, Campaign.objects.select_related("channel"), filters.CampaignFilterForm, limit
    )


@router.get(
    "/touchpoints",
    response=TouchpointPage,
    summary="List touchpoints",
    description="Optionally for one lead: ?lead_id=.",
)
def list_touchpoints(
    request, lead_id: int | None = None, limit: int = 100, cursor: str | None = None
):
    queryset = Touchpoint.objects.select_related("channel")
    if lead_id is not None:
        queryset = queryset.filter(lead_id=lead_id)
    return _page(request, queryset, limit=limit)


@router.get(
    "/activities",
    response=ActivityPage,
    summary="List sales activities",
    description="Optionally for one lead: ?lead_id=.",
)
def list_activities(
    request, lead_id: int | None = None, limit: int = 100, cursor: str | None = None
):
    queryset = Activity.objects.select_related("user")
    if lead_id is not None:
        queryset = queryset.filter(lead_id=lead_id)
    return _page(request, queryset, limit=limit)
