"""The attribution pages and API: runs computed by the worker and stored, models compared,
return on spend and unit economics, spend and its inputs kept by the right people."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from accord.attribution import actions
from accord.attribution.models import AttributionRun, Spend, UnitEconomics
from accord.people.models import AuditLog
from accord.people.tokens import issue_token

PERIOD = {"basis": "pipeline", "start": "2025-07-01", "end": "2026-06-30"}


@pytest.fixture
def computed(world, cast, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast["sam"]).post("/attribution/recompute/", PERIOD)
    assert response.status_code == 302
    assert response["Location"] == "/attribution/?basis=pipeline&start=2025-07-01&end=2026-06-30"
    return AttributionRun.objects.get()


def test_a_viewer_sees_the_empty_state_and_cannot_start_a_run(world, cast, login):
    viewer = login(cast["vera"])
    page = viewer.get("/attribution/").content.decode()
    assert "No attribution has been computed for this basis yet." in page
    assert "Compute</button>" not in page
    assert viewer.post("/attribution/recompute/", PERIOD).status_code == 403
    assert not AttributionRun.objects.exists()
    # Wherever "next" points off the site, the answer comes back to the attribution page.
    manager = login(cast["sam"])
    for away in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = manager.post("/attribution/recompute/", {"basis": "x", "next": away})
        assert response.status_code == 302 and response.url == "/attribution/", away


def test_a_manager_computes_every_model_and_anyone_compares_two(computed, cast, login):
    assert computed.status == "done"
    assert len(computed.result["models"]) == 10
    viewer = login(cast["vera"])

    page = viewer.get("/attribution/").content.decode()  # the newest run, its dates shown
    assert 'value="2025-07-01"' in page and 'value="2026-06-30"' in page
    assert "W-shaped" in page and "Markov (data-driven)" in page  # the default pair
    assert 'id="attribution-compare"' in page and 'id="attribution-table"' in page
    assert page.count("data-chart=") == 1

    page = viewer.get("/attribution/", PERIOD | {"a": "linear", "b": "shapley"}).content.decode()
    assert "Share of credit by channel: Linear and Shapley (data-driven)" in page

    other = viewer.get("/attribution/", PERIOD | {"start": "2026-01-01"}).content.decode()
    assert "This period has not been computed yet." in other


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-02-01", "end": "2026-01-01"}, "after it ends"),
        ({"start": "2026-01-01"}, "Give both the first and the last day"),
        ({"start": "someday", "end": "2026-01-01"}, "Enter a valid date"),
    ],
)
def test_a_bad_period_is_explained_on_the_page_and_by_the_recompute(
    world, cast, login, query, message
):
    manager = login(cast["sam"])
    page = manager.get("/attribution/", query | {"basis": "revenue"}).content.decode()
    assert message in page
    assert '<option value="revenue" selected>' in page  # the basis asked for stays chosen
    response = manager.post("/attribution/recompute/", {"basis": "pipeline"} | query, follow=True)
    assert message in response.content.decode()
    assert not AttributionRun.objects.exists()


def test_return_on_spend_per_channel_and_campaign_and_the_unit_economics(
    costs, cast, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(cast["sam"]).post("/attribution/recompute/", PERIOD)
    viewer = login(cast["vera"])

    page = viewer.get("/attribution/money/", PERIOD | {"model": "linear"}).content.decode()
    assert 'id="roi-channels"' in page and 'id="roi-campaigns"' in page
    assert "Webinar series" in page and "$1,500" in page  # its two months of cost
    assert 'id="unit-economics"' in page and 'id="quarters"' in page and 'id="sourcing"' in page
    assert page.count("data-chart=") == 2  # ROI by channel, CAC and LTV by quarter

    markov = viewer.get("/attribution/money/", PERIOD | {"model": "markov"}).content.decode()
    assert "credits channels, not campaigns" in markov


def test_return_on_spend_is_revenue_by_default_over_the_window_it_names(
    costs, cast, login, django_capture_on_commit_callbacks
):
    revenue = PERIOD | {"basis": "revenue"}
    with django_capture_on_commit_callbacks(execute=True):
        login(cast["sam"]).post("/attribution/recompute/", revenue)
        login(cast["sam"]).post("/attribution/recompute/", PERIOD)  # pipeline: the newest
    viewer = login(cast["vera"])
    page = viewer.get("/attribution/money/").content.decode()
    assert '<option value="revenue" selected>' in page
    assert "Channels: revenue per dollar" in page
    # Credit reaches back to January 2025, so does cost: search's June 2025 counts.
    assert "Cost and credit over the same months: <strong>Jan 2025 to Jun 2026</strong>" in page
    search_cost = r'<td>Paid search</td><td class="num">[^<]*</td><td class="num">\$950</td>'
    assert re.search(search_cost, page)  # $250.50 and $700
    # From the models' tab (pipeline by default) the tab opens on its own default basis.
    home = viewer.get("/attribution/").content.decode()
    assert 'href="/attribution/money/?start=2025-07-01&amp;end=2026-06-30&amp;a=' in home
    pipeline = viewer.get("/attribution/money/", PERIOD).content.decode()
    assert "Channels: pipeline per dollar" in pipeline and "Pipeline is not revenue" in pipeline


def test_attribution_tables_export_to_csv_with_readable_headers(
    costs, cast, login, client, django_capture_on_commit_callbacks
):
    costs["webinars"].name = "=HYPERLINK(1)"
    costs["webinars"].save()
    revenue = PERIOD | {"basis": "revenue"}
    with django_capture_on_commit_callbacks(execute=True):
        login(cast["sam"]).post("/attribution/recompute/", revenue)
    viewer = login(cast["vera"])
    page = viewer.get("/attribution/money/", revenue).content.decode()
    assert "/attribution/export/channels.csv?basis=revenue" in page

    def table(name, **query):
        response = viewer.get(f"/attribution/export/{name}.csv", revenue | query)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert "accord-attribution-" + name in response["Content-Disposition"]
        return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    channels = table("channels", model="linear")
    assert channels[0] == [
        "Channel",
        "Credit, Linear ($)",
        "Cost Jan 2025 to Jun 2026 ($)",
        "Revenue per dollar",
    ]
    by_name = {row[0]: row for row in channels[1:]}
    assert by_name["Paid search"][2] == "950.50"  # June 2025 and June 2026
    assert float(by_name["Webinar"][3]) > 0
    campaigns = table("campaigns", model="linear")
    assert campaigns[0][:2] == ["Campaign", "Channel"]
    assert ["'=HYPERLINK(1)", "Webinar"] in [row[:2] for row in campaigns]  # made inert
    quarters = table("quarters")
    assert quarters[0] == [
        "Quarter",
        "Cost ($)",
        "New customers",
        "CAC ($)",
        "LTV ($)",
        "LTV : CAC",
        "Payback (months)",
    ]
    assert quarters[-1][0] == "2026 Q2"
    models = table("models")
    assert models[0][:3] == ["Channel", "First touch: credit ($)", "First touch: share (%)"]
    assert len(models[0]) == 1 + 2 * 10
    # Nobody signed in gets the login page; an unknown table is not found.
    client.logout()
    assert client.get("/attribution/export/channels.csv").status_code == 302
    assert login(cast["vera"]).get("/attribution/export/secrets.csv").status_code == 404


def test_marketing_managers_keep_spend_and_members_only_read_it(world, cast, login, channels):
    member = login(cast["mike"])
    page = member.get("/attribution/spend/").content.decode()
    assert "No spend recorded yet." in page and "Add a spend line" not in page
    line = {"month": "2026-03-17", "side": "marketing", "label": "Agency", "amount": "1200.50"}
    assert member.post("/attribution/spend/", line).status_code == 403

    manager = login(cast["mona"])
    response = manager.post("/attribution/spend/", line | {"channel": "webinar"})
    assert response.status_code == 302
    spend = Spend.objects.get()
    assert (spend.month, spend.channel.key, spend.amount) == (
        date(2026, 3, 1),
        "webinar",
        Decimal("1200.50"),
    )
    assert AuditLog.objects.filter(action="spend.created", actor=cast["mona"]).exists()

    again = manager.post("/attribution/spend/", line | {"channel": "webinar"}).content.decode()
    assert "There is already a line with this month, side, channel and label." in again
    for bad, message in [
        ({"amount": "-5"}, "greater than or equal to 0"),
        ({"amount": "12,50.3"}, "Enter a number"),
        ({"side": "finance"}, "Select a valid choice"),
        ({"month": ""}, "This field is required"),
    ]:
        assert message in manager.post("/attribution/spend/", line | bad).content.decode()
    assert Spend.objects.count() == 1

    edit = f"/attribution/spend/{spend.pk}/"
    assert login(cast["mike"]).get(edit).status_code == 403
    manager = login(cast["mona"])  # one test client: logging in switches who it is
    assert "Marketing 2026-03 Agency: $1,200.50" in manager.get(edit).content.decode()
    manager.post(edit, line | {"channel": "webinar", "amount": "1300"})
    spend.refresh_from_db()
    assert spend.amount == Decimal("1300.00")
    changed = AuditLog.objects.get(action="spend.changed")
    assert (changed.before["amount"], changed.after["amount"]) == ("1200.50", "1300.00")
    manager.post(edit, {"delete": "1"})
    assert not Spend.objects.exists()


def test_the_spend_page_charts_a_years_cost_by_side_and_campaigns(costs, cast, login):
    from accord.attribution import queries

    for month, side, amount in [
        (date(2026, 3, 1), "marketing", "900.00"),
        (date(2026, 3, 1), "sales", "2000.00"),
        (date(2025, 3, 1), "sales", "5000.00"),  # thirteen months back: not charted
    ]:
        Spend.objects.create(month=month, side=side, label="Team", amount=Decimal(amount))

    chart = queries.spend_by_month(date(2026, 4, 15))
    assert chart["labels"][0] == "May 2025" and chart["labels"][-1] == "Apr 2026"
    values = {
        d["label"]: dict(zip(chart["labels"], d["values"], strict=True)) for d in chart["datasets"]
    }
    assert values["Marketing spend"]["Mar 2026"] == 900
    assert values["Sales spend"]["Mar 2026"] == sum(values["Sales spend"].values()) == 2000
    # The campaigns' own costs: March and April of the webinars, June 2025 of search ads.
    assert values["Campaign costs"]["Mar 2026"] == 1000
    assert values["Campaign costs"]["Apr 2026"] == 500
    assert values["Campaign costs"]["Jun 2025"] == 700
    assert queries.spend_by_month(date(2030, 1, 1)) is None  # nothing in that year

    page = login(cast["vera"]).get("/attribution/spend/").content.decode()
    assert 'id="spend-by-month"' in page and "Sales and marketing cost per month" in page


def test_the_unit_economics_inputs_are_percentages_on_the_page_and_fractions_stored(
    world, cast, login
):
    manager = login(cast["mona"])
    for margin, churn in [("0", "10"), ("120", "10"), ("70", "")]:
        page = manager.post(
            "/attribution/spend/", {"gross_margin": margin, "annual_churn": churn}
        ).content.decode()
        assert "error" in page
    assert not UnitEconomics.objects.exists()
    manager.post("/attribution/spend/", {"gross_margin": "72.5", "annual_churn": "11"})
    row = UnitEconomics.current()
    assert (row.gross_margin, row.annual_churn) == (Decimal("0.7250"), Decimal("0.1100"))
    assert (
        login(cast["alice"])
        .post("/attribution/spend/", {"gross_margin": "99", "annual_churn": "1"})
        .status_code
        == 403
    )


def test_without_a_period_the_api_answers_the_standard_trailing_run_and_names_it(
    world, cast, client, django_capture_on_commit_callbacks
):
    manager = cast["sam"]
    read = issue_token(cast["vera"], name="r", scope="read")[1]
    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            trailing = actions.request_run(manager, "revenue")
            # Then somebody computes a one-off quarter in the UI: the newest run.
            actions.request_run(manager, "revenue", date(2026, 1, 1), date(2026, 3, 31))
        answer = client.get(
            "/api/v1/attribution?basis=revenue", headers={"Authorization": f"Bearer {read}"}
        )
    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == trailing.pk
    assert (body["period_start"], body["period_end"]) == ("2025-07-01", "2026-06-30")
    assert body["period"] == "the standard trailing period: the 365 days up to 2026-06-30"


def test_the_api_serves_the_latest_run_and_starts_new_ones(
    world, cast, client, django_capture_on_commit_callbacks
):
    read = issue_token(cast["vera"], name="r", scope="read")[1]
    member_write = issue_token(cast["alice"], name="w", scope="write")[1]
    manager_write = issue_token(cast["sam"], name="w", scope="write")[1]

    def call(method, path, token, body=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if method == "post":
            return client.post(path, json.dumps(body), content_type="application/json", **headers)
        return client.get(path, **headers)

    runs = "/api/v1/attribution/runs"
    assert call("get", "/api/v1/attribution", read).status_code == 404
    assert call("post", runs, read, {"basis": "revenue"}).status_code == 403
    assert call("post", runs, member_write, {"basis": "revenue"}).status_code == 403
    assert call("post", runs, manager_write, {"basis": "x"}).status_code == 422
    backwards = call("post", runs, manager_write, {"start": "2026-02-01", "end": "2026-01-01"})
    assert backwards.status_code == 422 and "after it ends" in backwards.json()["detail"]
    half = call("post", runs, manager_write, {"start": "2026-02-01"})
    assert half.status_code == 422 and "Give both" in half.json()["detail"]
    half_read = call("get", "/api/v1/attribution?start=2026-02-01", read)
    assert half_read.status_code == 422 and "Give both" in half_read.json()["detail"]
    future = call("post", runs, manager_write, {"start": "2026-02-01", "end": "2099-01-01"})
    assert future.status_code == 422
    assert not AttributionRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        body = {"basis": "revenue", "start": "2025-07-01", "end": "2026-06-30"}
        started = call("post", runs, manager_write, body)
    assert started.status_code == 202
    # A period someone chose is answered when asked for, never in place of the standard one.
    standard = call("get", "/api/v1/attribution?basis=revenue", read)
    assert standard.status_code == 404 and "standard trailing period" in standard.json()["detail"]
    latest = call(
        "get", "/api/v1/attribution?basis=revenue&start=2025-07-01&end=2026-06-30", read
    ).json()
    assert latest["status"] == "done" and latest["period_start"] == "2025-07-01"
    assert latest["period"] == "2025-07-01 to 2026-06-30"
    assert set(latest["models"]) >= {"markov", "linear", "w_shaped"}
    assert latest["models"]["linear"]["by_campaign"]
    assert latest["economics"]["period"]["new_customers"] == 1
    exact = "/api/v1/attribution?basis=revenue&start=2025-07-01&end=2026-06-30"
    assert call("get", exact, read).status_code == 200
    assert (
        call("get", "/api/v1/attribution?basis=revenue&start=2025-07-01", read).status_code == 422
    )


def test_an_operations_analyst_computes_from_the_page_and_the_api(
    world, cast, login, client, django_capture_on_commit_callbacks
):
    analyst = cast["otto"]  # a member of sales & marketing operations
    page = login(analyst).get("/attribution/").content.decode()
    assert "Compute</button>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = login(analyst).post("/attribution/recompute/", PERIOD)
    assert response.status_code == 302
    assert AttributionRun.objects.get().requested_by == analyst
    token = issue_token(analyst, name="w", scope="write")[1]
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/api/v1/attribution/runs",
            json.dumps({"basis": "revenue", "start": "2025-07-01", "end": "2026-06-30"}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 202
    # A member outside operations still may not.
    assert login(cast["alice"]).post("/attribution/recompute/", PERIOD).status_code == 403


def test_the_models_chosen_stay_chosen_after_compute(world, cast, login):
    manager = login(cast["sam"])
    chosen = PERIOD | {"a": "linear", "b": "shapley", "next": "/attribution/"}
    response = manager.post("/attribution/recompute/", chosen)
    assert response["Location"] == (
        "/attribution/?basis=pipeline&start=2025-07-01&end=2026-06-30&a=linear&b=shapley"
    )
    page = manager.get(response["Location"]).content.decode()
    assert '<option value="linear" selected>' in page
    assert '<option value="shapley" selected>' in page
    other = {"start": "2026-01-01", "end": "2026-03-31", "a": "linear", "b": "shapley"}
    form = manager.get("/attribution/", other).content.decode()  # not computed: a Compute form
    assert '<input type="hidden" name="a" value="linear">' in form
    money = manager.post(
        "/attribution/recompute/", PERIOD | {"model": "u_shaped", "next": "/attribution/money/"}
    )
    assert money["Location"].endswith("&model=u_shaped")
    ignored = manager.post("/attribution/recompute/", PERIOD | {"a": "<script>"})
    assert "script" not in ignored["Location"]
