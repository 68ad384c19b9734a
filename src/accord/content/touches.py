"""Touchpoints that were an asset. A send, and a buyer opening the link, are touches on the
lead like any other (kind `content`, on the "Content sent by sales" channel), so scoring,
the follow-up clocks and every attribution model see them; `ContentTouch` says which asset
and version each one was, and influence rolls credits up by it."""

from datetime import datetime

from accord.content.models import ContentTouch, TrackedLink
from accord.crm.models import Channel, Touchpoint

CHANNEL_KEY = "sales-content"
CHANNEL_NAME = "Content sent by sales"


def sales_content_channel() -> Channel:
    channel, _ = Channel.objects.get_or_create(
        key=CHANNEL_KEY, defaults={"name": CHANNEL_NAME, "group": Channel.Group.SALES}
    )
    return channel


def record_touch(link: TrackedLink, when: datetime) -> Touchpoint:
    """One touchpoint of kind `content` on the link's lead, tied to the link's asset and
    version. The caller holds the transaction (and tells scoring, on commit)."""
    touch = Touchpoint.objects.create(
        lead_id=link.lead_id,
        channel=sales_content_channel(),
        kind=Touchpoint.Kind.CONTENT,
        occurred_at=when,
    )
    ContentTouch.objects.create(
        touchpoint=touch, asset_id=link.asset_id, version_id=link.version_id, link=link
    )
    return touch
