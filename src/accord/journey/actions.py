"""Verbs that change customer journeys. Each runs in one transaction and is audited.

A refusal is a ValidationError naming each field (a circle of anchors, an offset that lands
before the journey starts, a role no team has, a step the plan does not have, a past due date
for a new deliverable) and stores nothing. Moving an anchor (the journey's start, a
campaign's launch, a deliverable's date or completion) moves every open deliverable whose
date hangs on it, says which (the verbs return them; the audit log and the owners are told)
and leaves done ones where they were.

Changing the map (the journey, its stages and deliverables) while its latest revision is
proposed or signed starts a new draft revision; the signed one stays in force until the new
one is signed by a marketing leader and a sales leader (`people.signoff`).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.analytics import journey as clock
from accord.analytics.funnel import STEP_LABELS, STEPS
from accord.analytics.months import add_months
from accord.crm.models import Campaign
from accord.journey import schedule
from accord.journey.models import (
    CalendarFeed,
    Deliverable,
    GoalMeasure,
    Journey,
    JourneyRevision,
    JourneyRole,
    Stage,
)
from accord.people import audit, notify, signoff
from accord.people.models import Team, User
from accord.people.permissions import (
    can_change_anything,
    can_complete_deliverable,
    can_edit_journey,
    can_edit_plan,
    require,
)
from accord.plan.models import PlanGoal
from accord.plan.queries import default_plan

EDIT_DENIED = "Only admins, leaders and managers can map a customer journey."
Status = JourneyRevision.Status
Anchor = Deliverable.Anchor


@dataclass(frozen=True)
class Moved:
    """A deliverable whose due date moved with its anchor."""

    deliverable: Deliverable
    was: date
    now: date

    def __str__(self) -> str:
        return f"{self.deliverable.title}: {self.was:%d %b} → {self.now:%d %b}"


# --- Journeys ---------------------------------------------------------------------------------


def _journey_problems(name, starts_on, ends_on, at_risk_share, stuck_after_days) -> dict:
    problems = {}
    if not name or len(name) > 120:
        problems["name"] = ["Give the journey a name (at most 120 characters)."]
    if not isinstance(starts_on, date):
        problems["starts_on"] = ["Give the day the journey starts, as YYYY-MM-DD."]
    if not isinstance(ends_on, date):
        problems["ends_on"] = ["Give the day the journey ends, as YYYY-MM-DD."]
    elif isinstance(starts_on, date) and ends_on <= starts_on:
        problems["ends_on"] = [f"The journey ends after it starts ({starts_on:%Y-%m-%d})."]
    if not Decimal("0.05") <= at_risk_share <= Decimal("0.99"):
        problems["at_risk_share"] = ["At risk must be between 5% and 99% of the time allowed."]
    if not 1 <= stuck_after_days <= 60:
        problems["stuck_after_days"] = ["Stuck after 1 to 60 business days late."]
    return problems


@transaction.atomic
def create_journey(
    actor,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    segment: str = "",
    at_risk_share: Decimal = Decimal("0.75"),
    stuck_after_days: int = 5,
    based_on: Journey | None = None,
) -> Journey:
    """A new journey with an empty draft revision 1."""
    require(can_edit_journey(actor), EDIT_DENIED)
    name = (name or "").strip()
    at_risk_share = Decimal(at_risk_share)
    problems = _journey_problems(name, starts_on, ends_on, at_risk_share, stuck_after_days)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    journey = Journey.objects.create(
        name=name, segment=(segment or "").strip()[:200], starts_on=starts_on, ends_on=ends_on,
        at_risk_share=at_risk_share, stuck_after_days=stuck_after_days, based_on=based_on,
        created_by=actor, created_at=now, updated_at=now,
    )  # fmt: skip
    JourneyRevision.objects.create(journey=journey, number=1, created_by=actor, created_at=now)
    audit.record(
        actor, "journey.created", journey, after=_journey_fields(journey),
        summary=f"Created the journey {name}",
    )  # fmt: skip
    return journey


def _journey_fields(journey: Journey) -> dict:
    return {
        "name": journey.name,
        "segment": journey.segment,
        "starts_on": journey.starts_on.isoformat(),
        "ends_on": journey.ends_on.isoformat(),
        "at_risk_share": str(journey.at_risk_share),
        "stuck_after_days": journey.stuck_after_days,
    }


def _drafting(actor, journey: Journey) -> JourneyRevision:
    """The draft the map's changes go into: the latest revision if it is a draft, else a new
    one (the signed revision stays in force until the new one is signed)."""
    latest = JourneyRevision.objects.select_for_update().filter(journey=journey).first()
    if latest is not None and latest.status == Status.DRAFT:
        return latest
    number = (latest.number if latest else 0) + 1
    revision = JourneyRevision.objects.create(
        journey=journey, number=number, created_by=actor, created_at=timezone.now()
    )
    audit.record(
        actor, "journey.drafted", revision,
        summary=f"Started draft v{number} of {journey.name}: the map changed after v{number - 1}",
    )  # fmt: skip
    return revision


@transaction.atomic
def edit_journey(actor, journey: Journey, **changes) -> tuple[Journey, list[Moved]]:
    """Change the journey's name, segment, period or escalation settings; a new start moves
    the open deliverables anchored on it (and theirs)."""
    require(can_edit_journey(actor), EDIT_DENIED)
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    before = _journey_fields(journey)
    for field in ("name", "segment", "starts_on", "ends_on", "at_risk_share", "stuck_after_days"):
        if field in changes and changes[field] is not None:
            setattr(journey, field, changes[field])
    journey.name = (journey.name or "").strip()
    journey.at_risk_share = Decimal(journey.at_risk_share)
    problems = _journey_problems(
        journey.name, journey.starts_on, journey.ends_on, journey.at_risk_share,
        journey.stuck_after_days,
    )  # fmt: skip
    if problems:
        raise ValidationError(problems)
    journey.updated_at = timezone.now()
    journey.save()
    after = _journey_fields(journey)
    if after == before:
        return journey, []
    _drafting(actor, journey)
    moved = _reanchor(actor, [journey.pk], why=f"{journey.name} now starts {journey.starts_on}")
    audit.record(
        actor, "journey.changed", journey, before=before, after=after,
        summary=f"Changed the journey {journey.name}" + _said(moved),
    )  # fmt: skip
    return journey, moved


# --- Roles ------------------------------------------------------------------------------------


@transaction.atomic
def set_role(actor, team: Team, name: str, holder: User | None) -> JourneyRole:
    """Say who holds a role of a team now: the work of that role moves to them."""
    require(can_edit_journey(actor), EDIT_DENIED)
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise ValidationError({"name": "Name the role (at most 80 characters)."})
    if holder is not None and not (holder.is_active and holder.teams.filter(pk=team.pk).exists()):
        raise ValidationError(
            {"holder": f"{holder} is not an active member of {team.name}; add them to the team "
             "first, or choose one of its members."}
        )  # fmt: skip
    role = JourneyRole.objects.select_for_update().filter(team=team, name__iexact=name).first()
    before = {"holder": role.holder.username if role and role.holder else None}
    if role is None:
        role = JourneyRole(team=team, name=name)
    role.holder = holder
    role.updated_at = timezone.now()
    role.save()
    audit.record(
        actor, "journey.role_set", role, before=before,
        after={"holder": holder.username if holder else None},
        summary=f"{name} of {team.name} is now {holder or 'nobody'}",
    )  # fmt: skip
    if holder is not None:
        notify.notify(
            [holder], kind="journey.role", title=f"You are now {name} of {team.name}",
            body="The journey stages and deliverables of this role are now yours.",
            url="/journeys/mine/", key=f"journey.role:{role.pk}:{holder.pk}:{role.updated_at:%s}",
        )  # fmt: skip
    return role


# --- Stages -----------------------------------------------------------------------------------


def plan_steps(today: date | None = None) -> tuple[set[str], str]:
    """The funnel steps a stage may move: those of the signed plan in force (and its name),
    else every step of the funnel."""
    plan = default_plan(today or timezone.localdate())
    revision = plan.in_force if plan is not None else None
    if revision is None:
        return set(STEPS), ""
    return {s for s in STEPS if s in revision.rates}, plan.name


def _stage_problems(name, team, role, funnel_step, roles: schedule.Roles) -> dict:
    problems = {}
    if not name or len(name) > 80:
        problems["name"] = ["Name the stage (at most 80 characters)."]
    if team is None:
        problems["team"] = ["Choose the team accountable for the stage."]
    elif not role:
        problems["role"] = [f"Choose the role of {team.name} that answers for the stage."]
    elif not roles.exists(team.pk, role):
        problems["role"] = [_no_such_role(team, role)]
    steps, plan_name = plan_steps()
    if funnel_step not in steps:
        where = f"the plan in force ({plan_name})" if plan_name else "the funnel"
        known = ", ".join(STEP_LABELS[s] for s in STEPS if s in steps)
        problems["funnel_step"] = [
            f"{funnel_step!r} is not a step of {where}; choose one of: {known}."
        ]
    return problems


def _no_such_role(team: Team, role: str) -> str:
    known = list(team.journey_roles.values_list("name", flat=True))
    return f"{team.name} has no role {role!r}" + (
        f"; its roles are: {', '.join(known)}." if known else "; give it one under Roles first."
    )


@transaction.atomic
def add_stage(
    actor,
    journey: Journey,
    *,
    name: str,
    team: Team | None,
    role: str,
    funnel_step: str,
    entry_criteria: str = "",
    exit_criteria: str = "",
) -> Stage:
    require(can_edit_journey(actor), EDIT_DENIED)
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    name, role = (name or "").strip(), " ".join((role or "").split())
    problems = _stage_problems(name, team, role, funnel_step, schedule.Roles())
    if problems:
        raise ValidationError(problems)
    order = (journey.stages.aggregate(n=Max("order"))["n"] or 0) + 1
    stage = Stage.objects.create(
        journey=journey, order=order, name=name, team=team, role=role, funnel_step=funnel_step,
        entry_criteria=(entry_criteria or "").strip()[:1000],
        exit_criteria=(exit_criteria or "").strip()[:1000],
    )  # fmt: skip
    _drafting(actor, journey)
    audit.record(
        actor, "journey.stage_added", stage,
        after={"name": name, "team": team.name, "role": role, "funnel_step": funnel_step},
        summary=f"Added the stage {name} to {journey.name} ({team.name}, {role})",
    )  # fmt: skip
    return stage


@transaction.atomic
def edit_stage(actor, stage: Stage, **changes) -> Stage:
    """Change a stage: its name, team, role, criteria, funnel step or place in the order
    (1 is first; the other stages make room)."""
    require(can_edit_journey(actor), EDIT_DENIED)
    allowed = {"name", "team", "role", "funnel_step", "entry_criteria", "exit_criteria", "order"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    stage = Stage.objects.select_for_update(of=("self",)).select_related("team").get(pk=stage.pk)
    journey = Journey.objects.select_for_update().get(pk=stage.journey_id)
    before = {f: str(getattr(stage, f)) for f in sorted(allowed)}
    order = changes.pop("order", None)
    for field, value in changes.items():
        setattr(stage, field, value)
    stage.name = (stage.name or "").strip()
    stage.role = " ".join((stage.role or "").split())
    team = stage.team if stage.team_id else None
    problems = _stage_problems(stage.name, team, stage.role, stage.funnel_step, schedule.Roles())
    if problems:
        raise ValidationError(problems)
    stage.save()
    if order is not None:
        others = [s for s in journey.stages.exclude(pk=stage.pk).order_by("order", "id")]
        place = min(max(int(order), 1), len(others) + 1)
        others.insert(place - 1, stage)
        for number, each in enumerate(others, 1):
            if each.order != number:
                Stage.objects.filter(pk=each.pk).update(order=number)
        stage.order = place
    after = {f: str(getattr(stage, f)) for f in sorted(allowed)}
    if after != before:
        _drafting(actor, journey)
        audit.record(
            actor, "journey.stage_changed", stage, before=before, after=after,
            summary=f"Changed the stage {stage.name} of {journey.name}",
        )  # fmt: skip
    return stage


# --- Deliverables -----------------------------------------------------------------------------

DELIVERABLE_FIELDS = (
    "title", "description", "owner", "owner_role", "anchor", "fixed_on", "anchor_campaign",
    "anchor_deliverable", "anchor_month", "offset_days", "work_days", "asset", "calculator",
    "campaign",
)  # fmt: skip


def _deliverable_fields(d: Deliverable) -> dict:
    return {
        "title": d.title,
        "owner": d.owner.username if d.owner_id else None,
        "owner_role": d.owner_role,
        "anchor": d.anchor,
        "fixed_on": d.fixed_on.isoformat() if d.fixed_on else None,
        "anchor_campaign": d.anchor_campaign_id,
        "anchor_deliverable": d.anchor_deliverable_id,
        "anchor_month": d.anchor_month.isoformat() if d.anchor_month else None,
        "offset_days": d.offset_days,
        "work_days": d.work_days,
        "due_on": d.due_on.isoformat() if d.due_on else None,
    }


def _check_deliverable(
    d: Deliverable, calendars: schedule.Calendars, *, is_new: bool, today: date
) -> None:
    """Fill `d.due_on` from its anchor, or refuse naming each field."""
    problems: dict[str, list[str]] = {}
    stage, journey = d.stage, d.stage.journey
    d.title = (d.title or "").strip()
    if not d.title or len(d.title) > 160:
        problems["title"] = ["Give the deliverable a title (at most 160 characters)."]
    d.owner_role = " ".join((d.owner_role or "").split())
    if d.owner_id is not None and not d.owner.is_active:
        problems["owner"] = [f"{d.owner} is no longer active; choose a person who is."]
    if d.owner_role and not schedule.Roles().exists(stage.team_id, d.owner_role):
        problems["owner_role"] = [_no_such_role(stage.team, d.owner_role)]
    if not 1 <= (d.work_days or 0) <= 120:
        problems["work_days"] = ["The work takes 1 to 120 business days before it is due."]
    if not -250 <= (d.offset_days or 0) <= 250:
        problems["offset_days"] = ["An offset is at most 250 business days either way."]
    needed = {
        Anchor.FIXED: ("fixed_on", "Give the due date."),
        Anchor.CAMPAIGN: ("anchor_campaign", "Choose the campaign whose launch it hangs on."),
        Anchor.DELIVERABLE: ("anchor_deliverable", "Choose the deliverable it follows."),
        Anchor.PLAN_MONTH: ("anchor_month", "Choose the plan month it hangs on."),
    }
    if d.anchor not in Anchor.values:
        problems["anchor"] = [f"{d.anchor!r} is not an anchor Accord knows."]
    elif d.anchor in needed and getattr(d, needed[d.anchor][0]) is None:
        field, message = needed[d.anchor]
        problems[field] = [message]
    if d.anchor == Anchor.PLAN_MONTH and d.anchor_month is not None:
        d.anchor_month = d.anchor_month.replace(day=1)
    for field in ("fixed_on", "anchor_campaign", "anchor_deliverable", "anchor_month"):
        if needed.get(d.anchor, ("",))[0] != field:
            setattr(d, field, None)
    if d.anchor == Anchor.FIXED:
        d.offset_days = 0
    other = d.anchor_deliverable if d.anchor == Anchor.DELIVERABLE else None
    if other is not None:
        if other.stage.journey_id != journey.pk:
            problems["anchor_deliverable"] = ["Choose a deliverable of the same journey."]
        elif d.pk is not None:
            anchors = dict(
                Deliverable.objects.filter(stage__journey=journey).values_list(
                    "pk", "anchor_deliverable"
                )
            )
            anchors[d.pk] = other.pk
            cycle = clock.anchor_cycle(d.pk, anchors)
            if cycle:
                titles = dict(Deliverable.objects.filter(pk__in=cycle).values_list("pk", "title"))
                chain = " → ".join(titles[pk] for pk in [*cycle, cycle[0]])
                problems["anchor_deliverable"] = [
                    f"The anchors would go round in a circle: {chain}."
                ]
    if problems:
        raise ValidationError(problems)
    d.due_on = schedule.due_date(d, calendars)
    field = "fixed_on" if d.anchor == Anchor.FIXED else "offset_days"
    if d.due_on < journey.starts_on:
        raise ValidationError(
            {field: f"It would be due {d.due_on:%a %d %b %Y}, before the journey starts on "
             f"{journey.starts_on:%a %d %b %Y}."}
        )  # fmt: skip
    if is_new and d.due_on < today:
        raise ValidationError(
            {field: f"It would be due {d.due_on:%a %d %b %Y}, which has passed; a new "
             "deliverable is due today or later."}
        )  # fmt: skip


@transaction.atomic
def add_deliverable(actor, stage: Stage, *, today: date | None = None, **values) -> Deliverable:
    require(can_edit_journey(actor), EDIT_DENIED)
    unknown = set(values) - set(DELIVERABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    stage = Stage.objects.select_related("journey", "team").get(pk=stage.pk)
    Journey.objects.select_for_update().get(pk=stage.journey_id)
    deliverable = Deliverable(
        stage=stage, created_by=actor, created_at=timezone.now(),
        **{"description": "", "owner_role": "", **values},
    )  # fmt: skip
    deliverable.description = (deliverable.description or "").strip()[:2000]
    _check_deliverable(
        deliverable, schedule.Calendars(), is_new=True, today=today or timezone.localdate()
    )
    deliverable.save()
    _drafting(actor, stage.journey)
    audit.record(
        actor, "journey.deliverable_added", deliverable, after=_deliverable_fields(deliverable),
        summary=f"Added {deliverable.title} to {stage.name}, due {deliverable.due_on}",
    )  # fmt: skip
    return deliverable


@transaction.atomic
def edit_deliverable(actor, deliverable: Deliverable, **changes) -> tuple[Deliverable, list[Moved]]:
    """Change a deliverable (its owner, its anchor, its offset...): its due date and those of
    the open deliverables that follow it move with it."""
    require(can_edit_journey(actor), EDIT_DENIED)
    unknown = set(changes) - set(DELIVERABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    deliverable = (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("stage__journey", "stage__team")
        .get(pk=deliverable.pk)
    )
    before = _deliverable_fields(deliverable)
    for field, value in changes.items():
        setattr(deliverable, field, value)
    calendars = schedule.Calendars()
    _check_deliverable(deliverable, calendars, is_new=False, today=timezone.localdate())
    deliverable.save()
    journey = deliverable.stage.journey
    _drafting(actor, journey)
    moved = _reanchor(actor, [journey.pk], why=f"{deliverable.title} moved", calendars=calendars)
    audit.record(
        actor, "journey.deliverable_changed", deliverable, before=before,
        after=_deliverable_fields(deliverable),
        summary=f"Changed {deliverable.title}, now due {deliverable.due_on}" + _said(moved),
    )  # fmt: skip
    return deliverable, moved


def _held_by(deliverables: list[Deliverable]) -> dict[str, list[str]]:
    """Why these deliverables cannot go: the others whose due date hangs on them, and the plan
    goals they measure, named. Empty when nothing holds them."""
    ids = [d.pk for d in deliverables]
    hanging = (
        Deliverable.objects.filter(anchor_deliverable__in=ids)
        .exclude(pk__in=ids)
        .select_related("anchor_deliverable")
        .order_by("title")
    )
    problems = []
    for d in hanging:
        problems.append(
            f"{d.title} hangs on {d.anchor_deliverable.title}: give it another anchor first."
        )
    for m in GoalMeasure.objects.filter(deliverable__in=ids).select_related("plan", "deliverable"):
        problems.append(
            f"The {m.stage} goal of {m.plan.name} is measured by {m.deliverable.title}: "
            "measure it another way first."
        )
    return {"deliverable": problems} if problems else {}


@transaction.atomic
def delete_deliverable(actor, deliverable: Deliverable) -> None:
    """Take a deliverable off the map. Refused, naming them, while other deliverables hang on
    it or a plan goal is measured by it. A signed map keeps it until a new version is signed:
    the change goes into a new draft."""
    require(can_edit_journey(actor), EDIT_DENIED)
    deliverable = (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("stage__journey")
        .get(pk=deliverable.pk)
    )
    journey = Journey.objects.select_for_update().get(pk=deliverable.stage.journey_id)
    problems = _held_by([deliverable])
    if problems:
        raise ValidationError(problems)
    before = _deliverable_fields(deliverable)
    title, stage = deliverable.title, deliverable.stage
    audit.record(
        actor, "journey.deliverable_deleted", deliverable, before=before,
        summary=f"Deleted {title} from {stage.name} of {journey.name}",
    )  # fmt: skip
    deliverable.delete()
    _drafting(actor, journey)


@transaction.atomic
def delete_stage(actor, stage: Stage) -> None:
    """Take a stage and its deliverables off the map; the stages after it move up. Refused,
    naming them, while a deliverable of another stage hangs on one of its deliverables or a
    plan goal is measured by one."""
    require(can_edit_journey(actor), EDIT_DENIED)
    stage = Stage.objects.select_for_update(of=("self",)).select_related("team").get(pk=stage.pk)
    journey = Journey.objects.select_for_update().get(pk=stage.journey_id)
    own = list(stage.deliverables.all())
    problems = _held_by(own)
    if problems:
        raise ValidationError({"stage": problems["deliverable"]})
    audit.record(
        actor, "journey.stage_deleted", stage,
        before={"name": stage.name, "team": stage.team.name, "role": stage.role,
                "deliverables": [d.title for d in own]},
        summary=f"Deleted the stage {stage.name} of {journey.name}"
        + (f" and its {len(own)} deliverables" if own else ""),
    )  # fmt: skip
    # Inside the stage, a deliverable may hang on another: clear those links before deleting.
    Deliverable.objects.filter(stage=stage).update(anchor_deliverable=None)
    Deliverable.objects.filter(stage=stage).delete()
    stage.delete()
    for number, each in enumerate(journey.stages.order_by("order", "id"), 1):
        if each.order != number:
            Stage.objects.filter(pk=each.pk).update(order=number)
    _drafting(actor, journey)


@transaction.atomic
def move_campaign_launch(actor, campaign: Campaign, starts_on: date) -> list[Moved]:
    """Move a campaign's launch; the open deliverables anchored on it (and theirs) follow."""
    require(can_edit_journey(actor), EDIT_DENIED)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not isinstance(starts_on, date):
        raise ValidationError({"starts_on": "Give the launch day as YYYY-MM-DD."})
    if campaign.ends_on and starts_on > campaign.ends_on:
        raise ValidationError(
            {"starts_on": f"The campaign ends on {campaign.ends_on}; launch it before."}
        )
    was = campaign.starts_on
    campaign.starts_on = starts_on
    campaign.save(update_fields=["starts_on"])
    journeys = list(
        Deliverable.objects.filter(anchor_campaign=campaign)
        .values_list("stage__journey", flat=True)
        .distinct()
    )
    moved = _reanchor(actor, journeys, why=f"{campaign.name} now launches {starts_on}")
    audit.record(
        actor, "journey.campaign_moved", campaign, before={"starts_on": was.isoformat()},
        after={"starts_on": starts_on.isoformat()},
        summary=f"Moved the launch of {campaign.name} to {starts_on}" + _said(moved),
    )  # fmt: skip
    return moved


