"""Revenue plans: the reverse funnel, its lags, sign-off by both teams, audit, CLI and API."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.analytics.funnel import (
    STAGES,
    STEPS,
    FunnelError,
    FunnelInputs,
    reverse_funnel,
    stage_counts,
)
from accord.people import tokens
from accord.people.models import AuditLog, Team, User
from accord.plan import actions
from accord.plan.models import Plan, PlanRevision

SEED_RATES = {
    "lead_mql": D("0.1"),
    "mql_sal": D("0.7"),
    "sal_sql": D("0.6"),
    "sql_opp": D("0.8"),
    "opp_won": D("0.25"),
}


def inputs(**changes) -> FunnelInputs:
    base = {
        "target": D("18984000"),
        "asp": D("113000"),
        "rates": dict(SEED_RATES),
        "start": date(2027, 1, 1),
    }
    return FunnelInputs(**{**base, **changes})


def values(**changes) -> actions.PlanValues:
    base = {
        "target": D("18984000"),
        "asp": D("113000"),
        "rates": dict(SEED_RATES),
        "lags": {"opp_won": 60},
        "basis": {},
        "shares": {"marketing": D("0.6"), "sales": D("0.3"), "partner": D("0.1")},
        "seasonality": [D(1)] * 12,
    }
    return actions.PlanValues(**{**base, **changes})


# --- The arithmetic ------------------------------------------------------------------------


def test_the_seeds_example_comes_out_exactly():
    counts = stage_counts(inputs())
    assert counts == {
        "won": 168,
        "opportunity": 672,
        "sql": 840,
        "sal": 1400,
        "mql": 2000,
        "lead": 20000,
    }
    funnel = reverse_funnel(inputs())
    assert funnel.won_amount == D("18984000")
    # No lags: every month carries the same share, and the months add up to the year.
    assert funnel.monthly["won"] == [14] * 12
    assert all(sum(funnel.monthly[s]) == counts[s] for s in counts)
    assert funnel.start_gap == 0 and funnel.warnings == []
    assert funnel.for_next == {s: [0] * 12 for s in counts}


def test_each_step_rounds_up_so_the_plan_never_falls_short():
    # 100,001 / 1,000 is 100.001 deals: 101. At 30%, 101 deals need 336.67 -> 337 opportunities.
    counts = stage_counts(
        inputs(target=D("100001"), asp=D("1000"), rates={**SEED_RATES, "opp_won": D("0.3")})
    )
    assert counts["won"] == 101
    assert counts["opportunity"] == 337
    assert counts["sql"] == 422  # 337 / 0.8 = 421.25


def test_quotas_split_by_source_share_and_price_the_pipeline():
    funnel = reverse_funnel(
        inputs(shares={"marketing": D("0.6"), "sales": D("0.3"), "partner": D("0.1")})
    )
    quotas = funnel.quotas()
    assert quotas["sales"] == {
        "bookings": D("18984000"),
        "deals": 168,
        "pipeline": 672 * D("113000"),
    }
    assert quotas["marketing"]["mqls"] == 1200  # 60% of 2,000
    assert quotas["marketing"]["opportunities"] == 403  # 60% of 672 = 403.2, largest remainder
    assert sum(funnel.by_source[s]["opportunity"] for s in funnel.by_source) == 672


def two_months(**changes) -> FunnelInputs:
    """All deals close in February 2027 (28 days): 10 deals at $1,000, every rate 100% from
    SQL on, a 14-day opportunity-to-won lag and a 31-day SQL-to-opportunity lag."""
    return inputs(
        target=D("10000"),
        asp=D("1000"),
        rates={**SEED_RATES, "opp_won": D("1"), "sql_opp": D("1")},
        months=2,
        seasonality=(D(0), D(1)),
        lags={"opp_won": 14, "sql_opp": 31},
        **changes,
    )


def test_a_lag_moves_volume_back_and_what_falls_before_the_start_is_a_gap_not_month_one():
    # The opportunities fall on Jan 18 - Feb 14: half in January, half in February. The SQLs
    # (45 days before the deals) on Dec 18 - Jan 14: half before the plan starts. That half
    # is the start gap (5 deals, $5,000), not added to January.
    funnel = reverse_funnel(two_months())
    assert funnel.monthly["won"] == [0, 10]
    assert funnel.monthly["opportunity"] == [5, 5]
    assert funnel.monthly["sql"] == [5, 0]
    # 5 SQLs at 60% and 70% upstream: 9 accepted, 13 MQLs, 130 leads, all in January.
    assert funnel.counts == {
        "won": 10,
        "opportunity": 10,
        "sql": 5,
        "sal": 9,
        "mql": 13,
        "lead": 130,
    }
    assert funnel.gross["sql"] == 10  # the funnel from the target alone
    assert (funnel.start_gap, funnel.start_gap_amount) == (5, D("5000"))
    assert "Start gap: 5 deals ($5,000)" in funnel.start_gap_message
    assert funnel.as_json()["start_gap"]["deals"] == 5


def test_the_carry_in_covers_the_earliest_volume_of_the_stages_its_records_have_passed():
    """Worked by hand. Open at the start: 3 deals' worth of SQLs expected to win in
    February, and 1 deal's worth of opportunities. At the SQL stage all 4 are credited: they
    cover 4 of the 5 SQL-deals due in December, leaving a start gap of 1. At the opportunity
    stage only the opportunity (1) is credited: it takes January's first deal's worth, so
    January asks for 4 opportunities, February 5: the SQLs open at the start still have to
    become opportunities inside the plan."""
    carry = {"sql": {date(2027, 2, 1): Fraction(3)}, "opportunity": {date(2027, 2, 1): 1}}
    funnel = reverse_funnel(two_months(carry_in=carry))
    assert funnel.carry_in == 4
    assert funnel.deals_to_source == [0, 6]  # D*(Feb) = 10 - 4
    assert funnel.monthly["opportunity"] == [4, 5]
    assert funnel.monthly["sql"] == [5, 0]  # the credit went to December's part, before
    assert funnel.start_gap == 1
    # More carry-in than a month's deals covers that month only.
    flooded = reverse_funnel(two_months(carry_in={"sql": {date(2027, 2, 1): Fraction(50)}}))
    assert flooded.deals_to_source == [0, 0]
    assert flooded.start_gap == 0 and flooded.counts["sql"] == 0


def test_the_last_months_plan_for_next_year_from_the_next_signed_plan():
    """A 31-day opportunity-to-won lag: December 2027's opportunities are exactly January
    2028's deals (31 days each), and January 2027's deals needed December 2026's. With the
    next plan asking 20 deals a month, the year's opportunities feed 14 x 11 + 20 = 174 deals:
    696 at 25%, of which December's 80 are all for FY2028."""
    funnel = reverse_funnel(inputs(lags={"opp_won": 31}, next_deals=(D(20),) * 12))
    assert funnel.counts["opportunity"] == 696
    assert funnel.monthly["opportunity"][11] == 80 == funnel.for_next["opportunity"][11]
    assert sum(funnel.for_next["opportunity"][:11]) == 0
    assert all(funnel.monthly[s][i] > 0 for s in STAGES for i in range(12))


