"""Read models for the library's pages and API."""

from datetime import date

from django.db.models import Count, QuerySet

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
