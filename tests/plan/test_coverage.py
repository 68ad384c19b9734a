"""Next quarter's coverage, worked by hand: on the scoreboard and in the API."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accord.crm.models import Opportunity
from accord.people import tokens
from accord.plan import actions, coverage
from accord.plan.queries import funnel_of
from tests.plan.test_plan import _api, values

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
TODAY = datetime(2027, 2, 15, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def quarter(cast, acme, settings):
    """FY2027 at the seed's numbers (14 deals a month at $113,000, no lags), signed, with
    3x coverage; on Feb 15, 2027 (Q1), the deals expected to close in Q2 (Apr - Jun):
    - A, $5,000,000, open since December: open when Q1 began;
    - B, $2,000,000, created Feb 1;
    - C, $1,000,000, created Jan 10, lost Feb 10;
    - D, $9,000,000, created Feb 2, but closing in July: not next quarter's."""
    settings.TIME_ZONE = "UTC"
    plan = actions.create_plan(
        cast["mona"], name="FY2027", fiscal_year=2027, first_month=1, values=values(lags={})
    )
    for leader in ("carol", "victor"):
        actions.approve(cast[leader], plan.current)

    def deal(name, amount, created, close, **extra):
        Opportunity.objects.create(
            name=name,
            account=acme,
            amount=D(amount),
            created_at=at(created),
            close_date=close,
            stage=extra.pop("stage", Opportunity.Stage.DEMO),
            **extra,
        )

    deal("A", "5000000", "2026-12-01 10:00", date(2027, 4, 20))
    deal("B", "2000000", "2027-02-01 10:00", date(2027, 5, 20))
    deal(
        "C",
        "1000000",
        "2027-01-10 10:00",
        date(2027, 6, 1),
        stage=Opportunity.Stage.LOST,
        closed_at=at("2027-02-10 10:00"),
    )
    deal("D", "9000000", "2027-02-02 10:00", date(2027, 7, 1))
    return plan.in_force


def test_next_quarters_coverage_worked_by_hand(quarter):
    with time_machine.travel(TODAY, tick=False):
        found = coverage.next_quarter(funnel_of(quarter, TODAY), quarter, TODAY)
    assert found.next_quarter == (date(2027, 4, 1), date(2027, 7, 1))
    assert found.label == "Q2 FY2027 (Apr – Jun 2027)"
    # 3 months x 14 deals x $113,000 = $4,746,000; 3x that is wanted open.
    assert (found.deals_needed, found.bookings_needed) == (D("42.0"), D(4746000))
    assert found.pipeline_wanted == D(14238000)
    assert (found.open_count, found.open_amount) == (2, D(7000000))  # A and B
    assert found.ratio == D("1.47")
    # The line: from $5,000,000 (A) on Jan 1 to $14,238,000 on Apr 1 (90 days); by the end
    # of Feb 15 (46 days): 5,000,000 + 9,238,000 x 46 / 90 = $9,721,644.
    assert found.open_at_quarter_start == D(5000000)
    assert found.pace_today == D(9721644)
    assert not found.on_track and found.short_by == D(7238000)
    # Week by week since Jan 1: A, then C (Jan 10) and B (Feb 1) as they were created.
    assert [w.starts for w in found.weeks][:2] == [date(2027, 1, 1), date(2027, 1, 8)]
    assert [int(w.built) for w in found.weeks] == [
        5000000,
        6000000,
        6000000,
        6000000,
        8000000,
        8000000,
        8000000,
    ]


def test_the_scoreboard_and_the_api_show_it(client, cast, quarter):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(cast["mike"])
        page = client.get("/scoreboard/").content.decode()
        token = tokens.issue_token(cast["mike"], name="read", scope="read")[1]
        answer = _api(client, "get", f"/plans/{quarter.plan_id}/coverage", token)
    assert "Next quarter's coverage: Q2 FY2027 (Apr – Jun 2027)" in page
    assert "$7,000,000 in 2 open opportunities" in page and "1.47×" in page
    assert "$7,238,000 more is needed by Apr 1" in page
    assert "?stage=open&amp;closes_from=2027-04-01&amp;closes_to=2027-06-30" in page
    assert answer.status_code == 200
    data = answer.json()
    assert data["coverage"] == "1.47" and data["on_track"] is False
    assert data["open_pipeline"] == {"count": 2, "amount": "7000000.00"}
    assert data["pipeline_wanted"] == "14238000.00"


def test_the_api_answers_404_for_an_unknown_plan(client, cast):
    token = tokens.issue_token(cast["mike"], name="read", scope="read")[1]
    answer = _api(client, "get", "/plans/999/coverage", token)
    assert answer.status_code == 404 and answer.json()


def test_the_scoreboard_says_which_stages_run_far_from_the_plan_after_a_whole_month(
    client, cast, quarter
):
    """No lead, no MQL, nothing won by mid-February: after all of January, every stage is
    at 0% of its plan to date, and the page says so; in mid-January it is too early."""
    with time_machine.travel(TODAY, tick=False):
        client.force_login(cast["mike"])
        page = client.get("/scoreboard/")
    far = [f["metric"].key for f in page.context["far_off"]]
    assert far[:3] == ["lead", "mql", "sal"] and "won" in far
    html = page.content.decode()
    assert "Far from the plan this period:</strong> Leads created at 0% of plan to date" in html
    with time_machine.travel(datetime(2027, 1, 15, 12, tzinfo=UTC), tick=False):
        client.force_login(cast["mike"])
        early = client.get("/scoreboard/")
    assert early.context["far_off"] == [] and "Far from the plan" not in early.content.decode()
