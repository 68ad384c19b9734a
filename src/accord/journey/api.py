"""Customer journeys in the API: the list, one journey's deliverables with their owner, due
date and status, adding stages and deliverables, and marking one done. Reading needs any
token; writing a write token of somebody the rules let do it (mapping: admins, leaders and
managers; completing: the owner, their manager, a leader of the accountable team, an admin).
A refusal answers 422 naming each field, as the pages do."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from accord.core.api_types import Day, RecordId
from accord.crm.models import Campaign
from accord.journey import actions, queries
from accord.journey.models import Deliverable, Journey, Stage
from accord.people.api_auth import require_write_scope
from accord.people.models import Team, User

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


class StageIn(Schema):
    name: str = Field(max_length=80)
    team_id: RecordId
    role: str = Field(max_length=80, description="A role of that team (see /journeys/roles/)")
    funnel_step: str = Field(description="lead_mql, mql_sal, sal_sql, sql_opp or opp_won")
    entry_criteria: str = ""
    exit_criteria: str = ""


class StageOut(Schema):
    id: int
    journey_id: int
    order: int
    name: str
    team: str
    role: str
    funnel_step: str


class DeliverableIn(Schema):
    title: str = Field(max_length=160)
    description: str = ""
    owner_id: RecordId | None = Field(None, description="A person; else owner_role")
    owner_role: str = Field("", max_length=80, description="A role of the stage's team")
    anchor: str = Field(description="fixed, journey_start, campaign, deliverable, plan_month")
    fixed_on: Day | None = None
    anchor_campaign_id: RecordId | None = None
    anchor_deliverable_id: RecordId | None = None
    anchor_month: Day | None = Field(None, description="Any day of the plan month")
    offset_days: int = Field(0, ge=-250, le=250)
    work_days: int = Field(5, ge=1, le=120)


def _found(model, pk, field: str, queryset=None):
    if pk is None:
        return None
    found = (queryset if queryset is not None else model.objects).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: f"There is no {model._meta.verbose_name} {pk}."})
    return found


def _stage(stage: Stage) -> dict:
    return {
        "id": stage.pk, "journey_id": stage.journey_id, "order": stage.order, "name": stage.name,
        "team": stage.team.name, "role": stage.role, "funnel_step": stage.funnel_step,
    }  # fmt: skip


@router.post(
    "/journeys/{journey_id}/stages",
    response={201: StageOut},
    summary="Add a stage to a journey",
    description="Needs a write token of an admin, leader or manager. The role must be one of "
    "the team's and the step one of the plan in force.",
)
def add_stage(request, journey_id: RecordId, payload: StageIn):
    token = require_write_scope(request)
    journey = get_object_or_404(Journey, pk=journey_id)
    values = payload.dict()
    team = _found(Team, values.pop("team_id"), "team_id")
    stage = actions.add_stage(token.user, journey, team=team, **values)
    return Status(201, _stage(stage))


@router.post(
    "/stages/{stage_id}/deliverables",
    response={201: DeliverableOut},
    summary="Add a deliverable to a stage",
    description="Needs a write token of an admin, leader or manager. Refused (422, naming the "
    "field) when its anchors go round in a circle, it would fall due before the journey starts "
    "or in the past, or its role is not one of the stage's team.",
)
def add_deliverable(request, stage_id: RecordId, payload: DeliverableIn):
    token = require_write_scope(request)
    stage = get_object_or_404(Stage, pk=stage_id)
    values = payload.dict()
    values["owner"] = _found(User, values.pop("owner_id"), "owner_id")
    values["anchor_campaign"] = _found(
        Campaign, values.pop("anchor_campaign_id"), "anchor_campaign_id"
    )
    values["anchor_deliverable"] = _found(
        Deliverable, values.pop("anchor_deliverable_id"), "anchor_deliverable_id"
    )
    deliverable = actions.add_deliverable(token.user, stage, **values)
    [row] = queries.rows(queries.deliverables().filter(pk=deliverable.pk))
    return Status(201, _deliverable(row))


class StagePatch(Schema):
    name: str | None = Field(None, max_length=80)
    team_id: RecordId | None = None
    role: str | None = Field(None, max_length=80)
    funnel_step: str | None = None
    entry_criteria: str | None = None
    exit_criteria: str | None = None
    order: int | None = Field(None, ge=1, le=100, description="1 is first; the others make room")


class DeliverablePatch(Schema):
    title: str | None = Field(None, max_length=160)
    description: str | None = None
    owner_id: RecordId | None = Field(None, description="A person (null: back to the role)")
    owner_role: str | None = Field(None, max_length=80)
    anchor: str | None = None
    fixed_on: Day | None = None
    anchor_campaign_id: RecordId | None = None
    anchor_deliverable_id: RecordId | None = None
    anchor_month: Day | None = None
    offset_days: int | None = Field(None, ge=-250, le=250)
    work_days: int | None = Field(None, ge=1, le=120)


def _given(payload: Schema) -> dict:
    """The fields the caller sent (a PATCH changes only those)."""
    return payload.dict(exclude_unset=True)


@router.patch(
    "/stages/{stage_id}",
    response=StageOut,
    summary="Change a stage",
    description="Send only the fields to change. Needs a write token of an admin, leader or "
    "manager; a change to a proposed or signed map starts a new draft version.",
)
def change_stage(request, stage_id: RecordId, payload: StagePatch):
    token = require_write_scope(request)
    stage = get_object_or_404(Stage, pk=stage_id)
    values = _given(payload)
    if "team_id" in values:
        values["team"] = _found(Team, values.pop("team_id"), "team_id")
    for field in ("name", "role", "funnel_step"):
        if field in values and values[field] is None:
            raise ValidationError({field: f"{field} cannot be empty."})
    values = {k: ("" if v is None and k.endswith("criteria") else v) for k, v in values.items()}
    changed = actions.edit_stage(token.user, stage, **values)
    return _stage(Stage.objects.select_related("team").get(pk=changed.pk))


@router.delete(
    "/stages/{stage_id}",
    response={204: None},
    summary="Delete a stage and its deliverables",
    description="Refused (422, naming them) while a deliverable of another stage hangs on one "
    "of its deliverables or a plan goal is measured by one.",
)
def remove_stage(request, stage_id: RecordId):
    token = require_write_scope(request)
    actions.delete_stage(token.user, get_object_or_404(Stage, pk=stage_id))
    return Status(204, None)


@router.patch(
    "/deliverables/{deliverable_id}",
    response=CompletedOut,
    summary="Change a deliverable",
    description="Send only the fields to change. Its due date, and those of the open "
    "deliverables that follow it, are worked out again (`moved`).",
)
def change_deliverable(request, deliverable_id: RecordId, payload: DeliverablePatch):
    token = require_write_scope(request)
    deliverable = get_object_or_404(Deliverable, pk=deliverable_id)
    values = _given(payload)
    for key, model, field in (
        ("owner_id", User, "owner"),
        ("anchor_campaign_id", Campaign, "anchor_campaign"),
        ("anchor_deliverable_id", Deliverable, "anchor_deliverable"),
    ):
        if key in values:
            values[field] = _found(model, values.pop(key), key)
    for field in ("title", "anchor", "offset_days", "work_days"):
        if field in values and values[field] is None:
            raise ValidationError({field: f"{field} cannot be empty."})
    for field in ("description", "owner_role"):
        if field in values and values[field] is None:
            values[field] = ""
    changed, moved = actions.edit_deliverable(token.user, deliverable, **values)
    [row] = queries.rows(queries.deliverables().filter(pk=changed.pk))
    return {
        "deliverable": _deliverable(row),
        "moved": [
            {"id": m.deliverable.pk, "title": m.deliverable.title, "was": m.was, "now": m.now}
            for m in moved
        ],
    }


@router.delete(
    "/deliverables/{deliverable_id}",
    response={204: None},
    summary="Delete a deliverable",
    description="Refused (422, naming them) while other deliverables hang on it or a plan goal "
    "is measured by it.",
)
def remove_deliverable(request, deliverable_id: RecordId):
    token = require_write_scope(request)
    actions.delete_deliverable(token.user, get_object_or_404(Deliverable, pk=deliverable_id))
    return Status(204, None)
