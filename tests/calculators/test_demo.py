"""The demo's calculators, as `accord demo` writes them (the session's small company)."""

from decimal import Decimal

from accord.calculators import compute, queries
from accord.calculators import stats as calculator_stats
from accord.calculators.models import Calculator, Submission, Visit
from accord.crm.models import Touchpoint
from accord.crm.templatetags.accord import money
from accord.people.models import User


def test_the_demo_publishes_both_calculators_signed_by_both_leaders(small_demo_company):
    roi = Calculator.objects.get(kind="roi")
    live = queries.published(roi)
    assert [a.user.username for a in live.approvals.all()] == ["cmo", "vp.sales"]
    results = queries.preview(live.content(), {})
    assert {v["key"]: v["value"] for v in results["values"]}["net_value"] == Decimal(455000)
    tco = Calculator.objects.get(kind="tco")
    assert [v.status for v in tco.versions.all()] == ["published"]
    assert [a.user.username for a in queries.published(tco).approvals.all()] == [
        "cmo",
        "vp.sales",
    ]
    # Launched before their first visitor, the TCO after the ROI calculator.
    assert queries.published(roi).published_at < queries.published(tco).published_at
    first = Visit.objects.order_by("viewed_at").first()
    assert first.viewed_at >= queries.published(roi).published_at


def test_every_demo_submission_holds_what_the_server_computes(small_demo_company):
    submissions = list(Submission.objects.select_related("version", "calculator"))
    assert {s.calculator.kind for s in submissions} == {"roi", "tco"}
    for submission in submissions:
        assert submission.source == Submission.Source.PUBLIC
        assert submission.created_at >= submission.version.published_at
        again = compute.compute(
            submission.version, compute.read_inputs(submission.version, submission.inputs)
        )
        assert again.stored_values() == submission.results
        assert again.stored_inputs() == submission.inputs


def test_demo_submissions_are_calculator_touches_on_their_campaign(small_demo_company):
    for calculator in Calculator.objects.all():
        touches = Touchpoint.objects.filter(
            pk__in=Submission.objects.filter(calculator=calculator).values("touchpoint")
        )
        assert touches.count() == calculator.submissions.count()
        assert set(touches.values_list("kind", "campaign", "channel__name")) == {
            ("calculator", calculator.campaign_id, "Value calculators")
        }


def test_the_demo_year_reads_like_a_real_funnel(small_demo_company):
    total = calculator_stats.stats(None).total
    assert total.views > 3 * total.completions
    assert total.completions < total.starts < total.views
    assert 0 < total.new_leads < total.leads <= total.completions
    assert 0 < total.accepted < total.leads
    assert total.won <= total.pipeline and total.pipeline > 0


def test_the_scoreboard_shows_what_the_calculators_brought(small_demo_company, client):
    client.force_login(User.objects.get(username="cmo"))
    page = client.get("/scoreboard/", {"period": "year"})
    line = page.context["from_calculators"]
    assert line == calculator_stats.in_months(page.context["period"].months)
    assert line.opened > 0 and line.closed_won > 0
    text = page.content.decode()
    assert 'id="sb-calculators"' in text
    assert f"pipeline {money(line.opened)} (sourced {money(line.opened_sourced)})" in text
