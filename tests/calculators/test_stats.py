"""What a calculator earned, on a hand-made history counted by hand.

February 2026: four visits; one only looked, one stopped at the salary, two submitted: Ann (a
new lead; accepted the same month, her deal of $50,000 won) and Bob (known already; accepted
and given a $30,000 deal before he ever used the calculator, so neither counts).
March 2026: three visits, all started; one stopped at the analysts, Ann submitted again (she
counts once, in February) and Cy (new) submitted, was accepted in April, and has a $20,000
deal lost and a $10,000 deal open.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.calculators import compute
from accord.calculators import stats as calculator_stats
from accord.calculators.models import Calculator, Submission, Visit
from accord.crm.models import Lead, LeadStatusChange, Opportunity, Touchpoint
from accord.people import tokens
from tests.factories import create_acme, create_lead

pytestmark = pytest.mark.django_db
TODAY = date(2026, 4, 20)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


_visits = iter(range(1, 10_000))


def visit(calculator, viewed, *, started=None, last_input="", completed=None) -> Visit:
    return Visit.objects.create(
        calculator=calculator,
        token=f"visit-{next(_visits)}",
        viewed_at=viewed,
        started_at=started,
        last_input=last_input,
        completed_at=completed,
    )


def submit(version, lead, when, *, new=False, implementation="0", **typed) -> Submission:
    """A visitor's submission as the capture verb stores it: its visit, touch and results."""
    raw = {"analysts": "10", "hours_saved": "5", "salary": "90000", "licence": "1000"}
    raw |= {"implementation": implementation, **typed}
    result = compute.compute(version, compute.read_inputs(version, raw))
    touch = Touchpoint.objects.create(
        lead=lead, channel=lead.source, kind="calculator", occurred_at=when
    )
    return Submission.objects.create(
        calculator=version.calculator,
        version=version,
        source=Submission.Source.PUBLIC,
        email=lead.email,
        lead=lead,
        lead_was_new=new,
        touchpoint=touch,
        visit=visit(version.calculator, when, started=when, completed=when),
        inputs=result.stored_inputs(),
        results=result.stored_values(),
        created_at=when,
    )


def reached(lead, status, when):
    LeadStatusChange.objects.create(lead=lead, from_status="mql", to_status=status, changed_at=when)


def deal(lead, amount, created, stage="discovery") -> Opportunity:
    return Opportunity.objects.create(
        name=f"{lead.email} deal",
        account=lead.account,
        primary_lead=lead,
        amount=Decimal(amount),
        stage=stage,
        created_at=created,
        close_date=created.date(),
        closed_at=created if stage in ("won", "lost") else None,
    )


@pytest.fixture
def history(cast, channels, published):
    calculator = published.calculator
    acme = create_acme()
    ann, bob, cy = (
        create_lead(f"{name}@acme.example", cast=cast, channels=channels, account=acme)
        for name in ("ann", "bob", "cy")
    )
    visit(calculator, at(2, 3))
    visit(calculator, at(2, 4), started=at(2, 4), last_input="salary")
    submit(published, ann, at(2, 10), new=True, implementation="10000")
    reached(bob, "accepted", at(2, 1))
    deal(bob, 30_000, at(2, 2))
    submit(published, bob, at(2, 12), implementation="20000")
    reached(ann, "accepted", at(2, 15))
    deal(ann, 50_000, at(2, 20), stage="won")
    visit(calculator, at(3, 2), started=at(3, 2), last_input="analysts")
    submit(published, ann, at(3, 5), implementation="30000")
    submit(published, cy, at(3, 9), new=True, implementation="0")
    reached(cy, "accepted", at(4, 2))
    deal(cy, 20_000, at(4, 3), stage="lost")
    deal(cy, 10_000, at(4, 5))
    return calculator


def counts(figures) -> dict:
    return {k: v for k, v in figures.as_dict().items() if k != "month"}


def test_the_stats_of_a_calculator_equal_the_hand_counted_history(history):
    found = calculator_stats.stats(history, today=TODAY)
    assert [m.month for m in found.by_month] == [
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]
    february, march, april = found.by_month
    assert counts(february) == {
        "views": 4, "starts": 3, "completions": 2, "leads": 2, "new_leads": 1,
        "existing_leads": 1, "accepted": 1, "opportunities": 1, "won_deals": 1,
        "pipeline": Decimal(50_000), "won": Decimal(50_000),
        "sourced_pipeline": Decimal(50_000), "sourced_won": Decimal(50_000),
    }  # fmt: skip
    assert counts(march) == {
        "views": 3, "starts": 3, "completions": 2, "leads": 1, "new_leads": 1,
        "existing_leads": 0, "accepted": 1, "opportunities": 2, "won_deals": 0,
        "pipeline": Decimal(30_000), "won": Decimal(0),
        "sourced_pipeline": Decimal(30_000), "sourced_won": Decimal(0),
    }  # fmt: skip
    assert counts(april) == counts(calculator_stats.Figures())
    total = found.total
    assert (total.views, total.starts, total.completions, total.leads, total.accepted) == (
        7,
        6,
        4,
        3,
        2,
    )
    assert (total.pipeline, total.won) == (Decimal(80_000), Decimal(50_000))
    steps = {s.label: (s.count, s.of, s.rate) for s in total.steps}
    assert steps["Views that started"] == (6, 7, Decimal(6) / 7)
    assert steps["Leads accepted by sales"] == (2, 3, Decimal(2) / 3)
    assert steps["Opportunities won"] == (1, 3, Decimal(1) / 3)


def test_drop_off_is_by_the_last_input_touched_in_the_inputs_order(history):
    found = calculator_stats.stats(history, today=TODAY)
    assert [(r["label"], r["visits"], r["share"]) for r in found.drop_off] == [
        ("Analysts on the team", 1, Decimal("0.5")),
        ("Average salary", 1, Decimal("0.5")),
    ]


