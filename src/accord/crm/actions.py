"""Verbs that change leads. Each runs in one transaction and leaves a history row."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core import events
from accord.crm.models import Activity, Lead, LeadOwnerChange, LeadStatusChange
from accord.people import permissions

Status = Lead.Status

# Statuses a person moves a lead to by hand; "opportunity" and "customer" follow from deals.
MANUAL_STATUSES = (
    Status.NEW,
    Status.MQL,
    Status.ACCEPTED,
    Status.SQL,
    Status.REJECTED,
    Status.RECYCLED,
    Status.DISQUALIFIED,
)
NEEDS_REASON = (Status.REJECTED, Status.DISQUALIFIED)
# Sales' verdict on a lead handed over (accept, or reject with a listed reason) is a sales
# review, so that rejection rates count it; the status form sends people there instead.
REVIEWED = {Status.MQL: (Status.ACCEPTED, Status.REJECTED), Status.ACCEPTED: (Status.REJECTED,)}


CHANGE_DENIED = "You may change only leads you are allowed to work."

# How far along the funnel a status is; recycled leads are back in nurture, where new ones are.
# Rejected and disqualified are verdicts (with a reason), not steps of the funnel.
_FUNNEL_STEP = {status: step for step, status in enumerate(Lead.LIFECYCLE)} | {Status.RECYCLED: 0}


def is_backwards(from_status: str, to_status: str) -> bool:
    """A move back down the funnel: MQL to new or recycled, SQL to accepted, and so on."""
    if from_status not in _FUNNEL_STEP or to_status not in _FUNNEL_STEP:
        return False
    return _FUNNEL_STEP[to_status] < _FUNNEL_STEP[from_status]


def status_move_refusal(
    from_status: str,
    to_status: str,
    reason: str,
    *,
    by_hand: bool = True,
    may_move_back: bool = False,
) -> dict[str, str] | None:
    """Why a lead may not move from `from_status` to `to_status` ({field: why}), or None.

    The rule of every door that moves a lead: its page, the bulk API and the CSV import. A
    rejection or disqualification needs a reason, always. A move made `by_hand` (a person's
    page, or the import of somebody who may change only what their pages allow) sets only
    the statuses a person sets, and sales' verdict on a lead handed over goes through Sales
    review; admins and sales & marketing operations syncing the CRM set what the source
    system says (`by_hand=False`). Whatever the door, a move back down the funnel stops the
    lead's follow-up clocks, so it needs the right to (`may_move_back`:
    `permissions.can_move_lead_back`) and a reason."""
    if by_hand and to_status not in MANUAL_STATUSES:
        return {"status": f"“{to_status}” cannot be set by hand."}
    if to_status == from_status:
        return {"status": f"The lead is already {Status(from_status).label}."}
    if by_hand and to_status in REVIEWED.get(from_status, ()):
        return {
            "status": f"Accept or reject an {Status(from_status).label} with Sales review "
            "on this page, so that the reason is counted."
        }
    backwards = is_backwards(from_status, to_status)
    if backwards and not may_move_back:
        return {
            "status": f"Only a manager or leader may move a lead back from "
            f"{Status(from_status).label} to {Status(to_status).label}; to hand it back, "
            "reject it with a reason in Sales review."
        }
    if to_status in NEEDS_REASON and not reason.strip():
        return {"reason": "Say why: a rejected or disqualified lead needs a reason."}
    if backwards and not reason.strip():
        return {
            "reason": f"Say why the lead moves back from {Status(from_status).label} to "
            f"{Status(to_status).label}: it stops its follow-up clocks."
        }
    return None


def settable_statuses(from_status: str, *, may_move_back: bool) -> list[str]:
    """The statuses a person may pick on the status form for a lead now `from_status`: those
    `status_move_refusal` lets through, given a reason."""
    return [
        status
        for status in MANUAL_STATUSES
        if status_move_refusal(from_status, status, "a reason", may_move_back=may_move_back) is None
    ]


def lead_event_payload(
    lead_id: int, *, from_status: str, to_status: str, owner_id: int | None, reason: str = ""
) -> dict:
    """The payload of every lead event (`lead.mql`, `lead.accepted`, `lead.rejected`),
    whichever door moved the lead: its page, Sales review, an import. Scoring writes the same
    keys in SQL (`qualify/scoring.py`)."""
    return {
        "lead_id": lead_id,
        "from_status": from_status,
        "to_status": to_status,
        "owner_id": owner_id,
        "reason": reason,
    }


@transaction.atomic
def change_lead_status(lead: Lead, to_status: str, *, actor, reason: str = "") -> Lead:
    permissions.require(permissions.can_change_lead(actor, lead), CHANGE_DENIED)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    reason = reason.strip()
    may_move_back = permissions.can_move_lead_back(actor)
    if refusal := status_move_refusal(lead.status, to_status, reason, may_move_back=may_move_back):
        raise ValidationError(refusal)
    now = timezone.now()
    LeadStatusChange.objects.create(
        lead=lead,
        from_status=lead.status,
        to_status=to_status,
        changed_at=now,
        changed_by=actor,
        reason=reason[:200],
    )
    if kind := events.LEAD_STATUS_KINDS.get(to_status):
        payload = lead_event_payload(
            lead.pk,
            from_status=lead.status,
            to_status=to_status,
            owner_id=lead.owner_id,
            reason=reason[:200],
        )
        events.record(kind, payload, at=now)
    lead.status, lead.status_changed_at = to_status, now
    lead.save(update_fields=["status", "status_changed_at", "updated_at"])
    return lead


@transaction.atomic
def reassign_lead(lead: Lead, new_owner, *, actor) -> Lead:
    permissions.require(
        permissions.can_reassign_lead(actor, lead), "Only a manager or leader may reassign leads."
    )
    if (
        new_owner is not None
        and not permissions.assignable_owners(actor).filter(pk=new_owner.pk).exists()
    ):
        raise ValidationError({"owner": f"You cannot assign leads to {new_owner}."})
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.owner_id == getattr(new_owner, "pk", None):
        raise ValidationError({"owner": "The lead already has this owner."})
    LeadOwnerChange.objects.create(
        lead=lead,
        from_owner=lead.owner,
        to_owner=new_owner,
        changed_at=timezone.now(),
        changed_by=actor,
    )
    lead.owner = new_owner
    lead.save(update_fields=["owner", "updated_at"])
    return lead


@transaction.atomic
def record_follow_up(
    lead: Lead, *, actor, kind: str, occurred_at: datetime, outcome: str = "", notes: str = ""
) -> Activity:
    permissions.require(
        permissions.can_change_lead(actor, lead), "You may log follow-ups only on leads you work."
    )
    if kind not in Activity.Kind.values:
        raise ValidationError({"kind": f"“{kind}” is not a kind of follow-up."})
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "The time needs a time zone."})
    if occurred_at > timezone.now():
        raise ValidationError({"occurred_at": "A follow-up cannot be in the future."})
    if occurred_at < lead.created_at:
        since = timezone.localtime(lead.created_at)
        raise ValidationError(
            # On the reader's clock: the one they typed the time in.
            {"occurred_at": f"The lead only exists since {since:%Y-%m-%d %H:%M %Z}."}
        )
    return Activity.objects.create(
        lead=lead,
        user=actor,
        kind=kind,
        occurred_at=occurred_at,
        outcome=outcome.strip()[:120],
        notes=notes.strip(),
    )
