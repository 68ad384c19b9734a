"""The content library's verbs: each checks who may, validates, changes the asset in one
transaction and writes the audit log. Pages, the API, the demo and the reminders task call
these and nothing else to change an asset."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.content import previews, uploads
from accord.content.models import REVIEW_EVERY, STAGES, Asset, AssetVersion, Persona, Review
from accord.people import audit, notify, permissions
from accord.people.models import Team, User

DENIED_CREATE = "Only content and marketing people, managers, leaders and admins add assets."
DENIED_EDIT = (
    "Only the asset's owner, their managers, content managers, leaders and admins change it."
)
# Owners hear of a coming review this many days before the review-by date, and on it.
REMIND_BEFORE = timedelta(days=7)

DETAILS = ("title", "kind", "description", "owner", "owner_team", "stages", "personas",
           "industry", "product", "tags")  # fmt: skip


def create_asset(actor, *, version: dict | None = None, **details) -> Asset:
    """A new draft asset, with its first version when `version` (file or url, note) is given."""
    permissions.require(permissions.can_create_asset(actor), DENIED_CREATE)
    details.setdefault("owner", actor)
    cleaned = _clean_details(details)
    checked = _clean_version(version) if version else None
    now = timezone.now()
    with transaction.atomic():
        asset = Asset.objects.create(**cleaned, created_at=now, updated_at=now)
        audit.record(actor, "content.asset_created", asset, after=_snapshot(asset),
                     summary=f"Added {asset.title}")  # fmt: skip
        if checked:
            _store_version(actor, asset, checked, now)
    return asset


def change_asset(actor, asset: Asset, **details) -> Asset:
    _may_edit(actor, asset)
    cleaned = _clean_details({**{f: getattr(asset, f) for f in DETAILS}, **details})
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        before = _snapshot(asset)
        for field, value in cleaned.items():
            setattr(asset, field, value)
        asset.updated_at = timezone.now()
        asset.save()
        audit.record(actor, "content.asset_changed", asset, before=before,
                     after=_snapshot(asset), summary=f"Changed {asset.title}")  # fmt: skip
    return asset


def add_version(actor, asset: Asset, *, file=None, url: str = "", note: str = "") -> AssetVersion:
    """A new file or link for the same asset: its identity and history stay."""
    _may_edit(actor, asset)
    checked = _clean_version({"file": file, "url": url, "note": note})
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        now = timezone.now()
        version = _store_version(actor, asset, checked, now)
        asset.updated_at = now
        asset.save(update_fields=["updated_at"])
    return version


def publish(actor, asset: Asset, today: date | None = None) -> Asset:
    """Reps may use it from now on; its review falls due 90 days later (or stays where an
    earlier review put it, if that is later)."""
    _may_edit(actor, asset)
    today = today or timezone.localdate()
    if not asset.versions.exists():
        raise ValidationError("Add a file or a link before publishing: reps need something to use.")
    review_by = today + REVIEW_EVERY
    if asset.review_by and asset.review_by > review_by:
        review_by = asset.review_by
    return _move(actor, asset, Asset.Status.PUBLISHED, "published",
                 published_at=timezone.now(), review_by=review_by)  # fmt: skip


def expire(actor, asset: Asset) -> Asset:
    """Out of date: marked for everybody, and never sent again (until published anew)."""
    _may_edit(actor, asset)
    return _move(actor, asset, Asset.Status.EXPIRED, "expired")


def archive(actor, asset: Asset) -> Asset:
    _may_edit(actor, asset)
    return _move(actor, asset, Asset.Status.ARCHIVED, "archived")


def mark_reviewed(actor, asset: Asset, today: date | None = None) -> Asset:
    """The owner checked it is still right: the next review is due 90 days from today."""
    _may_edit(actor, asset)
    if asset.status != Asset.Status.PUBLISHED:
        raise ValidationError("Only a published asset is reviewed; publish it first.")
    today = today or timezone.localdate()
    with transaction.atomic():
        due, owner_id = asset.review_by, asset.owner_id
        asset = _move(actor, asset, asset.status, "reviewed", reviewed_at=timezone.now(),
                      review_by=today + REVIEW_EVERY)  # fmt: skip
        if due is not None:
            Review.objects.create(asset=asset, due=due, reviewed_on=today, reviewed_by=actor,
                                  owner_id=owner_id)  # fmt: skip
    return asset


def _move(actor, asset: Asset, status: str, verb: str, **fields) -> Asset:
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        if verb != "reviewed" and asset.status == status:
            label = Asset.Status(status).label.lower()
            raise ValidationError(f"{asset.title} is already {label}.")
        before = _snapshot(asset)
        asset.status = status
        for field, value in fields.items():
            setattr(asset, field, value)
        asset.updated_at = timezone.now()
        asset.save()
        audit.record(actor, f"content.asset_{verb}", asset, before=before,
                     after=_snapshot(asset), summary=f"{verb.title()} {asset.title}")  # fmt: skip
    return asset


def remind_reviews(today: date | None = None) -> int:
    """Tell each published asset's owner (or, when they have left, the managers of its owner
    team) a week before its review-by date and on it; each reminder once per date. Returns how
    many notifications were created."""
    today = today or timezone.localdate()
    due = Asset.objects.filter(
        status=Asset.Status.PUBLISHED, review_by__lte=today + REMIND_BEFORE
    ).select_related("owner", "owner_team")
    sent = 0
    for asset in due:
        people = responsible_people(asset)
        if asset.review_by > today:
            key, title = "soon", f"Review {asset.title} by {asset.review_by:%b %-d}"
        else:
            key, title = "due", f"{asset.title} is due for review"
        body = (
            "Check it is still right (prices, customers, claims), then mark it reviewed, "
            "or expire it so reps stop using it."
        )
        sent += len(
            notify.notify(
                people,
                kind=f"content.review_{key}",
                title=title,
                body=body,
                url=asset.get_absolute_url(),
                key=f"content.review.{asset.pk}.{asset.review_by}.{key}",
            )  # fmt: skip
        )
    return sent


def responsible_people(asset: Asset) -> list[User]:
    """Who answers for an asset: its owner while they are active, else the managers of its
    owner team."""
    if asset.owner is not None and asset.owner.is_active:
        return [asset.owner]
    if asset.owner_team is None:
        return []
    return list(asset.owner_team.members.filter(is_active=True, role=User.Role.MANAGER))


# Validation.


def _may_edit(actor, asset: Asset) -> None:
    permissions.require(permissions.can_edit_asset(actor, asset), DENIED_EDIT)


def _clean_details(details: dict) -> dict:
    unknown = set(details) - set(DETAILS)
    if unknown:
        raise ValueError(f"Not an asset detail: {', '.join(sorted(unknown))}")
    errors: dict[str, str] = {}
    cleaned = dict(details)
    cleaned["title"] = " ".join(str(details.get("title") or "").split())
    if not cleaned["title"]:
        errors["title"] = "Give the asset a title."
    elif len(cleaned["title"]) > Asset._meta.get_field("title").max_length:
        errors["title"] = "At most 200 characters."
    if details.get("kind") not in Asset.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(Asset.Kind.values)}."
    owner = details.get("owner")
    if owner is not None and (not owner.is_active or owner.role == User.Role.VIEWER):
        errors["owner"] = f"{owner} cannot own an asset (a viewer, or no longer active)."
    team = details.get("owner_team")
    if team is not None and not isinstance(team, Team):
        errors["owner_team"] = "Choose a team."
    if owner is None and team is None:
        errors["owner"] = "Give the asset an owner, or at least a team that answers for it."
    stage_values = [value for value, _ in STAGES]
    for field, allowed in (("stages", stage_values), ("personas", Persona.values)):
        values = list(dict.fromkeys(details.get(field) or []))
        if bad := [v for v in values if v not in allowed]:
            errors[field] = (
                f"Unknown: {', '.join(map(str, bad))}. Choose from {', '.join(allowed)}."
            )
        cleaned[field] = values
    tags = [" ".join(str(t).split()).lower() for t in details.get("tags") or []]
    cleaned["tags"] = [t for t in dict.fromkeys(tags) if t]
    if any(len(t) > 40 for t in cleaned["tags"]) or len(cleaned["tags"]) > 20:
        errors["tags"] = "At most 20 tags of at most 40 characters each."
    for field in ("industry", "product"):
        cleaned[field] = " ".join(str(details.get(field) or "").split())
        if len(cleaned[field]) > 80:
            errors[field] = "At most 80 characters."
    cleaned["description"] = str(details.get("description") or "").strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_version(version: dict) -> dict:
    file, url = version.get("file"), (version.get("url") or "").strip()
    note = " ".join(str(version.get("note") or "").split())
    if bool(file) == bool(url):
        raise ValidationError({"file": "Upload a file or give a link (one of the two)."})
    if len(note) > 300:
        raise ValidationError({"note": "At most 300 characters."})
    if url:
        try:
            URLValidator(schemes=["https", "http"])(url)
        except ValidationError:
            raise ValidationError(
                {"url": f"{url[:80]} is not a web address (https://…)."}
            ) from None
        if len(url) > 500:
            raise ValidationError({"url": "At most 500 characters."})
        return {"url": url, "note": note}
    return {"file": file, "checked": uploads.check_upload(file), "note": note}


def _store_version(actor, asset: Asset, version: dict, now) -> AssetVersion:
    number = (asset.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    row = AssetVersion(asset=asset, number=number, note=version["note"], created_by=actor,
                       created_at=now)  # fmt: skip
    checked = version.get("checked")
    if checked:
        row.file_name, row.size, row.content_type = checked.name, checked.size, checked.content_type
        version["file"].seek(0)
        row.file.save(checked.name, version["file"], save=False)
        version["file"].seek(0)
        drawn = previews.preview(version["file"].read(), checked.content_type)
        if drawn:
            row.preview.save("preview.png", ContentFile(drawn), save=False)
    else:
        row.url = version["url"]
    try:
        row.save()
        audit.record(actor, "content.version_added", asset,
                     after={"number": number, "file_name": row.file_name, "url": row.url,
                            "size": row.size, "content_type": row.content_type},
                     summary=f"Version {number} of {asset.title}")  # fmt: skip
    except Exception:
        for stored in (row.file, row.preview):
            if stored:
                stored.delete(save=False)  # no row, no file: nothing stored half-way
        raise
    return row


def _snapshot(asset: Asset) -> dict:
    return {
        "title": asset.title,
        "kind": asset.kind,
        "owner": asset.owner_id,
        "owner_team": asset.owner_team_id,
        "stages": asset.stages,
        "personas": asset.personas,
        "industry": asset.industry,
        "product": asset.product,
        "tags": asset.tags,
        "status": asset.status,
        "review_by": asset.review_by.isoformat() if asset.review_by else None,
    }
