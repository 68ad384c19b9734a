"""Verbs that change revenue plans. Each runs in one transaction and is audited."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.analytics.funnel import STAGES, STEPS, FunnelError, validate
from accord.analytics.months import add_months
from accord.core import events
from accord.people import audit, signoff
from accord.people.permissions import can_edit_plan, require
from accord.plan.models import Plan, PlanApproval, PlanGoal, PlanRevision

MAX_COVERAGE = Decimal(20)

EDIT_DENIED = "Only admins, leaders and managers can create or change a revenue plan."


@dataclass
class PlanValues:
    """Everything a planner types in for one revision (already parsed by the form)."""

    target: Decimal
    asp: Decimal
    rates: dict[str, Decimal]
    lags: dict[str, int]
    basis: dict[str, str]
    shares: dict[str, Decimal]
    seasonality: list[Decimal]
    observed_months: int = 12
    observed: dict | None = None
    goals: dict[str, tuple] | None = None  # stage -> (owner or None, due date or None)
    growth: Decimal = Decimal(0)  # next year's months: this year's x (1 + growth)
    coverage: Decimal = Decimal(3)  # next quarter's pipeline: x what it needs to close


def _apply(revision: PlanRevision, values: PlanValues) -> None:
    revision.target = values.target
    revision.asp = values.asp
    revision.rates = {s: str(values.rates[s]) for s in STEPS}
    revision.lags = {s: int(values.lags.get(s, 0)) for s in STEPS}
    revision.basis = {s: values.basis.get(s, PlanRevision.Basis.ASSUMED) for s in STEPS}
    revision.shares = {k: str(v) for k, v in values.shares.items()}
    revision.seasonality = [str(w) for w in values.seasonality]
    revision.observed_months = values.observed_months
    revision.growth = values.growth
    revision.coverage = values.coverage
    if values.observed is not None:
        revision.observed = values.observed


def _check(revision: PlanRevision) -> None:
    try:
        validate(revision.funnel_inputs())
    except FunnelError as error:
        raise ValidationError({error.field: error.message}) from None
    if revision.coverage is None or not 0 < revision.coverage <= MAX_COVERAGE:
        raise ValidationError(
            {"coverage": f"Pipeline coverage must be above 0 and at most {MAX_COVERAGE}×."}
        )


def _refuse_overlap(plan: Plan) -> None:
    """Plans follow each other: one may share another's year exactly (an alternative), but
    not start inside it, or the months after it would be planned twice."""
    end = add_months(plan.start, 12)
    for other in Plan.objects.exclude(pk=plan.pk):
        other_end = add_months(other.start, 12)
        if other.start != plan.start and other.start < end and plan.start < other_end:
            raise ValidationError(
                {
                    "first_month": (
                        f"{other.name} covers {other.start:%B %Y} to "
                        f"{add_months(other_end, -1):%B %Y}, which this plan's year "
                        f"({plan.start:%B %Y} to {add_months(end, -1):%B %Y}) overlaps. "
                        "Start it when that plan ends, or at the same month."
                    )
                }
            )


def goal_field(stage: str) -> str:
    """How a refusal names a goal's due date (the API's field; the form maps it)."""
    return f"goals.{stage}.due_on"


def _check_due(plan: Plan, stage: str, due_on) -> None:
    """A goal's date lies within the plan's year, give or take a year: 1999-01-01 on a 2027
    plan is a typo, not a goal."""
    earliest, end = add_months(plan.start, -12), add_months(plan.start, 24)
    if due_on is not None and not earliest <= due_on < end:
        raise ValidationError(
            {
                goal_field(stage): (
                    f"{due_on:%b %-d, %Y} is outside the plan's year ({plan.start:%b %Y} to "
                    f"{add_months(plan.start, 11):%b %Y}) by more than a year; give a date "
                    f"from {earliest:%b %-d, %Y} to {end - timedelta(days=1):%b %-d, %Y}."
                )
            }
        )


def _save_goals(revision: PlanRevision, goals: dict[str, tuple] | None) -> None:
    if goals is None:
        return
    for stage, (owner, due_on) in goals.items():
        if stage not in STAGES:
            raise ValidationError({"goals": f"Unknown stage {stage!r}."})
        _check_due(revision.plan, stage, due_on)
        if owner is None and due_on is None:
            revision.goals.filter(stage=stage).delete()
            continue
        PlanGoal.objects.update_or_create(
            revision=revision, stage=stage, defaults={"owner": owner, "due_on": due_on}
        )


@transaction.atomic
def create_plan(actor, *, name: str, fiscal_year: int, first_month: int, values: PlanValues):
    require(can_edit_plan(actor), EDIT_DENIED)
    now = timezone.now()
    plan = Plan.objects.create(
        name=name,
        fiscal_year=fiscal_year,
        first_month=first_month,
        created_by=actor,
        created_at=now,
    )
    _refuse_overlap(plan)
    revision = PlanRevision(plan=plan, number=1, created_by=actor, created_at=now)
    _apply(revision, values)
    _check(revision)
    revision.save()
    _save_goals(revision, values.goals)
    audit.record(
        actor,
        "plan.created",
        revision,
        after={"name": name, "starts": f"{plan.start:%Y-%m}", **revision.snapshot()},
        summary=f"Created the plan {name!r} for the year from {plan.start:%B %Y}",
    )
    _ask_to_sign(actor, revision)
    return plan


def _ask_to_sign(actor, revision: PlanRevision) -> None:
    plan = revision.plan
    signoff.ask_to_sign(
        revision.approvals,
        proposer=actor,
        title=f"Please sign {plan.name}: revision {revision.number}",
        body=f"{actor.display_name} drafted revision {revision.number} of {plan.name} "
        f"(target {revision.target:,.0f}). It holds once a marketing leader and a sales "
        "leader have approved it.",
        url=plan.get_absolute_url(),
        key=f"plan:{revision.pk}:asked",
    )


@transaction.atomic
def change_plan(actor, plan: Plan, values: PlanValues, *, note: str = "") -> PlanRevision:
    """Change the plan's numbers.

    A draft nobody has approved yet is changed in place. Once anybody has approved the
    current revision, the change becomes a new draft revision that needs both approvals
    again; the approved one stays in force (and visible) until the new one is approved.
    """
    require(can_edit_plan(actor), EDIT_DENIED)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    current = plan.current
    before = current.snapshot()
    if current.status == PlanRevision.Status.DRAFT and not current.approvals.exists():
        revision = current
        action = "plan.changed"
    else:
        if current.status == PlanRevision.Status.DRAFT:
            # Partly approved: the one approval was for numbers that no longer hold.
            current.status = PlanRevision.Status.SUPERSEDED
            current.save(update_fields=["status"])
        revision = PlanRevision(
            plan=plan,
            number=current.number + 1,
            created_by=actor,
            created_at=timezone.now(),
            observed=current.observed,
        )
        action = "plan.revised"
    _apply(revision, values)
    revision.note = note[:300]
    _check(revision)
    revision.save()
    if action == "plan.revised":
        for goal in current.goals.all():
            PlanGoal.objects.create(
                revision=revision, stage=goal.stage, owner=goal.owner, due_on=goal.due_on
            )
    _save_goals(revision, values.goals)
    after = revision.snapshot()
    if action == "plan.changed" and after == before:
        return revision  # nothing changed: nothing to audit
    audit.record(
        actor,
        action,
        revision,
        before=before,
        after=after,
        summary=(
            f"Changed draft revision {revision.number}"
            if action == "plan.changed"
            else f"Started revision {revision.number} (revision {current.number} was "
            f"{current.get_status_display().lower()})"
        )
        + (f": {note}" if note else ""),
    )
    if action == "plan.revised":
        _ask_to_sign(actor, revision)
    return revision


def approval_blocker(actor, revision: PlanRevision) -> Exception | None:
    """Why `actor` may not approve `revision` now (the error `approve` raises), or None."""
    return signoff.blocker(
        actor,
        revision.approvals,
        kind="a plan",
        this="this revision",
        name="this revision",
        not_ready=_not_open(revision),
    )


@transaction.atomic
def approve(actor, revision: PlanRevision) -> PlanRevision:
    """Sign a draft revision for marketing or sales; with both signatures it is in force."""
    revision = PlanRevision.objects.select_for_update().select_related("plan").get(pk=revision.pk)
    if (blocker := approval_blocker(actor, revision)) is not None:
        raise blocker
    side, complete, now = signoff.sign(actor, revision.approvals)
    if complete:
        revision.status = PlanRevision.Status.APPROVED
        revision.approved_at = now
        revision.save(update_fields=["status", "approved_at"])
        revision.plan.revisions.filter(status=PlanRevision.Status.APPROVED).exclude(
            pk=revision.pk
        ).update(status=PlanRevision.Status.SUPERSEDED)
        plan = revision.plan
        payload = {
            "plan_id": plan.pk,
            "revision": revision.number,
            "name": plan.name,
            "starts": f"{plan.start:%Y-%m}",
            "target": str(revision.target),
            "approved_at": now,
        }
        events.record(events.Kind.PLAN_SIGNED, payload, at=now)
    audit.record(
        actor,
        "plan.approved",
        revision,
        after={"side": side, "approved": complete},
        summary=f"Approved revision {revision.number} for {side}"
        + ("; the plan is now in force" if complete else "; waiting for the other side"),
    )
    plan = revision.plan
    signoff.tell_approval(
        revision.created_by,
        actor,
        side,
        complete,
        name=f"{plan.name} revision {revision.number}",
        signed="is in force",
        after="both teams have signed: the plan is now in force.",
        url=plan.get_absolute_url(),
        key=f"plan:{revision.pk}:approved:{actor.pk}",
    )
    return revision


def _not_open(revision: PlanRevision) -> str:
    if revision.status != PlanRevision.Status.DRAFT:
        return (
            f"Revision {revision.number} is {revision.get_status_display().lower()}; "
            "only the current draft can be approved or declined."
        )
    if revision.plan.current.pk != revision.pk:
        return f"Revision {revision.number} is not the plan's latest revision."
    return ""


def decline_blocker(actor, revision: PlanRevision, comment: str | None = None) -> Exception | None:
    """Why `actor` may not decline `revision` (with `comment`, when given) now, or None."""
    return signoff.decline_blocker(
        actor, kind="a plan", not_ready=_not_open(revision), comment=comment
    )


@transaction.atomic
def decline(actor, revision: PlanRevision, comment: str) -> PlanRevision:
    """Decline a draft revision, saying why. It stays in the history as declined, the
    revision in force (if any) stays in force, and a change starts a new draft."""
    revision = PlanRevision.objects.select_for_update().select_related("plan").get(pk=revision.pk)
    if (blocker := decline_blocker(actor, revision, comment)) is not None:
        raise blocker
    signoff.record_decline(
        revision, actor, comment,
        status=PlanRevision.Status.DECLINED,
        action="plan.declined",
        summary=f"Declined revision {revision.number}",
        proposer=revision.created_by,
        title=f"{actor.display_name} declined {revision.plan.name}, revision {revision.number}",
        url=revision.plan.get_absolute_url(),
        key=f"plan:{revision.pk}:declined",
    )  # fmt: skip
    return revision


@transaction.atomic
def delete_plan(actor, plan: Plan) -> None:
    """Delete a plan nobody has signed yet; a signed plan is history and stays."""
    require(can_edit_plan(actor), EDIT_DENIED)
    if PlanApproval.objects.filter(revision__plan=plan).exists():
        raise ValidationError("This plan has approvals; it is kept. Change it instead.")
    current = plan.current
    audit.record(
        actor,
        "plan.deleted",
        current,
        before={"name": plan.name, **current.snapshot()},
        summary=f"Deleted the draft plan {plan.name!r}",
    )
    plan.delete()
