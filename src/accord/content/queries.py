"""Read models for the library's pages and API."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.analytics import ratings as arithmetic
from accord.content.actions import responsible_people
from accord.content.models import (
    Asset,
    LinkEvent,
    Persona,
    Rating,
    Rubric,
    Suggestion,
    TrackedLink,
    Usage,
)
from accord.core import figures
from accord.people.models import AuditLog
from accord.sla.clocks import calendars


def _under_active_rubric():
    return Rating.objects.filter(asset=OuterRef("pk"), rubric__status=Rubric.Status.ACTIVE)


def assets() -> QuerySet:
    """Assets with, under the active rubric, their ratings' mean
    weighted score (`rating`, None when unrated) and how many there are (`rating_count`)."""
    ratings = _under_active_rubric().order_by().values("asset")
    # Each figure a subquery of its own (no GROUP BY over the list): a page of the library
    # computes them for its rows alone, and counting the list reads no rating. Both are read
    # from the ratings index alone (asset, rubric, score): COUNT(*), not of the ids.
    return Asset.objects.select_related("owner", "owner_team").annotate(
        rating=Subquery(
            ratings.annotate(mean=Avg("score")).values("mean"),
            output_field=DecimalField(max_digits=4, decimal_places=3),
        ),
        rating_count=Subquery(ratings.annotate(n=Count("*")).values("n")),
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


# What content owes sales, as the scoreboard shows it: the assets past their review date and
# the suggestions past their deadline, with the people who answer for them.
OWED_TABLES = figures.table_names(
    [Asset, Suggestion, "people_user", "people_team", "people_user_teams"]
)
LATE_SUGGESTIONS_SHOWN = 10


def kept_owed(now: datetime) -> figures.Kept[dict]:
    """`overdue_reviews` and the first overdue suggestions (with how many there are) as of
    `now` in the current zone, kept (the scoreboard shows them on every view: a tenth of its
    cost) until an asset, a suggestion or a person is written, the day turns (days overdue,
    stale), or the next open suggestion's deadline passes."""
    today = timezone.localdate(now)
    midnight = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))

    def compute() -> dict:
        late = overdue_suggestions(now)
        upcoming = Suggestion.objects.filter(status=Suggestion.Status.OPEN, due_at__gt=now)
        return {
            "reviews": overdue_reviews(today),
            "suggestions": list(late[:LATE_SUGGESTIONS_SHOWN]),
            "suggestion_count": late.count(),
            "next_due": upcoming.order_by("due_at").values_list("due_at", flat=True).first(),
        }

    return figures.kept(
        f"content.owed:{timezone.get_current_timezone_name()}",
        OWED_TABLES,
        compute,
        valid_until=lambda found: min(filter(None, (midnight, found["next_due"]))),
        stale_ok=False,
    )


# Suggestions.

DEADLINE_STATES = {
    "open": "On track",  # the status beside it already says Open
    "at_risk": "At risk",
    "overdue": "Overdue",
    "in_time": "Answered in time",
    "late": "Answered late",
}


def deadline_state(suggestion: Suggestion, now: datetime) -> str:
    """Where a suggestion stands against its response deadline: open, at_risk, overdue
    (unanswered), in_time or late (answered)."""
    if suggestion.responded_at is not None:
        return "in_time" if suggestion.responded_at <= suggestion.due_at else "late"
    if now >= suggestion.due_at:
        return "overdue"
    return "at_risk" if now >= suggestion.at_risk_at else "open"


def suggestions() -> QuerySet:
    return Suggestion.objects.select_related(
        "asset", "owner", "filed_by", "responded_by", "version"
    )


def with_deadline_states(rows, now: datetime) -> list[Suggestion]:
    rows = list(rows)
    for row in rows:
        row.deadline_state = deadline_state(row, now)
        row.deadline_label = DEADLINE_STATES[row.deadline_state]
    return rows


