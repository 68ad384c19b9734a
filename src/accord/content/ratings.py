"""Verbs of the rating rubric and of ratings. Each runs in one transaction; the rubric's
changes are audited.

A rubric goes draft -> proposed -> active (-> retired when another goes live), or proposed ->
declined. Only a draft can be changed; changing anything else starts a new draft from it. A
proposal needs a marketing leader and a sales leader, neither of them its proposer: the
rule is `accord.people.signoff`'s, as for lead definitions and plans. With both signatures
the rubric is active at once and the one active before retires (its ratings stay, tagged
with it).

A rep rates an asset on a deal after sending or using it there (a `Usage` row of kind send
or use on that lead), under the active rubric, once per version and deal.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accord.analytics import ratings as arithmetic
from accord.content.models import Asset, AssetVersion, Rating, Rubric, Usage
from accord.crm.models import Lead
from accord.people import audit, signoff
from accord.people.permissions import can_edit_rubric, can_rate_content, require

EDIT_DENIED = "Only content managers, leaders and admins draft or change the rating rubric."
RATE_DENIED = "Viewers read ratings; only people who work deals rate assets."
COMMENT_MAX = 1000
Status = Rubric.Status
USED = (Usage.Kind.SEND, Usage.Kind.USE)


def active_rubric() -> Rubric | None:
    return Rubric.objects.filter(status=Status.ACTIVE).first()


def _fill(rubric: Rubric, name: str, criteria, note: str) -> None:
    rubric.name = (name or "").strip()[:120]
    problems = []
    if not rubric.name:
        problems.append(("name", "Give the rubric a name."))
    try:
        rubric.criteria = arithmetic.check_criteria(criteria)
    except arithmetic.RubricError as error:
        problems.append(("criteria", "; ".join(f"{w}: {m}" for w, m in error.problems)))
    if problems:
        raise ValidationError({field: message for field, message in problems})
    rubric.note = (note or "").strip()[:300]


def _next_number() -> int:
    return (Rubric.objects.aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def create_rubric(
    actor, *, name: str, criteria, note: str = "", based_on: Rubric | None = None, now=None
) -> Rubric:
    require(can_edit_rubric(actor), EDIT_DENIED)
    rubric = Rubric(
        number=_next_number(),
        based_on=based_on,
        created_by=actor,
        created_at=now or timezone.now(),
    )
    _fill(rubric, name, criteria, note)
    rubric.save()
    audit.record(
        actor,
        "rubric.created",
        rubric,
        after=rubric.snapshot(),
        summary=f"Drafted rating rubric v{rubric.number}"
        + (f" from v{based_on.number}" if based_on else ""),
    )
    return rubric


@transaction.atomic
def change_rubric(actor, rubric: Rubric, *, name: str, criteria, note: str = "") -> Rubric:
    """Change a draft in place; a rubric past draft gets a new draft based on it instead."""
    require(can_edit_rubric(actor), EDIT_DENIED)
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.status != Status.DRAFT:
        return create_rubric(actor, name=name, criteria=criteria, note=note, based_on=rubric)
    before = rubric.snapshot()
    _fill(rubric, name, criteria, note)
    rubric.save()
    if (after := rubric.snapshot()) != before:
        audit.record(
            actor,
            "rubric.changed",
            rubric,
            before=before,
            after=after,
            summary=f"Changed draft rubric v{rubric.number}",
        )
    return rubric


@transaction.atomic
def propose(actor, rubric: Rubric, now=None) -> Rubric:
    require(can_edit_rubric(actor), EDIT_DENIED)
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.status != Status.DRAFT:
        raise ValidationError(
            f"Rubric v{rubric.number} is {rubric.get_status_display().lower()}; "
            "only a draft can be proposed."
        )
    rubric.status = Status.PROPOSED
    rubric.proposed_by = actor
    rubric.proposed_at = now or timezone.now()
    rubric.save(update_fields=["status", "proposed_by", "proposed_at"])
    audit.record(
        actor,
        "rubric.proposed",
        rubric,
        after=rubric.snapshot(),
        summary=f"Proposed rubric v{rubric.number} for sign-off by marketing and sales",
    )
    signoff.ask_to_sign(
        rubric.approvals,
        proposer=actor,
        title=f"Please sign the rating rubric v{rubric.number}: {rubric.name}",
        body=f"{actor.display_name} proposed v{rubric.number}. Reps rate content with it once "
        "a marketing leader and a sales leader have approved it.",
        url=rubric.get_absolute_url(),
        key=f"rubric:{rubric.pk}:asked:{rubric.proposed_at.isoformat()}",
    )
    return rubric


def _not_proposed(rubric: Rubric) -> str:
    if rubric.status == Status.PROPOSED:
        return ""
    return (
        f"Rubric v{rubric.number} is {rubric.get_status_display().lower()}; "
        "only a proposed rubric can be approved or declined."
    )


def approval_blocker(actor, rubric: Rubric) -> Exception | None:
    """Why `actor` may not approve `rubric` now (the error `approve` raises), or None."""
    return signoff.blocker(
        actor,
        rubric.approvals,
        kind="a rating rubric",
        this="this rubric",
        name=f"v{rubric.number}",
        not_ready=_not_proposed(rubric),
        proposed_by_id=rubric.proposed_by_id,
    )


@transaction.atomic
def approve(actor, rubric: Rubric) -> Rubric:
    """Sign for marketing or sales; with both signatures the rubric is active and the one
    before it retired."""
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if (blocker := approval_blocker(actor, rubric)) is not None:
        raise blocker
    side, complete, now = signoff.sign(actor, rubric.approvals)
    previous = None
    if complete:
        previous = Rubric.objects.select_for_update().filter(status=Status.ACTIVE).first()
        if previous is not None:
            previous.status = Status.RETIRED
            previous.retired_at = now
            previous.save(update_fields=["status", "retired_at"])
            audit.record(
                actor,
                "rubric.retired",
                previous,
                summary=f"Retired rubric v{previous.number}: v{rubric.number} went live",
            )
        rubric.status = Status.ACTIVE
        rubric.active_from = now
        rubric.save(update_fields=["status", "active_from"])
    audit.record(
        actor,
        "rubric.approved",
        rubric,
        after={"side": side, "active": complete},
        summary=f"Approved rubric v{rubric.number} for {side}"
        + (
            "; it is now active" + (f" in place of v{previous.number}" if previous else "")
            if complete
            else "; waiting for the other side"
        ),
    )
    signoff.tell_approval(
        rubric.proposed_by,
        actor,
        side,
        complete,
        name=f"Rating rubric v{rubric.number}",
        signed="is active",
        after="both teams have signed: reps now rate content with it.",
        url=rubric.get_absolute_url(),
        key=f"rubric:{rubric.pk}:approved:{actor.pk}",
    )
    return rubric


def decline_blocker(actor, rubric: Rubric, comment: str | None = None) -> Exception | None:
    """Why `actor` may not decline `rubric` (with `comment`, when given) now, or None."""
    return signoff.decline_blocker(
        actor, kind="a rating rubric", not_ready=_not_proposed(rubric), comment=comment
    )


@transaction.atomic
def decline(actor, rubric: Rubric, comment: str) -> Rubric:
    """Decline a proposal, saying why: it stays in the history as declined, the active rubric
    stays active, and a change starts a new draft."""
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if (blocker := decline_blocker(actor, rubric, comment)) is not None:
        raise blocker
    signoff.record_decline(
        rubric, actor, comment,
        status=Status.DECLINED,
        action="rubric.declined",
        summary=f"Declined rubric v{rubric.number}",
        proposer=rubric.proposed_by,
        title=f"{actor.display_name} declined the rating rubric v{rubric.number}",
        url=rubric.get_absolute_url(),
        key=f"rubric:{rubric.pk}:declined",
    )  # fmt: skip
    return rubric


# Ratings.


def used_on(actor, asset: Asset):
    """The usages that let `actor` rate `asset`: theirs, sent or used on a lead."""
    return Usage.objects.filter(asset=asset, user=actor, kind__in=USED, lead__isnull=False)


def version_rated(actor, asset: Asset, lead) -> tuple[AssetVersion | None, Usage | None]:
    """The version `actor` would rate on `lead`: the latest they sent or used there (a usage
    that did not record its version counts as the version current at the time), and the
    latest such usage (its opportunity is the deal's)."""
    usages = list(used_on(actor, asset).filter(lead=lead).select_related("version"))
    if not usages:
        return None, None
    versions = asset.versions.all()
    best = None
    for usage in usages:
        version = usage.version or (
            versions.filter(created_at__lte=usage.occurred_at).order_by("-number").first()
            or versions.order_by("number").first()
        )
        if version is not None and (best is None or version.number > best.number):
            best = version
    return best, max(usages, key=lambda u: (u.occurred_at, u.pk))


def rate_blocker(actor, asset: Asset) -> Exception | None:
    """Why `actor` may not rate `asset` at all now (pages ask before offering the form)."""
    if not can_rate_content(actor):
        return PermissionDenied(RATE_DENIED)
    if active_rubric() is None:
        return ValidationError(
            "No rating rubric is active yet: ratings start once marketing and sales have "
            "signed one (see the rubric page)."
        )
    return None


@transaction.atomic
def rate(actor, asset: Asset, lead, scores, comment: str = "", now=None) -> Rating:
    """`actor` rates the version of `asset` they last sent or used on `lead`."""
    if (blocker := rate_blocker(actor, asset)) is not None:
        raise blocker
    rubric = active_rubric()
    problems: dict[str, str] = {}
    checked = {}
    try:
        checked = arithmetic.check_scores(rubric.criteria, scores)
    except arithmetic.RubricError as error:
        problems.update({f"scores.{key}": message for key, message in error.problems})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        problems["comment"] = f"Keep the comment under {COMMENT_MAX} characters."
    version, usage = version_rated(actor, asset, lead) if lead is not None else (None, None)
    if lead is None:
        problems["lead"] = "Choose the deal (the lead) you sent or used it on."
    elif version is None:
        problems["lead"] = (
            f"You have not sent or used {asset.title} on {lead}; rate it on a deal after "
            "you send or use it there."
        )
    elif (
        done := Rating.objects.filter(rater=actor, version=version, lead=lead)
        .select_related("rubric")
        .first()
    ):
        problems["lead"] = _twice(done, version, lead)
    if problems:
        raise ValidationError(problems)
    score = Decimal(str(arithmetic.weighted_score(rubric.criteria, checked))).quantize(
        Decimal("0.001"), ROUND_HALF_UP
    )
    try:
        with transaction.atomic():
            return Rating.objects.create(
                asset=asset,
                version=version,
                rubric=rubric,
                rater=actor,
                lead=lead,
                opportunity=usage.opportunity,
                scores=checked,
                score=score,
                comment=comment,
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        # Another request of the same rep got there first.
        raise ValidationError({"lead": _twice(None, version, lead)}) from None


def _twice(done: Rating | None, version: AssetVersion, lead) -> str:
    when = f" on {done.created_at:%b} {done.created_at.day}, {done.created_at.year}" if done else ""
    return (
        f"You already rated v{version.number} on {lead}{when}; one rating per version and deal "
        "(a new version can be rated again)."
    )


def deals_to_rate(actor, asset: Asset) -> list:
    """The leads where `actor` sent or used `asset` and has not rated the version they would
    rate there: the choices of the rate form."""
    leads = Lead.objects.filter(pk__in=used_on(actor, asset).values("lead")).select_related(
        "account"
    )
    open_ = []
    for lead in leads.order_by("last_name", "first_name", "pk")[:200]:
        version, _ = version_rated(actor, asset, lead)
        if version and not Rating.objects.filter(rater=actor, version=version, lead=lead).exists():
            open_.append((lead, version))
    return open_
