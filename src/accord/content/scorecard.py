"""The owner scorecard: how each asset owner delivers for sales. One row per owner for the
managers' table, and one owner's page with a chart per measure over the last twelve months.

Every measure is computed here from the records (reviews, ratings, usage, suggestions,
influence), never typed: the same figures on the table, the owner's page and the API.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from accord.analytics.months import add_months, between, first_of
from accord.content.models import Asset, Review
from accord.people.models import User

MONTHS = 12
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
    extra: dict = field(default_factory=dict)

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


def table(today: date, people: list[User] | None = None) -> list[OwnerRow]:
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
    return list(rows.values())


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


def charts(owner: User, today: date) -> list[tuple[str, dict]]:
    """(caption, chart data) for each measure over the last twelve months."""
    return [("Reviews by their due month: on time and late", review_chart(owner, today))]