def _reanchor(
    actor, journey_ids, *, why: str, calendars: schedule.Calendars | None = None
) -> list[Moved]:
    """Work out again the due date of every open deliverable of these journeys; save and
    report those that moved, and tell their owners. Done ones keep the date they had."""
    calendars = calendars or schedule.Calendars()
    roles = schedule.Roles()
    moved = []
    open_ones = (
        Deliverable.objects.select_for_update(of=("self",))
        .filter(stage__journey__in=journey_ids, completed_at__isnull=True)
        .select_related("stage__journey", "anchor_campaign", "anchor_deliverable", "owner")
        .order_by("pk")
    )
    for deliverable in open_ones:
        due = schedule.due_date(deliverable, calendars)
        if due != deliverable.due_on:
            moved.append(Moved(deliverable, deliverable.due_on, due))
            deliverable.due_on = due
            deliverable.save(update_fields=["due_on"])
    for item in moved:
        d = item.deliverable
        owner = schedule.owner_of(d, roles)
        if owner is None or owner.pk == getattr(actor, "pk", None):
            continue
        notify.notify(
            [owner], kind="journey.moved", title=f"{d.title} is now due {item.now:%a %d %b}",
            body=f"It was due {item.was:%a %d %b}; {why}.", url=d.get_absolute_url(),
            key=f"journey.moved:{d.pk}:{item.now.isoformat()}",
        )  # fmt: skip
    return moved