def test_median_results_are_across_the_visitors_submissions(history):
    # Total cost = implementation + 1,000 x 10 analysts x 3 years: 40, 50, 60 and 30 thousand.
    medians = {r["key"]: r for r in calculator_stats.stats(history, today=TODAY).medians}
    assert medians["total_cost"]["median"] == Decimal(45_000)
    assert medians["total_cost"]["submissions"] == 4
    assert list(medians) == ["total_benefit", "total_cost", "net_value", "roi", "payback"]


def test_all_calculators_together_count_a_lead_once(history, cast, published):
    other = Calculator.objects.create(
        name="Other", slug="other", created_at=at(1, 1), updated_at=at(1, 1)
    )
    visit(other, at(3, 20))
    # Ann used another calculator too: she adds a view, but no second lead.
    Submission.objects.create(
        calculator=other,
        version=published,
        lead=Lead.objects.get(email="ann@acme.example"),
        created_at=at(3, 20),
    )
    found = calculator_stats.stats(None, today=TODAY)
    assert (found.total.views, found.total.completions, found.total.leads) == (8, 5, 3)
    assert found.total.pipeline == Decimal(80_000)
    alone = calculator_stats.stats(other, today=TODAY)
    assert (alone.total.leads, alone.total.new_leads, alone.total.pipeline) == (1, 0, Decimal(0))


def test_the_stats_take_the_same_few_queries_whatever_the_history(history, cast, channels):
    with CaptureQueriesContext(connection) as small:
        calculator_stats.stats(history, today=TODAY)
    version = history.versions.get()
    acme = create_acme()
    for n in range(12):
        lead = create_lead(f"more{n}@acme.example", cast=cast, channels=channels, account=acme)
        submit(version, lead, at(3, 10 + n), new=True)
        reached(lead, "sql", at(3, 25))
        deal(lead, 1_000, at(3, 26), stage="won")
        visit(history, at(3, 10), started=at(3, 10), last_input="licence")
    with CaptureQueriesContext(connection) as large:
        found = calculator_stats.stats(history, today=TODAY)
    assert found.total.leads == 15
    assert len(large) == len(small) <= 12


def test_the_api_gives_totals_and_months(api, cast, history):
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]
    answer = api("get", f"/calculators/{history.pk}/stats", token)
    assert answer.status_code == 200
    body = answer.json()
    for key in ("views", "starts", "completions", "leads", "accepted", "pipeline", "won"):
        assert key in body and all(key in month for month in body["by_month"])
    assert (body["views"], body["leads"], body["accepted"]) == (7, 3, 2)
    assert Decimal(body["pipeline"]) == 80_000 and Decimal(body["won"]) == 50_000
    february = body["by_month"][0]
    assert february["month"] == "2026-02-01"
    assert (february["completions"], Decimal(february["won"])) == (2, 50_000)


def test_the_api_answers_errors_in_json(api, cast, history):
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]
    assert api("get", f"/calculators/{history.pk}/stats").status_code == 401
    missing = api("get", "/calculators/999999/stats", token)
    assert missing.status_code == 404 and "detail" in missing.json()
    assert api("get", "/calculators/zero/stats", token).status_code == 422


def test_the_pages_show_an_empty_state_before_any_visit(client, cast, published):
    client.force_login(cast["vera"])
    page = client.get(f"/calculators/{published.calculator_id}/stats/")
    assert page.status_code == 200
    assert b'id="stats-empty"' in page.content
    assert b"Nobody has visited this calculator" in page.content
    together = client.get("/calculators/stats/")
    assert b'id="stats-empty"' in together.content


def test_the_page_shows_counts_beside_rates(client, cast, history):
    client.force_login(cast["alice"])
    page = client.get(f"/calculators/{history.pk}/stats/").content.decode()
    assert "2 of 3" in page and "66.7%" in page  # leads accepted
    assert "$80,000" in page and "$50,000" in page
    assert "Average salary" in page  # drop-off
    assert 'data-chart="' in page
    detail = client.get(history.get_absolute_url()).content.decode()
    assert f"/calculators/{history.pk}/stats/" in detail
    assert "/calculators/stats/" in client.get("/calculators/").content.decode()


def test_the_scoreboard_line_counts_deals_in_the_months_they_opened_and_closed(history):
    # Cy's two deals opened in April, though he is a March lead; Ann's won deal is February's.
    april = calculator_stats.in_months([date(2026, 4, 1)])
    assert (april.opened, april.opened_sourced, april.closed_won) == (30_000, 30_000, 0)
    winter = calculator_stats.in_months([date(2026, 2, 1), date(2026, 3, 1)])
    assert (winter.opened, winter.closed_won, winter.closed_won_sourced) == (
        50_000,
        50_000,
        50_000,
    )


def test_months_are_the_companys(settings, published):
    # 02:00 on March 1 in UTC is still February in New York.
    settings.TIME_ZONE = "America/New_York"
    visit(published.calculator, datetime(2026, 3, 1, 2, tzinfo=UTC))
    visit(published.calculator, datetime(2026, 3, 1, 6, tzinfo=UTC))
    found = calculator_stats.stats(published.calculator, today=date(2026, 3, 2))
    assert [(m.month, m.views) for m in found.by_month] == [
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 1),
    ]


def test_the_scoreboard_line_is_kept_until_a_visit_or_submission_changes_it(history):
    march = [date(2026, 3, 1)]
    first = calculator_stats.kept_in_months(march)
    assert calculator_stats.kept_in_months(march).computed_at == first.computed_at
    visit(history, at(3, 28))
    again = calculator_stats.kept_in_months(march)
    assert again.value.views == first.value.views + 1
