"""The demo's content library, as `accord demo` writes it (the session's small company)."""

from collections import Counter

from accord.content.models import Asset, AssetVersion
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