def _said(moved: list[Moved]) -> str:
    if not moved:
        return ""
    return f"; moved {len(moved)}: " + "; ".join(str(m) for m in moved)


# --- Completing -------------------------------------------------------------------------------

COMPLETE_DENIED = (
    "Only the deliverable's owner, their manager, a leader of the accountable team or an "
    "admin can mark it done."
)


def complete_blocker(actor, deliverable: Deliverable, roles: schedule.Roles | None = None):
    owner = schedule.owner_of(deliverable, roles or schedule.Roles())
    if not can_complete_deliverable(actor, owner, deliverable.stage.team_id):
        return COMPLETE_DENIED
    if deliverable.completed_at is not None:
        return f"{deliverable.title} was marked done already."
    return None


@transaction.atomic
def complete(
    actor, deliverable: Deliverable, now: datetime | None = None
) -> tuple[Deliverable, list[Moved]]:
    """Mark a deliverable done; the open ones that follow its completion move with it."""
    deliverable = (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("stage__journey", "stage__team", "owner")
        .get(pk=deliverable.pk)
    )
    owner = schedule.owner_of(deliverable, schedule.Roles())
    require(can_complete_deliverable(actor, owner, deliverable.stage.team_id), COMPLETE_DENIED)
    if deliverable.completed_at is not None:
        raise ValidationError(f"{deliverable.title} was marked done already.")
    deliverable.completed_at = now or timezone.now()
    deliverable.completed_by = actor
    deliverable.save(update_fields=["completed_at", "completed_by"])
    journey = deliverable.stage.journey
    moved = _reanchor(actor, [journey.pk], why=f"{deliverable.title} was done")
    audit.record(
        actor, "journey.deliverable_done", deliverable,
        after={"completed_at": deliverable.completed_at, "due_on": deliverable.due_on},
        summary=f"Marked {deliverable.title} done (due {deliverable.due_on})" + _said(moved),
    )  # fmt: skip
    if owner is not None and owner.pk != actor.pk:
        notify.notify(
            [owner], kind="journey.done",
            title=f"{actor.display_name} marked {deliverable.title} done",
            url=deliverable.get_absolute_url(), key=f"journey.done:{deliverable.pk}",
        )  # fmt: skip
    return deliverable, moved


