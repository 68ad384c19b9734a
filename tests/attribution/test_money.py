"""Every model over one period, costs, new customers, sourced and influenced pipeline, unit
economics, and the refresh that recomputes when the data changes.

The hand-made company is the journeys tests' (`world`): Acme's big deal (created 2026-03-02,
won 2026-04-15, $50,000) and its deal of last year (created 2025-09-01, won 2025-10-01,
$10,000: Acme's first, so Acme became a customer in October 2025), Globex's lost deal
(created 2026-02-01, $20,000) and Umbrella's open deal (created 2026-04-01, $30,000, no touch
before it opened).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from accord.analytics import months
from accord.analytics.attribution import economics
from accord.analytics.attribution.economics import Inputs, MonthFigures
from accord.attribution import actions, compute, inputs
from accord.attribution.models import AttributionRun, Spend
from accord.core.engine import app_tables
from accord.crm.models import Opportunity, Touchpoint
from accord.demo.build import build_demo_company

pytestmark = pytest.mark.django_db

YEAR = (date(2025, 7, 1), date(2026, 6, 30))  # all four deals were created in it
D = Decimal


# --- The analytics: queries in the engine, arithmetic in Python -------------------------------


def test_campaign_costs_count_in_their_channel_and_month(costs):
    rows = economics.campaign_costs(app_tables(), date(2025, 7, 1), date(2026, 6, 1))
    got = {(r["month"], r["channel"], r["campaign_id"]): r["cost"] for r in rows}
    assert got == {
        (date(2026, 3, 1), "webinar", costs["webinars"].pk): D("1000.00"),
        (date(2026, 4, 1), "webinar", costs["webinars"].pk): D("500.00"),
        (date(2026, 6, 1), "paid_search", costs["search"].pk): D("250.50"),
    }


def test_an_account_is_a_new_customer_once_on_its_first_won_deal(world):
    assert economics.new_customers(app_tables()) == {date(2025, 10, 1): (1, D("10000.00"))}


def test_sourced_and_influenced_pipeline_and_revenue(world, channels):
    deals = world["deals"]
    deals["big"].source = channels["webinar"]  # marketing-sourced
    deals["big"].save()
    fay = world["leads"]["fay"]  # the lost deal's primary lead, sourced by sales
    fay.source = channels["outbound_sdr"]
    fay.save()
    bounds = compute.period(*YEAR)

    pipeline = economics.sourcing(app_tables(), basis="pipeline", period=bounds)
    revenue = economics.sourcing(app_tables(), basis="revenue", period=bounds)

    assert (pipeline["opportunities"], pipeline["amount"]) == (4, D("110000.00"))
    assert (pipeline["sourced"]["opportunities"], pipeline["sourced"]["amount"]) == (
        1,
        D("50000.00"),
    )
    # Influenced: a marketing touch in the window. Umbrella's open deal has none, so only
    # the big deal, last year's (an old search touch of ann's) and Globex's (cat's webinar).
    assert (pipeline["influenced"]["opportunities"], pipeline["influenced"]["amount"]) == (
        3,
        D("80000.00"),
    )
    assert pipeline["influenced"]["share"] == pytest.approx(80 / 110)
    assert (revenue["opportunities"], revenue["amount"]) == (2, D("60000.00"))
    assert revenue["sourced"]["amount"] == D("50000.00")


def test_unit_economics_by_hand():
    figures = economics.unit_economics(
        D("6000"), D("4000"), 2, D("100000"), Inputs(D("0.75"), D("0.15"))
    )
    assert figures["cost"] == D("10000")
    assert figures["cac"] == D("5000.00")
    assert figures["arpa"] == D("50000.00")
    assert figures["ltv"] == D("250000.00")  # 50,000 x 0.75 / 0.15
    assert figures["ltv_to_cac"] == D("50.00")
    assert figures["payback_months"] == D("1.6")  # 5,000 / (50,000 x 0.75 / 12)


def test_no_customers_gives_no_cac_rather_than_a_made_up_one():
    figures = economics.unit_economics(D("6000"), D(0), 0, D(0), Inputs())
    assert figures["cost"] == D("6000")
    assert [figures[k] for k in ("cac", "arpa", "ltv", "ltv_to_cac", "payback_months")] == [
        None
    ] * 5


def test_quarters_sum_their_months():
    months = [
        MonthFigures(date(2026, 1, 1), D("100"), D("50"), 1, D("1200")),
        MonthFigures(date(2026, 3, 1), D("100"), D("50"), 1, D("1200")),
        MonthFigures(date(2026, 4, 1), D("300"), D(0), 0, D(0)),
    ]
    quarters = economics.by_quarter(months, Inputs())
    assert [q["quarter"] for q in quarters] == ["2026 Q1", "2026 Q2"]
    assert (quarters[0]["cost"], quarters[0]["new_customers"], quarters[0]["cac"]) == (
        D("300"),
        2,
        D("150.00"),
    )
    assert quarters[1]["cac"] is None


@pytest.mark.parametrize(
    ("margin", "churn"), [(D(0), D("0.1")), (D("1.2"), D("0.1")), (D("0.7"), D(0))]
)
def test_inputs_outside_zero_to_one_are_refused(margin, churn):
    with pytest.raises(ValueError, match="must be a fraction above 0 and at most 1"):
        Inputs(margin, churn)


def test_roi_and_month_ranges():
    assert economics.roi(D("3000"), D("1000")) == D("3.00")
    assert economics.roi(D("3000"), D(0)) is None
    assert months.between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


# --- Every model over one period ---------------------------------------------------------------


@pytest.mark.parametrize("basis", ["pipeline", "revenue"])
def test_every_model_credits_the_same_total_over_the_period(world, basis):
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    results = {m: compute.run(m, basis=basis, start=start, end=end) for m in compute.MODELS}

    # Created in the first half of 2026: the big deal, Globex's and Umbrella's (no touch in
    # its window). Won in it: the big deal.
    expected = (D("70000.00"), D("30000.00"), 1) if basis == "pipeline" else (D("50000.00"), 0, 0)
    for model, result in results.items():
        total = D(result["total"])
        unattributed = result["unattributed"]
        assert (total, D(unattributed["amount"]), unattributed["opportunities"]) == expected, model
        credited = sum(D(row["credit"]) for row in result["by_channel"])
        assert credited == total, model  # to the cent, data-driven models too
        if model not in compute.DATA_DRIVEN:
            assert sum(D(row["credit"]) for row in result["by_campaign"]) == total
        assert sum(row["share"] for row in result["by_channel"]) == pytest.approx(1, abs=1e-5)


def test_a_rule_based_run_names_campaigns_and_months(costs):
    result = compute.run("linear", basis="revenue", start=date(2026, 4, 1), end=date(2026, 4, 30))
    names = {row["campaign"] for row in result["by_campaign"]}
    assert names == {"Webinar series", "(no campaign)"}
    assert {row["month"] for row in result["by_month"]} <= {
        f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)
    }


def test_a_period_that_ends_before_it_starts_or_spans_years_is_refused(world):
    with pytest.raises(ValueError, match="starts .* after it ends"):
        compute.run("linear", start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError, match="at most"):
        compute.run("linear", start=date(2020, 1, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError, match="Unknown model"):
        compute.run("vibes", start=date(2026, 1, 1), end=date(2026, 2, 1))


def test_the_economics_of_a_run(costs, channels):
    Spend.objects.create(month=date(2025, 10, 1), side="sales", label="Reps", amount=D("8000"))
    Spend.objects.create(
        month=date(2026, 3, 1),
        side="marketing",
        label="Agency",
        amount=D("400"),
        channel=channels["webinar"],
    )
    result = compute.run_all(
        basis="revenue",
        start=YEAR[0],
        end=YEAR[1],
        inputs=Inputs(D("0.8"), D("0.2")),
        spend=inputs.spend_lines(date(2024, 1, 1), YEAR[1]),
    )
    figures = result["economics"]

    # Credit reaches back to January 2025 (ann's search touch, in the journey of last year's
    # deal), so return on spend counts cost from there: search's June 2025 too. Acquisition
    # cost keeps to the period's months.
    assert figures["costs"]["window"] == {"from": "2025-01-01", "to": "2026-06-01"}
    assert figures["costs"]["by_channel"] == {"paid_search": "950.50", "webinar": "1900.00"}
    period = figures["period"]
    assert D(period["cost"]) == D("1000") + D("500") + D("250.50") + D("400") + D("8000")
    assert period["new_customers"] == 1  # Acme, in October 2025
    assert D(period["cac"]) == D("10150.50")
    assert D(period["ltv"]) == D("40000.00")  # 10,000 x 0.8 / 0.2
    assert figures["quarters"][-1]["quarter"] == "2026 Q2"
    assert len(figures["quarters"]) == compute.TREND_QUARTERS
    assert figures["sourcing"]["revenue"]["amount"] == "60000.00"


def test_return_on_spend_counts_cost_over_the_months_its_credit_reaches(costs):
    # Given search ads bought in June 2025, before the period, and credited for the big
    # deal's touches of 2025: its cost counts, so the return is not credit at $0.
    result = compute.run_all(basis="pipeline", start=date(2026, 1, 1), end=YEAR[1])
    window = result["economics"]["costs"]["window"]
    search = next(
        row for row in result["models"]["linear"]["by_channel"] if row["channel"] == "paid_search"
    )
    assert window["from"] <= "2025-06-01" and window["to"] == "2026-06-01"
    assert result["economics"]["costs"]["by_channel"]["paid_search"] == "950.50"
    assert D(search["credit"]) > 0
    # Acquisition cost still counts only the period's own months.
    assert result["economics"]["months"][0] == "2026-01"


# --- Stored runs and the refresh ---------------------------------------------------------------


def test_a_changed_touchpoint_makes_the_refresh_recompute_the_same_period(
    world, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.request_run(cast["sam"], "pipeline", *YEAR)
    first.refresh_from_db()
    assert first.status == "done" and first.data_version

    assert actions.refresh() == []  # nothing changed

    Touchpoint.objects.create(
        lead=world["leads"]["ann"],
        channel=world["touches"]["ann_search"].channel,
        kind="web_visit",
        occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    with django_capture_on_commit_callbacks(execute=True):
        (again,) = actions.refresh()
    again.refresh_from_db()
    assert (again.period_start, again.period_end, again.requested_by) == (*YEAR, None)
    assert again.status == "done" and again.data_version != first.data_version
    assert actions.refresh() == []


def test_a_touch_or_deal_changed_by_the_api_makes_the_refresh_recompute(
    world, cast, django_capture_on_commit_callbacks
):
    from accord.crm.kinds import Kind
    from accord.imports.items import Options as UpsertOptions
    from accord.imports.upsert import Upserter

    def send(kind, item):
        options = UpsertOptions(source_system="crm", actor=cast["otto"], via="api")
        (result,) = Upserter(kind, options).process([(0, item)])
        return result.status

    touch = {
        "external_id": "T-9",
        "lead": world["leads"]["ann"].email,
        "channel": "paid_search",
        "kind": "web_visit",
        "occurred_at": "2026-02-01T10:00:00Z",
    }
    assert send(Kind.TOUCHPOINTS, touch) == "created"
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.request_run(cast["sam"], "pipeline", *YEAR)
    assert actions.refresh() == []

    assert send(Kind.TOUCHPOINTS, touch) == "unchanged"
    assert actions.refresh() == []  # the same data sent again is no change
    assert send(Kind.TOUCHPOINTS, touch | {"channel": "webinar"}) == "updated"
    with django_capture_on_commit_callbacks(execute=True):
        (moved,) = actions.refresh()
    moved.refresh_from_db()
    assert moved.data_version != first.data_version

    deal = Opportunity.objects.select_related("account").get(name="open")
    deal.source_system, deal.external_id = "crm", "O-1"
    deal.save()
    same_deal = {
        "external_id": "O-1",
        "name": deal.name,
        "account": deal.account.name,
        "amount": str(deal.amount),
        "stage": deal.stage,
    }
    later = deal.close_date + timedelta(days=30)  # amount, stage and count stay the same
    assert send(Kind.OPPORTUNITIES, same_deal | {"close_date": str(later)}) == "updated"
    (again,) = actions.refresh()
    assert again.pk != moved.pk


def test_a_rolling_run_rolls_forward_when_refreshed(
    world, cast, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run = actions.request_run(cast["sam"], "revenue")  # the 365 days up to today
    assert (run.period_start, run.period_end) == (date(2025, 6, 2), date(2026, 6, 1))
    deal = Opportunity.objects.get(name="open")
    deal.amount = D("31000.00")
    deal.save()
    with time_machine.travel(datetime(2026, 6, 4, 12, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            (queued,) = actions.refresh()
    assert (queued.period_start, queued.period_end) == (date(2025, 6, 5), date(2026, 6, 4))


def test_a_basis_nobody_computed_is_left_alone_by_the_refresh(world):
    assert actions.refresh() == []
    assert not AttributionRun.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pipeline", date(2026, 2, 1), date(2026, 1, 1)), "after it ends"),
        (("pipeline", date(2026, 1, 1), date(2099, 1, 1)), "at most|future"),
        (("bookings", None, None), "Unknown basis"),
        (("pipeline", date(2026, 1, 1), None), "Give both the first and the last day"),
        (("pipeline", None, None, 5000), "at most 1095"),
    ],
)
def test_a_bad_run_request_changes_nothing(world, cast, args, message):
    with pytest.raises(ValueError, match=message):
        actions.request_run(cast["sam"], *args)
    assert not AttributionRun.objects.exists()


# --- Edge cases: nothing to attribute, one channel ----------------------------------------------


def test_an_empty_company_gets_zeros_not_a_crash(db):
    result = compute.run_all(basis="pipeline", start=YEAR[0], end=YEAR[1])
    for model, credits in result["models"].items():
        assert (credits["total"], credits["by_channel"]) == ("0.00", []), model
        assert credits["unattributed"] == {"opportunities": 0, "amount": "0.00"}
    period = result["economics"]["period"]
    assert period["new_customers"] == 0 and period["cac"] is None
    assert result["economics"]["sourcing"]["pipeline"]["sourced"]["share"] is None


def test_one_channel_in_every_journey_gets_all_the_credit(world):
    Touchpoint.objects.exclude(channel__key="webinar").delete()
    for model in ("markov", "shapley", "linear", "w_shaped"):
        result = compute.run(model, basis="revenue", start=date(2026, 4, 1), end=date(2026, 4, 30))
        (only,) = result["by_channel"]
        assert (only["channel"], only["credit"], only["share"]) == ("webinar", "50000.00", 1.0)


# --- The demo company: the invariants at scale (last: its module-scoped data stays until the end) -------------------------------------------------

DEMO = {"seed": 5, "scale": 0.1, "months": 18, "until": date(2026, 3, 1)}


@pytest.fixture(scope="module")
def small_demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        build_demo_company(**DEMO)
        yield
        transaction.set_rollback(True)


def test_on_the_demo_every_model_attributes_all_won_revenue(small_demo, db):
    start, end = date(2025, 3, 2), date(2026, 3, 1)
    won = Opportunity.objects.filter(
        stage="won",
        closed_at__gte=datetime(2025, 3, 2, tzinfo=UTC),
        closed_at__lt=datetime(2026, 3, 2, tzinfo=UTC),
    ).aggregate(total=Sum("amount"))["total"]
    assert won > 0
    result = compute.run_all(basis="revenue", start=start, end=end, spend=seed_spend())
    for model, credits in result["models"].items():
        attributed = D(credits["total"]) + D(credits["unattributed"]["amount"])
        assert abs(attributed - won) <= D("0.01"), model
        assert sum(D(row["credit"]) for row in credits["by_channel"]) == D(credits["total"])
        assert sum(r["share"] for r in credits["by_channel"]) == pytest.approx(1, abs=1e-5)
    period = result["economics"]["period"]
    assert period["new_customers"] > 0 and D(period["cac"]) > 0 and D(period["ltv"]) > 0
    # Cost and credit over the same months: every channel's revenue per dollar is one a CMO
    # would sign (the referral program pays its bonuses, the SEO agency counts on search).
    cost = {key: D(value) for key, value in result["economics"]["costs"]["by_channel"].items()}
    credit = {r["channel"]: D(r["credit"]) for r in result["models"]["w_shaped"]["by_channel"]}
    returns = {key: credit.get(key, 0) / spent for key, spent in cost.items() if spent}
    assert set(returns) >= {"referral", "organic_search", "paid_search", "email_nurture"}
    assert all(D("0.3") < ratio < 50 for ratio in returns.values()), returns


def seed_spend():
    assert Spend.objects.exists()  # the demo writes its people, tools and agency costs
    return inputs.spend_lines(date(2024, 1, 1), date(2026, 3, 1))
