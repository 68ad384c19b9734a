"""Verbs that change lead definitions. Each runs in one transaction and is audited.

The lifecycle is draft -> proposed -> approved -> active (-> retired when another goes
live; a proposed or approved version still waiting then is withdrawn, with a note for its
proposer). Only a draft can be edited; editing anything else starts a new draft version based
on it. A proposal needs one marketing leader and one sales leader, and the person who
proposed it cannot be one of them. Activation rescores every lead.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.analytics.scoring import DefinitionError
from accord.core import events
from accord.people import audit, notify, signoff
from accord.people.permissions import can_edit_definition, require
from accord.qualify import scoring
from accord.qualify.models import LeadDefinition, ScoringRun

EDIT_DENIED = "Only admins, leaders and managers can draft or change a lead definition."
Status = LeadDefinition.Status


def _validate(definition: LeadDefinition) -> None:
    try:
        scoring.parse(definition)
    except DefinitionError as error:
        raise ValidationError(
            [f"{where}: {message}" for where, message in error.problems]
        ) from None


def _fill(definition: LeadDefinition, content: dict) -> None:
    definition.name = (content.get("name") or definition.name or "").strip()[:120]
    if not definition.name:
        raise ValidationError("Give the definition a name.")
    definition.rules = content["rules"]
    definition.grade_thresholds = content["grade_thresholds"]
    definition.mql_grades = sorted(content["mql_grades"])
    definition.mql_min_score = content["mql_min_score"]
    definition.note = (content.get("note") or "")[:300]


def _next_version() -> int:
    return (LeadDefinition.objects.aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def create_definition(actor, content: dict, *, based_on: LeadDefinition | None = None):
    require(can_edit_definition(actor), EDIT_DENIED)
    definition = LeadDefinition(
        version=_next_version(), based_on=based_on, created_by=actor, created_at=timezone.now()
    )
    _fill(definition, content)
    _validate(definition)
    definition.save()
    audit.record(
        actor,
        "definition.created",
        definition,
        after=definition.snapshot(),
        summary=f"Drafted lead definition v{definition.version}"
        + (f" from v{based_on.version}" if based_on else ""),
    )
    return definition


@transaction.atomic
def change_definition(actor, definition: LeadDefinition, content: dict) -> LeadDefinition:
    """Change a draft in place; anything past draft gets a new draft version instead."""
    require(can_edit_definition(actor), EDIT_DENIED)
    definition = LeadDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.status != Status.DRAFT:
        return create_definition(actor, content, based_on=definition)
    before = definition.snapshot()
    _fill(definition, content)
    _validate(definition)
    after = definition.snapshot()
    definition.save()
    if after != before:
        audit.record(
            actor,
            "definition.changed",
            definition,
            before=before,
            after=after,
            summary=f"Changed draft v{definition.version}",
        )
    return definition


@transaction.atomic
def propose(actor, definition: LeadDefinition) -> LeadDefinition:
    require(can_edit_definition(actor), EDIT_DENIED)
    definition = LeadDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.status != Status.DRAFT:
        raise ValidationError(
            f"v{definition.version} is {definition.get_status_display().lower()}; "
            "only a draft can be proposed."
        )
    _validate(definition)
    definition.status = Status.PROPOSED
    definition.proposed_by = actor
    definition.proposed_at = timezone.now()
    definition.save(update_fields=["status", "proposed_by", "proposed_at"])
    audit.record(
        actor,
        "definition.proposed",
        definition,
        after=definition.snapshot(),
        summary=f"Proposed v{definition.version} for sign-off by marketing and sales",
    )
    signoff.ask_to_sign(
        definition.approvals,
        proposer=actor,
        title=f"Please sign the lead definition v{definition.version}: {definition.name}",
        body=f"{actor.display_name} proposed v{definition.version}. It goes live once a "
        "marketing leader and a sales leader have approved it; its backtest shows what it "
        "would change.",
        url=definition.get_absolute_url(),
        key=f"definition:{definition.pk}:asked:{definition.proposed_at.isoformat()}",
    )
    return definition


@transaction.atomic
def withdraw(actor, definition: LeadDefinition) -> LeadDefinition:
    """Take a proposal back to draft (its approvals lapse) so it can be changed."""
    require(can_edit_definition(actor), EDIT_DENIED)
    definition = LeadDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.status not in (Status.PROPOSED, Status.APPROVED):
        raise ValidationError("Only a proposed or approved definition can go back to draft.")
    lapsed = list(definition.approvals.values_list("user__username", "side"))
    definition.approvals.all().delete()
    definition.status = Status.DRAFT
    definition.approved_at = None
    definition.save(update_fields=["status", "approved_at"])
    audit.record(
        actor,
        "definition.withdrawn",
        definition,
        before={"approvals": lapsed},
        summary=f"Took v{definition.version} back to draft"
        + ("; its approvals lapsed" if lapsed else ""),
    )
    return definition


def approval_blocker(actor, definition: LeadDefinition) -> Exception | None:
    """Why `actor` may not approve `definition` now (the error `approve` raises), or None."""
    not_ready = ""
    if definition.status != Status.PROPOSED:
        not_ready = (
            f"v{definition.version} is {definition.get_status_display().lower()}; "
            "only a proposed definition can be approved."
        )
    return signoff.blocker(
        actor,
        definition.approvals,
        kind="a lead definition",
        this="this definition",
        name=f"v{definition.version}",
        not_ready=not_ready,
        proposed_by_id=definition.proposed_by_id,
    )


@transaction.atomic
def approve(actor, definition: LeadDefinition) -> LeadDefinition:
    definition = LeadDefinition.objects.select_for_update().get(pk=definition.pk)
    if (blocker := approval_blocker(actor, definition)) is not None:
        raise blocker
    side, complete, now = signoff.sign(actor, definition.approvals)
    if complete:
        definition.status = Status.APPROVED
        definition.approved_at = now
        definition.save(update_fields=["status", "approved_at"])
    audit.record(
        actor,
        "definition.approved",
        definition,
        after={"side": side, "approved": complete},
        summary=f"Approved v{definition.version} for {side}"
        + ("; ready to activate" if complete else "; waiting for the other side"),
    )
    signoff.tell_approval(
        definition.proposed_by,
        actor,
        side,
        complete,
        name=f"Lead definition v{definition.version}",
        signed="approved by both teams",
        after="it is ready to activate.",
        url=definition.get_absolute_url(),
        key=f"definition:{definition.pk}:approved:{actor.pk}:{definition.proposed_at.isoformat()}",
    )
    return definition


def _withdraw_waiting(actor, live: LeadDefinition, now) -> None:
    """Withdraw the proposals still waiting when `live` goes live: they were signed (or
    are being signed) against the version it replaced. Their proposers are told why."""
    waiting = (
        LeadDefinition.objects.select_for_update()
        .filter(status__in=(Status.PROPOSED, Status.APPROVED))
        .exclude(pk=live.pk)
    )
    for other in waiting:
        was = other.get_status_display().lower()
        other.status = Status.WITHDRAWN
        other.withdrawn_at = now
        other.withdrawn_note = (
            f"v{live.version} {live.name} went live on {now:%b} {now.day}, {now.year}, so "
            f"this {was} version was withdrawn. To propose its changes again, start a new "
            f"draft from it and compare it with v{live.version}."
        )[:300]
        other.save(update_fields=["status", "withdrawn_at", "withdrawn_note"])
        audit.record(
            actor,
            "definition.superseded",  # not "withdrawn": that is taking a proposal back to draft
            other,
            before={"status": was},
            after={"status": other.status, "live": live.version},
            summary=f"Withdrew {was} v{other.version}: v{live.version} went live instead",
        )
        if other.proposed_by is not None:
            notify.notify(
                [other.proposed_by],
                kind="definition.withdrawn",
                title=f"Your lead definition v{other.version} was withdrawn",
                body=other.withdrawn_note,
                url=other.get_absolute_url(),
                key=f"definition.withdrawn.{other.pk}",
                at=now,
            )


@transaction.atomic
def activate(actor, definition: LeadDefinition) -> ScoringRun:
    """Put an approved definition live, retire the previous one, and rescore every lead."""
    require(can_edit_definition(actor), EDIT_DENIED)
    definition = LeadDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.status != Status.APPROVED:
        raise ValidationError(
            f"v{definition.version} is {definition.get_status_display().lower()}; only a "
            "definition approved by both a marketing and a sales leader can go live."
        )
    _validate(definition)
    now = timezone.now()
    previous = LeadDefinition.objects.select_for_update().filter(status=Status.ACTIVE).first()
    if previous is not None:
        previous.status = Status.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
        audit.record(
            actor,
            "definition.retired",
            previous,
            summary=f"Retired v{previous.version}: v{definition.version} went live in its place",
        )
    definition.status = Status.ACTIVE
    definition.activated_by = actor
    definition.activated_at = now
    definition.save(update_fields=["status", "activated_by", "activated_at"])
    _withdraw_waiting(actor, definition, now)
    run = scoring.rescore(definition, trigger=ScoringRun.Trigger.ACTIVATION, now=now)
    payload = {
        "definition_id": definition.pk,
        "version": definition.version,
        "name": definition.name,
        "previous_version": previous.version if previous else None,
        "leads_scored": run.leads_scored,
        "promoted": run.promoted,
    }
    events.record(events.Kind.DEFINITION_ACTIVATED, payload, at=now)
    audit.record(
        actor,
        "definition.activated",
        definition,
        before={"active": previous.version if previous else None},
        after={"active": definition.version, "scored": run.leads_scored, "mql": run.promoted},
        summary=f"Activated v{definition.version}"
        + (f" in place of v{previous.version}" if previous else "")
        + f": {run.leads_scored} leads rescored, {run.promoted} became MQL",
    )
    signoff.tell_proposer(
        definition.proposed_by,
        actor,
        kind="signoff.activated",
        title=f"Lead definition v{definition.version} is live",
        body=f"{actor.display_name} activated it: {run.leads_scored:,} leads rescored, "
        f"{run.promoted:,} became MQL.",
        url=definition.get_absolute_url(),
        key=f"definition:{definition.pk}:activated",
    )
    return run