# --- Sign-off ---------------------------------------------------------------------------------


def snapshot(journey: Journey) -> dict:
    """The map as plain data: what a revision keeps of what was proposed and signed."""
    stages = journey.stages.select_related("team").prefetch_related("deliverables__owner")
    return {
        **_journey_fields(journey),
        "stages": [
            {
                "name": s.name, "team": s.team.name, "role": s.role, "funnel_step": s.funnel_step,
                "entry_criteria": s.entry_criteria, "exit_criteria": s.exit_criteria,
                "deliverables": [_deliverable_fields(d) for d in s.deliverables.all()],
            }
            for s in stages
        ],
    }  # fmt: skip


@transaction.atomic
def propose(actor, journey: Journey) -> JourneyRevision:
    require(can_edit_journey(actor), EDIT_DENIED)
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    revision = JourneyRevision.objects.select_for_update().filter(journey=journey).first()
    if revision.status != Status.DRAFT:
        raise ValidationError(
            f"v{revision.number} is {revision.get_status_display().lower()}; only a draft can "
            "be proposed (change the map to start a new draft)."
        )
    if not journey.stages.exists():
        raise ValidationError("A journey needs at least one stage before it is proposed.")
    revision.snapshot = snapshot(journey)
    revision.status = Status.PROPOSED
    revision.proposed_by = actor
    revision.proposed_at = timezone.now()
    revision.save(update_fields=["snapshot", "status", "proposed_by", "proposed_at"])
    name = f"{journey.name} v{revision.number}"
    audit.record(
        actor, "journey.proposed", revision, after=revision.snapshot,
        summary=f"Proposed {name} for sign-off by marketing and sales",
    )  # fmt: skip
    signoff.ask_to_sign(
        revision.approvals, proposer=actor, title=f"Please sign the journey {name}",
        body=f"{actor.display_name} proposed {name}: {journey.stages.count()} stages. Both "
        "teams are held to it once a marketing leader and a sales leader have signed it.",
        url=revision.get_absolute_url(),
        key=f"journey:{revision.pk}:asked:{revision.proposed_at.isoformat()}",
    )  # fmt: skip
    return revision


