"""Sending assets to leads as tracked links, the public viewer and internal usage.

alice (a sales rep) works her leads; bob is another rep; sam manages their team; vera is a
viewer. The clock stands on 2026-03-10 (the cast's leads exist since 2026-03-02).
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accord.content import actions, queries, sending
from accord.content.models import Asset, ContentTouch, LinkEvent, TrackedLink, Usage
from accord.core import ratelimit
from accord.crm.models import Activity, Lead, Opportunity, Touchpoint
from accord.people import tokens
from accord.people.models import Notification
from accord.qualify.models import LeadDefinition
from tests.content.conftest import PDF_BYTES, PNG_BYTES, upload
from tests.factories import T0

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()  # the viewer's counts live in the default cache


@pytest.fixture
def lead(make_lead):
    return make_lead("ann@buyer.example", owner="alice", status=Lead.Status.MQL, title="CFO")


@pytest.fixture
def bobs_lead(make_lead):
    return make_lead("ben@buyer.example", owner="bob", status=Lead.Status.MQL)


@pytest.fixture
def story(make_asset):
    return make_asset(title="Acme saves 30%", status=Asset.Status.PUBLISHED)


@pytest.fixture
def deck(cast):
    """A published asset whose current version is a PDF file."""
    asset = actions.create_asset(
        cast["ada"], title="Pricing deck", kind="deck", owner=cast["mike"],
        stages=["mql"], personas=["economic_buyer"],
        version={"file": upload("pricing.pdf", PDF_BYTES)},
    )  # fmt: skip
    return actions.publish(cast["ada"], asset, today=date(2026, 3, 2))


def send(cast, asset, lead, who="alice", **options):
    return sending.send(cast[who], asset, lead, **options)


def viewer(token: str, part: str = "") -> str:
    return f"/s/{token}/{part}"


# Sending ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "expired", "archived"])
def test_only_a_published_asset_is_sent_and_the_refusal_says_why(cast, make_asset, lead, status):
    asset = make_asset(title="Old deck", status=Asset.Status.PUBLISHED)
    if status == "expired":
        actions.expire(cast["ada"], asset)
    elif status == "archived":
        actions.archive(cast["ada"], asset)
    elif status == "draft":
        asset = make_asset(title="Old deck")

    with pytest.raises(ValidationError) as refused:
        send(cast, asset, lead)

    assert {"draft": "is a draft", "expired": "has expired", "archived": "is archived"}[
        status
    ] in str(refused.value)
    assert not TrackedLink.objects.exists() and not Touchpoint.objects.filter(lead=lead).exists()


def test_a_viewer_and_a_rep_on_another_reps_lead_may_not_send(cast, story, bobs_lead):
    for who in ("vera", "alice"):
        with pytest.raises(PermissionDenied):
            send(cast, story, bobs_lead, who=who)
    assert not TrackedLink.objects.exists() and not Usage.objects.exists()
    # Their manager and the lead's own rep may.
    assert send(cast, story, bobs_lead, who="sam").sent_by == cast["sam"]
    assert send(cast, story, bobs_lead, who="bob").sent_by == cast["bob"]


def test_an_expiry_must_be_in_the_future(cast, story, lead):
    with pytest.raises(ValidationError, match="in the future"):
        send(cast, story, lead, expires_at=NOW - timedelta(minutes=1))
    assert not TrackedLink.objects.exists()


def test_a_deal_of_another_account_is_refused(cast, story, lead, make_lead):
    from accord.crm.models import Account

    other = Account.objects.create(name="Globex", created_at=T0)
    deal = Opportunity.objects.create(
        name="Globex renewal", account=other, amount="1000.00", created_at=T0,
        close_date=date(2026, 6, 30),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="not a deal of"):
        send(cast, story, lead, opportunity=deal)


def test_a_send_is_one_content_touch_an_email_follow_up_a_usage_and_rescores_the_lead(
    cast, story, lead, django_capture_on_commit_callbacks
):
    LeadDefinition.objects.create(
        version=1, name="Engaged", status=LeadDefinition.Status.ACTIVE,
        rules=[
            {"type": "fit", "field": "title", "op": "contains", "value": "cfo", "points": 70},
            {"type": "engagement", "touch_kind": "content", "points": 15},
        ],
        grade_thresholds={"A": 60, "B": 30, "C": 10}, mql_grades=["A"], mql_min_score=60,
        created_at=T0,
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        link = send(cast, story, lead)

    touch = Touchpoint.objects.get(lead=lead)
    assert touch.kind == Touchpoint.Kind.CONTENT and touch.occurred_at == NOW
    assert ContentTouch.objects.get(touchpoint=touch).asset == story
    email = Activity.objects.get(lead=lead)
    assert (email.kind, email.user, email.occurred_at) == ("email", cast["alice"], NOW)
    assert Usage.objects.get(kind=Usage.Kind.SEND).lead == lead
    assert len(link.token) >= 43
    lead.refresh_from_db()
    assert lead.engagement_score == 15


def test_a_member_sends_from_the_lead_page_and_gets_the_link(client, cast, story, lead):
    client.force_login(cast["alice"])
    page = client.get(reverse("content:for_lead", args=[lead.pk]))
    assert story.title in page.content.decode()  # suggested: MQL, and the CFO is no champion
    response = client.post(
        reverse("content:send", args=[story.pk]),
        {"lead": lead.pk, "expires_on": "2026-04-01", "email_gate": "on",
         "next": lead.get_absolute_url()},
        follow=True,
    )  # fmt: skip
    link = TrackedLink.objects.get()
    assert link.email_gate and link.expires_at.date() == date(2026, 4, 1)
    assert f"/s/{link.token}/" in response.content.decode()


def test_the_send_page_refuses_a_viewer_and_another_rep(client, cast, story, bobs_lead):
    for who in ("vera", "alice"):
        client.force_login(cast[who])
        response = client.post(reverse("content:send", args=[story.pk]), {"lead": bobs_lead.pk})
        assert response.status_code == 403
    assert not TrackedLink.objects.exists()


def test_the_send_page_shows_why_an_expired_asset_is_not_sent(client, cast, story, lead):
    actions.expire(cast["ada"], story)
    client.force_login(cast["alice"])
    response = client.post(reverse("content:send", args=[story.pk]), {"lead": lead.pk}, follow=True)
    assert "has expired" in response.content.decode()
    assert not TrackedLink.objects.exists()


def test_a_stale_asset_may_be_sent_but_is_marked_stale_in_the_suggestions(
    client, cast, make_asset, lead, clock
):
    stale = make_asset(title="Old story", status=Asset.Status.PUBLISHED)
    Asset.objects.filter(pk=stale.pk).update(review_by=date(2026, 2, 1))
    client.force_login(cast["alice"])
    page = client.get(reverse("content:for_lead", args=[lead.pk]), headers={"HX-Request": "true"})
    assert "Stale" in page.content.decode()
    assert send(cast, stale, lead).asset == stale


def test_used_on_a_deal_is_recorded_for_whoever_works_the_lead(cast, story, lead):
    sending.use(cast["alice"], story, lead)
    with pytest.raises(PermissionDenied):
        sending.use(cast["bob"], story, lead)
    assert Usage.objects.filter(kind=Usage.Kind.USE).count() == 1


def test_the_sender_and_their_manager_stop_a_link_another_rep_may_not(cast, story, lead):
    link = send(cast, story, lead)
    with pytest.raises(PermissionDenied):
        sending.revoke(cast["bob"], link)
    sending.revoke(cast["sam"], link)
    with pytest.raises(ValidationError, match="already stopped"):
        sending.revoke(cast["alice"], link)


# The API ---------------------------------------------------------------------------------


def test_the_api_sends_with_a_write_token_and_reports_usage(api, cast, story, lead):
    write = tokens.issue_token(cast["alice"], name="w", scope="write")[1]
    response = api("post", f"/assets/{story.pk}/sends", write, body={"lead": lead.pk})
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    assert url.startswith("http://testserver/s/")

    read = tokens.issue_token(cast["vera"], name="r", scope="read")[1]
    usage = api("get", f"/assets/{story.pk}/usage", read).json()
    assert usage["sends"] == 1 and usage["links"][0]["state"] == "sent"


def test_the_api_refuses_read_tokens_other_reps_bad_input_and_expired_assets(
    api, cast, story, lead, bobs_lead
):
    read = tokens.issue_token(cast["alice"], name="r", scope="read")[1]
    write = tokens.issue_token(cast["alice"], name="w", scope="write")[1]
    viewer_write = tokens.issue_token(cast["vera"], name="w", scope="write")[1]
    path = f"/assets/{story.pk}/sends"
    assert api("post", path, read, body={"lead": lead.pk}).status_code == 403
    assert api("post", path, write, body={"lead": bobs_lead.pk}).status_code == 403
    assert api("post", path, viewer_write, body={"lead": lead.pk}).status_code == 403
    assert api("post", path, write, body={"lead": "ann"}).status_code == 422
    past = api("post", path, write, body={"lead": lead.pk, "expires_at": "2026-03-01T00:00Z"})
    assert past.status_code == 422 and "future" in past.json()["detail"]
    assert api("post", path, None, body={"lead": lead.pk}).status_code == 401
    actions.expire(cast["ada"], story)
    expired = api("post", path, write, body={"lead": lead.pk})
    assert expired.status_code == 422 and "expired" in expired.json()["detail"]
    assert not TrackedLink.objects.exists()


# The public viewer -----------------------------------------------------------------------


def test_the_first_open_is_a_touch_and_tells_the_sender_later_opens_are_events_only(
    client, cast, deck, lead
):
    link = send(cast, deck, lead)
    touches_after_send = Touchpoint.objects.filter(lead=lead).count()

    first = client.get(viewer(link.token))
    assert first.status_code == 200 and "Pricing deck" in first.content.decode()
    client.get(viewer(link.token))

    assert link.events.filter(kind=LinkEvent.Kind.OPEN).count() == 2
    assert Touchpoint.objects.filter(lead=lead).count() == touches_after_send + 1
    notice = Notification.objects.get(user=cast["alice"], kind="content.link_opened")
    assert "opened Pricing deck" in notice.title


def test_guessed_expired_and_stopped_tokens_look_alike_and_record_nothing(
    client, cast, deck, lead, clock
):
    expiring = send(cast, deck, lead, expires_at=NOW + timedelta(days=1))
    stopped = send(cast, deck, lead)
    sending.revoke(cast["alice"], stopped)
    clock.shift(timedelta(days=2))
    guessed = sending.new_token()
    before = (LinkEvent.objects.count(), Touchpoint.objects.count())

    answers = [client.get(viewer(t)) for t in (guessed, expiring.token, stopped.token, "x")]
    answers += [client.get(viewer(expiring.token, "download"))]
    answers += [client.get(viewer(stopped.token, "file"))]

    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert "ask the person who sent it for a new one" in answers[0].content.decode()
    assert (LinkEvent.objects.count(), Touchpoint.objects.count()) == before


def test_a_link_to_an_asset_expired_since_stops_answering(client, cast, deck, lead):
    link = send(cast, deck, lead)
    actions.expire(cast["ada"], deck)
    assert client.get(viewer(link.token)).status_code == 404


def test_a_token_serves_only_its_own_version(client, cast, deck, lead):
    link = send(cast, deck, lead)  # version 1, a PDF
    actions.add_version(cast["ada"], deck, file=upload("chart.png", PNG_BYTES))

    served = client.get(viewer(link.token, "file"))
    body = b"".join(served.streaming_content)
    assert body == PDF_BYTES and served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in served["Content-Security-Policy"]
    assert served["Content-Disposition"].startswith("inline")
    # The query string and the path name nothing else: the link alone decides.
    other = client.get(viewer(link.token, "file") + "?version=2&asset=999")
    assert b"".join(other.streaming_content) == PDF_BYTES


def test_a_download_is_an_attachment_and_is_recorded(client, cast, deck, lead):
    link = send(cast, deck, lead)
    response = client.get(viewer(link.token, "download"))
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert link.events.filter(kind=LinkEvent.Kind.DOWNLOAD).count() == 1


def test_a_link_version_redirects_after_recording_the_open(client, cast, story, lead):
    link = send(cast, story, lead)
    response = client.get(viewer(link.token))
    assert response.status_code == 302
    assert response["Location"] == "https://files.example/case-study.pdf"
    assert link.events.filter(kind=LinkEvent.Kind.OPEN).count() == 1


def test_the_email_gate_asks_refuses_a_malformed_email_and_keeps_a_good_one(
    client, cast, deck, lead
):
    link = send(cast, deck, lead, email_gate=True)

    gate = client.get(viewer(link.token))
    assert "Your work email" in gate.content.decode()
    assert client.get(viewer(link.token, "file")).status_code == 404
    bad = client.post(viewer(link.token), {"email": "not-an-email"})
    assert bad.status_code == 400 and "valid email" in bad.content.decode()
    assert not LinkEvent.objects.exists()

    passed = client.post(viewer(link.token), {"email": "ann@buyer.example"}, follow=True)
    assert passed.status_code == 200 and "Download" in passed.content.decode()
    assert LinkEvent.objects.get(kind=LinkEvent.Kind.OPEN).email == "ann@buyer.example"
    served = client.get(viewer(link.token, "file"))
    assert b"".join(served.streaming_content) == PDF_BYTES


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"seconds": "abc"},
        {"seconds": "0"},
        {"seconds": "-5"},
        {"seconds": "61"},
        {"seconds": "10", "pages": "0"},
        {"seconds": "10", "pages": "lots"},
    ],  # fmt: skip
)
def test_a_ping_with_bad_values_is_refused_and_records_nothing(client, cast, deck, lead, data):
    link = send(cast, deck, lead)
    response = client.post(viewer(link.token, "ping"), data)
    assert response.status_code == 400
    assert not LinkEvent.objects.filter(kind=LinkEvent.Kind.VIEW).exists()


def test_a_ping_records_the_seconds_read(client, cast, deck, lead):
    link = send(cast, deck, lead)
    assert client.post(viewer(link.token, "ping"), {"seconds": "15"}).status_code == 204
    assert client.post(viewer(link.token, "ping"), {"seconds": "7"}).status_code == 204
    assert queries.links(pk=link.pk).get().seconds == 22


def test_the_ping_needs_the_pages_csrf_token(cast, deck, lead):
    from django.test import Client

    link = send(cast, deck, lead)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(viewer(link.token, "ping"), {"seconds": "5"}).status_code == 403
    page = strict.get(viewer(link.token))
    csrf = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    sent = strict.post(viewer(link.token, "ping"), {"seconds": "5", "csrfmiddlewaretoken": csrf})
    assert sent.status_code == 204


def test_the_viewer_is_rate_limited_per_address(client, settings, cast, deck, lead):
    settings.CONTENT_VIEWER_RATE_LIMIT = 3
    link = send(cast, deck, lead)
    here = {"REMOTE_ADDR": "203.0.113.7"}
    answers = [client.get(viewer(link.token), **here).status_code for _ in range(3)]
    guessed = client.get(viewer(sending.new_token()), **here)
    assert answers == [200, 200, 200]
    assert guessed.status_code == 429 and guessed["Retry-After"] == "60"
    assert link.events.count() == 3  # the refused request recorded nothing
    assert client.get(viewer(link.token), REMOTE_ADDR="198.51.100.2").status_code == 200


def test_the_rate_limit_counts_per_key_and_window(clock):
    assert [ratelimit.allow("k", 2, 60) for _ in range(3)] == [True, True, False]
    assert ratelimit.allow("other", 2, 60)


# Internal usage --------------------------------------------------------------------------


def test_the_asset_page_counts_views_downloads_sends_and_opens(client, cast, deck, lead):
    link = send(cast, deck, lead)
    client.get(viewer(link.token))
    client.force_login(cast["bob"])
    client.get(reverse("content:asset", args=[deck.pk]))
    client.get(reverse("content:asset", args=[deck.pk]))  # the same day: one view
    b"".join(client.get(deck.versions.get().get_download_url()).streaming_content)

    page = client.get(reverse("content:asset", args=[deck.pk]) + "?tab=usage").content.decode()

    assert queries.usage_counts(deck) | {"links_opened": 1} == {
        "views": 1, "downloads": 1, "sends": 1, "uses": 0, "opens": 1, "buyer_downloads": 0,
        "links_opened": 1,
    }  # fmt: skip
    assert "Tracked links" in page and str(lead) in page and "Opened" in page


def test_the_asset_page_draws_each_long_list_on_a_tab_of_its_own(client, cast, deck, lead):
    """The overview holds the counts and the forms; the tracked links and the usage ledger,
    every rating and the history each have a tab, so that a view reads one of them."""
    link = send(cast, deck, lead)
    client.get(viewer(link.token))
    client.force_login(cast["bob"])
    url = reverse("content:asset", args=[deck.pk])

    overview = client.get(url)
    page = overview.content.decode()
    assert overview.context["tab"] == "overview"
    assert f'href="{url}" aria-current="page">Overview</a>' in page
    assert "Opened by buyers" in page and "Tracked links and who used it" in page
    assert "<h3>Tracked links</h3>" not in page and str(lead) not in page
    assert "ledger" not in overview.context and "history" not in overview.context
    assert "influence" not in overview.context  # read from the stored credits on its tab

    usage = client.get(url + "?tab=usage")
    page = usage.content.decode()
    assert f'href="{url}?tab=usage" aria-current="page">Usage</a>' in page
    assert "<h3>Tracked links</h3>" in page and str(lead) in page and "Opened" in page
    assert "suggestion_form" not in usage.context and "ratings_page" not in usage.context

    history = client.get(url + "?tab=history")
    assert history.context["history"], "the asset's trail: created, published"
    assert "Nothing recorded yet" not in history.content.decode()
    ratings = client.get(url + "?tab=ratings")
    assert ratings.context["every_rating"] and "history" not in ratings.context

    # A list's page names its tab (the lists' own links, and links from before the tabs); a
    # tab nobody knows is the overview.
    assert client.get(url + "?links_page=1").context["tab"] == "usage"
    assert client.get(url + "?ratings_page=1").context["tab"] == "ratings"
    assert client.get(url + "?tab=<script>").context["tab"] == "overview"


def test_the_library_filters_unused_assets_and_sorts_by_usage(
    client, cast, make_asset, story, lead
):
    quiet = make_asset(title="Quiet one", status=Asset.Status.PUBLISHED)
    send(cast, story, lead)
    client.force_login(cast["vera"])

    unused = client.get(reverse("content:list"), {"usage": "unused"}).content.decode()
    by_use = client.get(reverse("content:list"), {"sort": "usage"}).content.decode()

    assert quiet.title in unused and story.title not in unused
    assert by_use.index(story.title) < by_use.index(quiet.title)


@pytest.mark.parametrize(
    "title, persona",
    [
        ("CFO", "economic_buyer"),
        ("VP Finance", "economic_buyer"),
        ("VP Sales", "executive"),
        ("Solutions Architect", "technical"),
        ("Head of Procurement", "executive"),
        ("Purchasing agent", "procurement"),
        ("", ""),
    ],  # fmt: skip
)
def test_a_persona_is_guessed_from_the_title(title, persona):
    assert queries.persona_for_title(title) == persona
