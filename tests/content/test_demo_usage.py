"""The demo's year of content usage: sends, opens, uses and the touches attribution credits
(the session's small company), and the hidden truth behind them (a larger simulation in
memory, where each asset's lift is visible)."""

from collections import Counter
from datetime import timedelta

import pytest

from accord.attribution import compute
from accord.content.models import (
    Asset,
    AssetVersion,
    ContentTouch,
    LinkEvent,
    Rating,
    Rubric,
    TrackedLink,
    Usage,
)
from accord.content.touches import CHANNEL_KEY
from accord.crm.models import LeadOwnerChange, Touchpoint
from accord.demo.simulation import simulate
from tests.factories import SMALL_DEMO_UNTIL


def test_the_demo_sends_content_over_about_a_year_and_buyers_open_most_of_it(small_demo_company):
    links = TrackedLink.objects.all()
    sent = sorted(links.values_list("sent_at", flat=True))
    opened = links.filter(events__kind=LinkEvent.Kind.OPEN).distinct().count()
    reads = LinkEvent.objects.filter(kind=LinkEvent.Kind.VIEW)

    assert len(sent) > 40
    assert sent[-1] - sent[0] > timedelta(days=240)
    assert sent[-1].date() < SMALL_DEMO_UNTIL
    assert 0.5 * len(sent) < opened < len(sent)  # most are opened, some never
    assert reads.exists() and all(5 <= s <= 3600 for s in reads.values_list("seconds", flat=True))
    assert LinkEvent.objects.filter(kind=LinkEvent.Kind.DOWNLOAD).exists()
    tokens = list(links.values_list("token", flat=True))
    assert len(set(tokens)) == len(tokens) and {len(t) for t in tokens} == {43}
    kinds = Counter(Usage.objects.values_list("kind", flat=True))
    assert kinds["send"] == len(sent) and kinds["use"] > 5 and kinds["view"] > kinds["download"]


def test_every_send_was_published_then_and_is_a_touch_on_the_lead(small_demo_company):
    content = Touchpoint.objects.filter(kind=Touchpoint.Kind.CONTENT)
    owners = {}
    for change in LeadOwnerChange.objects.order_by("changed_at"):
        owners.setdefault(change.lead_id, []).append((change.changed_at, change.to_owner_id))

    for link in TrackedLink.objects.select_related("asset", "version", "opportunity"):
        asset, at = link.asset, link.sent_at
        assert asset.published_at <= at
        if asset.status in (Asset.Status.EXPIRED, Asset.Status.ARCHIVED):
            assert at < asset.updated_at  # not sent after it was retired
        newest = AssetVersion.objects.filter(asset=asset, created_at__lte=at).first()
        assert link.version == newest
        touch = content.get(content__link=link, occurred_at=at)
        assert touch.lead_id == link.lead_id and touch.channel.key == CHANNEL_KEY
        assert touch.content.asset_id == asset.pk and touch.content.version_id == link.version_id
        assert at.weekday() < 5
        if link.opportunity is None:
            owner = [who for when, who in owners[link.lead_id] if when <= at][-1]
            assert link.sent_by_id == owner
        else:
            assert link.sent_by_id == link.opportunity.owner_id
            assert link.opportunity.created_at <= at
            assert link.opportunity.closed_at is None or at < link.opportunity.closed_at
    # Each link's first open is a touch too; later opens are not.
    first_opens = content.filter(content__link__isnull=False).count() - TrackedLink.objects.count()
    opened = TrackedLink.objects.filter(events__kind=LinkEvent.Kind.OPEN).distinct().count()
    assert first_opens == opened


def test_about_ten_assets_are_never_used_and_drafts_never(small_demo_company):
    used = set(Usage.objects.values_list("asset_id", flat=True)) | set(
        ContentTouch.objects.values_list("asset_id", flat=True)
    )
    never = Asset.objects.exclude(pk__in=used)

    assert 8 <= never.count() <= 14
    assert not Asset.objects.filter(status=Asset.Status.DRAFT, pk__in=used).exists()
    # Marketing's content views are tied to top-of-funnel assets too.
    promoted = ContentTouch.objects.filter(touchpoint__kind=Touchpoint.Kind.CONTENT_VIEW)
    assert set(promoted.values_list("asset__kind", flat=True)) <= {
        "whitepaper", "case_study", "one_pager", "video"
    }  # fmt: skip
    assert promoted.count() > 100


def test_attribution_credits_sales_content_a_modest_share(small_demo_company):
    start = SMALL_DEMO_UNTIL - timedelta(days=365)
    end = SMALL_DEMO_UNTIL - timedelta(days=1)

    result = compute.run("w_shaped", start=start, end=end, basis="revenue")

    credit = {row["channel"]: float(row["credit"]) for row in result["by_channel"]}
    share = credit.get(CHANNEL_KEY, 0) / float(result["total"])
    assert 0.01 < share < 0.15


@pytest.fixture(scope="module")
def world():
    return simulate(seed=7, scale=0.25, months=24, until=SMALL_DEMO_UNTIL)


def test_good_assets_win_more_of_the_deals_they_are_used_on(world):
    closed = [o for o in world.opportunities if o.closed is not None and o.content]
    good = {i for i, h in enumerate(world.hidden) if h.lift > 0}
    bad = {i for i, h in enumerate(world.hidden) if h.lift < 0}

    def wins(deals):
        return sum(o.stage == "won" for o in deals), len(deals)

    with_good = wins([o for o in closed if {c[2] for c in o.content} & good])
    with_bad = wins([o for o in closed if {c[2] for c in o.content} & bad - good])
    rest = wins([o for o in closed if not {c[2] for c in o.content} & (good | bad)])

    assert with_good[1] >= 30 and rest[1] >= 60 and with_bad[1] >= 30
    assert with_good[0] / with_good[1] > rest[0] / rest[1] + 0.08
    assert with_bad[0] / with_bad[1] < with_good[0] / with_good[1]


def test_the_hidden_truth_has_a_few_good_a_few_bad_and_about_ten_never_used(world):
    lifts = Counter((h.lift > 0) - (h.lift < 0) for h in world.hidden)
    never = {i for i, h in enumerate(world.hidden) if h.popularity == 0}
    used = {c[2] for o in world.opportunities for c in o.content}
    used |= {s[2] for lead in world.leads for s in lead.sends}

    assert lifts[1] == 6 and lifts[-1] == 4 and len(never) == 10
    assert not used & never
    assert {i for i, plan in enumerate(world.library) if plan.published is None} <= never
    since = world.content_since.timestamp()
    assert all(o.created >= since for o in world.opportunities if o.content)


def test_the_rubric_was_signed_before_any_rating_made_under_it(small_demo_company):
    rubric = Rubric.objects.get(status=Rubric.Status.ACTIVE)
    first = Rating.objects.filter(rubric=rubric).order_by("created_at").first()

    assert first is not None and rubric.active_from <= first.created_at
    assert all(a.approved_at == rubric.active_from for a in rubric.approvals.all())