def _not_proposed(revision: JourneyRevision, doing: str) -> str:
    if revision.status != Status.PROPOSED:
        return (
            f"v{revision.number} is {revision.get_status_display().lower()}; only a proposed "
            f"journey can be {doing}."
        )
    return ""


def approval_blocker(actor, revision: JourneyRevision) -> Exception | None:
    return signoff.blocker(
        actor, revision.approvals, kind="a customer journey", this="this journey",
        name=f"v{revision.number}", not_ready=_not_proposed(revision, "signed"),
        proposed_by_id=revision.proposed_by_id,
    )  # fmt: skip


def decline_blocker(actor, revision: JourneyRevision, comment: str | None = None):
    return signoff.decline_blocker(
        actor, kind="a customer journey", not_ready=_not_proposed(revision, "declined"),
        comment=comment,
    )  # fmt: skip


@transaction.atomic
def approve(actor, revision: JourneyRevision) -> JourneyRevision:
    """Sign the map for one side; the second side's signature puts it in force and
    supersedes the revision signed before it."""
    revision = (
        JourneyRevision.objects.select_for_update().select_related("journey").get(pk=revision.pk)
    )
    if (blocker := approval_blocker(actor, revision)) is not None:
        raise blocker
    side, complete_, now = signoff.sign(actor, revision.approvals)
    name = f"{revision.journey.name} v{revision.number}"
    if complete_:
        revision.journey.revisions.filter(status=Status.SIGNED).update(status=Status.SUPERSEDED)
        revision.status = Status.SIGNED
        revision.signed_at = now
        revision.save(update_fields=["status", "signed_at"])
    audit.record(
        actor, "journey.approved", revision, after={"side": side, "signed": complete_},
        summary=f"Signed {name} for {side}"
        + ("; both teams are now held to it" if complete_ else "; waiting for the other side"),
    )  # fmt: skip
    signoff.tell_approval(
        revision.proposed_by, actor, side, complete_, name=f"Journey {name}", signed="is signed",
        after="both teams are now held to its stages, owners and dates.",
        url=revision.get_absolute_url(),
        key=f"journey:{revision.pk}:approved:{actor.pk}:{revision.proposed_at.isoformat()}",
    )  # fmt: skip
    return revision


