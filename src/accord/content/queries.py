"""Read models for the library's pages and API."""

from datetime import date

from django.db.models import Count, QuerySet

from accord.content.actions import responsible_people
from accord.content.models import Asset
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


def overdue_reviews(today: date) -> list[dict]:
    """Published assets past their review-by date, grouped by who answers for them (the owner,
    or the owner team's managers when the owner has left), the longest overdue first: what
    the scoreboard and the weekly digest hold content owners to."""
    found: dict[str, dict] = {}
    overdue = (
        Asset.objects.filter(status=Asset.Status.PUBLISHED, review_by__lt=today)
        .select_related("owner", "owner_team")
        .order_by("review_by", "title")
    )
    for asset in overdue:
        people = responsible_people(asset)
        name = ", ".join(p.display_name for p in people) or (
            f"nobody in {asset.owner_team}" if asset.owner_team else "nobody"
        )
        group = found.setdefault(name, {"owner": name, "people": people, "assets": []})
        group["assets"].append(
            {"asset": asset, "days": (today - asset.review_by).days, "stale": asset.is_stale(today)}
        )
    return sorted(found.values(), key=lambda g: -max(a["days"] for a in g["assets"]))
