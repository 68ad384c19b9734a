"""Sending assets to buyers, and what the buyers then do with them.

A rep sends one published asset to a lead as a tracked link (an unguessable token, an
optional expiry, an optional email gate). The send is a touch on the lead (kind `content`,
so scoring, the follow-up clocks and attribution see it), an email the rep sent the lead (a
follow-up, logged through crm's own verb) and a line of the usage ledger. The public viewer
(no login) calls the `record_*` verbs below; they trust nothing the visitor sent.
"""

import re
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accord.content.models import Asset, LinkEvent, TrackedLink, Usage
from accord.content.touches import record_touch
from accord.crm import actions as crm_actions
from accord.crm.models import Activity, Lead, Opportunity
from accord.people import audit, notify, permissions
from accord.qualify.scoring import score_after_commit

DENIED_SEND = (
    "You may send assets only to leads you work: your own (a manager, their team's); "
    "viewers send nothing."
)
DENIED_REVOKE = "Only whoever sent a link, their managers, leaders and admins stop it."
NOT_SENDABLE = {
    Asset.Status.DRAFT: "{title} is a draft: it is sent only once its owner publishes it.",
    Asset.Status.EXPIRED: "{title} has expired (out of date): it may not be sent to buyers.",
    Asset.Status.ARCHIVED: "{title} is archived: it may not be sent to buyers.",
}
# A ping of the public viewer reports the seconds since the last one (the page pings every
# 15 seconds and when it is left): more than this in one ping is not a reader.
PING_MAX_SECONDS = 60
PING_MAX_PAGES = 2000
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_token() -> str:
    """32 random bytes, 43 URL-safe characters: not guessable, not enumerable."""
    return secrets.token_urlsafe(32)


def send(
    actor,
    asset: Asset,
    lead: Lead,
    *,
    opportunity: Opportunity | None = None,
    expires_at: datetime | None = None,
    email_gate: bool = False,
    now: datetime | None = None,
) -> TrackedLink:
    """A tracked link to the asset's current version for the lead. Refused for an asset that
    is not published, a lead the actor may not work, an opportunity of another account and an
    expiry that is not in the future."""
    permissions.require(permissions.can_send_asset(actor, lead), DENIED_SEND)
    now = now or timezone.now()
    _check_deal(lead, opportunity)
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise ValidationError({"expires_at": "The expiry needs a time zone."})
        if expires_at <= now:
            raise ValidationError({"expires_at": "The expiry must be in the future."})
    with transaction.atomic():
        # Locked, so that an asset expired at this moment is not sent after all.
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        version = _sendable_version(asset)
        link = TrackedLink.objects.create(
            token=new_token(),
            asset=asset,
            version=version,
            lead=lead,
            opportunity=opportunity,
            sent_by=actor,
            sent_at=now,
            expires_at=expires_at,
            email_gate=bool(email_gate),
        )
        Usage.objects.create(asset=asset, version=version, user=actor, kind=Usage.Kind.SEND,
                             lead=lead, opportunity=opportunity, occurred_at=now)  # fmt: skip
        record_touch(link, now)
        # The rep emailed the lead: the follow-up clock counts it as crm's own verb records it.
        crm_actions.record_follow_up(
            lead,
            actor=actor,
            kind=Activity.Kind.EMAIL,
            occurred_at=now,
            outcome="Sent content",
            notes=f"Sent {asset.title} (v{version.number}) as a tracked link.",
        )
        score_after_commit([lead.pk])
    return link


def use(actor, asset: Asset, lead: Lead, opportunity: Opportunity | None = None, now=None) -> Usage:
    """The asset was used on the lead's deal (shown in a meeting, attached to a proposal)."""
    permissions.require(permissions.can_send_asset(actor, lead), DENIED_SEND)
    _check_deal(lead, opportunity)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        version = _sendable_version(asset)
        return Usage.objects.create(asset=asset, version=version, user=actor, lead=lead,
                                    kind=Usage.Kind.USE, opportunity=opportunity,
                                    occurred_at=now or timezone.now())  # fmt: skip


def revoke(actor, link: TrackedLink, now: datetime | None = None) -> TrackedLink:
    """The link stops answering at once; what it recorded stays."""
    permissions.require(permissions.can_revoke_link(actor, link), DENIED_REVOKE)
    with transaction.atomic():
        link = TrackedLink.objects.select_for_update().select_related("asset").get(pk=link.pk)
        if link.revoked_at is not None:
            raise ValidationError("This link was already stopped.")
        link.revoked_at = now or timezone.now()
        link.save(update_fields=["revoked_at"])
        audit.record(actor, "content.link_revoked", link.asset,
                     after={"link": link.pk, "lead": link.lead_id},
                     summary=f"Stopped a link to {link.asset.title}")  # fmt: skip
    return link


