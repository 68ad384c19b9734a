"""The demo company's content usage over its last year, written after the library
(`content.install`): what `simulate()` decided sales sent and showed (sends to accepted and
SQL leads, sends and uses on deals: the assets' hidden lifts already moved those deals'
outcomes), and around it what moves nothing: buyers opening the tracked links (better
leads open more), people browsing the library, and marketing's content views tied to the
whitepaper or case study they were.

Each send is a TrackedLink, a Usage of kind send and a touchpoint of kind `content` on the
"Content sent by sales" channel with its ContentTouch; a buyer's first open of a link is
another such touchpoint. Written in bulk with explicit ids, like `persist.py`.
"""

import base64
import math
import random
from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from accord.content.models import Asset, AssetVersion, ContentTouch, LinkEvent, TrackedLink, Usage
from accord.content.touches import sales_content_channel
from accord.core.bulk import insert_values
from accord.crm.models import Touchpoint
from accord.demo.company import REPS
from accord.demo.content import CONTENT_OWNERS, MARKETING_OWNERS
from accord.demo.simulation import DAY, HOUR, MINUTE, World, as_datetime
from accord.people.models import User

K = Asset.Kind
# Opens: a link is opened with probability OPEN_BASE + OPEN_PER_QUALITY x the lead's hidden
# quality, first after an exponential delay (mean FIRST_OPEN_DAYS), then again with REOPEN
# each time; most opens are read for a while (seconds log-normal around READ_SECONDS).
OPEN_BASE, OPEN_PER_QUALITY = 0.45, 0.45
FIRST_OPEN_DAYS = 1.2
REOPEN, REOPEN_DAYS = 0.35, 3.0
READ_SHARE, READ_SECONDS, READ_SIGMA = 0.85, 75, 0.9
DOWNLOAD_SHARE = 0.2
SECONDS_A_PAGE = 40
GATED, EXPIRING, EXPIRES_AFTER_DAYS, REVOKED = 0.1, 0.2, 30, 0.02
# People browse the library: views a working week (reps; content and marketing less).
BROWSE_A_WEEK = {"rep": 1.2, "other": 0.5}
BROWSE_DOWNLOAD = 0.3
# Marketing's content views (search, syndication, partners, the site, review sites) that were
# one of the library's top-of-funnel assets.
PROMOTED_CHANNELS = ("organic_search", "content_syndication", "partner", "direct", "review_sites")
PROMOTED_KINDS = frozenset({K.WHITEPAPER, K.CASE_STUDY, K.ONE_PAGER, K.VIDEO})
PROMOTED_SHARE = 0.6
TOKEN_BYTES = 32  # 43 url-safe characters


def _token(rng: random.Random, taken: set[str]) -> str:
    while True:
        token = base64.urlsafe_b64encode(rng.randbytes(TOKEN_BYTES)).rstrip(b"=").decode()
        if token not in taken:
            taken.add(token)
            return token