@transaction.atomic
def decline(actor, revision: JourneyRevision, comment: str) -> JourneyRevision:
    revision = (
        JourneyRevision.objects.select_for_update().select_related("journey").get(pk=revision.pk)
    )
    if (blocker := decline_blocker(actor, revision, comment)) is not None:
        raise blocker
    name = f"{revision.journey.name} v{revision.number}"
    signoff.record_decline(
        revision, actor, comment, status=Status.DECLINED, action="journey.declined",
        summary=f"Declined {name}", proposer=revision.proposed_by,
        title=f"{actor.display_name} declined {name}", url=revision.get_absolute_url(),
        key=f"journey:{revision.pk}:declined",
    )  # fmt: skip
    return revision


# --- Copies and the calendar feed -------------------------------------------------------------


@transaction.atomic
def copy_journey(
    actor, journey: Journey, *, name: str, starts_on: date, segment: str = ""
) -> Journey:
    """A draft copy of the journey for a new period or segment: the same stages, roles and
    deliverables, its dates re-anchored on the new start. Fixed dates and plan months move
    by as much as the start did; a campaign that launched before the new start is replaced
    by the journey's start, keeping the deliverable as many business days after it."""
    require(can_edit_journey(actor), EDIT_DENIED)
    shift_days = (starts_on - journey.starts_on) if isinstance(starts_on, date) else None
    copy = create_journey(
        actor, name=name, segment=segment or journey.segment, starts_on=starts_on,
        ends_on=journey.ends_on + shift_days if shift_days is not None else None,
        at_risk_share=journey.at_risk_share, stuck_after_days=journey.stuck_after_days,
        based_on=journey,
    )  # fmt: skip
    calendars, now = schedule.Calendars(), timezone.now()
    months = (
        (starts_on.year - journey.starts_on.year) * 12 + starts_on.month - journey.starts_on.month
    )
    copies: dict[int, Deliverable] = {}
    for stage in journey.stages.select_related("team"):
        new_stage = Stage.objects.create(
            journey=copy, order=stage.order, name=stage.name, team=stage.team, role=stage.role,
            entry_criteria=stage.entry_criteria, exit_criteria=stage.exit_criteria,
            funnel_step=stage.funnel_step,
        )  # fmt: skip
        for d in Deliverable.objects.filter(stage=stage).order_by("pk"):
            copies[d.pk] = _copy_deliverable(d, new_stage, shift_days, months, starts_on, now)
    for old_pk, new in copies.items():
        old = Deliverable.objects.get(pk=old_pk)
        if old.anchor == Anchor.DELIVERABLE:
            new.anchor_deliverable = copies[old.anchor_deliverable_id]
    pending = list(copies.values())
    while pending:  # save each once the one it hangs on is saved
        for new in list(pending):
            if new.anchor == Anchor.DELIVERABLE and new.anchor_deliverable.pk is None:
                continue
            if new.anchor == Anchor.DELIVERABLE:
                new.anchor_deliverable_id = new.anchor_deliverable.pk
            _check_deliverable(new, calendars, is_new=False, today=timezone.localdate())
            new.save()
            pending.remove(new)
    audit.record(
        actor, "journey.copied", copy, before={"journey": journey.pk},
        summary=f"Copied {journey.name} as {copy.name} from {starts_on}",
    )  # fmt: skip
    return copy


