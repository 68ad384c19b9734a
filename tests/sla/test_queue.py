"""Each rep's follow-up queue (their landing page), their managers' drill-down from the board,
and what the board's "Needs follow-up now" lists."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accord.crm.models import Activity, Lead, LeadOwnerChange, LeadStatusChange
from accord.people.tokens import issue_token
from accord.sla import queries, views
from accord.sla.models import BusinessCalendar, FollowUpPolicy

NY = ZoneInfo("America/New_York")
# Wednesday 4 March 2026, noon in New York: the moment every test here looks from.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=NY)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def policy(db):
    """Every MQL: first response within 8 business hours, 3 attempts in 5 business days,
    New York hours."""
    BusinessCalendar.objects.create(
        team=None,
        time_zone="America/New_York",
        week={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    return FollowUpPolicy.objects.create(
        name="Every MQL", priority=10, first_response_hours=8, attempts=3, attempt_days=5,
        attempt_kinds=["call", "email", "meeting"],
    )  # fmt: skip


@pytest.fixture
def mql(make_lead):
    """A lead that became MQL at `at`, owned by `owner` all along."""

    def make(email, at, owner="alice", **extra):
        lead = make_lead(email, owner=owner, status=Lead.Status.MQL, **extra)
        Lead.objects.filter(pk=lead.pk).update(
            created_at=at - timedelta(days=3), status_changed_at=at
        )
        LeadOwnerChange.objects.create(
            lead=lead, from_owner=None, to_owner=lead.owner, changed_at=at - timedelta(days=3)
        )
        LeadStatusChange.objects.create(
            lead=lead, from_status="new", to_status="mql", changed_at=at
        )
        lead.refresh_from_db()
        return lead

    return make


def queue_rows(response) -> list[str]:
    """The lead names of the queue's rows, in order."""
    html = response.content.decode()
    if 'id="follow-up-queue"' not in html:
        return []
    table = html.split('id="follow-up-queue"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td><a href="/leads/\d+/">([^<]+)</a>', table)


def row_of(html: str, lead: Lead) -> str:
    """The queue's row of one lead."""
    return html.split(f'<a href="/leads/{lead.pk}/">', 1)[1].split("</tr>", 1)[0]


# The rep's landing page ------------------------------------------------------------------


def test_a_rep_lands_on_their_follow_ups_breached_first_then_by_next_deadline(
    policy, mql, cast, login
):
    monday = mql("monday@acme.example", ny(2026, 3, 2, 9, 0))  # first response due Mon 17:00
    today = mql("today@acme.example", ny(2026, 3, 4, 9, 0), fit_grade="A", engagement_score=87)
    earlier = mql("earlier@acme.example", ny(2026, 3, 3, 15, 0))  # due Wed 15:00
    mql("bobs@acme.example", ny(2026, 3, 2, 9, 0), owner="bob")  # not hers
    done = mql("done@acme.example", ny(2026, 3, 3, 9, 0))
    for hour in (10, 11, 12):
        Activity.objects.create(
            lead=done, user=cast["alice"], kind="call", occurred_at=ny(2026, 3, 3, hour)
        )
    accepted = mql("accepted@acme.example", ny(2026, 3, 2, 9, 0))
    Lead.objects.filter(pk=accepted.pk).update(status=Lead.Status.ACCEPTED)
    LeadStatusChange.objects.create(
        lead=accepted, from_status="mql", to_status="accepted", changed_at=ny(2026, 3, 2, 10, 0)
    )

    client = login(cast["alice"])
    landing = client.get("/")
    assert landing.status_code == 302 and landing["Location"] == "/sla/queue/"
    page = client.get("/sla/queue/")
    assert page.status_code == 200
    # Monday's lead is breached and still MQL: on top; then the running ones by deadline.
    assert queue_rows(page) == [monday.name, earlier.name, today.name]
    html = page.content.decode()
    assert "My follow-ups" in html and "1 breached" in html
    row = row_of(html, today)
    assert '<span class="grade">A</span>' in row and ">87<" in row
    deadline = datetime.fromisoformat(re.search(r'<time datetime="([^"]+)"', row)[1])
    assert deadline == ny(2026, 3, 4, 17, 0)  # first response: 8 business hours from 09:00
    assert ">0 of 3<" in row
    assert 'name="csrfmiddlewaretoken"' in row and 'value="call"' in row
    assert "<script" not in html.split("</head>", 1)[1] and 'style="' not in html


