"""Sales reviews: reps accept or reject the leads handed to them, and everybody sees the rates."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.db.models import Q
from django.urls import reverse

from accord.crm.models import Campaign, Lead, LeadStatusChange, Touchpoint
from accord.demo.reviews import reviews_from_history
from accord.people import tokens
from accord.people.models import AuditLog
from accord.qualify import reviews
from accord.qualify.models import LeadReview, RejectionReason
from tests.factories import SMALL_DEMO_UNTIL, T0

pytestmark = pytest.mark.django_db

Status = Lead.Status


@pytest.fixture
def mql(make_lead):
    def make(email="ann@acme.example", owner="alice", **extra):
        return make_lead(email, owner=owner, status=Status.MQL, **extra)

    return make


def accept(client, lead, **data):
    return client.post(reverse("reviews:accept", args=[lead.pk]), data, follow=True)


def reject(client, lead, reason="no-budget", comment=""):
    data = {"reason": reason, "comment": comment}
    return client.post(reverse("reviews:reject", args=[lead.pk]), data, follow=True)


def assert_unchanged(lead, status=Status.MQL):
    lead.refresh_from_db()
    assert lead.status == status
    assert not LeadReview.objects.filter(lead=lead).exists()
    assert not LeadStatusChange.objects.filter(lead=lead).exists()


# --- Accepting and rejecting -------------------------------------------------------------


def test_a_rep_accepts_their_own_mql(login, cast, mql):
    lead = mql(owner="alice")

    response = accept(login(cast["alice"]), lead)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == lead.get_absolute_url()
    assert "Accepted: the lead is now a sales-accepted lead (SAL)." in page
    lead.refresh_from_db()
    assert lead.status == Status.ACCEPTED
    change = LeadStatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "mql",
        "accepted",
        cast["alice"],
        "Accepted by sales",
    )
    review = LeadReview.objects.get(lead=lead)
    assert (review.decision, review.reviewer, review.reason) == ("accepted", cast["alice"], None)
    assert lead.status_changed_at == change.changed_at == review.at
    assert "Accept lead" not in page  # done: nothing left to accept


def test_a_rep_rejects_with_a_reason_and_the_lead_goes_back_to_nurture(login, cast, mql):
    lead = mql(owner="alice")

    response = reject(login(cast["alice"]), lead, "no-budget", "Budget frozen until Q3.")

    page = response.content.decode()
    assert "Rejected (No budget): the lead goes back to marketing&#x27;s nurture." in page
    lead.refresh_from_db()
    assert lead.status == Status.RECYCLED
    change = LeadStatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "mql",
        "recycled",
        cast["alice"],
        "Rejected by sales: No budget",
    )
    review = LeadReview.objects.get(lead=lead)
    assert (review.decision, review.reason.key, review.comment) == (
        "rejected",
        "no-budget",
        "Budget frozen until Q3.",
    )
    # The lead's page shows the verdict with its reason and comment.
    assert "Budget frozen until Q3." in page and "No budget" in page


def test_a_rep_may_still_reject_a_lead_they_accepted(login, cast, mql):
    lead = mql(owner="alice")
    client = login(cast["alice"])
    accept(client, lead)

    reject(client, lead, "no-authority", "Turned out to be an intern.")

    lead.refresh_from_db()
    assert lead.status == Status.RECYCLED
    assert list(lead.status_changes.values_list("from_status", "to_status")) == [
        ("mql", "accepted"),
        ("accepted", "recycled"),
    ]
    assert list(lead.reviews.order_by("at", "id").values_list("decision", flat=True)) == [
        "accepted",
        "rejected",
    ]


def test_a_rep_cannot_review_someone_elses_lead(login, cast, mql):
    lead = mql(owner="bob")
    client = login(cast["alice"])

    rejected = reject(client, lead)
    accepted = accept(client, lead)

    assert rejected.status_code == accepted.status_code == 403
    assert "You can accept or reject only leads you own; this lead is Bob&#x27;s." in (
        rejected.content.decode()
    )
    assert_unchanged(lead)


def test_a_manager_reviews_their_teams_leads_but_not_another_teams(login, cast, mql):
    sales_lead = mql("ann@acme.example", owner="alice")
    marketing_lead = mql("max@acme.example", owner="mike")
    unowned = mql("nobody@acme.example", owner=None)
    client = login(cast["sam"])  # the sales manager

    assert accept(client, sales_lead).status_code == 200
    assert reject(client, unowned).status_code == 200
    refused = reject(client, marketing_lead)

    assert refused.status_code == 403
    assert "only your team&#x27;s leads; this lead is Mike&#x27;s" in refused.content.decode()
    sales_lead.refresh_from_db()
    unowned.refresh_from_db()
    assert (sales_lead.status, unowned.status) == (Status.ACCEPTED, Status.RECYCLED)
    assert LeadReview.objects.get(lead=sales_lead).reviewer == cast["sam"]
    assert_unchanged(marketing_lead)


def test_a_viewer_sees_the_history_but_cannot_review(login, cast, mql):
    lead = mql(owner="alice")
    LeadReview.objects.create(
        lead=lead, reviewer=cast["bob"], decision="accepted", at=T0 + timedelta(days=1)
    )
    client = login(cast["vera"])

    page = client.get(lead.get_absolute_url()).content.decode()
    refused = accept(client, lead)

    assert "Sales review" in page and "Accepted" in page and "by Bob" in page
    assert "Accept lead" not in page and "Reject lead" not in page
    assert refused.status_code == 403
    assert "can look at leads but not accept or reject them" in refused.content.decode()
    lead.refresh_from_db()
    assert lead.status == Status.MQL


def test_the_owner_gets_the_buttons_and_only_reasons_in_use(login, cast, mql):
    lead = mql(owner="alice")
    RejectionReason.objects.filter(key="competitor").update(active=False)

    mine = login(cast["alice"]).get(lead.get_absolute_url()).content.decode()
    theirs = login(cast["bob"]).get(lead.get_absolute_url()).content.decode()

    assert "Accept lead" in mine and "Reject lead" in mine
    assert '<option value="no-budget">No budget</option>' in mine
    assert 'value="competitor"' not in mine
    assert "Accept lead" not in theirs and "Reject lead" not in theirs


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(login, cast, mql):
    lead = mql(owner="alice")

    response = reject(login(cast["alice"]), lead, reason="", comment="Not now")

    assert response.status_code == 200
    assert "Choose a reason: a rejection needs one." in response.content.decode()
    assert_unchanged(lead)


def test_a_retired_or_unknown_reason_is_refused(login, cast, mql):
    lead = mql(owner="alice")
    RejectionReason.objects.filter(key="competitor").update(active=False)
    client = login(cast["alice"])

    retired = reject(client, lead, reason="competitor").content.decode()
    unknown = reject(client, lead, reason="bad-vibes").content.decode()

    assert "“Competitor” is no longer in use; choose another reason." in retired
    assert "There is no rejection reason “bad-vibes”." in unknown
    assert_unchanged(lead)


def test_only_an_mql_can_be_accepted_and_only_an_mql_or_sal_rejected(login, cast, make_lead):
    sql = make_lead("sql@acme.example", owner="alice", status=Status.SQL)
    new = make_lead("new@acme.example", owner="alice", status=Status.NEW)
    accepted = make_lead("sal@acme.example", owner="alice", status=Status.ACCEPTED)
    client = login(cast["alice"])

    assert "Only an MQL can be accepted; this lead is SQL." in accept(client, sql).content.decode()
    assert "This lead is already accepted." in accept(client, accepted).content.decode()
    assert (
        "Only an MQL or an accepted lead can be rejected; this lead is New."
        in reject(client, new).content.decode()
    )
    assert_unchanged(sql, Status.SQL)
    assert_unchanged(new, Status.NEW)
    assert_unchanged(accepted, Status.ACCEPTED)


def test_a_comment_longer_than_1000_characters_is_refused(login, cast, mql):
    lead = mql(owner="alice")

    response = reject(login(cast["alice"]), lead, comment="x" * 1001)

    assert "Comment: Ensure this value has at most 1000 characters" in response.content.decode()
    assert_unchanged(lead)


def test_reviewing_an_unknown_lead_is_not_found_and_get_is_not_allowed(login, cast, mql):
    lead = mql(owner="alice")
    client = login(cast["alice"])

    assert client.post(reverse("reviews:accept", args=[999999])).status_code == 404
    assert client.get(reverse("reviews:accept", args=[lead.pk])).status_code == 405
    assert_unchanged(lead)


# --- Rejection rates ---------------------------------------------------------------------


class Tables(HTMLParser):
    """Each table's rows of cell texts, under the nearest h2 before it."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._heading = self._row = self._cell = None
        self._in_h2 = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self._in_h2, self._heading = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables.setdefault(self._heading, []).append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_h2:
            self._heading += data
        elif self._cell is not None:
            self._cell += data


