"""Read models for the library's pages and API."""

import re
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.content.models import Asset, LinkEvent, Persona, TrackedLink, Usage
from accord.people.models import AuditLog


def assets() -> QuerySet:
    return Asset.objects.select_related("owner", "owner_team").annotate(
        version_count=Count("versions")
    )


def history(asset: Asset) -> QuerySet:
    """The asset's audit trail, newest first."""
    return AuditLog.objects.filter(
        object_type=asset._meta.label_lower, object_id=str(asset.pk)
    ).select_related("actor")


def review_state(asset: Asset, today: date) -> str:
    """What a rep is told about an asset's freshness: expired, stale, overdue or ''."""
    if asset.status == Asset.Status.EXPIRED:
        return "expired"
    if asset.is_stale(today):
        return "stale"
    if asset.is_review_overdue(today):
        return "overdue"
    return ""


# Usage: what people inside did with an asset, and what the buyers did with its links.

USAGE_WINDOW = timedelta(days=90)

# A lead's persona, guessed from their title: the first rule whose keyword is a word of the
# title wins (so "VP Finance" is an executive, "Finance manager" an economic buyer).
PERSONA_KEYWORDS: list[tuple[tuple[str, ...], str]] = [
    (("cfo", "finance", "financial", "controller", "treasurer"), Persona.ECONOMIC_BUYER),
    (
        (
            "vp",
            "chief",
            "ceo",
            "coo",
            "cto",
            "cio",
            "cmo",
            "president",
            "head",
            "director",
            "founder",
            "owner",
        ),
        Persona.EXECUTIVE,
    ),  # fmt: skip
    (("procurement", "purchasing", "buyer", "sourcing", "vendor"), Persona.PROCUREMENT),
    (
        (
            "engineer",
            "engineering",
            "architect",
            "it",
            "developer",
            "devops",
            "security",
            "technical",
            "admin",
            "administrator",
        ),
        Persona.TECHNICAL,
    ),  # fmt: skip
    (("manager", "lead", "specialist", "analyst", "coordinator"), Persona.CHAMPION),
]


def persona_for_title(title: str) -> str:
    """The persona PERSONA_KEYWORDS gives a job title; '' when no keyword is in it. The CFO
    rule comes first: a CFO is the economic buyer before being an executive."""
    words = set(re.findall(r"[a-z]+", (title or "").lower()))
    for keywords, persona in PERSONA_KEYWORDS:
        if words.intersection(keywords):
            return persona
    return ""


def suggestions(stage: str, persona: str, today: date, limit: int = 8) -> list[Asset]:
    """Published assets for a stage and a persona: those that fit both first, then either;
    fresh before stale (each marked `stale`), most used in 90 days first."""
    candidates = assets().filter(status=Asset.Status.PUBLISHED)
    if stage or persona:
        fits = Q(pk__in=[])
        if stage:
            fits |= Q(stages__icontains=f'"{stage}"')
        if persona:
            fits |= Q(personas__icontains=f'"{persona}"')
        candidates = candidates.filter(fits)
    candidates = with_recent_uses(candidates, today)
    rows = []
    for asset in candidates[:200]:
        asset.stale = asset.is_stale(today)
        asset.fits = (stage in asset.stages) + (persona in asset.personas)
        rows.append(asset)
    rows.sort(key=lambda a: (a.stale, -a.fits, -a.recent_uses, a.title))
    return rows[:limit]


def with_recent_uses(queryset: QuerySet, today: date) -> QuerySet:
    """Each asset with `recent_uses`: its sends and uses in the 90 days up to today."""
    since = _day_start(today - USAGE_WINDOW)
    recent = (
        Usage.objects.filter(
            asset=OuterRef("pk"), kind__in=[Usage.Kind.SEND, Usage.Kind.USE], occurred_at__gte=since
        )  # fmt: skip
        .order_by()
        .values("asset")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.annotate(recent_uses=Coalesce(Subquery(recent), 0))


def unused_since(queryset: QuerySet, today: date) -> QuerySet:
    """Assets nobody sent or used on a deal in the 90 days up to today."""
    since = _day_start(today - USAGE_WINDOW)
    return queryset.exclude(
        pk__in=Usage.objects.filter(
            kind__in=[Usage.Kind.SEND, Usage.Kind.USE], occurred_at__gte=since
        ).values("asset")
    )


def usage_counts(asset: Asset) -> dict[str, int]:
    """All-time counts: views, downloads, sends and uses inside; opens and downloads of the
    tracked links by buyers, and how many links were opened at least once."""
    counts = dict(
        asset.usages.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    events = dict(
        LinkEvent.objects.filter(link__asset=asset)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {
        "views": counts.get(Usage.Kind.VIEW, 0),
        "downloads": counts.get(Usage.Kind.DOWNLOAD, 0),
        "sends": counts.get(Usage.Kind.SEND, 0),
        "uses": counts.get(Usage.Kind.USE, 0),
        "opens": events.get(LinkEvent.Kind.OPEN, 0),
        "buyer_downloads": events.get(LinkEvent.Kind.DOWNLOAD, 0),
        "links_opened": TrackedLink.objects.filter(asset=asset, events__kind="open")
        .distinct()
        .count(),
    }


def usages(asset: Asset) -> QuerySet:
    """The ledger, newest first: who did what, on which deal."""
    return asset.usages.select_related("user", "lead", "opportunity", "version")


def links(*conditions, **where) -> QuerySet:
    """Tracked links (of an asset, a lead...) with what their buyers did: opens, the first
    and last open, seconds read, downloads."""
    opened = Q(events__kind=LinkEvent.Kind.OPEN)
    return (
        TrackedLink.objects.filter(*conditions, **where)
        .select_related("asset", "version", "lead", "opportunity", "sent_by")
        .annotate(
            opens=Count("events", filter=opened),
            first_opened=Min("events__occurred_at", filter=opened),
            last_opened=Max("events__occurred_at", filter=opened),
            seconds=Coalesce(Sum("events__seconds", filter=Q(events__kind="view")), 0),
            downloads=Count("events", filter=Q(events__kind=LinkEvent.Kind.DOWNLOAD)),
        )
        .order_by("-sent_at", "-id")
    )


def link_state(link: TrackedLink, now: datetime) -> str:
    """What a link's status column says: revoked, expired, opened or sent."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    return "opened" if getattr(link, "opens", 0) else "sent"


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
