"""The owner scorecard and what the scoreboard and the weekly digest hold content owners to:
reviews kept by their date, counted from the reviews themselves."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accord.content import actions, ratings, scorecard, sending, suggestions
from accord.content.models import Asset, Review
from accord.scoreboard import digest
from tests.factories import WORLD_RUBRIC

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def test_a_review_records_the_date_it_answered_and_whether_it_was_on_time(cast, make_asset):
    asset = make_asset(owner="mike", status=Asset.Status.PUBLISHED, published_on=date(2026, 1, 5))
    due = asset.review_by  # 90 days after publishing: April 5

    actions.mark_reviewed(cast["mike"], asset, today=due - timedelta(days=2))
    asset.refresh_from_db()
    actions.mark_reviewed(cast["mike"], asset, today=asset.review_by + timedelta(days=9))

    first, second = Review.objects.filter(asset=asset).order_by("reviewed_on")
    assert (first.due, first.on_time, first.owner) == (due, True, cast["mike"])
    assert (second.due, second.on_time) == (due - timedelta(days=2) + timedelta(days=90), False)


@time_machine.travel(datetime(2026, 8, 15, 12, tzinfo=UTC), tick=False)
def test_the_scorecard_counts_reviews_on_time_and_the_overdue_ones_as_late(
    client, cast, make_asset
):
    today = date(2026, 8, 15)
    kept = make_asset(owner="mike", title="Kept", status="published", published_on=date(2026, 3, 2))
    actions.mark_reviewed(cast["mike"], kept, today=kept.review_by)  # on time; next due Aug 29
    late = make_asset(owner="mike", title="Late", status="published", published_on=date(2026, 3, 2))
    actions.mark_reviewed(cast["mike"], late, today=late.review_by + timedelta(days=3))
    make_asset(owner="mike", title="Forgotten", status="published", published_on=date(2026, 5, 1))
    make_asset(owner="alice", title="Alice's", status="published", published_on=date(2026, 8, 1))

    rows = {row.owner.username: row for row in scorecard.table(today)}

    mike = rows["mike"]
    # Due: two reviews done (one on time) and "Forgotten", overdue since July 30.
    assert (mike.assets, mike.reviews_due, mike.reviews_on_time, mike.overdue) == (3, 3, 1, 1)
    assert mike.on_time_share == pytest.approx(1 / 3)
    assert (rows["alice"].reviews_due, rows["alice"].on_time_share) == (0, None)
    client.force_login(cast["vera"])  # a viewer sees it: transparency
    page = client.get("/content/owners/")
    assert page.status_code == 200 and "33%" in page.text
    card = client.get(f"/content/owners/{cast['mike'].pk}/")
    assert (
        card.status_code == 200 and "Forgotten" in card.text and "1 of 3 reviews due" in card.text
    )


def test_the_digest_and_the_scoreboard_name_the_owner_of_each_overdue_review(
    client, cast, make_asset, settings
):
    make_asset(owner="mike", title="Old pricing", status="published", published_on=date(2026, 3, 2))
    make_asset(
        owner="alice", title="Fresh deck", status="published", published_on=date(2026, 11, 2)
    )

    built = digest.build(now=datetime(2026, 12, 7, 12, tzinfo=UTC))

    lines = [line for line in built.marketing if line.label == "Content overdue for review"]
    assert len(lines) == 1 and not lines[0].on_track
    assert lines[0].owner == cast["mike"].display_name and "Old pricing" in lines[0].figure
    assert "Old pricing" in built.text()


def test_the_scorecard_counts_ratings_sends_and_suggestions_of_the_owners_assets(
    client, cast, make_asset, make_lead
):
    asset = make_asset(owner="mike", status="published", published_on=date(2026, 11, 2))
    rubric = ratings.create_rubric(cast["mona"], name="R", criteria=WORLD_RUBRIC)
    ratings.propose(cast["mona"], rubric)
    ratings.approve(cast["carol"], rubric)
    ratings.approve(cast["victor"], rubric)
    for score, lead_name in ((4, "ann"), (2, "ben")):
        lead = make_lead(f"{lead_name}@acme.example", owner="alice", status="sql")
        sending.send(cast["alice"], asset, lead)
        ratings.rate(cast["alice"], asset, lead, {c["key"]: score for c in WORLD_RUBRIC})
    filed = suggestions.file_suggestion(cast["alice"], asset, kind="fix", comment="Old logo.")
    suggestions.answer(cast["mike"], filed, action="decline", reason="The logo is current.")

    (row,) = scorecard.table(date.today(), [cast["mike"]])

    # Two ratings, 4 and 2: mean 3, and an interval (Student's t, 1 degree of freedom).
    assert (row.rating.count, row.rating.mean) == (2, 3.0) and row.rating.low < 3 < row.rating.high
    assert (row.sent, row.opened, row.unused) == (2, 0, 0)
    assert (row.suggestions.count, row.suggestions.answered_in_time) == (1, 1)
    client.force_login(cast["bob"])
    page = client.get(f"/content/owners/{cast['mike'].pk}/")
    assert "1 of 1 in the last year" in page.text and "2 ratings" in page.text


def test_the_digest_names_the_owner_of_each_suggestion_past_its_deadline(cast, make_asset):
    asset = make_asset(owner="mike", title="Pricing 2026", status="published")
    suggestions.file_suggestion(
        cast["alice"], asset, kind="update", comment="New tiers.",
        now=datetime(2026, 11, 2, 10, tzinfo=UTC),
    )  # fmt: skip

    built = digest.build(now=datetime(2026, 12, 7, 12, tzinfo=UTC))

    (line,) = [line for line in built.marketing if line.label == "Suggestions past their deadline"]
    assert line.owner == cast["mike"].display_name and "Pricing 2026" in line.figure