@pytest.fixture
def reviewed(cast, channels, make_lead):
    """Four reviews in March 2026, three of them rejections, and one from long before."""
    webinar = Campaign.objects.create(
        name="Spring webinar", channel=channels["webinar"], starts_on=date(2026, 1, 1)
    )
    brand = Campaign.objects.create(
        name="Search brand", channel=channels["paid_search"], starts_on=date(2026, 1, 1)
    )
    retargeting = Campaign.objects.create(
        name="Retargeting", channel=channels["paid_search"], starts_on=date(2025, 1, 1)
    )
    reasons = {r.key: r for r in RejectionReason.objects.all()}
    a = make_lead("a@acme.example", owner="alice", source="webinar")
    b = make_lead("b@acme.example", owner="alice", source="webinar")
    c = make_lead("c@acme.example", owner="bob", source="paid_search")
    d = make_lead("d@acme.example", owner="bob", source="paid_search")

    def touch(lead, days, campaign, channel):
        Touchpoint.objects.create(
            lead=lead,
            channel=channels[channel],
            campaign=campaign,
            kind=Touchpoint.Kind.WEB_VISIT,
            occurred_at=T0 + timedelta(days=days),
        )

    touch(a, 0, webinar, "webinar")
    touch(a, 3, brand, "paid_search")  # later: not the lead's campaign
    touch(b, 1, webinar, "webinar")
    touch(c, -5, retargeting, "paid_search")  # before the lead existed: not its campaign
    touch(c, 0, None, "paid_search")  # no campaign: skipped
    touch(c, 2, brand, "paid_search")
    touch(d, -3, retargeting, "paid_search")  # d never touched a campaign after it was created

    def review(lead, who, decision, reason=None, days=10):
        LeadReview.objects.create(
            lead=lead,
            reviewer=cast[who],
            decision=decision,
            reason=reasons.get(reason),
            at=T0 + timedelta(days=days),
        )

    review(a, "alice", "rejected", "no-budget")
    review(b, "alice", "rejected", "no-budget")
    review(c, "bob", "rejected", "not-a-fit")
    review(d, "bob", "accepted")
    review(d, "bob", "rejected", "duplicate", days=-200)  # long before the period


MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


@pytest.fixture
def april(time_machine):
    time_machine.move_to(datetime(2026, 4, 2, 12, tzinfo=UTC), tick=False)


def test_the_rates_page_counts_reviews_by_source_reason_rep_and_campaign(
    login, cast, reviewed, april
):
    response = login(cast["vera"]).get(reverse("reviews:home"), MARCH)

    assert response.status_code == 200
    html = response.content.decode()
    tables = Tables(html).tables
    head = ["Reviewed", "Accepted", "Rejected", "Rejection rate"]
    assert tables["By source"] == [
        ["Source", *head],
        ["Paid search", "2", "1", "1", "50%"],
        ["Webinar", "2", "0", "2", "100%"],
    ]
    assert tables["By reason"] == [
        ["Reason", "Rejected", "Share of rejections"],
        ["No budget", "2", "67%"],
        ["Not a fit", "1", "33%"],
    ]
    assert tables["By rep"] == [
        ["Rep", *head],
        ["Alice", "2", "0", "2", "100%"],
        ["Bob", "2", "1", "1", "50%"],
    ]
    assert tables["By campaign"] == [
        ["Campaign", *head],
        ["Spring webinar", "2", "0", "2", "100%"],
        ["Search brand", "1", "0", "1", "100%"],
        ["No campaign", "1", "1", "0", "0%"],
    ]
    kpis = re.findall(r'kpi-value">([^<]+)<', html)
    assert kpis == ["4", "1", "3", "75%"]
    charts = [json.loads(m) for m in re.findall(r'application/json">(.*?)</script>', html)]
    assert {(c["series"], tuple(c["labels"]), tuple(c["values"])) for c in charts} == {
        ("Rejection rate by source", ("Webinar", "Paid search"), (1.0, 0.5)),
        ("Rejections by reason", ("No budget", "Not a fit"), (2, 1)),
    }