def test_without_a_next_plan_next_year_continues_this_one_by_its_growth():
    same = reverse_funnel(inputs(lags={"opp_won": 31}))
    grown = reverse_funnel(inputs(lags={"opp_won": 31}, growth=D("0.5")))
    # January 2028 is January 2027's 14 deals, or 21 at 50% growth.
    assert same.monthly["opportunity"][11] == 56  # 14 / 25%
    assert grown.monthly["opportunity"][11] == 84  # 21 / 25%
    assert same.counts["opportunity"] == 672  # a steady year: 14 x 12 deals' worth
    assert grown.counts["opportunity"] == 700  # (14 x 11 + 21) / 25%


@settings(max_examples=60, deadline=None)
@given(
    lags=st.fixed_dictionaries({step: st.integers(0, 60) for step in STEPS}),
    weights=st.lists(st.integers(0, 5), min_size=12, max_size=12).filter(any),
)
def test_a_steady_state_carry_in_asks_for_exactly_a_steady_year(lags, weights):
    """Growth 0 (next year repeats this one) and, open at the start, exactly the records a
    business running this plan for ever would have: every stage's year is the plan's year,
    and there is no start gap."""
    base = inputs(start=date(2026, 1, 1), lags=lags, seasonality=tuple(D(w) for w in weights))
    steady = stage_counts(base)
    # The records standing at each stage at the start: the deals whose stage s happened
    # before it, less those already at a further stage.
    before = {s: _volume_before_start(base, s) for s in ("mql", "sal", "sql", "opportunity")}
    carry = {}
    for i, stage in enumerate(("mql", "sal", "sql", "opportunity")):
        further = ("sal", "sql", "opportunity", None)[i]
        carry[stage] = {
            m: v - (before[further].get(m, 0) if further else 0) for m, v in before[stage].items()
        }
    funnel = reverse_funnel(replace(base, carry_in=carry))
    assert funnel.start_gap == 0
    assert funnel.counts == steady


