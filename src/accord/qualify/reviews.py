"""Sales reviews: a rep accepts a lead handed to sales (SAL) or rejects it with a reason.

The verbs run in one transaction each, lock the lead, check who may act and what the
lead's status allows, and only then write: a LeadStatusChange (the lifecycle) and a
LeadReview (the verdict). A refusal raises PermissionDenied or ValidationError with a
message meant for the person, before anything is written. A rejected lead goes back to
nurture (`recycled`); scoring re-promotes it only once it is touched again.

The queries count verdicts: every review is one, so a lead accepted and later rejected
counts once as accepted and once as rejected.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify

from accord.core import events, figures
from accord.crm.actions import lead_event_payload
from accord.crm.filters import day_bounds
from accord.crm.models import Campaign, Channel, Lead, LeadStatusChange, Touchpoint
from accord.people import audit, permissions
from accord.people.models import User
from accord.qualify.models import LeadReview, RejectionReason

Status = Lead.Status
Decision = LeadReview.Decision

ACCEPTABLE = (Status.MQL,)
# A rep may still change their mind about an accepted lead until it becomes SQL.
REJECTABLE = (Status.MQL, Status.ACCEPTED)
COMMENT_MAX = LeadReview._meta.get_field("comment").max_length


def can_be_accepted(lead: Lead) -> bool:
    return lead.status in ACCEPTABLE


def can_be_rejected(lead: Lead) -> bool:
    return lead.status in REJECTABLE


def active_reasons():
    return RejectionReason.objects.filter(active=True)


# --- Accepting and rejecting ---------------------------------------------------------------


def check_may_review(actor, lead: Lead) -> None:
    """Raise PermissionDenied, saying whose lead it is, unless `actor` may review `lead`."""
    if permissions.can_review_lead(actor, lead):
        return
    if not permissions.can_change_anything(actor):
        raise PermissionDenied("Your role can look at leads but not accept or reject them.")
    whose = f"{lead.owner}'s" if lead.owner_id else "not assigned to you"
    if actor.role == User.Role.MANAGER:
        raise PermissionDenied(
            f"You can accept or reject only your team's leads; this lead is {whose}."
        )
    raise PermissionDenied(f"You can accept or reject only leads you own; this lead is {whose}.")


def _locked(lead: Lead, actor) -> Lead:
    lead = Lead.objects.select_related("owner").select_for_update(of=("self",)).get(pk=lead.pk)
    check_may_review(actor, lead)
    return lead


def _clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {"comment": f"Keep the comment to {COMMENT_MAX:,} characters; it has {len(comment):,}."}
        )
    return comment


def _move(lead: Lead, to_status: str, *, actor, reason: str, at, event: str, **extra) -> None:
    """Change the lead's status the way every status change is written (see crm.actions),
    and record the `event` it announces (a rejected lead goes to nurture, `recycled`)."""
    LeadStatusChange.objects.create(
        lead=lead,
        from_status=lead.status,
        to_status=to_status,
        changed_at=at,
        changed_by=actor,
        reason=reason[:200],
    )
    payload = lead_event_payload(
        lead.pk,
        from_status=lead.status,
        to_status=to_status,
        owner_id=lead.owner_id,
        reason=reason[:200],
    )
    events.record(event, {**payload, **extra}, at=at)
    lead.status, lead.status_changed_at = to_status, at
    lead.save(update_fields=["status", "status_changed_at", "updated_at"])


@transaction.atomic
def accept_lead(lead: Lead, *, actor, comment: str = "") -> LeadReview:
    """Sales takes the lead on: MQL -> accepted (SAL)."""
    lead = _locked(lead, actor)
    if lead.status == Status.ACCEPTED:
        raise ValidationError("This lead is already accepted.")
    if not can_be_accepted(lead):
        raise ValidationError(
            f"Only an MQL can be accepted; this lead is {lead.get_status_display()}."
        )
    comment = _clean_comment(comment)
    now = timezone.now()
    _move(
        lead,
        Status.ACCEPTED,
        actor=actor,
        reason="Accepted by sales",
        at=now,
        event=events.Kind.LEAD_ACCEPTED,
    )
    return LeadReview.objects.create(
        lead=lead, reviewer=actor, decision=Decision.ACCEPTED, comment=comment, at=now
    )


@transaction.atomic
def reject_lead(lead: Lead, *, actor, reason: str, comment: str = "") -> LeadReview:
    """Sales turns the lead down for `reason` (a reason's key); it goes back to nurture."""
    lead = _locked(lead, actor)
    if not can_be_rejected(lead):
        raise ValidationError(
            "Only an MQL or an accepted lead can be rejected; "
            f"this lead is {lead.get_status_display()}."
        )
    chosen = _active_reason(reason)
    comment = _clean_comment(comment)
    now = timezone.now()
    _move(
        lead,
        Status.RECYCLED,
        actor=actor,
        reason=f"Rejected by sales: {chosen.label}",
        at=now,
        event=events.Kind.LEAD_REJECTED,
        rejection_reason=chosen.key,
    )
    return LeadReview.objects.create(
        lead=lead,
        reviewer=actor,
        decision=Decision.REJECTED,
        reason=chosen,
        comment=comment,
        at=now,
    )


def _active_reason(key: str) -> RejectionReason:
    key = (key or "").strip()
    if not key:
        raise ValidationError({"reason": "Choose a reason: a rejection needs one."})
    found = RejectionReason.objects.filter(key=key).first()
    if found is None:
        raise ValidationError({"reason": f"There is no rejection reason “{key[:40]}”."})
    if not found.active:
        raise ValidationError(
            {"reason": f"“{found.label}” is no longer in use; choose another reason."}
        )
    return found


# --- The list of reasons ------------------------------------------------------------------

MANAGE_DENIED = "Only an admin can change the list of rejection reasons."


@transaction.atomic
def add_reason(actor, label: str) -> RejectionReason:
    permissions.require(permissions.can_manage_reasons(actor), MANAGE_DENIED)
    label = " ".join((label or "").split())
    max_label = RejectionReason._meta.get_field("label").max_length
    if not label:
        raise ValidationError({"label": "Name the reason."})
    if len(label) > max_label:
        raise ValidationError({"label": f"Keep the name to {max_label} characters."})
    key = slugify(label)[: RejectionReason._meta.get_field("key").max_length].strip("-")
    if not key:
        raise ValidationError({"label": "Use letters or digits in the name."})
    same = RejectionReason.objects.filter(Q(key=key) | Q(label__iexact=label)).first()
    if same is not None:
        state = "" if same.active else " (inactive: reactivate it instead)"
        raise ValidationError({"label": f"There is already a reason “{same.label}”{state}."})
    last = RejectionReason.objects.aggregate(last=Max("position"))["last"]
    reason = RejectionReason.objects.create(
        key=key, label=label, position=0 if last is None else last + 1
    )
    audit.record(
        actor,
        "qualify.reason_added",
        reason,
        after={"key": key, "label": label},
        summary=f"Added the rejection reason {label!r}",
    )
    return reason


@transaction.atomic
def set_reason_active(actor, key: str, active: bool) -> RejectionReason:
    """Retire a reason from the choices, or bring it back. Used reasons are never deleted."""
    permissions.require(permissions.can_manage_reasons(actor), MANAGE_DENIED)
    reason = RejectionReason.objects.select_for_update().filter(key=key).first()
    if reason is None:
        raise ValidationError({"key": f"There is no rejection reason “{key[:40]}”."})
    if reason.active == active:
        state = "in use" if active else "already inactive"
        raise ValidationError(f"“{reason.label}” is {state}.")
    reason.active = active
    reason.save(update_fields=["active"])
    verb = "reactivated" if active else "deactivated"
    audit.record(
        actor,
        f"qualify.reason_{verb}",
        reason,
        before={"active": not active},
        after={"active": active},
        summary=f"{verb.capitalize()} the rejection reason {reason.label!r}",
    )
    return reason


def reasons_with_use():
    """Every reason with the number of rejections that gave it."""
    return RejectionReason.objects.annotate(used=Count("reviews"))


# --- Rejection rates ----------------------------------------------------------------------


def rate(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    reviewed: int
    accepted: int
    rejected: int

    @property
    def rejection_rate(self) -> Decimal | None:
        return rate(self.rejected, self.reviewed)


@dataclass(frozen=True)
class ReasonRow:
    key: str
    label: str
    rejected: int
    share: Decimal | None  # of all rejections in the period


@dataclass(frozen=True)
class RejectionRates:
    start: date
    end: date
    total: RateRow
    by_source: list[RateRow] = field(default_factory=list)
    by_campaign: list[RateRow] = field(default_factory=list)
    by_reason: list[ReasonRow] = field(default_factory=list)
    by_reviewer: list[RateRow] = field(default_factory=list)


def first_campaign() -> Subquery:
    """The campaign of a review's lead's first campaign touch since the lead was created."""
    return Subquery(
        Touchpoint.objects.filter(
            lead=OuterRef("lead"),
            occurred_at__gte=OuterRef("lead__created_at"),
            campaign__isnull=False,
        )
        .order_by("occurred_at", "id")
        .values("campaign")[:1]
    )


_COUNTS = {
    "reviewed": Count("id"),
    "accepted": Count("id", filter=Q(decision=Decision.ACCEPTED)),
    "rejected": Count("id", filter=Q(decision=Decision.REJECTED)),
}


def _grouped(reviews, by, names: Callable[[list], dict], missing: str) -> list[RateRow]:
    """Reviews counted per value of `by`; `names` labels the values found (in one query)."""
    counted = list(reviews.annotate(group=by).values("group").annotate(**_COUNTS).order_by())
    labels = names([row["group"] for row in counted if row["group"] is not None])
    rows = [
        RateRow(
            key="" if row["group"] is None else str(row["group"]),
            label=missing if row["group"] is None else labels.get(row["group"], str(row["group"])),
            reviewed=row["reviewed"],
            accepted=row["accepted"],
            rejected=row["rejected"],
        )
        for row in counted
    ]
    # Most reviewed first, the reviews nobody can be told apart by last.
    return sorted(rows, key=lambda r: (r.key == "", -r.reviewed, r.label.lower()))


def _channel_names(keys: list) -> dict:
    return dict(Channel.objects.filter(key__in=keys).values_list("key", "name"))


def _campaign_names(ids: list) -> dict:
    return dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name"))


def _people_names(usernames: list) -> dict:
    return {
        user.username: user.get_full_name() or user.username
        for user in User.objects.filter(username__in=usernames)
    }


# What the rejection rates read: kept until one of these tables changes.
RATES_TABLES = figures.table_names(
    [
        LeadReview,
        "qualify_rejectionreason",
        "crm_lead",
        "crm_touchpoint",
        "crm_channel",
        "crm_campaign",
        "people_user",
    ]
)


def kept_rejection_rates(start: date, end: date) -> figures.Kept[RejectionRates]:
    """`rejection_rates`, kept until a review, a lead or a name under it changes."""
    key = f"qualify.rejection_rates:{timezone.get_current_timezone_name()}:{start}:{end}"
    return figures.kept(key, RATES_TABLES, lambda: rejection_rates(start, end))


def rejection_rates(start: date, end: date) -> RejectionRates:
    """Reviews given from `start` to `end` (whole local days), grouped four ways."""
    since, until = day_bounds(start, end)
    reviews = LeadReview.objects.filter(at__gte=since, at__lt=until)
    totals = reviews.aggregate(**_COUNTS)
    rejected = totals["rejected"]
    by_reason = [
        ReasonRow(
            key=row["reason__key"],
            label=row["reason__label"],
            rejected=row["rejected"],
            share=rate(row["rejected"], rejected),
        )
        for row in reviews.filter(decision=Decision.REJECTED)
        .values("reason__key", "reason__label")
        .annotate(rejected=Count("id"))
        .order_by("-rejected", "reason__label")
    ]
    return RejectionRates(
        start=start,
        end=end,
        total=RateRow(key="", label="All reviews", **totals),
        by_source=_grouped(reviews, F("lead__source__key"), _channel_names, "No source"),
        by_campaign=_grouped(reviews, first_campaign(), _campaign_names, "No campaign"),
        by_reason=by_reason,
        by_reviewer=_grouped(reviews, F("reviewer__username"), _people_names, "Former user"),
    )


def lead_reviews(lead: Lead):
    """A lead's review history, newest first."""
    return lead.reviews.select_related("reviewer", "reason")