def overdue_suggestions(now: datetime | None = None) -> QuerySet:
    """Open suggestions past their response deadline, the longest overdue first, with their
    asset and owner (who must answer): for the scoreboard and the weekly digest."""
    now = now or timezone.now()
    return (
        Suggestion.objects.filter(status=Suggestion.Status.OPEN, due_at__lte=now)
        .select_related("asset", "owner", "filed_by")
        .order_by("due_at", "id")
    )


@dataclass(frozen=True)
class SuggestionFigures:
    """One owner's suggestions filed in the period: how many, how many are still open (and of
    those overdue), answered within the deadline, and the median time to the first answer in
    business hours of the owner's calendar. `in_time_share` is a fraction of the suggestions
    whose outcome is known (answered, or open past the deadline); None when there are none."""

    owner_id: int
    count: int
    open: int
    overdue: int
    answered: int
    answered_in_time: int
    in_time_share: float | None
    median_response_hours: float | None


def suggestion_figures(
    owner_ids,
    *,
    filed_from: datetime | None = None,
    filed_to: datetime | None = None,
    now: datetime | None = None,
) -> dict[int, SuggestionFigures]:
    """Per owner (each of `owner_ids`, those with none too): their suggestions filed in
    [filed_from, filed_to), as of `now`. For the owner scorecard."""
    now = now or timezone.now()
    owner_ids = list(owner_ids)
    rows = Suggestion.objects.filter(owner_id__in=owner_ids, filed_at__lte=now)
    if filed_from is not None:
        rows = rows.filter(filed_at__gte=filed_from)
    if filed_to is not None:
        rows = rows.filter(filed_at__lt=filed_to)
    by_owner: dict[int, list] = {owner_id: [] for owner_id in owner_ids}
    for row in rows.values_list("owner_id", "filed_at", "due_at", "responded_at"):
        by_owner[row[0]].append(row[1:])
    cals = calendars()
    figures = {}
    for owner_id, filed in by_owner.items():
        calendar = cals.of(owner_id)
        answered = [(f, d, r) for f, d, r in filed if r is not None and r <= now]
        pending = [d for f, d, r in filed if r is None or r > now]
        overdue = sum(1 for d in pending if d <= now)
        in_time = sum(1 for _, d, r in answered if r <= d)
        known = len(answered) + overdue
        hours = [calendar.elapsed(f, r).total_seconds() / 3600 for f, _, r in answered]
        figures[owner_id] = SuggestionFigures(
            owner_id=owner_id,
            count=len(filed),
            open=len(pending),
            overdue=overdue,
            answered=len(answered),
            answered_in_time=in_time,
            in_time_share=in_time / known if known else None,
            median_response_hours=round(median(hours), 2) if hours else None,
        )
    return figures


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


RATING_TABLES = figures.table_names([Rating, Rubric])
USAGE_TABLES = figures.table_names([Usage, LinkEvent, TrackedLink])


def kept_rating_figures(asset: Asset) -> figures.Kept[RatingFigures]:
    """rating_figures(asset) under the active rubric, kept until a rating or rubric is
    written: an asset's page summed all its ratings on every view. Never shown behind a
    write (the worker does not refresh it, and one asset's figures are quick to compute)."""
    return figures.kept(
        f"content:ratings:{asset.pk}", RATING_TABLES, lambda: rating_figures(asset), stale_ok=False
    )


def kept_usage_counts(asset: Asset) -> figures.Kept[dict[str, int]]:
    """usage_counts(asset), kept until a use, a tracked link or a buyer's event is written:
    an asset's page counted its whole history on every view. Never shown behind a write: a
    rep who reloads after the buyer opened the link sees the open."""
    return figures.kept(
        f"content:usage:{asset.pk}", USAGE_TABLES, lambda: usage_counts(asset), stale_ok=False
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


def suggested_assets(stage: str, persona: str, today: date, limit: int = 8) -> list[Asset]:
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
