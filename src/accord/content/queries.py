"""Read models for the library's pages and API."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Count, DecimalField, OuterRef, QuerySet, Subquery

from accord.analytics import ratings as arithmetic
from accord.content.models import Asset, Rating, Rubric
from accord.people.models import AuditLog


def _under_active_rubric():
    return Rating.objects.filter(asset=OuterRef("pk"), rubric__status=Rubric.Status.ACTIVE)


def assets() -> QuerySet:
    """Assets with their version count and, under the active rubric, their ratings' mean
    weighted score (`rating`, None when unrated) and how many there are (`rating_count`)."""
    ratings = _under_active_rubric().order_by().values("asset")
    return Asset.objects.select_related("owner", "owner_team").annotate(
        version_count=Count("versions"),
        rating=Subquery(
            ratings.annotate(mean=Avg("score")).values("mean"),
            output_field=DecimalField(max_digits=4, decimal_places=3),
        ),
        rating_count=Subquery(ratings.annotate(n=Count("pk")).values("n")),
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


@dataclass(frozen=True)
class CriterionFigure:
    key: str
    name: str
    weight: float
    summary: arithmetic.Summary


@dataclass(frozen=True)
class RatingFigures:
    """An asset's ratings under one rubric: each criterion and the overall weighted score."""

    rubric: Rubric | None
    criteria: list[CriterionFigure]
    overall: arithmetic.Summary
    count: int
    older: int  # ratings under rubrics retired since


def rating_figures(asset: Asset, rubric: Rubric | None = None) -> RatingFigures:
    """The figures of `asset`'s ratings under `rubric` (the active one when not given)."""
    rubric = rubric or Rubric.objects.filter(status=Rubric.Status.ACTIVE).first()
    empty = arithmetic.summarize([])
    if rubric is None:
        return RatingFigures(None, [], empty, 0, asset.ratings.count())
    scores = list(asset.ratings.filter(rubric=rubric).values_list("scores", flat=True))
    per_criterion, overall = arithmetic.summarize_ratings(rubric.criteria, scores)
    return RatingFigures(
        rubric=rubric,
        criteria=[
            CriterionFigure(c["key"], c["name"], c["weight"], summary)
            for c, summary in per_criterion
        ],
        overall=overall,
        count=len(scores),
        older=asset.ratings.exclude(rubric=rubric).count(),
    )


def ratings(asset: Asset) -> QuerySet:
    """Every rating of the asset, newest first, each with its version and rubric."""
    return asset.ratings.select_related(
        "version", "rubric", "rater", "lead", "lead__account", "opportunity"
    )


def scored(rating: Rating) -> list[tuple[str, int, str]]:
    """A rating's scores as (criterion, score, label) under the rubric it used."""
    rows = []
    for criterion in rating.rubric.criteria:
        value = rating.scores.get(criterion["key"])
        label = criterion["labels"][value - 1] if value else ""
        rows.append((criterion["name"], value, label))
    return rows
