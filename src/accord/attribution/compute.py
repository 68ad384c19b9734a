"""Every attribution model and the period's economics, on the analytics engine.

One period for all of them: the opportunities converting from `start` to `end` (whole days
in UTC, both included): created in it on basis "pipeline", won in it on basis "revenue".
Each journey reaches `lookback_days` back from its opportunity's creation. The data-driven
models also count as non-converting the visitors with touches in the period and no
conversion in it (`journeys.py`).

Rule-based models (`credits.py`) credit touches, so channels, campaigns and months; the
data-driven ones (Markov, Shapley) work on the chain or the path summary and credit
channels only. Costs and customers count in whole months: those the period overlaps for
acquisition cost; for return on spend, the cost of a channel or campaign counts over the
same months as its credit: from the month of the earliest credited touch (a journey reaches
`lookback_days` back) to the period's last, so a touch is never credited at a cost of $0
because its month lay before the period.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.tasks import task
from django.utils import timezone

from accord.analytics.attribution import credits, economics, journeys, markov, rules, shapley
from accord.analytics.attribution.economics import Inputs
from accord.analytics.attribution.rules import Options
from accord.analytics.months import add_months, between
from accord.analytics.tables import Tables, rows
from accord.attribution.inputs import data_version, spend_lines
from accord.attribution.models import AttributionRun, UnitEconomics
from accord.core.engine import EngineError, engine_tables
from accord.core.periods import OUT_OF_RANGE, in_range

DATA_DRIVEN = ("markov", "shapley")
MODELS = (*rules.MODELS, *DATA_DRIVEN)
LABELS = {
    "first_touch": "First touch",
    "lead_creation": "Lead creation",
    "last_touch": "Last touch",
    "linear": "Linear",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path",
    "time_decay": "Time decay",
    "markov": "Markov (data-driven)",
    "shapley": "Shapley (data-driven)",
}
BASES = rules.BASES
CENT = Decimal("0.01")
TREND_QUARTERS = 8
MAX_DAYS = 3 * 366

__all__ = [
    "EngineError",
    "MODELS",
    "run",
    "run_all",
    "write_paths",
    "period",
    "default_period",
    "requested_period",
]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The 365 days ending today (UTC)."""
    end = today or datetime.now(UTC).date()
    return end - timedelta(days=364), end


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """Whole days `start` to `end` as aware moments; a clear ValueError if they make none."""
    if start > end:
        raise ValueError(f"The period starts ({start}) after it ends ({end}).")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"A period is at most {MAX_DAYS} days; {start} to {end} is longer.")
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end, time.max, tzinfo=UTC),
    )


def requested_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period someone asked for: both days, or neither for the 365 days up to `today`.
    A ValueError says what is wrong: half a period, one that is backwards or too long, or
    one that ends after today, or a day outside the years Accord accepts (a look-back from
    the year 1 cannot be computed)."""
    if (start is None) != (end is None):
        raise ValueError("Give both the first and the last day of the period, or neither.")
    if start is None or end is None:
        return default_period(today)
    if not (in_range(start) and in_range(end)):
        raise ValueError(OUT_OF_RANGE)
    period(start, end)
    if end > today:
        raise ValueError(f"The period ends in the future ({end}); end it today at the latest.")
    return start, end


def cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def run(
    model: str,
    *,
    start: date,
    end: date,
    url: str | None = None,
    t: Tables | None = None,
    basis: str = "pipeline",
    lookback_days: int = 365,
    half_life_days: float = 7.0,
    u_shape: str = "lead_creation",
) -> dict[str, Any]:
    """One model's credits over the period: `accord attribution run`'s JSON."""
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(MODELS)}.")
    if basis not in BASES:
        raise ValueError(f"Unknown basis {basis!r}; choose pipeline or revenue.")
    bounds = period(start, end)
    t = t if t is not None else engine_tables(url)
    head = {
        "model": model,
        "basis": basis,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "lookback_days": lookback_days,
    }
    if model in DATA_DRIVEN:
        return head | _data_driven(t, model, basis, lookback_days, bounds)
    options = Options(
        basis=basis, lookback_days=lookback_days, half_life_days=half_life_days, u_shape=u_shape
    )
    result = credits.credits(t, model, options, bounds)
    names = _campaign_names(t)
    total = result["total"]
    return head | {
        "total": str(total),
        "by_channel": _ranked(
            {"channel": key, "credit": credit} for key, credit in result["by_channel"].items()
        ),
        "by_campaign": _ranked(
            {"campaign_id": key, "campaign": names.get(key, "(no campaign)"), "credit": credit}
            for key, credit in result["by_campaign"].items()
        ),
        "by_month": [
            {"month": month, "credit": str(credit)} for month, credit in result["by_month"].items()
        ],
        "unattributed": {
            "opportunities": result["unattributed_opportunities"],
            "amount": str(result["unattributed"]),
        },
    }


def run_all(
    *,
    basis: str,
    start: date,
    end: date,
    lookback_days: int = 365,
    inputs: economics.Inputs | None = None,
    spend: list[dict[str, Any]] | tuple = (),
    url: str | None = None,
) -> dict[str, Any]:
    """Every model and the economics of the period: what an `AttributionRun` stores.

    `spend`: the months' other costs, dicts of month (first day), side ("marketing" or
    "sales"), channel (key or None) and amount (Decimal).
    """
    t = engine_tables(url)
    models = {
        model: run(model, t=t, basis=basis, start=start, end=end, lookback_days=lookback_days)
        for model in MODELS
    }
    figures = economics_of(
        t,
        start,
        end,
        lookback_days,
        inputs or economics.Inputs(),
        list(spend),
        credit_from=credit_window_start(models, start),
    )
    return {"models": models, "economics": figures}


def credit_window_start(models: dict[str, dict[str, Any]], start: date) -> date:
    """The first day of the month of the earliest touch any model credits (every rule-based
    model credits the same touches; the data-driven ones walk the same journeys), else the
    period's first month."""
    months = [
        row["month"]
        for result in models.values()
        for row in result.get("by_month", [])
        if Decimal(row["credit"])
    ]
    first = start.replace(day=1)
    if months:
        first = min(first, date.fromisoformat(min(months) + "-01"))
    return first


