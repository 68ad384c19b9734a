"""The two-sided sign-off. What both teams are held to (a plan revision, a lead definition,
and what comes next) holds only once a marketing leader and a sales leader, two different
people, have approved the same version of it.

Each signed thing keeps its approvals in a model of its own (user, side, approved_at, one
per side and one per person). Who stands for a side is a permission
(`permissions.approval_side`); when a signature may be added and when the set is complete
is decided here, once, for every such thing. So is who hears of it: a proposal asks the
leaders who may sign it; each approval, and the thing taking effect, tells its proposer.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.people import audit, notify
from accord.people.models import User
from accord.people.permissions import approval_side

SIDES = ("marketing", "sales")


def other_side(side: str) -> str:
    return SIDES[1] if side == SIDES[0] else SIDES[0]


def blocker(
    actor,
    approvals,
    *,
    kind: str,
    this: str,
    name: str,
    not_ready: str = "",
    proposed_by_id: int | None = None,
) -> Exception | None:
    """Why `actor` may not add a signature to `approvals` now (the error `sign`'s callers
    raise), or None. Pages ask this to decide whether to offer the button.

    `kind` says what is signed in a refusal ("a lead definition"), `this` and `name` which
    one ("this definition", "v3"); `not_ready` is the thing's own reason it cannot be
    signed in its state, if any; `proposed_by_id`, when given, is a person who may not
    sign what they proposed."""
    side = approval_side(actor)
    if side is None:
        return PermissionDenied(
            f"Only a marketing leader or a sales leader can approve {kind}: one of each."
        )
    if not_ready:
        return ValidationError(not_ready)
    if proposed_by_id is not None and proposed_by_id == actor.pk:
        return ValidationError(
            f"You proposed {this}; it needs the approval of two other people, "
            "a marketing leader and a sales leader."
        )
    if approvals.filter(user=actor).exists():
        return ValidationError(f"You have already approved {this}.")
    signed = approvals.filter(side=side).select_related("user").first()
    if signed is not None:
        return ValidationError(
            f"{signed.user.display_name} has already approved {name} for {side}; "
            f"it now needs a {other_side(side)} leader."
        )
    return None


def decline_blocker(
    actor, *, kind: str, not_ready: str = "", comment: str | None = None
) -> Exception | None:
    """Why `actor` may not decline a thing waiting for signatures, or None. Whoever could
    sign it may decline it instead, with a comment saying why (the proposer reads it);
    pages ask with no comment to decide whether to offer the form."""
    if approval_side(actor) is None:
        return PermissionDenied(f"Only a marketing leader or a sales leader can decline {kind}.")
    if not_ready:
        return ValidationError(not_ready)
    if comment is not None and len(comment.strip()) < 10:
        return ValidationError(
            {"comment": "Say why you decline (at least 10 characters): the proposer reads it."}
        )
    return None


def sign(actor, approvals) -> tuple[str, bool, object]:
    """Add `actor`'s signature (after `blocker` said None): their side, whether both sides
    have now signed, and the moment."""
    side = approval_side(actor)
    now = timezone.now()
    approvals.create(user=actor, side=side, approved_at=now)
    complete = set(approvals.values_list("side", flat=True)) == set(SIDES)
    return side, complete, now


def signers(approvals, *, proposer=None) -> list[User]:
    """The leaders who may still sign: one of a side with no signature yet, not the proposer
    (who may not sign what they proposed), not anybody who signed already."""
    signed = set(approvals.values_list("side", flat=True))
    leaders = User.objects.filter(
        is_active=True, role=User.Role.LEADER, teams__kind__in=SIDES
    ).distinct()
    return [
        leader
        for leader in leaders.exclude(pk=getattr(proposer, "pk", None))
        if (side := approval_side(leader)) is not None and side not in signed
    ]


def ask_to_sign(approvals, *, proposer, title: str, body: str, url: str, key: str) -> int:
    """Notify the leaders asked to sign (`signers`); how many were told."""
    asked = signers(approvals, proposer=proposer)
    return len(notify.notify(asked, kind="signoff.asked", title=title, body=body, url=url, key=key))


def tell_proposer(proposer, actor, *, kind: str, title: str, body: str, url: str, key: str) -> int:
    """Notify whoever proposed a signed thing of what `actor` did to it (not themselves)."""
    if proposer is None or proposer.pk == getattr(actor, "pk", None):
        return 0
    return len(notify.notify([proposer], kind=kind, title=title, body=body, url=url, key=key))


def record_decline(
    thing,
    actor,
    comment: str,
    *,
    status: str,
    action: str,
    summary: str,
    proposer,
    title: str,
    url: str,
    key: str,
) -> None:
    """Decline a thing waiting for signatures (the caller has checked `decline_blocker`): it
    keeps `status`, who declined it, when and why (`declined_by`, `declined_at`,
    `decline_comment`), the audit log says `summary` and the reason, and its proposer is told
    why."""
    thing.status = status
    thing.declined_by = actor
    thing.declined_at = timezone.now()
    thing.decline_comment = comment.strip()[:1000]
    thing.save(update_fields=["status", "declined_by", "declined_at", "decline_comment"])
    audit.record(actor, action, thing, after={"comment": thing.decline_comment},
                 summary=f"{summary}: {thing.decline_comment}")  # fmt: skip
    tell_proposer(proposer, actor, kind="signoff.declined", title=title,
                  body=thing.decline_comment, url=url, key=key)  # fmt: skip


def tell_approval(
    proposer,
    actor,
    side: str,
    complete: bool,
    *,
    name: str,
    signed: str,
    after: str,
    url: str,
    key: str,
) -> int:
    """Tell the proposer of `name` that `actor` signed it for `side`: with both signatures,
    what it now is (`signed`: "is in force") and what that means (`after`)."""
    return tell_proposer(
        proposer,
        actor,
        kind="signoff.approved",
        title=f"{name} " + (signed if complete else f"approved for {side}"),
        body=f"{actor.display_name} approved it for {side}; "
        + (after if complete else f"it now needs a {other_side(side)} leader."),
        url=url,
        key=key,
    )
