"""The bulk API: upserts of CRM records in batches, the same engine and keys as the CSV import."""

import json
from typing import Any, Literal

from django.conf import settings
from django.http import HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from accord.crm.kinds import Kind
from accord.imports.actions import upsert_items
from accord.imports.items import ItemResult, Options
from accord.people.api_auth import require_write

# Listed with the CRM's endpoints, as before they had a module of their own.
router = Router(tags=["CRM"])


class BulkIn(Schema):
    source_system: str = Field(
        "api", max_length=40, description="Where the ids come from; the idempotency key's half."
    )
    items: list[dict[str, Any]] = Field(
        ...,
        description="Up to 10,000 records, each with Accord's field names (see the import format).",
    )
    unknown_owners: Literal["reject", "unassigned", "placeholder"] = Field(
        "reject",
        description="An owner (or follow-up user) Accord does not know: reject the item "
        "(default), leave it unassigned, or create an inactive placeholder user (admins and "
        "operations only).",
    )


class ItemErrorOut(Schema):
    field: str
    value: str
    message: str


class ItemResultOut(Schema):
    index: int
    status: str = Field(..., description="created, updated, unchanged, merged or rejected")
    errors: list[ItemErrorOut] = []


class BulkOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    merged: int = Field(
        ..., description="items under a new id whose email a lead had: merged into that lead"
    )
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
    if "\x00" in payload.source_system:  # PostgreSQL cannot store it
        raise HttpError(422, "source_system must not contain a NUL character.")
    options = Options(
        source_system=payload.source_system.strip(),
        actor=request.auth.user,
        via=f"api ({request.auth.name})",
        unknown_owners=payload.unknown_owners,
    )
    results = []

    def each(result: ItemResult, _) -> None:
        if not result.errors:
            # Most items: the status is one of four fixed words, the index a number.
            results.append(
                f'{{"index": {result.index:d}, "status": "{result.status}", "errors": []}}'
            )
            return
        errors = [
            {"field": e.column, "value": e.value, "message": e.message} for e in result.errors
        ]
        results.append(
            json.dumps({"index": result.index, "status": result.status, "errors": errors})
        )

    # One batch for the whole request: one look-up per kind of reference, one insert.
    upserted = upsert_items(
        kind, enumerate(payload.items), options, batch_size=max(limit, 1), each=each
    )
    # The body BulkOut describes, written as text: validating thousands of results into
    # models and dumping them again cost more than the upsert's own Python work.
    body = json.dumps(upserted.counts())[:-1] + ', "results": [' + ", ".join(results) + "]}"
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _register_bulk(kind: Kind) -> None:
    def endpoint(request, payload: BulkIn):
        return _bulk(request, kind, payload)

    endpoint.__name__ = f"bulk_{kind}"
    router.post(
        f"/{kind}/bulk",
        # The ids they had in the CRM's module: clients generated from the schema keep them.
        operation_id=f"accord_crm_api_bulk_{kind}",
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
