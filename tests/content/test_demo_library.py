"""The demo's content library, as `accord demo` writes it (the session's small company)."""

from collections import Counter

from accord.content.models import Asset, AssetVersion
from accord.demo.company import REPS
from accord.people.models import AuditLog
from tests.factories import SMALL_DEMO_UNTIL


def test_the_demo_stocks_about_sixty_assets_owned_by_content_and_marketing(small_demo_company):
    assets = Asset.objects.select_related("owner", "owner_team")
    statuses = Counter(asset.status for asset in assets)
    teams = {team.kind for asset in assets for team in asset.owner.teams.all()}
    versions = Counter(AssetVersion.objects.values_list("asset_id", flat=True))

    assert len(assets) == 60
    assert teams == {"content", "marketing"}
    assert statuses["published"] > 40 and statuses["expired"] >= 3 and statuses["archived"] >= 2
    assert statuses["draft"] >= 3
    assert sorted(set(versions.values())) == [1, 2, 3]
    overdue = [a for a in assets if a.is_review_overdue(SMALL_DEMO_UNTIL)]
    stale = [a for a in assets if a.is_stale(SMALL_DEMO_UNTIL)]
    assert 5 <= len(overdue) <= 15 and 1 <= len(stale) < len(overdue)


def test_the_demo_library_has_a_history_and_nothing_after_its_today(small_demo_company):
    cutoff = max(
        AuditLog.objects.filter(action__startswith="content.").values_list("at", flat=True)
    )
    assert cutoff.date() < SMALL_DEMO_UNTIL
    for asset in Asset.objects.all():
        assert asset.updated_at.date() < SMALL_DEMO_UNTIL
        assert asset.versions.order_by("number").first().note == "First version"


def test_the_demo_has_a_year_of_suggestions_mostly_answered_some_late_a_few_overdue(
    small_demo_company,
):
    from datetime import UTC, datetime, time

    from accord.content import queries
    from accord.content.models import Suggestion

    today = datetime.combine(SMALL_DEMO_UNTIL, time(0), tzinfo=UTC)
    rows = list(Suggestion.objects.select_related("filed_by", "owner"))
    states = Counter(queries.deadline_state(row, today) for row in rows)

    assert 45 <= len(rows) <= 60
    assert {row.filed_by.username for row in rows} <= set(REPS)
    assert max(row.filed_at for row in rows) < today
    assert states["in_time"] > states["late"] > 0
    assert 1 <= states["overdue"] <= 5
    assert {row.status for row in rows} == {"open", "accepted", "declined", "done"}
    assert all(row.due_at > row.filed_at and row.owner for row in rows)
    assert queries.overdue_suggestions(today).count() == states["overdue"]
