"""The library in the API: the list (the list page's filters, cursor pages), one asset with
its versions, its ratings and the active rating rubric, sends and usage, suggestions, and
content influence (every asset under one model; one asset under every model). Reading needs
the read scope, as every GET does; rating, sending and suggesting need a write token (and
the verbs' rules)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from accord.content import influence, queries, ratings, sending, suggestions, tasks
from accord.content.filters import AssetFilterForm, SuggestionFilterForm
from accord.content.models import Asset, Rating, Rubric, Suggestion
from accord.core.api_types import Day, Moment, RecordId
from accord.core.engine import EngineError
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


# Suggestions: reading needs the read scope; filing and answering a write token of somebody
# the verbs allow (a viewer's token is refused 403 whatever its scope).


class SuggestionOut(Schema):
    id: int
    asset_id: int
    kind: str = Field(description="update, fix or new_asset")
    stage: str
    persona: str
    objection: str
    comment: str
    filed_by_id: int | None
    filed_at: datetime
    owner_id: int | None = Field(description="Who must answer")
    at_risk_at: datetime
    due_at: datetime = Field(description="The response deadline, in the owner's business hours")
    status: str = Field(description="open, accepted, declined or done")
    deadline: str = Field(description="open, at_risk, overdue, in_time or late")
    due_on: date | None = Field(description="Accepted: the date it will be done by")
    reason: str = Field(description="Declined: why")
    version: int | None = Field(description="Done: the number of the version that answers it")
    responded_at: datetime | None
    responded_by_id: int | None

    @staticmethod
    def resolve_deadline(obj) -> str:
        return queries.deadline_state(obj, timezone.now())

    @staticmethod
    def resolve_version(obj) -> int | None:
        return obj.version.number if obj.version else None


class SuggestionPage(Page):
    items: list[SuggestionOut]


class SuggestionIn(Schema):
    kind: str = Field(description="update, fix or new_asset")
    comment: str
    stage: str = Field("", description="new_asset: the lead stage it is for")
    persona: str = Field("", description="new_asset: the persona it is for")
    objection: str = Field("", max_length=200, description="new_asset: the objection it answers")


class AnswerIn(Schema):
    action: str = Field(description="accept, decline or done")
    due: Day | None = Field(None, description="accept: done by this date (YYYY-MM-DD)")
    reason: str = Field("", description="decline: why, at least 10 characters")
    version: int | None = Field(None, description="done: the asset's version number")


@router.get(
    "/suggestions",
    response=SuggestionPage,
    summary="List suggestions on assets",
    description="Oldest first by id; follow next_cursor for more. Filters: status, owner "
    "(user id, who must answer), asset (asset id), show (open, overdue), q (search).",
    openapi_extra=filter_parameters(SuggestionFilterForm),
)
def list_suggestions(request, limit: int = 100, cursor: str | None = None):
    def form(data):
        return SuggestionFilterForm(data, user=request.auth.user)

    return list_page(request, queries.suggestions(), form, limit)


@router.get(
    "/assets/{asset_id}/suggestions",
    response=list[SuggestionOut],
    summary="An asset's suggestions, newest first",
)
def asset_suggestions(request, asset_id: RecordId):
    asset = get_object_or_404(Asset, pk=asset_id)
    return list(queries.suggestions().filter(asset=asset))


@router.post(
    "/assets/{asset_id}/suggestions",
    response={201: SuggestionOut},
    summary="File a suggestion on an asset",
    description="Needs a write token of anybody but a viewer. The asset's owner is told and "
    "must answer by due_at. A refusal answers 422 naming each field.",
)
def file_suggestion(request, asset_id: RecordId, payload: SuggestionIn):
    token = require_write_scope(request)
    asset = get_object_or_404(Asset.objects.select_related("owner", "owner_team"), pk=asset_id)
    filed = suggestions.file_suggestion(token.user, asset, **payload.dict())
    return Status(201, filed)


@router.post(
    "/suggestions/{suggestion_id}/answer",
    response=SuggestionOut,
    summary="Answer a suggestion: accept, decline or done",
    description="Needs a write token of the person it went to, their manager, a content "
    "manager, a leader or an admin. accept needs due (not in the past), decline a reason, "
    "done the number of a version of the asset added since the suggestion. The rep is told.",
)
def answer_suggestion(request, suggestion_id: RecordId, payload: AnswerIn):
    token = require_write_scope(request)
    suggestion = get_object_or_404(Suggestion.objects.select_related("asset"), pk=suggestion_id)
    return suggestions.answer(token.user, suggestion, **payload.dict())


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


class InfluenceAssetOut(Schema):
    id: int
    title: str
    owner: str | None = Field(description="The owner's username")
    credit: str = Field(description="Dollars credited to the asset's content touches")
    opportunities: int = Field(description="Opportunities with the asset in their journey")
    won: int = Field(description="Of those, the won ones")


class InfluencePeriodOut(Schema):
    from_: date = Field(alias="from")
    to: date


class InfluenceOut(Schema):
    model: str
    basis: str
    computed_at: datetime | None = Field(
        description="When the stored figures were computed; null: never yet (no assets listed; "
        "the worker is asked to compute them)"
    )
    period: InfluencePeriodOut | None = Field(description="Deals converting in these days")
    stale: bool = Field(description="The data has changed since; new figures within 10 minutes")
    total: str
    assets: list[InfluenceAssetOut]


@router.get(
    "/content/influence",
    response=InfluenceOut,
    by_alias=True,
    summary="Content influence: every asset's credit under one model",
    description="Every asset, largest credit first (unused ones with 0.00), under `model` ("
    + ", ".join(influence.MODELS)
    + ") on `basis` (pipeline or revenue), over the 365 days up to the day they were computed. "
    "The figures are stored by the worker every 10 minutes, never computed by this call: "
    "before the first computation the answer is 200 with `computed_at` null and no assets. "
    "422 names a wrong model or basis.",
)
def content_influence(request, model: str = influence.DEFAULT_MODEL, basis: str = "pipeline"):
    try:
        found = influence.summary(model, basis)
    except ValueError as error:
        raise HttpError(422, str(error)) from None
    except EngineError as error:
        raise HttpError(503, str(error)) from None
    if found["computed_at"] is None:
        tasks.request_influence()
    return found


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
    period: InfluencePeriodOut
    stale: bool


class AssetInfluenceOut(Schema):
    id: int
    title: str
    computed_at: datetime | None = Field(
        description="When the stored figures were computed; null: never yet (`bases` empty)"
    )
    bases: dict[str, BasisInfluenceOut]


@router.get(
    "/assets/{asset_id}/influence",
    response=AssetInfluenceOut,
    by_alias=True,
    summary="One asset's influence under every model, on both bases, by version",
)
def asset_influence(request, asset_id: RecordId):
    asset = get_object_or_404(Asset, pk=asset_id)
    try:
        found = influence.of_asset(asset)
    except EngineError as error:
        raise HttpError(503, str(error)) from None
    if found["computed_at"] is None:
        tasks.request_influence()
    return found
