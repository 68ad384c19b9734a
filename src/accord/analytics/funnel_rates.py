"""Observed conversion rates and lags of the funnel, by lead cohort: the revenue plan's inputs.

No Django imports here. `observed_funnel()` takes the contract's tables (`tables.py`), runs
two aggregate queries in the engine and returns plain Python data.

Cohorts. A lead belongs to the cohort of the calendar month (UTC) it was created in, and
counts if it was created in [cohort_start, cohort_end) and before `as_of`. Whatever happens
to it later is credited to that month: a March lead that converts in May is a March
conversion.

Stages. The progression is new < mql < accepted (SAL) < sql < opportunity < customer. A lead
reached a stage at the earliest status change, before `as_of`, to that stage or any later
one: imports may skip stages, and a lead that went new -> sql reached mql and sal too, at
that moment. Rejected, recycled and disqualified are not stages; a lead that comes back
keeps its earliest times.

Steps. For lead_mql, mql_sal, sal_sql and sql_opp, the rate is the cohort's leads that
reached the step's second stage over those that reached its first (every lead reached
"lead" when it was created), and the lag is the mean time between reaching the two stages
over the leads that reached both. opp_won is about opportunities instead of leads: those
created in the same window (and before `as_of`), won over closed (won + lost) with the
close before `as_of`, and the lag is the mean time from created_at to closed_at of the won
ones. Deals still open at `as_of` count in neither, so a window whose deals have not had
time to close shows a win rate biased towards the quick closes: choose `as_of` well after
`cohort_end`. The average selling price is the mean amount of those won deals.

Days, portably. Timestamp subtraction is not available on every engine, so each timestamp
becomes whole seconds since 1970 (`epoch_seconds()` floored: SQLite's strftime('%s'),
PostgreSQL's EXTRACT(epoch), DuckDB's epoch(), Spark's unix_timestamp()) and the engine
sums the differences of those integers. Python divides the sums by the counts and by
86,400, so every engine gives the same numbers.

Only group-by, left join, count/min/sum with a filter, CASE, year/month extraction and
arithmetic are used: all of them compile for SQLite, PostgreSQL, DuckDB and PySpark.
"""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis

from accord.analytics.funnel import STAGES, STEPS
from accord.analytics.months import touching
from accord.analytics.tables import Tables, rows

# Cohort stages and steps are the plan's (funnel.py); in a cohort "won" means the lead
# became a customer. The lead status that marks each stage after "lead", in the order of
# the progression.
STAGE_STATUS = {
    "mql": "mql",
    "sal": "accepted",
    "sql": "sql",
    "opportunity": "opportunity",
    "won": "customer",
}
DAY = 86_400
RATE_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


def observed_funnel_queries(
    tables: Tables, *, cohort_start: date, cohort_end: date, as_of: datetime
) -> dict[str, ibis.Table]:
    """The queries behind `observed_funnel()`, built without I/O.

    "cohorts": one row per cohort month that has leads (year, month, a count per stage,
    and per lead step `<step>_seconds` and `<step>_lagged`); "deals": one row (closed,
    won, won_seconds, won_cents).
    """
    start, end, cutoff = _window(cohort_start, cohort_end, as_of)
    return {
        "cohorts": _cohort_query(tables, start, end, cutoff),
        "deals": _deal_query(tables, start, end, cutoff),
    }


def observed_funnel(
    tables: Tables, *, cohort_start: date, cohort_end: date, as_of: datetime
) -> dict[str, Any]:
    """Observed step rates and lags of the leads created in [cohort_start, cohort_end).

    Returns:
        {
            "cohort_start": date, "cohort_end": date, "as_of": datetime,
            "steps": {step: {"rate": Decimal | None, "numerator": int,
                             "denominator": int, "lag_days": float | None,
                             "lag_sample": int}},       # in STEPS order
            "cohorts": [{"month": date, "lead": int, "mql": int, ..., "won": int}],
            "asp": {"amount": Decimal | None, "sample": int},
        }

    A rate is a fraction rounded to 4 places (numerator / denominator are exact); it is
    None when the denominator is 0. Lags are mean days, rounded to 2 places, None without a
    sample. "cohorts" has every month of the window in order, zeros included. "asp" is the
    mean amount of the won deals in the window, to the cent.
    """
    queries = observed_funnel_queries(
        tables, cohort_start=cohort_start, cohort_end=cohort_end, as_of=as_of
    )
    months = {date(row["year"], row["month"], 1): row for row in rows(queries["cohorts"])}
    [deals] = rows(queries["deals"])

    def total(column: str) -> int:
        return sum(row[column] for row in months.values())

    steps = {
        step: _step(
            numerator=total(later),
            denominator=total(earlier),
            lag_seconds=total(f"{step}_seconds"),
            lag_sample=total(f"{step}_lagged"),
        )
        for step, (earlier, later) in _lead_steps().items()
    }
    steps["opp_won"] = _step(
        numerator=deals["won"],
        denominator=deals["closed"],
        lag_seconds=deals["won_seconds"],
        lag_sample=deals["won"],
    )
    return {
        "cohort_start": cohort_start,
        "cohort_end": cohort_end,
        "as_of": as_of,
        "steps": steps,
        "cohorts": [
            {"month": month, **{stage: months.get(month, {}).get(stage, 0) for stage in STAGES}}
            for month in touching(cohort_start, cohort_end)
        ],
        "asp": {
            "amount": _money(deals["won_cents"], deals["won"]),
            "sample": deals["won"],
        },
    }