def _volume_before_start(base: FunnelInputs, stage: str) -> dict:
    """Per deal month, the deals whose `stage` falls before the plan starts (no carry-in)."""
    from accord.analytics.funnel import _deals_by_month, _shift_back, lag_to_won

    months = [date(2026, m, 1) for m in range(1, 13)]
    out = {}
    for month, amount in _deals_by_month(base, stage_counts(base)["won"], months).items():
        shifted = _shift_back({month: amount}, lag_to_won(base, stage))
        early = sum((v for at, v in shifted.items() if at < base.start), Fraction(0))
        if early:
            out[month] = early
    return out


def test_quarters_and_year_add_up_from_the_months():
    funnel = reverse_funnel(
        inputs(seasonality=tuple(D(w) for w in [1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 2, 3]))
    )
    quarters = funnel.quarters()
    assert [q["quarter"] for q in quarters] == ["Q1", "Q2", "Q3", "Q4"]
    assert sum(q["counts"]["won"] for q in quarters) == 168
    assert quarters[3]["counts"]["won"] == sum(funnel.monthly["won"][9:12])
    assert funnel.monthly["won"][11] > funnel.monthly["won"][0]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"rates": {**SEED_RATES, "opp_won": D("1.2")}}, "opp_won", "at most 100%"),
        ({"rates": {**SEED_RATES, "lead_mql": D("0")}}, "lead_mql", "above 0%"),
        ({"target": D("0")}, "target", "more than zero"),
        ({"asp": D("-5")}, "asp", "more than zero"),
        ({"seasonality": (D(0),) * 12}, "seasonality", "above zero"),
        ({"shares": {"marketing": D("0.5"), "sales": D("0.3")}}, "shares", "add up to 100%"),
        ({"lags": {"opp_won": -3}}, "opp_won", "0 to 730 days"),
    ],
)
def test_bad_inputs_name_the_field_and_why(change, field, words):
    with pytest.raises(FunnelError) as caught:
        reverse_funnel(inputs(**change))
    assert caught.value.field == field
    assert words in caught.value.message


# --- The CLI -------------------------------------------------------------------------------