def _next_ids(model) -> int:
    return (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1


class _Picker:
    """Assets sendable on a day, weighted by their hidden popularity (cached by day)."""

    def __init__(self, world: World, kinds: frozenset | None = None) -> None:
        self.world, self.kinds, self.cache = world, kinds, {}

    def pick(self, rng: random.Random, day: date) -> int | None:
        if day not in self.cache:
            picks = [
                i
                for i, plan in enumerate(self.world.library)
                if self.world.hidden[i].popularity
                and (self.kinds is None or plan.kind in self.kinds)
                and plan.sendable_on(day)
            ]
            weights = list(accumulate(self.world.hidden[i].popularity for i in picks))
            self.cache[day] = (picks, weights)
        picks, weights = self.cache[day]
        if not picks:
            return None
        return picks[bisect_right(weights, rng.random() * weights[-1])]


def install(world: World, seed: int) -> dict[str, int]:
    """Write the year of usage; how many rows of each."""
    rng = random.Random(seed * 7919 + 22)
    until = int(world.until.timestamp())
    users = dict(User.objects.values_list("username", "pk"))
    assets = dict(Asset.objects.values_list("title", "pk"))
    asset_id = [assets[plan.title] for plan in world.library]
    versions = {
        (a, n): pk for a, n, pk in AssetVersion.objects.values_list("asset_id", "number", "pk")
    }
    channel = sales_content_channel().pk

    sends = []  # (at, user, asset index, version, lead, opportunity)
    uses = []  # (at, user, asset index, version, lead, opportunity)
    for lead in world.leads:
        for at, user, index, version in lead.sends:
            sends.append((at, user, index, version, lead, None))
    for opportunity in world.opportunities:
        for at, user, index, version, kind in opportunity.content:
            row = (at, user, index, version, opportunity.lead, opportunity)
            (sends if kind == "send" else uses).append(row)
    sends.sort(key=lambda s: (s[0], s[4].pk))

    links, touches, events = [], [], []
    link_id, touch_id = _next_ids(TrackedLink), _next_ids(Touchpoint)
    taken: set[str] = set()
    for at, user, index, version, lead, opportunity in sends:
        asset = asset_id[index]
        version_id = versions[(asset, version)]
        expires = at + EXPIRES_AFTER_DAYS * DAY if rng.random() < EXPIRING else None
        revoked = at + rng.randrange(DAY, 20 * DAY) if rng.random() < REVOKED else None
        revoked = revoked if revoked is not None and revoked < until else None
        gated = rng.random() < GATED
        links.append((link_id, _token(rng, taken), asset, version_id, lead.pk,
                      opportunity.pk if opportunity else None, users[user], as_datetime(at),
                      as_datetime(expires) if expires else None, gated,
                      as_datetime(revoked) if revoked else None))  # fmt: skip
        touches.append((touch_id, lead.pk, at, asset, version_id, link_id))
        touch_id += 1
        closes = min(t for t in (until, expires, revoked) if t is not None)
        opens = _opens(rng, at, closes, lead.quality)
        for n, opened in enumerate(opens):
            if n == 0:
                touches.append((touch_id, lead.pk, opened, asset, version_id, link_id))
                touch_id += 1
            email = lead.email if gated else ""
            events.append((link_id, LinkEvent.Kind.OPEN, opened, None, None, email))
            if rng.random() < READ_SHARE:
                read = rng.lognormvariate(math.log(READ_SECONDS), READ_SIGMA)
                seconds = max(5, min(3600, int(read)))
                pages = 1 + seconds // SECONDS_A_PAGE if _paged(world, index) else None
                if opened + seconds < closes:
                    events.append((link_id, LinkEvent.Kind.VIEW, opened + seconds, seconds,
                                   pages, ""))  # fmt: skip
                if rng.random() < DOWNLOAD_SHARE and opened + seconds + 5 < closes:
                    events.append((link_id, LinkEvent.Kind.DOWNLOAD, opened + seconds + 5, None,
                                   None, ""))  # fmt: skip
        link_id += 1

    insert_values(
        TrackedLink,
        ("id", "token", "asset", "version", "lead", "opportunity", "sent_by", "sent_at",
         "expires_at", "email_gate", "revoked_at"),
        links,
    )  # fmt: skip
    insert_values(
        LinkEvent,
        ("link", "kind", "occurred_at", "seconds", "pages", "email"),
        ((link, kind, as_datetime(at), s, p, e) for link, kind, at, s, p, e in events),
    )
    insert_values(
        Touchpoint,
        ("id", "lead", "channel", "campaign", "kind", "occurred_at", "source_system",
         "external_id"),
        ((pk, lead, channel, None, Touchpoint.Kind.CONTENT, as_datetime(at), "accord", "")
         for pk, lead, at, _, _, _ in touches),
    )  # fmt: skip
    promoted = _promoted_views(rng, world)
    insert_values(
        ContentTouch,
        ("touchpoint", "asset", "version", "link"),
        [(pk, asset, version, link) for pk, _, _, asset, version, link in touches]
        + [(pk, asset_id[i], versions[(asset_id[i], v)], None) for pk, i, v in promoted],
    )
    usage = [
        (asset_id[i], versions[(asset_id[i], v)], users[u], Usage.Kind.SEND, lead.pk,
         o.pk if o else None, as_datetime(at))
        for at, u, i, v, lead, o in sends
    ] + [
        (asset_id[i], versions[(asset_id[i], v)], users[u], Usage.Kind.USE,
         lead.pk if lead else None, o.pk, as_datetime(at))
        for at, u, i, v, lead, o in uses
    ] + [
        (asset_id[i], versions[(asset_id[i], v)], users[u], kind, None, None, as_datetime(at))
        for at, u, i, v, kind in _browsing(rng, world)
    ]  # fmt: skip
    insert_values(
        Usage, ("asset", "version", "user", "kind", "lead", "opportunity", "occurred_at"), usage
    )
    # Explicit ids leave PostgreSQL's sequences behind; move them past the new rows.
    reset = connection.ops.sequence_reset_sql(no_style(), [TrackedLink, Touchpoint])
    if reset:
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)
    return {
        "sends": len(sends),
        "uses": len(uses),
        "opens": sum(1 for e in events if e[1] == LinkEvent.Kind.OPEN),
        "content touches": len(touches) + len(promoted),
        "usage": len(usage),
    }


