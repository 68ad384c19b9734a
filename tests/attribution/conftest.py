"""The hand-made companies the attribution tests act in (their moments and the reference
journey are in factories.py).

- `journeys_world` (`world` unless a module says otherwise): Acme's big deal and last year's
  deal, Globex's lost deal, Umbrella's open deal, visitors without a deal.
- `credits_world` (test_credits.py's `world`): the cases of rule-based credit.
- `costs`: campaign costs on top of `world`.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from accord.crm.models import (
    Account,
    Campaign,
    CampaignCost,
    Channel,
    Lead,
    Opportunity,
    Touchpoint,
)
from tests.attribution.factories import AS_OF, CLOSED, OPENED, at, days


@pytest.fixture
def journeys_world(channels, acme):
    """Acme: ann (the primary lead of the big deal) and ben; a deal of Acme's from last
    year without a primary lead; Globex's lost deal, whose primary lead fay has no account;
    Umbrella's open deal, touched only after it opened; Initech and gus (no account), with
    touches and no deal."""
    channels["email_nurture"] = Channel.objects.create(key="email_nurture", name="Email nurture")
    accounts = {"acme": acme}
    for name in ("globex", "umbrella", "initech"):
        accounts[name] = Account.objects.create(name=name.title(), created_at=OPENED)
    leads = {}
    for name, account, created in [
        ("ben", "acme", datetime(2025, 6, 1, tzinfo=UTC)),  # Acme's earliest
        ("ann", "acme", datetime(2025, 12, 1, tzinfo=UTC)),
        ("cat", "globex", datetime(2026, 1, 5, tzinfo=UTC)),
        ("fay", None, datetime(2026, 1, 20, tzinfo=UTC)),
        ("eve", "umbrella", datetime(2026, 3, 20, tzinfo=UTC)),
        ("dan", "initech", datetime(2025, 4, 1, tzinfo=UTC)),
        ("gus", None, datetime(2026, 1, 30, tzinfo=UTC)),
    ]:
        leads[name] = Lead.objects.create(
            email=f"{name}@example.com",
            account=accounts[account] if account else None,
            status_changed_at=created,
            created_at=created,
        )
    touches = {}
    for name, lead, channel, when in [
        ("ann_old", "ann", "paid_search", OPENED - days(400)),
        ("ann_edge_out", "ann", "paid_search", OPENED - days(365, seconds=1)),
        ("ann_edge_in", "ann", "paid_search", OPENED - days(365)),
        ("ann_search", "ann", "paid_search", OPENED - days(200)),
        ("ben_web1", "ben", "webinar", OPENED - days(80)),
        ("ben_web2", "ben", "webinar", OPENED - days(60)),
        # One instant, two touches: the smaller id comes first.
        ("ben_sdr", "ben", "outbound_sdr", OPENED - days(50)),
        ("ann_email", "ann", "email_nurture", OPENED - days(50)),
        ("ben_at_open", "ben", "paid_search", OPENED),
        ("ben_after_open", "ben", "webinar", OPENED + days(10)),
        ("ann_at_close", "ann", "webinar", CLOSED),
        ("ann_after_close", "ann", "outbound_sdr", CLOSED + days(0, seconds=1)),
        ("cat_web", "cat", "webinar", datetime(2026, 1, 10, tzinfo=UTC)),
        ("cat_search", "cat", "paid_search", datetime(2026, 1, 20, tzinfo=UTC)),
        ("fay_sdr", "fay", "outbound_sdr", datetime(2026, 1, 25, tzinfo=UTC)),
        ("fay_late", "fay", "webinar", datetime(2026, 2, 10, tzinfo=UTC)),
        ("eve_late", "eve", "email_nurture", datetime(2026, 4, 5, tzinfo=UTC)),
        ("dan_before", "dan", "webinar", datetime(2025, 5, 1, tzinfo=UTC)),
        ("dan_web1", "dan", "webinar", datetime(2025, 11, 1, tzinfo=UTC)),
        ("dan_web2", "dan", "webinar", datetime(2025, 11, 2, tzinfo=UTC)),
        ("dan_search", "dan", "paid_search", datetime(2026, 1, 5, tzinfo=UTC)),
        ("gus_email", "gus", "email_nurture", datetime(2026, 2, 1, tzinfo=UTC)),
        ("gus_after", "gus", "email_nurture", AS_OF + days(1)),
    ]:
        touches[name] = Touchpoint.objects.create(
            lead=leads[lead], channel=channels[channel], kind="web_visit", occurred_at=when
        )
    deals = {}
    for name, account, lead, stage, created, closed, amount in [
        ("big", "acme", "ann", "won", OPENED, CLOSED, "50000.00"),
        (
            "last_year",
            "acme",
            None,
            "won",
            datetime(2025, 9, 1, 9, tzinfo=UTC),
            datetime(2025, 10, 1, 9, tzinfo=UTC),
            "10000.00",
        ),  # fmt: skip
        (
            "lost",
            "globex",
            "fay",
            "lost",
            datetime(2026, 2, 1, 9, tzinfo=UTC),
            datetime(2026, 5, 1, tzinfo=UTC),
            "20000.00",
        ),  # fmt: skip
        (
            "open",
            "umbrella",
            "eve",
            "discovery",
            datetime(2026, 4, 1, tzinfo=UTC),
            None,
            "30000.00",
        ),  # fmt: skip
    ]:
        deals[name] = Opportunity.objects.create(
            name=name,
            account=accounts[account],
            primary_lead=leads[lead] if lead else None,
            amount=Decimal(amount),
            stage=stage,
            created_at=created,
            close_date=(closed or created + days(90)).date(),
            closed_at=closed,
        )
    return {"accounts": accounts, "leads": leads, "touches": touches, "deals": deals}


@pytest.fixture
def world(journeys_world):
    """The company most attribution tests act in: the journeys tests'."""
    return journeys_world


