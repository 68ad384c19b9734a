"""No query per row: each daily page makes as many queries for the demo company as for the
same company with more leads, deals and follow-ups, whether its figures are kept or
computed afresh."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.crm.models import Account, Activity, Lead, LeadStatusChange, Opportunity
from accord.people.models import User
from accord.plan.models import Plan
from accord.sla import kept as kept_clocks
from tests.factories import SMALL_DEMO_UNTIL


def _pages() -> list[str]:
    lead = Lead.objects.filter(status="mql").order_by("pk").first()
    account = Account.objects.order_by("pk").first()
    plan = Plan.objects.order_by("pk").first()
    return [
        "/",
        "/scoreboard/",
        f"/plans/{plan.pk}/",
        "/plans/",
        "/sla/",
        "/sla/two-way/",
        "/qualify/value/",
        "/qualify/reviews/",
        "/qualify/",
        "/leads/?status=mql&sort=-score",
        f"/leads/{lead.pk}/",
        f"/accounts/{account.pk}/",
        "/opportunities/",
        "/attribution/",
        "/attribution/money/",
        "/notifications/",
        "/imports/",
    ]


def _counts(client, pages) -> dict[str, tuple[int, int]]:
    """Per page: queries when computing afresh, and when reading kept figures."""
    found = {}
    for page in pages:
        caches["figures"].clear()
        kept_clocks.forget()
        with CaptureQueriesContext(connection) as fresh:
            assert client.get(page).status_code == 200, page
        with CaptureQueriesContext(connection) as kept:
            client.get(page)
        found[page] = (len(fresh), len(kept))
    return found


def _more_of_everything():
    """Twenty more MQLs with follow-ups, deals and accounts, dated in the last days."""
    owner = User.objects.get(username="rep")
    now = timezone.now()
    source = Lead.objects.exclude(source=None).first().source
    for i in range(20):
        account = Account.objects.create(
            name=f"More {i}", domain=f"more{i}.example", created_at=now - timedelta(days=5)
        )
        at = now - timedelta(days=3, hours=i)
        lead = Lead.objects.create(
            email=f"more{i}@more{i}.example",
            account=account,
            owner=owner,
            source=source,
            status="mql",
            created_at=at,
            status_changed_at=at,
        )
        LeadStatusChange.objects.create(lead=lead, from_status="", to_status="new", changed_at=at)
        LeadStatusChange.objects.create(
            lead=lead, from_status="new", to_status="mql", changed_at=at
        )
        Activity.objects.create(
            lead=lead, user=owner, kind="call", occurred_at=at + timedelta(hours=1)
        )
        Opportunity.objects.create(
            name=f"More {i}",
            account=account,
            primary_lead=lead,
            owner=owner,
            amount=1000 + i,
            stage="won" if i % 2 else "proposal",
            close_date=now.date(),
            created_at=at,
            closed_at=now if i % 2 else None,
            source=source,
        )


@pytest.mark.django_db
def test_each_daily_page_makes_the_same_queries_for_more_rows(small_demo_company, client):
    client.force_login(User.objects.get(username="cmo"))
    pages = _pages()
    # At the end of the demo's history, where every page has rows to show.
    with time_machine.travel(f"{SMALL_DEMO_UNTIL}T15:00:00Z", tick=False):
        before = _counts(client, pages)
        _more_of_everything()
        after = _counts(client, pages)
    assert after == before
    # Kept figures spare the page the queries that add everything up, and kept clocks the
    # replay of its leads' histories.
    for page in (
        f"/leads/{Lead.objects.filter(status='mql').order_by('pk').first().pk}/",
        "/leads/?status=mql&sort=-score",
        "/",
        "/scoreboard/",
        "/sla/",
        "/sla/two-way/",
        "/qualify/value/",
        "/qualify/reviews/",
    ):
        fresh, kept = before[page]
        assert kept < fresh, page


@pytest.mark.django_db
def test_return_on_spend_reads_its_campaigns_at_once(small_demo_company, client):
    """The money tab lists every campaign with a cost or a credit, and its channel: one read
    for all of them, not one per campaign."""
    from accord.attribution import actions, compute
    from accord.crm.models import Campaign, Channel

    cmo = User.objects.get(username="cmo")
    client.force_login(cmo)
    end = SMALL_DEMO_UNTIL
    run = actions.request_run(cmo, "revenue", end - timedelta(days=365), end)
    compute.compute_run.call(run.pk)  # the worker's part
    run.refresh_from_db()
    assert run.status == "done", run.error

    def queries_and_campaigns() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/attribution/money/")
        assert page.status_code == 200
        return len(captured), page.content.decode().count('href="/campaigns/')

    before, shown = queries_and_campaigns()
    channels = list(Channel.objects.order_by("pk"))
    costs = run.result["economics"]["costs"]["by_campaign"]
    for i in range(8):
        campaign = Campaign.objects.create(
            name=f"Costly {i}", channel=channels[i % len(channels)], starts_on=end
        )
        costs[str(campaign.pk)] = "1000.00"
    run.save(update_fields=["result"])
    after, shown_after = queries_and_campaigns()
    assert shown_after >= shown + 8
    assert after == before