def _copy_deliverable(d, stage, shift_days, months, starts_on, now) -> Deliverable:
    new = Deliverable(
        stage=stage, title=d.title, description=d.description, owner=d.owner,
        owner_role=d.owner_role, anchor=d.anchor, offset_days=d.offset_days,
        work_days=d.work_days, asset=d.asset, calculator=d.calculator, campaign=d.campaign,
        anchor_campaign=d.anchor_campaign, created_by=None, created_at=now,
    )  # fmt: skip
    if d.anchor == Anchor.FIXED:
        new.fixed_on = d.fixed_on + shift_days
    elif d.anchor == Anchor.PLAN_MONTH:
        new.anchor_month = add_months(d.anchor_month, months)
    elif d.anchor == Anchor.CAMPAIGN and d.anchor_campaign.starts_on < starts_on:
        calendar = schedule.Calendars().of(d.stage.team_id)
        new.anchor, new.anchor_campaign = Anchor.JOURNEY_START, None
        new.offset_days = max(
            0, clock.working_days_between(calendar, d.stage.journey.starts_on, d.due_on)
        )
    return new


@transaction.atomic
def issue_feed(actor) -> str:
    """A new secret address for the person's deliverables feed; the previous one stops
    working. The token is returned once; only its SHA-256 is kept."""
    require(can_change_anything(actor), "Viewers have no deliverables to follow.")
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    CalendarFeed.objects.update_or_create(
        user=actor, defaults={"digest": digest, "created_at": timezone.now()}
    )
    audit.record(actor, "journey.feed_issued", actor, summary="New deliverables calendar address")
    return token