@pytest.fixture
def credits_world(channels, acme):
    """Acme: ann (the big deal's primary lead) and ben (Acme's earliest lead), a won deal
    and a later lost one that share their touches; Globex's lost deal, whose primary lead
    fay has no account; Umbrella's open deal, whose primary lead eve came after it; Initech's
    won deal, touched only outside its window; Hooli's won deal, touched only after it
    opened; Stark's deal, without a lead."""
    channels["email_nurture"] = Channel.objects.create(key="email_nurture", name="Email nurture")
    campaigns = {
        name: Campaign.objects.create(
            name=name, channel=channels[channel], starts_on=date(2025, 1, 1)
        )
        for name, channel in [("spring", "webinar"), ("brand", "paid_search")]
    }
    accounts = {"acme": acme}
    for name in ("globex", "umbrella", "initech", "hooli", "stark"):
        accounts[name] = Account.objects.create(name=name.title(), created_at=OPENED)
    leads = {}
    for name, account, created in [
        ("ben", "acme", at(2025, 6, 1)),
        ("ann", "acme", at(2025, 12, 1)),
        ("cat", "globex", at(2026, 1, 5)),
        ("fay", None, at(2026, 1, 20)),
        ("eve", "umbrella", at(2026, 4, 20)),
        ("dan", "initech", at(2024, 11, 1)),
        ("hal", "hooli", at(2026, 1, 15)),
    ]:
        leads[name] = Lead.objects.create(
            email=f"{name}@example.com",
            account=accounts[account] if account else None,
            status_changed_at=created,
            created_at=created,
        )
    touches = {}
    for name, lead, channel, campaign, moment in [
        ("ann_old", "ann", "paid_search", "brand", OPENED - timedelta(days=400)),
        ("ben_web1", "ben", "webinar", "spring", at(2025, 7, 1)),
        ("ben_web2", "ben", "webinar", "spring", at(2025, 7, 1)),  # the same instant
        ("ann_search", "ann", "paid_search", "brand", at(2025, 11, 20)),
        ("ann_email", "ann", "email_nurture", None, at(2025, 12, 1)),  # ann's creation
        ("ben_sdr", "ben", "outbound_sdr", None, at(2026, 1, 15)),
        ("ann_web", "ann", "webinar", None, at(2026, 2, 10, 8, 30)),
        ("ben_at_open", "ben", "paid_search", "brand", OPENED),
        ("ann_after_open", "ann", "webinar", "spring", OPENED + timedelta(days=10)),
        ("ben_at_close", "ben", "email_nurture", None, CLOSED),
        ("ann_after_close", "ann", "outbound_sdr", None, CLOSED + timedelta(seconds=1)),
        ("cat_web", "cat", "webinar", "spring", at(2026, 1, 10)),
        ("cat_search", "cat", "paid_search", None, at(2026, 1, 20)),  # fay's creation
        ("fay_sdr1", "fay", "outbound_sdr", None, at(2026, 1, 25, 14)),
        ("fay_sdr2", "fay", "outbound_sdr", None, at(2026, 1, 25, 14)),
        ("fay_late", "fay", "webinar", None, at(2026, 2, 10)),
        ("eve_search", "eve", "paid_search", "brand", at(2026, 3, 25)),
        ("eve_web", "eve", "webinar", None, at(2026, 3, 28, 17, 59)),
        ("eve_late", "eve", "email_nurture", None, at(2026, 4, 5)),
        ("dan_old", "dan", "webinar", None, at(2024, 12, 1)),
        ("dan_late", "dan", "paid_search", None, at(2026, 3, 20)),
        ("hal_web", "hal", "webinar", "spring", at(2026, 1, 20)),
        ("hal_search", "hal", "paid_search", None, at(2026, 2, 1)),
        ("hal_sdr", "hal", "outbound_sdr", None, at(2026, 2, 20)),
    ]:
        touches[name] = Touchpoint.objects.create(
            lead=leads[lead],
            channel=channels[channel],
            campaign=campaigns[campaign] if campaign else None,
            kind="web_visit",
            occurred_at=moment,
        )
    deals = {}
    for name, account, lead, stage, created, closed, amount in [
        ("big", "acme", "ann", "won", OPENED, CLOSED, "50000.00"),
        ("renewal", "acme", None, "lost", at(2026, 5, 1), at(2026, 6, 1), "12000.01"),
        ("lost", "globex", "fay", "lost", at(2026, 2, 1, 9), at(2026, 5, 1), "20000.03"),
        ("open", "umbrella", "eve", "discovery", at(2026, 4, 1), None, "30000.00"),
        ("quiet", "initech", "dan", "won", at(2026, 3, 1), at(2026, 3, 15), "8000.00"),
        ("late", "hooli", "hal", "won", at(2026, 1, 10), at(2026, 2, 20), "7777.77"),
        ("walk_in", "stark", None, "discovery", at(2026, 2, 2), None, "5000.00"),
    ]:
        deals[name] = Opportunity.objects.create(
            name=name,
            account=accounts[account],
            primary_lead=leads[lead] if lead else None,
            amount=Decimal(amount),
            stage=stage,
            created_at=created,
            close_date=(closed or created + timedelta(days=90)).date(),
            closed_at=closed,
        )
    return {"touches": touches, "deals": deals}


@pytest.fixture
def costs(world, channels):
    webinars = Campaign.objects.create(
        name="Webinar series", channel=channels["webinar"], starts_on=date(2025, 1, 1)
    )
    search = Campaign.objects.create(
        name="Search ads", channel=channels["paid_search"], starts_on=date(2025, 1, 1)
    )
    for campaign, month, amount in [
        (webinars, date(2026, 3, 1), "1000.00"),
        (webinars, date(2026, 4, 1), "500.00"),
        (search, date(2025, 6, 1), "700.00"),  # before the period
        (search, date(2026, 6, 1), "250.50"),
    ]:
        CampaignCost.objects.create(campaign=campaign, month=month, amount=Decimal(amount))
    touch = world["touches"]["ben_web2"]
    touch.campaign = webinars
    touch.save()
    return {"webinars": webinars, "search": search}
