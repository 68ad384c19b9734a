"""The CRM's API: lists and records (bulk upserts are the import's: `accord.imports.api`)."""

import base64
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from accord.core.api_types import RecordId
from accord.crm import filters
from accord.crm.models import Account, Activity, Campaign, Lead, Opportunity, Touchpoint

router = Router(tags=["CRM"])


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


def list_page(request, queryset, form_class=None, limit: int = 100) -> dict:
    """One page of a list operation, filtered by the list page's form, in id order after
    the cursor (the content library's API pages the same way)."""
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


def filter_parameters(form_class: type[filters.ListFilterForm]) -> dict:
    """The list page's filters as the operation's documented query parameters: the list
    reads them with the page's form, so its signature does not name them."""
    parameters = []
    for name, field in form_class.base_fields.items():
        if name in ("date_from", "date_to") and not form_class.date_field:
            continue  # the form drops them for a list without dates
        schema: dict = {"type": "string"}
        if isinstance(field, forms.DateField):
            schema["format"] = "date"
        elif isinstance(field, forms.ModelChoiceField):
            if not field.to_field_name:
                schema = {"type": "integer"}  # a record's id (a user's, for owner)
        elif isinstance(field, forms.ChoiceField):
            values = list(form_class.sorts) if name == "sort" else [v for v, _ in field.choices]
            if values := [str(v) for v in values if v != ""]:
                schema["enum"] = values
        elif getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
        label = str(field.help_text or field.label or name.replace("_", " ").capitalize())
        if isinstance(field, forms.DateField):
            label += " (YYYY-MM-DD, a whole day in the server's time zone)"
        parameters.append(
            {"in": "query", "name": name, "required": False, "schema": schema, "description": label}
        )
    return {"parameters": parameters}


LIST_HELP = (
    "Oldest first by id; follow next_cursor for more. Filters as on the list page: "
    "q (search), date_from, date_to (YYYY-MM-DD)"
)


@router.get(
    "/leads",
    response=LeadPage,
    summary="List leads",
    description=LIST_HELP + ", owner (user id), status, source (channel key).",
    openapi_extra=filter_parameters(filters.LeadFilterForm),
)
def list_leads(request, limit: int = 100, cursor: str | None = None):
    return list_page(
        request, Lead.objects.select_related("source", "owner"), filters.LeadFilterForm, limit
    )


@router.get("/leads/{lead_id}", response=LeadOut, summary="One lead")
def get_lead(request, lead_id: RecordId):
    return get_object_or_404(Lead.objects.select_related("source", "owner"), pk=lead_id)


@router.get(
    "/accounts",
    response=AccountPage,
    summary="List accounts",
    description=LIST_HELP + ", industry, country, owner.",
    openapi_extra=filter_parameters(filters.AccountFilterForm),
)
def list_accounts(request, limit: int = 100, cursor: str | None = None):
    return list_page(
        request, Account.objects.select_related("owner"), filters.AccountFilterForm, limit
    )


@router.get("/accounts/{account_id}", response=AccountOut, summary="One account")
def get_account(request, account_id: RecordId):
    return get_object_or_404(Account.objects.select_related("owner"), pk=account_id)


@router.get(
    "/opportunities",
    response=OpportunityPage,
    summary="List opportunities",
    description=LIST_HELP + ", owner, stage, source.",
    openapi_extra=filter_parameters(filters.OpportunityFilterForm),
)
def list_opportunities(request, limit: int = 100, cursor: str | None = None):
    queryset = Opportunity.objects.select_related("owner", "source")
    return list_page(request, queryset, filters.OpportunityFilterForm, limit)


@router.get("/opportunities/{opportunity_id}", response=OpportunityOut, summary="One opportunity")
def get_opportunity(request, opportunity_id: RecordId):
    return get_object_or_404(
        Opportunity.objects.select_related("owner", "source"), pk=opportunity_id
    )


@router.get(
    "/campaigns",
    response=CampaignPage,
    summary="List campaigns",
    description="q (search), channel (key), kind.",
    openapi_extra=filter_parameters(filters.CampaignFilterForm),
)
def list_campaigns(request, limit: int = 100, cursor: str | None = None):
    return list_page(
        request, Campaign.objects.select_related("channel"), filters.CampaignFilterForm, limit
    )


@router.get(
    "/touchpoints",
    response=TouchpointPage,
    summary="List touchpoints",
    description="Optionally for one lead: ?lead_id=.",
)
def list_touchpoints(
    request, lead_id: RecordId | None = None, limit: int = 100, cursor: str | None = None
):
    queryset = Touchpoint.objects.select_related("channel")
    if lead_id is not None:
        queryset = queryset.filter(lead_id=lead_id)
    return list_page(request, queryset, limit=limit)


@router.get(
    "/activities",
    response=ActivityPage,
    summary="List sales activities",
    description="Optionally for one lead: ?lead_id=.",
)
def list_activities(
    request, lead_id: RecordId | None = None, limit: int = 100, cursor: str | None = None
):
    queryset = Activity.objects.select_related("user")
    if lead_id is not None:
        queryset = queryset.filter(lead_id=lead_id)
    return list_page(request, queryset, limit=limit)