# --- SMART goals ------------------------------------------------------------------------------

GOAL_DENIED = "Only admins, leaders and managers can say how a plan's goals are measured."


@transaction.atomic
def set_goal_measure(
    actor, goal: PlanGoal, kind: str, deliverable: Deliverable | None = None
) -> GoalMeasure | None:
    """Say how a plan goal is measured: by its stage's number ("funnel") or by a deliverable
    of a journey that runs in the plan's year ("deliverable"); "" takes the measure away.
    A goal is measured only once it has an owner and a due date (it would not be SMART)."""
    require(can_edit_plan(actor), GOAL_DENIED)
    goal = PlanGoal.objects.select_related("revision__plan", "owner").get(pk=goal.pk)
    plan = goal.revision.plan
    problems: dict[str, list[str]] = {}
    if kind not in ("", *GoalMeasure.Kind.values):
        problems["kind"] = [f"{kind!r} is not a measure; choose funnel, deliverable or none."]
    if kind and goal.owner_id is None:
        problems["owner"] = [
            f"The {goal.stage} goal has no owner: give it one on the plan before measuring it."
        ]
    if kind and goal.due_on is None:
        problems["due_on"] = [
            f"The {goal.stage} goal has no due date: give it one on the plan before measuring it."
        ]
    if kind == GoalMeasure.Kind.DELIVERABLE:
        if deliverable is None:
            problems["deliverable"] = ["Choose the deliverable that measures the goal."]
        else:
            deliverable = Deliverable.objects.select_related("stage__journey").get(
                pk=deliverable.pk
            )
            journey = deliverable.stage.journey
            first, last = plan.months[0], plan.months[-1]
            if journey.ends_on < first or journey.starts_on >= add_months(last, 1):
                problems["deliverable"] = [
                    f"{deliverable.title} belongs to {journey.name} ({journey.starts_on} to "
                    f"{journey.ends_on}), outside {plan.name} ({first:%b %Y} to {last:%b %Y}); "
                    "choose a deliverable of a journey in the plan's year."
                ]
            elif not plan.start <= deliverable.due_on < add_months(last, 1):
                problems["deliverable"] = [
                    f"{deliverable.title} is due {deliverable.due_on}, outside {plan.name} "
                    f"({first:%b %Y} to {last:%b %Y}); choose one due in the plan's year."
                ]
    elif deliverable is not None and kind != GoalMeasure.Kind.DELIVERABLE:
        problems["deliverable"] = ["Only a deliverable measure names a deliverable."]
    if problems:
        raise ValidationError(problems)
    found = GoalMeasure.objects.select_for_update().filter(plan=plan, stage=goal.stage).first()
    before = {"kind": found.kind, "deliverable": found.deliverable_id} if found else None
    name = f"the {goal.stage} goal of {plan.name}"
    if not kind:
        if found is not None:
            found.delete()
            audit.record(
                actor, "journey.goal_unmeasured", goal, before=before,
                summary=f"Took the measure off {name}",
            )  # fmt: skip
        return None
    measure = found or GoalMeasure(plan=plan, stage=goal.stage)
    measure.kind, measure.deliverable = kind, deliverable
    measure.set_by, measure.set_at = actor, timezone.now()
    measure.save()
    what = f"{deliverable.title} done" if deliverable else "the stage's number"
    audit.record(
        actor, "journey.goal_measured", goal, before=before,
        after={"kind": kind, "deliverable": deliverable.pk if deliverable else None},
        summary=f"Measured {name} by {what} by {goal.due_on}",
    )  # fmt: skip
    return measure