def test_cli_funnel_prints_the_worked_example_as_json(capsys):
    call_command(
        "plan",
        "funnel",
        "--target",
        "18984000",
        "--asp",
        "113000",
        "--rates",
        "lead_mql=0.1,mql_sal=0.7,sal_sql=0.6,sql_opp=0.8,opp_won=0.25",
        "--start",
        "2027-01",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["stages"][:2] == [
        {"stage": "won", "count": 168, "amount": "18984000"},
        {"stage": "opportunity", "count": 672, "amount": "75936000"},
    ]
    assert [s["count"] for s in out["stages"][2:]] == [840, 1400, 2000, 20000]
    assert len(out["months"]) == 12 and out["months"][0]["month"] == "2027-01"


def test_cli_funnel_refuses_a_rate_above_one():
    with pytest.raises(CommandError, match="must be above 0% and at most 100%"):
        call_command(
            "plan", "funnel", "--target", "1000", "--asp", "10",
            "--rates", "lead_mql=0.1,mql_sal=0.7,sal_sql=0.6,sql_opp=0.8,opp_won=1.25",
        )  # fmt: skip


# --- Sign-off ------------------------------------------------------------------------------


@pytest.fixture
def plan(cast):
    return actions.create_plan(
        cast["mona"], name="FY2027", fiscal_year=2027, first_month=1, values=values()
    )


def test_a_new_plan_is_a_draft_until_a_marketing_and_a_sales_leader_approve(plan, cast):
    revision = plan.current
    assert revision.status == PlanRevision.Status.DRAFT and plan.in_force is None

    actions.approve(cast["carol"], revision)
    revision.refresh_from_db()
    assert revision.status == PlanRevision.Status.DRAFT  # one side is not enough

    actions.approve(cast["victor"], revision)
    revision.refresh_from_db()
    assert revision.status == PlanRevision.Status.APPROVED
    assert plan.in_force == revision
    assert sorted(revision.approvals.values_list("side", flat=True)) == ["marketing", "sales"]


def test_two_leaders_of_the_same_team_cannot_approve_together(plan, cast, teams):
    second = User.objects.create_user("cora", password="x-long-enough-password", role="leader")
    second.teams.add(teams["marketing"])
    actions.approve(cast["carol"], plan.current)

    with pytest.raises(ValidationError, match="already approved this revision for marketing"):
        actions.approve(second, plan.current)
    assert plan.current.status == PlanRevision.Status.DRAFT


@pytest.mark.parametrize("who", ["mona", "mike", "vera", "ada"])
def test_only_leaders_approve(plan, cast, who):
    with pytest.raises(PermissionDenied, match="marketing leader or a sales leader"):
        actions.approve(cast[who], plan.current)
    assert not plan.current.approvals.exists()


@pytest.mark.parametrize("who", ["mike", "vera"])
def test_members_and_viewers_cannot_create_or_change_a_plan(plan, cast, who):
    with pytest.raises(PermissionDenied):
        actions.create_plan(cast[who], name="X", fiscal_year=2027, first_month=1, values=values())
    with pytest.raises(PermissionDenied):
        actions.change_plan(cast[who], plan, values(target=D("1")))
    assert Plan.objects.count() == 1
    assert plan.current.target == D("18984000")


def test_a_bad_change_stores_nothing(plan, cast):
    with pytest.raises(ValidationError):
        actions.change_plan(cast["mona"], plan, values(seasonality=[D(0)] * 12))
    assert plan.revisions.count() == 1
    assert plan.current.seasonality == ["1"] * 12
    assert not AuditLog.objects.filter(action="plan.changed").exists()


def test_changing_an_approved_plan_makes_a_revision_that_needs_both_approvals_again(plan, cast):
    first = plan.current
    actions.approve(cast["carol"], first)
    actions.approve(cast["victor"], first)

    second = actions.change_plan(
        cast["mona"], plan, values(target=D("22600000")), note="Board raised the target"
    )

    first.refresh_from_db()
    assert (second.number, second.status) == (2, PlanRevision.Status.DRAFT)
    assert first.status == PlanRevision.Status.APPROVED and plan.in_force == first
    actions.approve(cast["victor"], second)
    actions.approve(cast["carol"], second)
    first.refresh_from_db()
    assert first.status == PlanRevision.Status.SUPERSEDED
    assert plan.in_force.number == 2

    from accord.plan.queries import revision_diff

    diff = revision_diff(first, second)
    assert {"label": "Revenue target", "before": "$18,984,000", "after": "$22,600,000"} in diff


def test_a_draft_without_approvals_is_changed_in_place(plan, cast):
    actions.change_plan(cast["mona"], plan, values(asp=D("100000")))
    assert plan.revisions.count() == 1
    assert plan.current.asp == D("100000")


def test_every_change_and_approval_is_in_the_audit_log(plan, cast):
    actions.approve(cast["carol"], plan.current)
    actions.change_plan(cast["mona"], plan, values(target=D("20000000")))
    actions.approve(cast["carol"], plan.current)
    actions.approve(cast["victor"], plan.current)

    entries = list(
        AuditLog.objects.filter(object_type="plan.planrevision")
        .order_by("at", "id")
        .values_list("action", "actor__username")
    )
    assert entries == [
        ("plan.created", "mona"),
        ("plan.approved", "carol"),
        ("plan.revised", "mona"),
        ("plan.approved", "carol"),
        ("plan.approved", "victor"),
    ]
    revised = AuditLog.objects.get(action="plan.revised")
    assert revised.before["target"] == "18984000.00" and revised.after["target"] == "20000000"


def test_goals_give_each_number_an_owner_and_a_date(cast):
    plan = actions.create_plan(
        cast["mona"],
        name="FY2027",
        fiscal_year=2027,
        first_month=1,
        values=values(goals={"mql": (cast["mona"], date(2027, 12, 31))}),
    )
    goal = plan.current.goals.get()
    assert (goal.stage, goal.owner, goal.due_on) == ("mql", cast["mona"], date(2027, 12, 31))


# --- The pages -----------------------------------------------------------------------------


def _form(**changes) -> dict:
    data = {
        "name": "FY2027",
        "fiscal_year": "2027",
        "first_month": "1",
        "target": "18984000",
        "asp": "113000",
        "observed_months": "12",
        "share_marketing": "60",
        "share_sales": "30",
        "share_partner": "10",
    }
    for step, rate in {
        "lead_mql": 10,
        "mql_sal": 70,
        "sal_sql": 60,
        "sql_opp": 80,
        "opp_won": 25,
    }.items():
        data[f"rate_{step}"] = str(rate)
        data[f"lag_{step}"] = "0"
        data[f"basis_{step}"] = "assumed"
    for i in range(12):
        data[f"season_{i}"] = "1"
    data.update(changes)
    return data


def test_a_manager_creates_a_plan_in_the_browser_form_with_percentages(client, cast):
    client.force_login(cast["mona"])
    response = client.post("/plans/new/", _form())
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert plan.current.rates["opp_won"] == "0.25"  # typed as 25 (%), stored as a fraction
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "672" in page and "$18,984,000" in page and "20,000" in page


def test_the_form_says_what_is_wrong_and_stores_nothing(client, cast):
    client.force_login(cast["mona"])
    response = client.post(
        "/plans/new/", _form(rate_opp_won="125", share_partner="20", target="0", season_0="x")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 100" in page
    assert "they add up to 110%" in page
    assert "Must be more than zero." in page
    assert not Plan.objects.exists()


@pytest.mark.parametrize("who", ["mike", "vera"])
def test_members_and_viewers_get_403_on_the_plan_form_but_can_read_plans(client, cast, plan, who):
    client.force_login(cast[who])
    assert client.get("/plans/new/").status_code == 403
    assert client.post("/plans/new/", _form()).status_code == 403
    assert client.post(f"/plans/{plan.pk}/edit/", _form(target="1")).status_code == 403
    assert client.get(f"/plans/{plan.pk}/").status_code == 200
    assert "Approve for" not in client.get(f"/plans/{plan.pk}/").content.decode()


def test_leaders_approve_from_the_plan_page(client, cast, plan):
    client.force_login(cast["carol"])
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Approve for marketing" in page
    client.post(f"/plans/{plan.pk}/revisions/1/approve/")
    client.force_login(cast["victor"])
    response = client.post(f"/plans/{plan.pk}/revisions/1/approve/", follow=True)
    assert "now the plan both teams signed" in response.content.decode()
    assert Plan.objects.get().in_force.number == 1


def test_an_unknown_plan_or_revision_is_404(client, cast, plan):
    client.force_login(cast["carol"])
    assert client.get("/plans/999/").status_code == 404
    assert client.get(f"/plans/{plan.pk}/?revision=7").status_code == 404
    assert client.post(f"/plans/{plan.pk}/revisions/7/approve/").status_code == 404


# --- The API -------------------------------------------------------------------------------


def _api(client, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return getattr(client, method)(f"/api/v1{path}", headers=headers)
    return getattr(client, method)(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers
    )


API_PLAN = {
    "name": "FY2027",
    "fiscal_year": 2027,
    "target": "18984000",
    "asp": "113000",
    "rates": {k: str(v) for k, v in SEED_RATES.items()},
    "lags": {"opp_won": 60},
    "shares": {"marketing": "0.6", "sales": "0.3", "partner": "0.1"},
}


def test_the_api_creates_a_plan_both_leaders_approve_it_and_serves_its_funnel(client, cast):
    mona = tokens.issue_token(cast["mona"], name="ops", scope="write")[1]
    created = _api(client, "post", "/plans", mona, API_PLAN)
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]

    for who in ("carol", "victor"):
        token = tokens.issue_token(cast[who], name="me", scope="write")[1]
        answer = _api(client, "post", f"/plans/{plan_id}/revisions/1/approve", token)
        assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "approved"

    funnel = _api(client, "get", f"/plans/{plan_id}/funnel", mona).json()
    assert [(s["stage"], s["count"]) for s in funnel["stages"]][:2] == [
        ("won", 168),
        ("opportunity", 672),
    ]


def test_the_api_refuses_bad_plans_and_wrong_people_with_clear_answers(client, cast):
    mona = tokens.issue_token(cast["mona"], name="ops", scope="write")[1]
    bad = _api(
        client, "post", "/plans", mona, {**API_PLAN, "rates": {**API_PLAN["rates"], "opp_won": "2"}}
    )
    assert bad.status_code == 422 and "at most 100%" in bad.json()["detail"]
    missing = _api(client, "post", "/plans", mona, {**API_PLAN, "rates": {"lead_mql": "0.1"}})
    assert missing.status_code == 422 and "missing mql_sal" in missing.json()["detail"]
    reader = tokens.issue_token(cast["mona"], name="bi", scope="read")[1]
    assert _api(client, "post", "/plans", reader, API_PLAN).status_code == 403
    member = tokens.issue_token(cast["mike"], name="me", scope="write")[1]
    assert _api(client, "post", "/plans", member, API_PLAN).status_code == 403
    assert not Plan.objects.exists()
    assert _api(client, "get", "/plans/99/funnel", mona).status_code == 404


def test_a_signed_plan_cannot_be_deleted_but_a_fresh_draft_can(client, cast, plan):
    mona = tokens.issue_token(cast["mona"], name="ops", scope="write")[1]
    actions.approve(cast["carol"], plan.current)
    refused = _api(client, "delete", f"/plans/{plan.pk}", mona)
    assert refused.status_code == 422 and "has approvals" in refused.json()["detail"]
    other = actions.create_plan(
        cast["mona"], name="Draft", fiscal_year=2028, first_month=1, values=values()
    )
    assert _api(client, "delete", f"/plans/{other.pk}", mona).status_code == 204
    assert list(Plan.objects.values_list("name", flat=True)) == ["FY2027"]


def test_a_team_of_both_kinds_still_needs_two_people(cast, teams, plan):
    both = User.objects.create_user("bea", password="x-long-enough-password", role="leader")
    both.teams.add(teams["marketing"], Team.objects.get(kind="sales"))
    actions.approve(both, plan.current)
    with pytest.raises(ValidationError, match="already approved"):
        actions.approve(both, plan.current)


# --- Observed rates ------------------------------------------------------------------------


def test_choosing_observed_without_history_says_so_and_stores_nothing(client, cast):
    client.force_login(cast["mona"])
    response = client.post("/plans/new/", _form(basis_opp_won="observed"))
    assert response.status_code == 200
    assert "There is no history for Opportunity → won in the last 12 months" in (
        response.content.decode()
    )
    assert not Plan.objects.exists()


def test_an_observed_rate_comes_from_the_companys_own_history(client, db):
    from accord.demo.build import build_demo_company
    from accord.plan.queries import observed_rates

    # The history ends where the observed window does (the whole months before today), so
    # its last cohorts have had the demo's time to close whatever day the suite runs.
    until = timezone.localdate().replace(day=1)
    build_demo_company(seed=3, scale=0.05, months=18, until=until)
    leader = User.objects.get(username="marketing.manager")
    client.force_login(leader)
    observed = observed_rates(12)
    win = observed["opp_won"]
    assert win["denominator"] > 20 and 0.1 < float(win["rate"]) < 0.45  # the model's ~25%

    page = client.get("/plans/new/").content.decode()
    assert f"{win['numerator']:,} of {win['denominator']:,}" in page  # the sample, beside the rate

    response = client.post("/plans/new/", _form(basis_opp_won="observed", rate_opp_won=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    revision = Plan.objects.get(name="FY2027").current  # not the demo's own plan
    assert revision.rates["opp_won"] == str(D(win["rate"]))
    assert revision.basis["opp_won"] == "observed" and revision.basis["lead_mql"] == "assumed"
    assert revision.lags["opp_won"] == round(win["lag_days"])
    assert revision.observed["opp_won"]["denominator"] == win["denominator"]


# --- Declining, goal dates, observed rates kept ---------------------------------------------


def test_a_leader_declines_a_draft_with_a_comment_and_its_author_is_told(plan, cast):
    from accord.people.models import Notification

    actions.decline(cast["victor"], plan.current, "Pipeline coverage is too thin for Q1.")

    revision = plan.current
    assert revision.status == PlanRevision.Status.DECLINED
    assert (revision.declined_by, revision.decline_comment) == (
        cast["victor"],
        "Pipeline coverage is too thin for Q1.",
    )
    told = Notification.objects.get(user=cast["mona"], kind="signoff.declined")
    assert "Victor" in told.title or "victor" in told.title
    assert told.body == "Pipeline coverage is too thin for Q1."
    assert AuditLog.objects.filter(action="plan.declined", actor=cast["victor"]).exists()
    # A declined draft cannot be approved; a change starts a new draft.
    with pytest.raises(ValidationError, match="declined"):
        actions.approve(cast["carol"], revision)
    second = actions.change_plan(cast["mona"], plan, values(target=D("20000000")))
    assert (second.number, second.status) == (2, PlanRevision.Status.DRAFT)


def test_declining_needs_a_reason_and_a_leader(plan, cast):
    with pytest.raises(ValidationError, match="Say why"):
        actions.decline(cast["carol"], plan.current, "  no ")
    for who in ("mona", "mike", "vera"):
        with pytest.raises(PermissionDenied):
            actions.decline(cast[who], plan.current, "I do not like these numbers at all.")
    assert plan.current.status == PlanRevision.Status.DRAFT


def test_leaders_decline_from_the_plan_page_and_the_api(client, cast, plan):
    client.force_login(cast["carol"])
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Decline revision 1" in page
    short = client.post(f"/plans/{plan.pk}/revisions/1/decline/", {"comment": "no"}, follow=True)
    assert "Say why" in short.content.decode()
    assert plan.current.status == PlanRevision.Status.DRAFT
    client.force_login(cast["mike"])
    assert "Decline revision" not in client.get(f"/plans/{plan.pk}/").content.decode()
    assert (
        client.post(f"/plans/{plan.pk}/revisions/1/decline/", {"comment": "x" * 20}).status_code
        == 403
    )

    victor = tokens.issue_token(cast["victor"], name="me", scope="write")[1]
    answer = _api(
        client,
        "post",
        f"/plans/{plan.pk}/revisions/1/decline",
        victor,
        {"comment": "Win rate of 25% is not what we see."},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["current"]["declined"]["comment"] == "Win rate of 25% is not what we see."
    again = _api(
        client, "post", f"/plans/{plan.pk}/revisions/1/decline", victor, {"comment": "x" * 20}
    )
    assert again.status_code == 422 and "declined" in again.json()["detail"]
    client.force_login(cast["carol"])
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Win rate of 25% is not what we see." in page and "Approve for" not in page


def test_a_goal_date_outside_the_plans_year_is_refused_at_every_door(client, cast, plan):
    with pytest.raises(ValidationError, match="outside the plan's year"):
        actions.change_plan(
            cast["mona"], plan, values(goals={"mql": (cast["mona"], date(1999, 1, 1))})
        )
    client.force_login(cast["mona"])
    response = client.post(f"/plans/{plan.pk}/edit/", _form(due_mql="1999-01-01"))
    assert response.status_code == 200
    assert "Jan 1, 1999 is outside the plan&#x27;s year" in response.content.decode()
    mona = tokens.issue_token(cast["mona"], name="ops", scope="write")[1]
    answer = _api(
        client,
        "put",
        f"/plans/{plan.pk}",
        mona,
        {**API_PLAN, "goals": {"mql": {"owner": "mona", "due_on": "2030-06-30"}}},
    )
    assert answer.status_code == 422 and "goals.mql.due_on" in answer.json()["detail"]
    assert not plan.current.goals.exists()

    actions.change_plan(
        cast["mona"], plan, values(goals={"mql": (cast["mona"], date(2027, 6, 30))})
    )
    assert "Jun 30, 2027" in client.get(f"/plans/{plan.pk}/").content.decode()


def test_changing_only_the_target_keeps_the_observed_rates_the_plan_was_built_on(client, cast):
    observed = {
        step: {"rate": str(SEED_RATES[step]), "numerator": 25, "denominator": 100, "lag_days": 3}
        for step in STEPS
    }
    plan = actions.create_plan(
        cast["mona"],
        name="FY2027",
        fiscal_year=2027,
        first_month=1,
        values=values(basis={s: "observed" for s in STEPS}, observed=observed),
    )
    client.force_login(cast["mona"])
    form = _form(target="20000000", **{f"basis_{s}": "observed" for s in STEPS})
    for step in STEPS:
        form[f"lag_{step}"] = "3"
    response = client.post(f"/plans/{plan.pk}/edit/", form)

    # The history under today's data is empty, and still the plan keeps its rates.
    assert response.status_code == 302, response.content.decode()[:3000]
    current = Plan.objects.get().current
    assert current.target == D("20000000")
    assert {s: D(current.rates[s]) for s in STEPS} == SEED_RATES
    # Asked to re-read, it reads today's (empty) history and says there is none.
    asked = client.post(f"/plans/{plan.pk}/edit/", {**form, "reread_observed": "on"})
    assert asked.status_code == 200 and "There is no history" in asked.content.decode()