def economics_of(
    t: Tables,
    start: date,
    end: date,
    lookback_days: int,
    inputs: economics.Inputs,
    spend: list[dict[str, Any]],
    credit_from: date | None = None,
) -> dict[str, Any]:
    """Costs by channel and campaign over the months credit reaches (`credit_from`, default
    the period's first month, to the period's last), unit economics of the period and per
    quarter over the last `TREND_QUARTERS` quarters up to its end, sourced and influenced
    pipeline and revenue."""
    months = between(start, end)
    first = trend_start(end)
    window = between(min(credit_from or months[0], months[0]), months[-1])
    trend = between(min(first, window[0]), months[-1])
    campaign_costs = economics.campaign_costs(t, trend[0], trend[-1])
    customers = economics.new_customers(t)

    figures = {}
    for month in trend:
        marketing = sum((c["cost"] for c in campaign_costs if c["month"] == month), Decimal(0))
        marketing += _spend(spend, month, "marketing")
        won, revenue = customers.get(month, (0, Decimal(0)))
        figures[month] = economics.MonthFigures(
            month=month,
            marketing_cost=marketing,
            sales_cost=_spend(spend, month, "sales"),
            new_customers=won,
            new_revenue=revenue,
        )
    in_window = set(window)
    by_channel: dict[str, Decimal] = {}
    by_campaign: dict[int, Decimal] = {}
    for cost in campaign_costs:
        if cost["month"] in in_window:
            by_channel[cost["channel"]] = by_channel.get(cost["channel"], Decimal(0)) + cost["cost"]
            by_campaign[cost["campaign_id"]] = (
                by_campaign.get(cost["campaign_id"], Decimal(0)) + cost["cost"]
            )
    for line in spend:
        if line["month"] in in_window and line["channel"] and line["side"] == "marketing":
            by_channel[line["channel"]] = (
                by_channel.get(line["channel"], Decimal(0)) + line["amount"]
            )
    bounds = period(start, end)
    return {
        "months": [m.isoformat()[:7] for m in months],
        "costs": {
            # Return on spend compares credit and cost over these same months.
            "window": {"from": window[0].isoformat(), "to": window[-1].isoformat()},
            "by_channel": {key: str(value) for key, value in sorted(by_channel.items())},
            "by_campaign": {str(key): str(value) for key, value in sorted(by_campaign.items())},
        },
        "period": economics.as_mapping(economics.total([figures[m] for m in months], inputs)),
        "quarters": [
            economics.as_mapping(q)
            for q in economics.by_quarter([figures[m] for m in trend if m >= first], inputs)
        ],
        "inputs": {
            "gross_margin": str(inputs.gross_margin),
            "annual_churn": str(inputs.annual_churn),
        },
        "sourcing": {
            basis: economics.as_mapping(
                economics.sourcing(t, basis=basis, period=bounds, lookback_days=lookback_days)
            )
            for basis in BASES
        },
    }


