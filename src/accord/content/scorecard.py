"""The owner scorecard: how each asset owner delivers for sales. One row per owner for the
managers' table, and one owner's page with a chart per measure over the last twelve months.

Every measure is computed here from the records (reviews, ratings, usage, suggestions,
influence), never typed: the same figures on the table, the owner's page and the API.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accord.analytics import ratings as arithmetic
from accord.analytics.months import add_months, between, first_of
from accord.content import influence, queries, ratings
from accord.content.models import (
    Asset,
    ContentCredit,
    ContentReach,
    InfluenceRun,
    LinkEvent,
    Rating,
    Review,
    Rubric,
    Suggestion,
    TrackedLink,
    Usage,
)
from accord.core import figures
from accord.people.models import User
from accord.sla.kept import SHARED

MONTHS = 12
# What the table reads: the kept table is computed again when any of them is written.
OWNER_TABLES = figures.table_names(
    [
        Asset, Review, Rating, Rubric, TrackedLink, LinkEvent, Usage, Suggestion, InfluenceRun,
        ContentCredit, ContentReach, *SHARED,
    ]
)  # fmt: skip
USAGE_DAYS = 90  # sends, opens and unused assets: the last 90 days
SUGGESTION_DAYS = 365  # suggestions filed in the last year
GOOD, BAD = "#12b886", "#fa5252"  # the charts' palette: on time, late


@dataclass
class OwnerRow:
    owner: User
    assets: int = 0
    published: int = 0
    stale: int = 0
    overdue: int = 0
    reviews_due: int = 0
    reviews_on_time: int = 0
    rating: arithmetic.Summary = field(default_factory=lambda: arithmetic.summarize([]))
    sent: int = 0  # tracked links sent in the last 90 days
    opened: int = 0  # of those, opened by the buyer
    unused: int = 0  # published assets nobody sent or used in 90 days
    suggestions: queries.SuggestionFigures | None = None
    # Credit to their assets' touches under the default attribution model (stored by the
    # worker; None until influence was first computed): pipeline, and won revenue with deals.
    credited_pipeline: Decimal | None = None
    credited_revenue: Decimal | None = None
    credited_won_deals: int | None = None

    @property
    def on_time_share(self):
        """Reviews done by their date over reviews due (done ones, and those overdue now)."""
        return self.reviews_on_time / self.reviews_due if self.reviews_due else None


def owners() -> list[User]:
    """Everybody who owns an asset that is not archived."""
    kept = [s for s in Asset.Status.values if s != Asset.Status.ARCHIVED]
    return list(
        User.objects.filter(owned_assets__status__in=kept)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def kept_table(today: date) -> figures.Kept[list[OwnerRow]]:
    """table(today) for every owner, kept until a table it reads is written, the day turns
    (90-day windows, stale assets, reviews overdue) or a suggestion's figures would move with
    time alone (a deadline passing, a suggestion leaving the year or filed ahead of now)."""
    now = timezone.now()
    zone = timezone.get_current_timezone_name()
    return figures.kept(
        f"content:owners:{zone}:{today}",
        OWNER_TABLES,
        lambda: (table(today, now=now), _valid_until(today, now)),
        valid_until=lambda found: found[1],
    )


def _valid_until(today: date, now: datetime) -> datetime:
    limits = [_start(today + timedelta(days=1))]
    since = now - timedelta(days=SUGGESTION_DAYS)
    for filed, due, answered in Suggestion.objects.filter(filed_at__gte=since).values_list(
        "filed_at", "due_at", "responded_at"
    ):
        moments = [filed, filed + timedelta(days=SUGGESTION_DAYS), answered]
        if answered is None or answered > now:
            moments.append(due)
        limits += [m for m in moments if m is not None and m > now]
    return min(limits)


def table(
    today: date, people: list[User] | None = None, now: datetime | None = None
) -> list[OwnerRow]:
    people = owners() if people is None else people
    rows = {user.pk: OwnerRow(owner=user) for user in people}
    counts = (
        Asset.objects.filter(owner__in=rows)
        .exclude(status=Asset.Status.ARCHIVED)
        .values("owner")
        .annotate(
            n=Count("id"),
            published=Count("id", filter=Q(status=Asset.Status.PUBLISHED)),
            overdue=Count("id", filter=Q(status=Asset.Status.PUBLISHED, review_by__lt=today)),
        )
    )
    for c in counts:
        row = rows[c["owner"]]
        row.assets, row.published, row.overdue = c["n"], c["published"], c["overdue"]
    for asset in Asset.objects.filter(owner__in=rows, status=Asset.Status.PUBLISHED):
        if asset.is_stale(today):
            rows[asset.owner_id].stale += 1
    reviews = Review.objects.filter(owner__in=rows).values_list("owner", "due", "reviewed_on")
    for owner, due, done in reviews:
        rows[owner].reviews_due += 1
        rows[owner].reviews_on_time += done <= due
    for row in rows.values():
        row.reviews_due += row.overdue  # an overdue review is late already
    _ratings(rows)
    _usage(rows, today)
    now = now or timezone.now()
    suggested = queries.suggestion_figures(
        rows, filed_from=now - timedelta(days=SUGGESTION_DAYS), now=now
    )
    for owner_id, found in suggested.items():
        rows[owner_id].suggestions = found
    _influence(rows)
    return list(rows.values())


def _influence(rows: dict[int, OwnerRow]) -> None:
    pipeline = influence.by_owner(basis="pipeline")
    revenue = influence.by_owner(basis="revenue")
    if pipeline is None or revenue is None:
        return
    for owner_id, row in rows.items():
        row.credited_pipeline = pipeline.get(owner_id, {}).get("credit", Decimal(0))
        row.credited_revenue = revenue.get(owner_id, {}).get("credit", Decimal(0))
        row.credited_won_deals = revenue.get(owner_id, {}).get("opportunities", 0)


def _ratings(rows: dict[int, OwnerRow]) -> None:
    """Each owner's mean weighted score, with its 90% interval, over every rating of the
    assets they own under the active rubric."""
    rubric = ratings.active_rubric()
    if rubric is None:
        return
    # Added up by the database (count, sum, sum of squares), not read rating by rating.
    rated = (
        Rating.objects.filter(rubric=rubric, asset__owner__in=rows)
        .order_by()
        .values_list("asset__owner")
        .annotate(n=Count("pk"), total=Sum("score"), squares=Sum(F("score") * F("score")))
    )
    for owner_id, n, total, squares in rated:
        rows[owner_id].rating = arithmetic.summarize_moments(n, float(total), float(squares))


def _usage(rows: dict[int, OwnerRow], today: date) -> None:
    since = _start(today - timedelta(days=USAGE_DAYS))
    links = TrackedLink.objects.filter(asset__owner__in=rows, sent_at__gte=since)
    for owner_id, sent in links.values_list("asset__owner").annotate(n=Count("id")):
        rows[owner_id].sent = sent
    opened = links.filter(events__kind=LinkEvent.Kind.OPEN).values_list("asset__owner")
    for owner_id, n in opened.annotate(n=Count("id", distinct=True)):
        rows[owner_id].opened = n
    published = Asset.objects.filter(owner__in=rows, status=Asset.Status.PUBLISHED)
    unused = queries.unused_since(published, today).values_list("owner").annotate(n=Count("id"))
    for owner_id, n in unused:
        rows[owner_id].unused = n


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def review_chart(owner: User, today: date) -> dict:
    """Reviews per month of the review-by date: done on time, done late."""
    first = add_months(first_of(today), -(MONTHS - 1))
    months = between(first, today)
    done = defaultdict(lambda: [0, 0])
    for due, reviewed in Review.objects.filter(owner=owner, due__gte=first).values_list(
        "due", "reviewed_on"
    ):
        done[first_of(due)][0 if reviewed <= due else 1] += 1
    return {
        "labels": [m.strftime("%b %Y") for m in months],
        "datasets": [
            {"label": "On time", "values": [done[m][0] for m in months], "color": GOOD},
            {"label": "Late", "values": [done[m][1] for m in months], "color": BAD},
        ],
        "stacked": True,
    }


def charts(owner: User, today: date) -> list[tuple[str, str, dict]]:
    """(kind, caption, chart data) for each measure over the last twelve months."""
    first = add_months(first_of(today), -(MONTHS - 1))
    months = between(first, today)
    return [
        ("bar", "Reviews by their due month: on time and late", review_chart(owner, today)),
        ("line", "Mean rating of their assets, by month rated", _rating_chart(owner, months)),
        ("bar", "Tracked links sent to buyers, and opened", _sends_chart(owner, months)),
        (
            "bar",
            "Suggestions by month filed: answered in time, late, open",
            _suggestion_chart(owner, months),
        ),
    ]


def _labels(months: list[date]) -> list[str]:
    return [m.strftime("%b %Y") for m in months]


def _rating_chart(owner: User, months: list[date]) -> dict:
    rubric = ratings.active_rubric()
    found = defaultdict(list)
    if rubric is not None:
        rows = Rating.objects.filter(
            rubric=rubric, asset__owner=owner, created_at__gte=_start(months[0])
        ).values_list("created_at", "score")
        for at, score in rows:
            found[first_of(timezone.localtime(at).date())].append(float(score))
    means = [round(sum(v) / len(v), 2) if v else None for v in (found[m] for m in months)]
    return {"labels": _labels(months), "values": means, "series": "Mean rating (1 to 5)"}


def _sends_chart(owner: User, months: list[date]) -> dict:
    sent, opened = defaultdict(int), defaultdict(int)
    links = TrackedLink.objects.filter(asset__owner=owner, sent_at__gte=_start(months[0]))
    opens = set(
        LinkEvent.objects.filter(link__in=links, kind=LinkEvent.Kind.OPEN).values_list(
            "link", flat=True
        )
    )
    for pk, at in links.values_list("pk", "sent_at"):
        month = first_of(timezone.localtime(at).date())
        sent[month] += 1
        opened[month] += pk in opens
    return {
        "labels": _labels(months),
        "datasets": [
            {"label": "Sent", "values": [sent[m] for m in months]},
            {"label": "Opened", "values": [opened[m] for m in months], "color": GOOD},
        ],
    }


def _suggestion_chart(owner: User, months: list[date]) -> dict:
    counts = defaultdict(lambda: [0, 0, 0])
    rows = Suggestion.objects.filter(owner=owner, filed_at__gte=_start(months[0]))
    for filed, due, answered in rows.values_list("filed_at", "due_at", "responded_at"):
        month = first_of(timezone.localtime(filed).date())
        counts[month][2 if answered is None else (0 if answered <= due else 1)] += 1
    return {
        "labels": _labels(months),
        "datasets": [
            {"label": "In time", "values": [counts[m][0] for m in months], "color": GOOD},
            {"label": "Late", "values": [counts[m][1] for m in months], "color": BAD},
            {"label": "Open", "values": [counts[m][2] for m in months], "color": "#868e96"},
        ],
        "stacked": True,
    }