def test_the_rates_page_defaults_to_the_last_90_days_and_says_when_nothing_was_reviewed(
    login, cast, reviewed, time_machine
):
    time_machine.move_to(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)

    response = login(cast["alice"]).get(reverse("reviews:home"))

    html = response.content.decode()
    assert "No lead was accepted or rejected from Jun 4, 2026 to Sep 1, 2026." in html
    assert 'value="2026-06-04"' in html and 'value="2026-09-01"' in html
    assert "<canvas" not in html


def test_a_bad_period_is_reported_and_the_last_90_days_shown(login, cast, reviewed, april):
    client = login(cast["alice"])

    backwards = client.get(
        reverse("reviews:home"), {"date_from": "2026-03-31", "date_to": "2026-03-01"}
    )
    future = client.get(reverse("reviews:home"), {"date_to": "2026-05-01"})
    nonsense = client.get(reverse("reviews:home"), {"date_from": "2026-02-31"})

    assert "The end date is before the start date. Showing Jan 3, 2026 to Apr 2, 2026 instead." in (
        backwards.content.decode()
    )
    assert "The period cannot end after today." in future.content.decode()
    assert "Enter a valid date." in nonsense.content.decode()
    assert backwards.context["rates"].total.reviewed == 4  # March is within the last 90 days


# --- The list of reasons -----------------------------------------------------------------


def test_everybody_reads_the_reasons_but_only_an_admin_changes_them(login, cast):
    client = login(cast["sam"])

    page = client.get(reverse("reviews:reasons")).content.decode()
    added = client.post(reverse("reviews:reasons"), {"label": "Wrong region"})
    retired = client.post(reverse("reviews:reasons"), {"key": "competitor", "active": "0"})

    assert "Student or job seeker" in page and "Add a reason" not in page
    assert added.status_code == retired.status_code == 403
    assert "Only an admin can change the list of rejection reasons." in added.content.decode()
    assert RejectionReason.objects.count() == 8
    assert RejectionReason.objects.get(key="competitor").active


def test_an_admin_adds_a_reason_with_a_key_made_from_its_name(login, cast, mql):
    client = login(cast["ada"])

    response = client.post(reverse("reviews:reasons"), {"label": "  Wrong   region "}, follow=True)

    assert "Added “Wrong region”." in response.content.decode()
    reason = RejectionReason.objects.get(key="wrong-region")
    assert (reason.label, reason.active, reason.position) == ("Wrong region", True, 8)
    assert AuditLog.objects.filter(action="qualify.reason_added", actor=cast["ada"]).exists()
    lead_page = login(cast["alice"]).get(mql(owner="alice").get_absolute_url()).content.decode()
    assert '<option value="wrong-region">Wrong region</option>' in lead_page