# --- Queries --------------------------------------------------------------------------------


def _window(cohort_start: date, cohort_end: date, as_of: datetime):
    if cohort_start >= cohort_end:
        raise ValueError("cohort_start must come before cohort_end")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be time-zone aware")
    # The contract's timestamps are UTC without a zone; so are the literals compared to them.
    start = datetime(cohort_start.year, cohort_start.month, cohort_start.day)
    end = datetime(cohort_end.year, cohort_end.month, cohort_end.day)
    return start, end, as_of.astimezone(UTC).replace(tzinfo=None)


def _seconds(timestamp: ibis.Value) -> ibis.Value:
    """Whole seconds since 1970: the same integer on every engine."""
    return timestamp.epoch_seconds().floor()


def _lead_steps() -> dict[str, tuple[str, str]]:
    return {step: (STAGES[n], STAGES[n + 1]) for n, step in enumerate(STEPS[:-1])}


def _cohort_query(tables: Tables, start: datetime, end: datetime, cutoff: datetime):
    changes = tables.lead_status_changes
    rank = changes.to_status.cases(
        *((status, n) for n, status in enumerate(STAGE_STATUS.values(), start=1))
    )
    progress = changes.filter(changes.changed_at < cutoff, rank.notnull()).select(
        "lead_id", rank=rank, at=_seconds(changes.changed_at)
    )
    # A change to a later stage reaches every earlier one too.
    reached = progress.group_by("lead_id").aggregate(
        **{
            f"{stage}_at": progress.at.min(where=progress.rank >= n)
            for n, stage in enumerate(STAGE_STATUS, start=1)
        }
    )
    leads = tables.leads
    cohort = leads.filter(
        leads.created_at >= start, leads.created_at < end, leads.created_at < cutoff
    ).select(
        "lead_id",
        year=leads.created_at.year().cast("int64"),
        month=leads.created_at.month().cast("int64"),
        lead_at=_seconds(leads.created_at),
    )
    joined = cohort.left_join(reached, "lead_id")
    metrics = {stage: joined[f"{stage}_at"].count() for stage in STAGES}
    for step, (earlier, later) in _lead_steps().items():
        lag = joined[f"{later}_at"] - joined[f"{earlier}_at"]
        metrics[f"{step}_seconds"] = lag.sum().coalesce(0)
        metrics[f"{step}_lagged"] = lag.count()
    # Plain integers from every driver: PostgreSQL's SUM of bigints is a numeric.
    metrics = {name: value.cast("int64") for name, value in metrics.items()}
    return joined.group_by("year", "month").aggregate(**metrics)


def _deal_query(tables: Tables, start: datetime, end: datetime, cutoff: datetime):
    deals = tables.opportunities
    deals = deals.filter(
        deals.created_at >= start, deals.created_at < end, deals.created_at < cutoff
    )
    closed = (
        deals.closed_at.notnull() & (deals.closed_at < cutoff) & deals.stage.isin(("won", "lost"))
    )
    won = closed & (deals.stage == "won")
    cycle = _seconds(deals.closed_at) - _seconds(deals.created_at)
    # Whole cents, so that the sum is exact on engines that store money as floats (SQLite).
    cents = (deals.amount * 100).round().cast("int64")
    metrics = {
        "closed": deals.opportunity_id.count(where=closed),
        "won": deals.opportunity_id.count(where=won),
        "won_seconds": cycle.sum(where=won).coalesce(0),
        "won_cents": cents.sum(where=won).coalesce(0),
    }
    return deals.aggregate(**{name: value.cast("int64") for name, value in metrics.items()})


# --- Python's share: small sums and divisions ------------------------------------------------


def _step(*, numerator: int, denominator: int, lag_seconds: int, lag_sample: int) -> dict:
    rate = None
    if denominator:
        rate = (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_UP)
    lag = round(lag_seconds / lag_sample / DAY, 2) if lag_sample else None
    return {
        "rate": rate,
        "numerator": numerator,
        "denominator": denominator,
        "lag_days": lag,
        "lag_sample": lag_sample,
    }


def _money(cents: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(cents) / count / 100).quantize(CENTS, ROUND_HALF_UP)
