"""Customer journeys in the API: the list, one journey's deliverables with their owner, due
date and status, and marking one done. Reading needs any token; completing a write token of
somebody the rules let complete it (its owner, their manager, a leader of the accountable
team, an admin)."""

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from accord.core.api_types import RecordId
from accord.journey import actions, queries
from accord.journey.models import Journey
from accord.people.api_auth import require_write_scope

router = Router(tags=["Customer journeys"])


class JourneyOut(Schema):
    id: int
    name: str
    segment: str
    starts_on: date
    ends_on: date
    status: str = Field(description="The latest revision's: draft, proposed, signed, declined")
    revision: int = Field(description="The number of the latest revision")
    signed_revision: int | None = Field(description="The number of the revision in force")
    deliverables: int


class OwnerOut(Schema):
    id: int
    username: str
    name: str


class DeliverableOut(Schema):
    id: int
    title: str
    stage_id: int
    stage: str
    team: str
    owner: OwnerOut | None = Field(description="The person it resolves to now (null: nobody)")
    owner_role: str = Field(description="The role it belongs to, when not given to a person")
    anchor: str = Field(description="fixed, journey_start, campaign, deliverable, plan_month")
    offset_days: int = Field(description="Business days after the anchor (negative: before)")
    due_on: date
    status: str = Field(description="not_started, on_track, at_risk, late, stuck or done")
    late_days: int = Field(description="Business days past the due date")
    completed_at: datetime | None


class CompletedOut(Schema):
    deliverable: DeliverableOut
    moved: list[dict] = Field(description="Open deliverables whose due dates moved with it")


def _journey(summary: dict) -> dict:
    journey, revision, in_force = summary["journey"], summary["revision"], summary["in_force"]
    return {
        "id": journey.pk, "name": journey.name, "segment": journey.segment,
        "starts_on": journey.starts_on, "ends_on": journey.ends_on, "status": summary["status"],
        "revision": revision.number if revision else 0,
        "signed_revision": in_force.number if in_force else None,
        "deliverables": summary["total"],
    }  # fmt: skip


def _deliverable(row: queries.Row) -> dict:
    d, owner = row.deliverable, row.owner
    return {
        "id": d.pk, "title": d.title, "stage_id": d.stage_id, "stage": d.stage.name,
        "team": d.stage.team.name,
        "owner": {"id": owner.pk, "username": owner.username, "name": str(owner)}
        if owner else None,
        "owner_role": "" if d.owner_id else (d.owner_role or d.stage.role),
        "anchor": d.anchor, "offset_days": d.offset_days, "due_on": d.due_on,
        "status": row.status, "late_days": row.standing.late_days,
        "completed_at": d.completed_at,
    }  # fmt: skip


@router.get("/journeys", response=list[JourneyOut], summary="List customer journeys")
def list_journeys(request):
    return [_journey(queries.journey_summary(j)) for j in queries.journeys()]


@router.get(
    "/journeys/{journey_id}/deliverables",
    response=list[DeliverableOut],
    summary="One journey's deliverables",
    description="Each with its owner now (a role resolves to whoever holds it), its due date "
    "and its status as of now.",
)
def journey_deliverables(request, journey_id: RecordId):
    journey = get_object_or_404(Journey, pk=journey_id)
    found = queries.rows(queries.deliverables().filter(stage__journey=journey))
    return [_deliverable(row) for row in found]


@router.post(
    "/deliverables/{deliverable_id}/complete",
    response=CompletedOut,
    summary="Mark a deliverable done",
    description="Needs a write token of its owner, their manager, a leader of the accountable "
    "team or an admin. The open deliverables that follow its completion move.",
)
def complete_deliverable(request, deliverable_id: RecordId):
    token = require_write_scope(request)
    deliverable = get_object_or_404(queries.deliverables(), pk=deliverable_id)
    done, moved = actions.complete(token.user, deliverable)
    [row] = queries.rows(queries.deliverables().filter(pk=done.pk))
    return {
        "deliverable": _deliverable(row),
        "moved": [
            {"id": m.deliverable.pk, "title": m.deliverable.title, "was": m.was, "now": m.now}
            for m in moved
        ],
    }