def test_a_duplicate_reason_is_refused(login, cast):
    client = login(cast["ada"])

    same_key = client.post(reverse("reviews:reasons"), {"label": "No-budget"})
    same_name = client.post(reverse("reviews:reasons"), {"label": "no budget"})
    blank = client.post(reverse("reviews:reasons"), {"label": "  "})

    assert same_key.status_code == same_name.status_code == blank.status_code == 400
    assert "There is already a reason “No budget”." in same_key.content.decode()
    assert "There is already a reason “No budget”." in same_name.content.decode()
    assert "Name the reason." in blank.content.decode()
    assert RejectionReason.objects.count() == 8


def test_an_admin_retires_a_used_reason_and_brings_it_back(login, cast, mql):
    lead = mql(owner="alice")
    reject(login(cast["alice"]), lead, reason="competitor")
    client = login(cast["ada"])

    retired = client.post(
        reverse("reviews:reasons"), {"key": "competitor", "active": "0"}, follow=True
    )

    assert "“Competitor” is retired: no longer offered." in retired.content.decode()
    assert not RejectionReason.objects.get(key="competitor").active
    assert LeadReview.objects.get(lead=lead).reason.key == "competitor"  # kept as given
    back = client.post(reverse("reviews:reasons"), {"key": "competitor", "active": "1"})
    assert back.status_code == 302
    assert RejectionReason.objects.get(key="competitor").active
    assert AuditLog.objects.filter(action__startswith="qualify.reason_").count() == 2


# --- API ---------------------------------------------------------------------------------


@pytest.fixture
def alice_token(cast):
    return tokens.issue_token(cast["alice"], name="phone", scope="write")[1]


def test_the_api_rejects_and_accepts_a_reps_own_leads(api, alice_token, cast, mql):
    first = mql("ann@acme.example", owner="alice")
    second = mql("ben@acme.example", owner="alice")

    rejected = api(
        "post",
        f"/leads/{first.pk}/review",
        alice_token,
        {"decision": "rejected", "reason": "unreachable", "comment": "Five calls, no answer."},
    )
    accepted = api("post", f"/leads/{second.pk}/review", alice_token, {"decision": "accepted"})

    assert rejected.status_code == accepted.status_code == 200
    body = rejected.json()
    assert {k: body[k] for k in ("lead_id", "lead_status", "decision", "reason", "reviewer")} == {
        "lead_id": first.pk,
        "lead_status": "recycled",
        "decision": "rejected",
        "reason": "unreachable",
        "reviewer": "alice",
    }
    assert (body["reason_label"], body["comment"]) == ("Unreachable", "Five calls, no answer.")
    assert accepted.json()["lead_status"] == "accepted"
    first.refresh_from_db()
    assert first.status == Status.RECYCLED


def test_the_api_refuses_what_the_page_refuses(api, alice_token, cast, mql):
    bobs = mql("bob-lead@acme.example", owner="bob")
    mine = mql("ann@acme.example", owner="alice")
    read_only = tokens.issue_token(cast["alice"], name="read", scope="read")[1]

    other = api("post", f"/leads/{bobs.pk}/review", alice_token, {"decision": "accepted"})
    missing = api("post", "/leads/999999/review", alice_token, {"decision": "accepted"})
    no_reason = api("post", f"/leads/{mine.pk}/review", alice_token, {"decision": "rejected"})
    bad_decision = api("post", f"/leads/{mine.pk}/review", alice_token, {"decision": "maybe"})
    scope = api("post", f"/leads/{mine.pk}/review", read_only, {"decision": "accepted"})

    assert other.status_code == 403
    assert other.json()["detail"] == (
        "You can accept or reject only leads you own; this lead is Bob's."
    )
    assert missing.status_code == 404
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"] == "reason: Choose a reason: a rejection needs one."
    assert bad_decision.status_code == 422
    assert scope.status_code == 403 and "read-only" in scope.json()["detail"]
    assert_unchanged(bobs)
    assert_unchanged(mine)