def test_only_sales_and_sdr_members_land_on_the_queue(policy, cast, login):
    for name in ("mike", "sam", "victor", "vera"):
        assert login(cast[name]).get("/").status_code == 200, name  # the overview
    assert login(cast["bob"]).get("/").status_code == 302
    overview = login(cast["alice"]).get("/overview/")
    assert overview.status_code == 200  # still one click away, from the menu
    assert 'href="/overview/" aria-current="page">Overview' in overview.content.decode()
    assert re.search(r'href="/sla/queue/"[^>]*>My follow-ups</a>', overview.content.decode())


def test_logging_a_call_from_a_row_is_one_step_and_counts(policy, mql, cast, login, client):
    lead = mql("call@acme.example", ny(2026, 3, 4, 9, 0))
    login(cast["alice"])
    answer = client.post(
        f"/sla/queue/leads/{lead.pk}/follow-ups/", {"kind": "call", "outcome": "Left a voicemail"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/sla/queue/"
    (activity,) = Activity.objects.filter(lead=lead)
    assert (activity.user, activity.kind, activity.outcome) == (
        cast["alice"],
        "call",
        "Left a voicemail",
    )
    assert activity.occurred_at == NOW
    page = client.get("/sla/queue/")
    html = page.content.decode()
    assert "Logged call with" in html
    row = row_of(html, lead)
    assert ">1 of 3<" in row and "Met" not in row  # first response met; attempts still running

    client.post(f"/sla/queue/leads/{lead.pk}/follow-ups/", {"kind": "email", "page": "1"})
    client.post(f"/sla/queue/leads/{lead.pk}/follow-ups/", {"kind": "call"})
    done = client.get("/sla/queue/").content.decode()
    assert "Nothing to follow up right now." in done  # three attempts: done with it


def test_a_bad_kind_is_refused_clearly_and_logs_nothing(policy, mql, cast, login, client):
    lead = mql("bad@acme.example", ny(2026, 3, 4, 9, 0))
    login(cast["alice"])
    answer = client.post(f"/sla/queue/leads/{lead.pk}/follow-ups/", {"kind": "fax"}, follow=True)
    assert "Kind: Select a valid choice. fax is not one of the available choices." in (
        answer.content.decode()
    )
    assert not Activity.objects.exists()


def test_nobody_logs_on_a_lead_they_may_not_work_from_the_queue(policy, mql, cast, login, client):
    lead = mql("hers@acme.example", ny(2026, 3, 4, 9, 0))
    for name in ("bob", "mona", "vera"):
        login(cast[name])
        assert (
            client.post(f"/sla/queue/leads/{lead.pk}/follow-ups/", {"kind": "call"}).status_code
            == 403
        )
    assert not Activity.objects.exists()
    assert client.get(f"/sla/queue/leads/{lead.pk}/follow-ups/").status_code == 405


def test_managers_open_their_reps_queues_and_members_only_their_own(policy, mql, cast, login):
    lead = mql("drill@acme.example", ny(2026, 3, 4, 9, 0))
    alices = f"/sla/queue/{cast['alice'].pk}/"
    for name in ("sam", "victor", "ada", "alice"):
        page = login(cast[name]).get(alices)
        assert page.status_code == 200, name
        assert lead.name in page.content.decode()
    for name in ("bob", "mona", "mike", "vera"):
        assert login(cast[name]).get(alices).status_code == 403, name
    managed = login(cast["sam"]).get(alices).content.decode()
    assert "Follow-ups of Alice" in managed
    assert 'value="call"' not in managed  # a manager's call would not count for her
    assert login(cast["sam"]).get("/sla/queue/999999/").status_code == 404


def test_the_queue_is_paginated_and_says_when_it_is_empty(policy, mql, cast, login, monkeypatch):
    client = login(cast["alice"])
    empty = client.get("/sla/queue/").content.decode()
    assert "Nothing to follow up right now." in empty
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    for n in range(5):
        mql(f"p{n}@acme.example", ny(2026, 3, 4, 9, n))
    first, last = client.get("/sla/queue/"), client.get("/sla/queue/", {"page": 3})
    assert len(queue_rows(first)) == 2 and len(queue_rows(last)) == 1
    assert "page 1 of 3" in first.content.decode()
    swapped = client.get("/sla/queue/", {"page": 2}, headers={"HX-Request": "true"})
    html = swapped.content.decode()  # the rows only, for htmx to put into #results
    assert len(queue_rows(swapped)) == 2 and "<html" not in html and 'id="results"' not in html


# The board's drill-down -------------------------------------------------------------------


def test_the_board_links_reps_to_their_queues_for_who_may_open_them(policy, mql, cast, login):
    mql("a@acme.example", ny(2026, 3, 2, 9, 0))
    mql("b@acme.example", ny(2026, 3, 2, 9, 0), owner="bob")
    link = f'href="/sla/queue/{cast["alice"].pk}/"'
    assert link in login(cast["sam"]).get("/sla/").content.decode()
    bobs_view = login(cast["bob"]).get("/sla/").content.decode()
    assert link not in bobs_view and f'href="/sla/queue/{cast["bob"].pk}/"' in bobs_view


def test_needs_follow_up_now_lists_breached_leads_still_open(policy, mql, cast, login):
    breached = mql("late@acme.example", ny(2026, 3, 2, 9, 0))
    closed = mql("closed@acme.example", ny(2026, 3, 2, 9, 0))
    Lead.objects.filter(pk=closed.pk).update(status=Lead.Status.REJECTED)
    LeadStatusChange.objects.create(
        lead=closed, from_status="mql", to_status="rejected", changed_at=ny(2026, 3, 3, 12, 0)
    )  # breached Monday 17:00, then left MQL: nothing left to do
    html = login(cast["vera"]).get("/sla/").content.decode()
    urgent = html.split("Needs follow-up now", 1)[1]
    assert breached.name in urgent and "Breached" in urgent
    assert closed.name not in urgent


def test_breaches_never_crowd_out_the_leads_that_can_still_be_saved(
    policy, mql, cast, login, monkeypatch
):
    monkeypatch.setattr(queries, "OPEN_CLOCKS_SHOWN", 2)
    for n in range(3):
        mql(f"late{n}@acme.example", ny(2026, 2, 2 + n, 9, 0))  # breached in February
    risky = mql("risky@acme.example", ny(2026, 3, 4, 9, 30))  # at risk from 15:30
    unowned = mql("unowned@acme.example", ny(2026, 3, 4, 9, 0), owner=None)
    with time_machine.travel(ny(2026, 3, 4, 16, 0), tick=False):
        html = login(cast["sam"]).get("/sla/", {"date_from": "2026-01-01"}).content.decode()
    urgent = html.split("Needs follow-up now", 1)[1].split("</section>", 1)[0]
    assert urgent.index(unowned.name) < urgent.index(risky.name)  # due 17:00, then 17:30
    assert "Late0" not in urgent  # no room left for the breaches
    assert "<strong>1</strong> unassigned, <strong>1</strong> at risk" in urgent
    assert "<strong>3</strong> breached and still waiting" in urgent
    assert "the 3 more recent breaches are on each rep" in urgent


def test_the_lead_page_puts_log_a_follow_up_at_the_top_for_its_owner(policy, mql, cast, login):
    lead = mql("top@acme.example", ny(2026, 3, 4, 9, 0))
    html = login(cast["alice"]).get(f"/leads/{lead.pk}/").content.decode()
    side = html.split('<aside class="col-side">', 1)[1]
    assert side.lstrip().startswith('<section class="card" id="log-follow-up">')
    assert 'href="#log-follow-up">Log a follow-up</a>' in html.split("</h1>", 1)[1][:600]
    managers = login(cast["sam"]).get(f"/leads/{lead.pk}/").content.decode()
    assert 'href="#log-follow-up"' not in managers  # his form stays lower down
    assert managers.count('id="log-follow-up"') == 1


def test_a_call_after_the_deadline_shows_as_done_but_late(policy, mql, cast, login, client):
    old = mql("old@acme.example", ny(2026, 2, 2, 9, 0))  # attempts due Fri Feb 6, 17:00
    login(cast["alice"])
    client.post(f"/sla/queue/leads/{old.pk}/follow-ups/", {"kind": "call"})
    row = row_of(client.get("/sla/queue/").content.decode(), old)
    assert ">1 of 3<" in row and "1 after the deadline" in row and "Breached" in row


# The lead list's columns -------------------------------------------------------------------


def test_lead_lists_show_grade_follow_up_status_and_deadline(policy, mql, make_lead, cast, login):
    running = mql("running@acme.example", ny(2026, 3, 4, 9, 0), fit_grade="B")
    make_lead("fresh@acme.example")  # new: no clock
    html = login(cast["vera"]).get("/leads/").content.decode()
    head = html.split('id="lead-list"', 1)[1].split("</thead>", 1)[0]
    assert "<th>Grade</th>" in head and "<th>Follow-up</th>" in head and "<th>Deadline</th>" in head
    row = html.split(f'<a href="/leads/{running.pk}/">', 1)[1].split("</tr>", 1)[0]
    assert '<span class="grade">B</span>' in row and "On track" in row
    deadline = datetime.fromisoformat(re.search(r'<time datetime="([^"]+)"', row)[1])
    assert deadline == ny(2026, 3, 4, 17, 0)
    fresh = html.split("Fresh Tester", 1)[1].split("</tr>", 1)[0]
    assert "<time" not in fresh and "On track" not in fresh

    account = login(cast["vera"]).get(f"/accounts/{running.account_id}/").content.decode()
    row = account.split(f'<a href="/leads/{running.pk}/">', 1)[1].split("</tr>", 1)[0]
    assert '<span class="grade">B</span>' in row and "On track" in row and "<time" in row


def test_the_board_exports_its_rows_by_rep_to_csv(policy, mql, cast, login):
    on_time = mql("a@acme.example", ny(2026, 3, 2, 9, 0))
    for day in (2, 3, 4):
        Activity.objects.create(
            lead=on_time, user=cast["alice"], kind="call", occurred_at=ny(2026, 3, day, 10)
        )
    mql("b@acme.example", ny(2026, 3, 2, 9, 0), owner="bob")
    period = {"date_from": "2026-03-01", "date_to": "2026-03-04"}
    client = login(cast["vera"])
    response = client.get("/sla/board.csv", period)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="accord-follow-up-board-2026-03-01-to-2026-03-04.csv"'
    )
    header, *lines = b"".join(response.streaming_content).decode().splitlines()
    assert header.split(",")[:6] == ["Rep", "Username", "Due", "Met", "Breached", "Compliance %"]
    rows = {line.split(",")[1]: line.split(",") for line in lines}
    assert rows["alice"][2:6] == ["1", "1", "0", "100"]
    assert rows["bob"][2:6] == ["1", "0", "1", "0"]
    assert rows[""][:6] == ["Everybody", "", "2", "1", "1", "50"]  # the team's total, last
    assert lines[-1].startswith("Everybody,")
    page = client.get("/sla/", period).content.decode()
    assert 'href="/sla/board.csv?date_from=2026-03-01&amp;date_to=2026-03-04"' in page


# The API door -------------------------------------------------------------------------------


def test_the_api_reads_a_queue_by_the_same_rule_as_the_page(policy, mql, cast, api):
    late = mql("late@acme.example", ny(2026, 3, 2, 9, 0), fit_grade="A", engagement_score=70)
    fresh = mql("fresh@acme.example", ny(2026, 3, 4, 9, 0))
    alices = issue_token(cast["alice"], name="phone", scope="read")[1]
    answer = api("get", "/sla/queue", alices)
    assert answer.status_code == 200
    first, second = answer.json()
    assert (first["lead"], first["status"], first["grade"], first["score"]) == (
        late.pk, "breached", "A", 70,
    )  # fmt: skip
    assert first["attempts_made"] == first["attempts_so_far"] == 0
    assert first["attempts_required"] == 3
    assert (second["lead"], second["status"]) == (fresh.pk, "on_track")
    assert datetime.fromisoformat(second["next_due"]) == ny(2026, 3, 4, 17, 0)

    sams = issue_token(cast["sam"], name="laptop", scope="read")[1]
    assert [i["lead"] for i in api("get", "/sla/queue", sams, rep="alice").json()] == [
        late.pk, fresh.pk,
    ]  # fmt: skip
    bobs = issue_token(cast["bob"], name="phone", scope="read")[1]
    refused = api("get", "/sla/queue", bobs, rep="alice")
    assert refused.status_code == 403 and "managers" in refused.json()["detail"]
    assert api("get", "/sla/queue", sams, rep="nobody").status_code == 404
