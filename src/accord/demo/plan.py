"""The demo company's revenue plan for the year it is in: drafted by ops, signed by the CMO
and the VP of Sales, with conversion rates close to what its own history shows. Marketing's
commitment on the two-way service-level page and the scoreboard's pacing read it."""

from datetime import date
from decimal import Decimal

from accord.people.models import User
from accord.plan import actions

D = Decimal
RATES = {"lead_mql": D("0.34"), "mql_sal": D("0.51"), "sal_sql": D("0.61"),
         "sql_opp": D("0.82"), "opp_won": D("0.22")}  # fmt: skip
LAGS = {"lead_mql": 25, "mql_sal": 7, "sal_sql": 7, "sql_opp": 6, "opp_won": 79}


def install(today: date) -> None:
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=(
                "ops.manager",
                "cmo",
                "vp.sales",
                "marketing.manager",
                "sdr.manager",
                "sales.manager",
            )
        )
    }
    # The goals: who answers for a stage's number, by when (the journey measures them).
    goals = {
        "mql": (users["marketing.manager"], date(today.year, 6, 30)),
        "sal": (users["sdr.manager"], date(today.year, 12, 31)),
        "sql": (users["sales.manager"], date(today.year, 11, 30)),
        "won": (users["vp.sales"], date(today.year, 12, 31)),
    }  # fmt: skip
    plan = actions.create_plan(
        users["ops.manager"],
        name=f"FY{today.year} revenue plan",
        fiscal_year=today.year,
        first_month=1,
        values=actions.PlanValues(
            target=D("26000000"),
            asp=D("73000"),
            rates=RATES,
            lags=LAGS,
            basis={step: "observed" for step in RATES},
            shares={"marketing": D("0.6"), "sales": D("0.25"), "partner": D("0.15")},
            seasonality=[D(1)] * 12,
            goals=goals,
        ),
    )
    revision = plan.current
    actions.approve(users["cmo"], revision)
    actions.approve(users["vp.sales"], revision)