def test_the_api_gives_the_rejection_rates(api, cast, reviewed, april):
    token = tokens.issue_token(cast["vera"], name="bi", scope="read")[1]

    response = api(
        "get", "/reviews/rejection-rates", token, **{"from": "2026-03-01", "to": "2026-03-31"}
    )
    backwards = api(
        "get", "/reviews/rejection-rates", token, **{"from": "2026-03-31", "to": "2026-03-01"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["reviewed"], body["rejected"]) == (
        "2026-03-01",
        "2026-03-31",
        4,
        3,
    )
    assert body["rejection_rate"] == 0.75
    assert [(r["key"], r["rejection_rate"]) for r in body["by_source"]] == [
        ("paid_search", 0.5),
        ("webinar", 1.0),
    ]
    assert [(r["key"], r["share"]) for r in body["by_reason"]] == [
        ("no-budget", 0.6667),
        ("not-a-fit", 0.3333),
    ]
    assert [(r["key"], r["reviewed"], r["rejected"]) for r in body["by_reviewer"]] == [
        ("alice", 2, 2),
        ("bob", 2, 1),
    ]
    assert [(r["label"], r["rejected"]) for r in body["by_campaign"]] == [
        ("Spring webinar", 2),
        ("Search brand", 1),
        ("No campaign", 0),
    ]
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == "to: The end date is before the start date."


# --- The demo company --------------------------------------------------------------------


def test_the_demo_history_becomes_reviews_with_sensible_rates(small_demo_company):
    until = SMALL_DEMO_UNTIL
    history = LeadStatusChange.objects.filter(from_status=Status.MQL)
    accepted_changes = history.filter(to_status=Status.ACCEPTED).count()
    turned_down = history.filter(
        to_status__in=(Status.REJECTED, Status.RECYCLED, Status.DISQUALIFIED)
    ).exclude(reason="")

    # The demo build turned its history into reviews; running it again adds nothing.
    assert LeadReview.objects.count() > 50
    assert LeadReview.objects.filter(decision="accepted").count() == accepted_changes
    assert LeadReview.objects.filter(decision="rejected").count() == turned_down.count()
    assert not LeadReview.objects.filter(Q(reviewer=None) | Q(decision="rejected", reason=None))
    assert reviews_from_history() == 0  # running it again adds nothing

    rates = reviews.rejection_rates(date(2025, 3, 1), until - timedelta(days=1))
    assert rates.total.reviewed == LeadReview.objects.count()
    assert 0.1 < rates.total.rejection_rate < 0.6
    given = {row.key for row in rates.by_reason}
    assert {"not-a-fit", "no-budget", "student-or-job-seeker"} <= given
    assert len(rates.by_reviewer) > 3 and len(rates.by_source) > 5
    assert sum(row.reviewed for row in rates.by_campaign) == rates.total.reviewed


def test_the_rates_export_to_csv_as_the_page_shows_them(login, cast, reviewed, april):
    response = login(cast["vera"]).get(reverse("reviews:rates_csv"), MARCH)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="accord-sales-reviews-2026-03-01-to-2026-03-31.csv"'
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == [
        "Grouped by,Name,Reviewed,Accepted,Rejected,Rejection rate %,Share of rejections %",
        "All reviews,All reviews,4,1,3,75,",
        "Source,Paid search,2,1,1,50,",
        "Source,Webinar,2,0,2,100,",
        "Campaign,Spring webinar,2,0,2,100,",
        "Campaign,Search brand,1,0,1,100,",
        "Campaign,No campaign,1,1,0,0,",
        "Rep,Alice,2,0,2,100,",
        "Rep,Bob,2,1,1,50,",
        "Reason,No budget,,,2,,66.7",
        "Reason,Not a fit,,,1,,33.3",
    ]
    page = login(cast["vera"]).get(reverse("reviews:home"), MARCH).content.decode()
    assert 'href="/qualify/reviews/rates.csv?date_from=2026-03-01&amp;date_to=2026-03-31"' in page