def _paged(world: World, index: int) -> bool:
    return world.library[index].kind not in (K.VIDEO, K.ROI_CALCULATOR)


def _opens(rng: random.Random, sent: int, closes: int, quality: float) -> list[int]:
    """When the buyer opened the link: never, once, or again and again."""
    if rng.random() >= OPEN_BASE + OPEN_PER_QUALITY * quality:
        return []
    opens = []
    at = sent + MINUTE + int(rng.expovariate(1 / (FIRST_OPEN_DAYS * DAY)))
    while at < closes:
        opens.append(at)
        if rng.random() >= REOPEN:
            break
        at += HOUR + int(rng.expovariate(1 / (REOPEN_DAYS * DAY)))
    return opens


def _browsing(rng: random.Random, world: World) -> list[tuple]:
    """People looking through the library: (at, username, asset index, version, kind)."""
    picker = _Picker(world)
    since, until = world.content_since, world.until
    rows = []
    people = [(name, BROWSE_A_WEEK["rep"]) for name in REPS] + [
        (name, BROWSE_A_WEEK["other"]) for name in CONTENT_OWNERS + MARKETING_OWNERS
    ]
    week = since
    while week < until:
        for name, rate in people:
            for _ in range(_poisson(rng, rate)):
                at = week + timedelta(days=rng.randrange(5), hours=rng.uniform(13, 22))
                if at >= until:
                    continue
                index = picker.pick(rng, at.date())
                if index is None:
                    continue
                kind = Usage.Kind.DOWNLOAD if rng.random() < BROWSE_DOWNLOAD else Usage.Kind.VIEW
                version = world.library[index].version_on(at.date())
                rows.append((int(at.timestamp()), name, index, version, kind))
        week += timedelta(days=7)
    return rows


def _poisson(rng: random.Random, lam: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < lam:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _promoted_views(rng: random.Random, world: World) -> list[tuple[int, int, int]]:
    """Marketing's content views in the tracked year that were one of the library's
    top-of-funnel assets: (touchpoint id, asset index, version)."""
    picker = _Picker(world, PROMOTED_KINDS)
    views = (
        Touchpoint.objects.filter(
            kind=Touchpoint.Kind.CONTENT_VIEW,
            occurred_at__gte=world.content_since,
            channel__key__in=PROMOTED_CHANNELS,
        )
        .order_by("id")
        .values_list("id", "occurred_at")
    )
    rows = []
    for pk, at in views.iterator(chunk_size=10_000):
        if rng.random() >= PROMOTED_SHARE:
            continue
        index = picker.pick(rng, at.date())
        if index is not None:
            rows.append((pk, index, world.library[index].version_on(at.date())))
    return rows