def record_visit(actor, asset: Asset, now: datetime | None = None) -> bool:
    """Somebody inside opened the asset's page: one view per person, asset and day (their
    day). True when this visit was the one recorded."""
    if not getattr(actor, "is_authenticated", False):
        return False
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    seen = Usage.objects.filter(asset=asset, user=actor, kind=Usage.Kind.VIEW,
                                occurred_at__gte=start).exists()  # fmt: skip
    if not seen:
        Usage.objects.create(asset=asset, user=actor, kind=Usage.Kind.VIEW, occurred_at=now)
    return not seen


def record_download(actor, version, now: datetime | None = None) -> Usage:
    return Usage.objects.create(
        asset_id=version.asset_id,
        version=version,
        user=actor,
        kind=Usage.Kind.DOWNLOAD,
        occurred_at=now or timezone.now(),
    )


# The public viewer.


def live_link(token: str, now: datetime | None = None) -> TrackedLink | None:
    """The link this token opens, or None for a token that is malformed, unknown, revoked,
    past its expiry, or to an asset since expired or archived: the viewer answers all of
    these alike, so a visitor learns nothing about which tokens exist."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    now = now or timezone.now()
    link = (
        TrackedLink.objects.select_related("asset", "version", "sent_by", "lead")
        .filter(token=token, revoked_at=None)
        .first()
    )
    if link is None or (link.expires_at is not None and link.expires_at <= now):
        return None
    if link.asset.status != Asset.Status.PUBLISHED or link.version.asset_id != link.asset_id:
        return None
    return link


def record_open(link: TrackedLink, *, email: str = "", now: datetime | None = None) -> LinkEvent:
    """The visitor opened the link (past the email gate, if it has one). The first open is a
    touch on the lead, and the sender hears of it; later opens are events only."""
    now = now or timezone.now()
    email = clean_gate_email(email) if link.email_gate else ""
    with transaction.atomic():
        # Locked, so that two first opens at once make one touch.
        TrackedLink.objects.select_for_update().filter(pk=link.pk).first()
        first = not link.events.filter(kind=LinkEvent.Kind.OPEN).exists()
        event = LinkEvent.objects.create(link=link, kind=LinkEvent.Kind.OPEN, occurred_at=now,
                                         email=email)  # fmt: skip
        if first:
            record_touch(link, now)
            score_after_commit([link.lead_id])
            if link.sent_by is not None:
                notify.notify(
                    [link.sent_by],
                    kind="content.link_opened",
                    title=f"{link.lead} opened {link.asset.title}",
                    body="The link you sent was opened for the first time.",
                    url=reverse("crm:lead", args=[link.lead_id]),
                    key=f"content.link_opened.{link.pk}",
                    at=now,
                )
    return event


def record_download_by_visitor(link: TrackedLink, now: datetime | None = None) -> LinkEvent:
    return LinkEvent.objects.create(link=link, kind=LinkEvent.Kind.DOWNLOAD,
                                    occurred_at=now or timezone.now())  # fmt: skip


def record_reading(link: TrackedLink, seconds, pages=None, now=None) -> LinkEvent:
    """Time the visitor spent on the page since the last ping (and the PDF pages seen, when
    known). Values a reader cannot produce are refused."""
    seconds = _whole(seconds, "seconds", 1, PING_MAX_SECONDS)
    pages = None if pages in (None, "") else _whole(pages, "pages", 1, PING_MAX_PAGES)
    return LinkEvent.objects.create(link=link, kind=LinkEvent.Kind.VIEW, seconds=seconds,
                                    pages=pages, occurred_at=now or timezone.now())  # fmt: skip


def _whole(value, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({name: f"{name} must be a whole number."}) from None
    if not low <= number <= high:
        raise ValidationError({name: f"{name} must be between {low} and {high}."})
    return number


def clean_gate_email(email: str) -> str:
    email = (email or "").strip()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": "Enter a valid email address, such as name@company.com."}
        ) from None
    return email


def _sendable_version(asset: Asset):
    if asset.status != Asset.Status.PUBLISHED:
        raise ValidationError(NOT_SENDABLE[asset.status].format(title=asset.title))
    version = asset.versions.order_by("-number").first()
    if version is None:
        raise ValidationError(f"{asset.title} has no file or link to send.")
    return version


def _check_deal(lead: Lead, opportunity: Opportunity | None) -> None:
    if opportunity is None:
        return
    if opportunity.primary_lead_id != lead.pk and (
        lead.account_id is None or opportunity.account_id != lead.account_id
    ):
        raise ValidationError(
            {"opportunity": f"{opportunity.name} is not a deal of {lead}'s account."}
        )