def write_paths(
    out, *, start: date, end: date, url: str | None = None, basis="pipeline", lookback_days=365
) -> int:
    """Write the period's path summary in ChannelAttribution's CSV format; how many paths."""
    rows_ = journeys.path_rows(
        engine_tables(url), basis=basis, lookback_days=lookback_days, period=period(start, end)
    )
    markov.path_table_csv(rows_, out)
    return len(rows_)


def _data_driven(t: Tables, model, basis, lookback_days, bounds) -> dict[str, Any]:
    counted = journeys.transitions(t, basis=basis, lookback_days=lookback_days, period=bounds)
    if model == "markov":
        result = markov.markov_from_transitions(counted.chain())
        credit, share = result.value, result.value_shares
        conversions, total_value = result.conversions, result.total_value
    else:
        paths = journeys.path_rows(t, basis=basis, lookback_days=lookback_days, period=bounds)
        result = shapley.shapley(paths)
        credit, share = result.value_credits, result.shares
        conversions, total_value = result.credits, sum(r.value for r in paths)
    total = cents(total_value)
    # Whole cents that add up to the total, as the rule-based models' do.
    whole = credits.apportion(
        {channel: credit.get(channel, 0.0) * 100 for channel in result.channels},
        int(total * 100),
    )
    by_channel = sorted(
        (
            {
                "channel": channel,
                "credit": str(Decimal(whole[channel]).scaleb(-2)),
                "share": round(share.get(channel, 0.0), 6),
                "conversions": round(conversions.get(channel, 0.0), 6),
            }
            for channel in result.channels
        ),
        key=lambda row: (-Decimal(row["credit"]), row["channel"]),
    )
    unattributed = counted.unattributed
    return {
        "total": str(total),
        "by_channel": by_channel,
        "by_campaign": [],  # data-driven models credit channels, not campaigns
        "by_month": [],
        "unattributed": {
            "opportunities": len(unattributed),
            "amount": str(cents(sum((a or Decimal(0)) for _, a in unattributed))),
        },
    }


def _ranked(items) -> list[dict[str, Any]]:
    """Credit rows, largest first, with each one's share of their sum."""
    items = list(items)
    whole = sum((item["credit"] for item in items), Decimal(0))
    for item in items:
        item["share"] = round(float(item["credit"] / whole), 6) if whole else 0.0
        item["credit"] = str(item["credit"])
    return sorted(items, key=lambda item: (-Decimal(item["credit"]), str(item.get("channel", ""))))


def _campaign_names(t: Tables) -> dict[int, str]:
    return {
        row["campaign_id"]: row["name"] for row in rows(t.campaigns.select("campaign_id", "name"))
    }


def _spend(spend, month: date, side: str) -> Decimal:
    return sum(
        (line["amount"] for line in spend if line["month"] == month and line["side"] == side),
        Decimal(0),
    )


def trend_start(end: date) -> date:
    """The first day of the oldest of the `TREND_QUARTERS` quarters up to `end`'s."""
    quarter = end.replace(month=(end.month - 1) // 3 * 3 + 1, day=1)
    return add_months(quarter, -3 * (TREND_QUARTERS - 1))


@task
def compute_run(run_id: int) -> None:
    """The worker's part of a requested run: every model of the run's basis and period and
    its economics, stored on the run."""
    run = AttributionRun.objects.get(pk=run_id)
    AttributionRun.objects.filter(pk=run_id).update(status=AttributionRun.Status.RUNNING)
    try:
        version = data_version()  # before reading: a later change makes it stale
        row = UnitEconomics.current()
        result = run_all(
            basis=run.basis,
            start=run.period_start,
            end=run.period_end,
            lookback_days=run.lookback_days,
            inputs=Inputs(gross_margin=row.gross_margin, annual_churn=row.annual_churn),
            # Every month up to the period's end: credit may reach back before the trend.
            spend=spend_lines(None, run.period_end),
        )
    except Exception as error:  # the page must say it failed, whatever the cause
        AttributionRun.objects.filter(pk=run_id).update(
            status=AttributionRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    AttributionRun.objects.filter(pk=run_id).update(
        status=AttributionRun.Status.DONE,
        result=result,
        data_version=version,
        finished_at=timezone.now(),
    )
