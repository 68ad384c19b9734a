"""Read models for the attribution pages and API: stored runs, models side by side, return
on spend, unit economics over time, sourced and influenced pipeline."""

from datetime import date
from decimal import Decimal

from accord.analytics.attribution.economics import roi
from accord.analytics.months import add_months, first_of
from accord.analytics.months import between as month_range
from accord.attribution.compute import DATA_DRIVEN, LABELS, MODELS
from accord.attribution.models import AttributionRun, Spend
from accord.crm.models import Campaign, CampaignCost, Channel

DEFAULT_PAIR = ("w_shaped", "markov")
SPEND_MONTHS = 12
TRAILING_SEARCH = 200


def latest(
    basis: str, start: date | None = None, end: date | None = None
) -> tuple[AttributionRun | None, AttributionRun | None]:
    """The newest finished run of the basis (over exactly `start`..`end` if given), and a
    newer one of the same kind still queued or running."""
    runs = AttributionRun.objects.filter(basis=basis)
    if start is not None and end is not None:
        runs = runs.filter(period_start=start, period_end=end)
    done = runs.filter(status=AttributionRun.Status.DONE).first()
    newest = runs.first()
    pending = newest if newest is not None and newest.status != AttributionRun.Status.DONE else None
    return done, pending


def latest_trailing(basis: str) -> AttributionRun | None:
    """The newest finished run of the basis over the standard trailing period (the 365 days
    up to the day it was made), never a one-off period someone computed."""
    # Few runs are made a day; the newest trailing one is among the latest.
    recent = AttributionRun.objects.filter(basis=basis, status=AttributionRun.Status.DONE)
    return next((run for run in recent[:TRAILING_SEARCH] if run.trailing), None)


def model_choices() -> list[tuple[str, str]]:
    return [(model, LABELS[model]) for model in MODELS]


def pair(a: str | None, b: str | None) -> tuple[str, str]:
    """The two models to compare: those asked for where they are models, else the default."""
    a = a if a in MODELS else DEFAULT_PAIR[0]
    b = b if b in MODELS else DEFAULT_PAIR[1]
    return a, b


def side_by_side(run: AttributionRun, a: str, b: str) -> dict:
    """Channels down, every model across (credit and share), and a bar chart of the shares
    of the two models compared."""
    models = run.result["models"]
    names = _channel_names()
    credits: dict[str, dict[str, dict]] = {}
    for model, result in models.items():
        for row in result["by_channel"]:
            credits.setdefault(row["channel"], {})[model] = row
    order = [m for m in MODELS if m in models]

    def weight(key: str):
        return (-Decimal(credits[key].get(a, {}).get("credit", "0")), key)

    rows = [
        {
            "channel": key,
            "name": names.get(key, key),
            "cells": [credits[key].get(model) for model in order],
            "a": credits[key].get(a),
            "b": credits[key].get(b),
        }
        for key in sorted(credits, key=weight)
    ]
    first = models[order[0]]
    return {
        "models": [{"key": m, "label": LABELS[m], "compared": m in (a, b)} for m in order],
        "a": {"key": a, "label": LABELS[a]},
        "b": {"key": b, "label": LABELS[b]},
        "rows": rows,
        "total": Decimal(first["total"]),
        "unattributed": first["unattributed"],
        "chart": {
            "labels": [row["name"] for row in rows],
            "datasets": [
                {"label": LABELS[m], "values": [(row[side] or {}).get("share", 0) for row in rows]}
                for m, side in ((a, "a"), (b, "b"))
            ],
            "percent": True,
            "legend": "bottom",
        },
    }


def return_on_spend(run: AttributionRun, model: str) -> dict:
    """Credit, cost and ROI per channel and per campaign under `model`, cost counted over
    the months the credit reaches (`window`; a run stored before windows: the period's
    months); ROI charted by channel. On the pipeline basis it is pipeline per dollar."""
    result = run.result["models"][model]
    costs = run.result["economics"]["costs"]
    window = costs.get("window") or {
        "from": run.period_start.replace(day=1).isoformat(),
        "to": run.period_end.replace(day=1).isoformat(),
    }
    names = _channel_names()
    channel_cost = {key: Decimal(value) for key, value in costs["by_channel"].items()}
    credit = {row["channel"]: Decimal(row["credit"]) for row in result["by_channel"]}
    channels = []
    for key in sorted(set(credit) | set(channel_cost)):
        spent = channel_cost.get(key, Decimal(0))
        earned = credit.get(key, Decimal(0))
        channels.append(
            {
                "channel": key,
                "name": names.get(key, key),
                "credit": earned,
                "cost": spent,
                "roi": roi(earned, spent),
            }
        )
    channels.sort(key=lambda row: (row["roi"] is None, -(row["roi"] or 0), row["name"]))
    campaign_cost = {int(key): Decimal(value) for key, value in costs["by_campaign"].items()}
    campaign_credit = {
        row["campaign_id"]: Decimal(row["credit"])
        for row in result["by_campaign"]
        if row["campaign_id"] is not None
    }
    known = Campaign.objects.select_related("channel").in_bulk(
        set(campaign_cost) | set(campaign_credit)
    )
    campaigns = [
        {
            "campaign": known.get(pk),
            "credit": campaign_credit.get(pk, Decimal(0)),
            "cost": campaign_cost.get(pk, Decimal(0)),
            "roi": roi(campaign_credit.get(pk, Decimal(0)), campaign_cost.get(pk, Decimal(0))),
        }
        for pk in set(campaign_cost) | set(campaign_credit)
    ]
    campaigns.sort(
        key=lambda row: (
            row["roi"] is None,
            -(row["roi"] or 0),
            row["campaign"].name if row["campaign"] else "",
        )
    )
    with_roi = [row for row in channels if row["roi"] is not None]
    revenue = run.basis == AttributionRun.Basis.REVENUE
    return {
        "model": {"key": model, "label": LABELS[model], "data_driven": model in DATA_DRIVEN},
        "measure": "Revenue per dollar" if revenue else "Pipeline per dollar",
        "credited": "won revenue" if revenue else "pipeline",
        "window": {key: date.fromisoformat(day) for key, day in window.items()},
        "channels": channels,
        "campaigns": campaigns,
        "no_campaign_credit": result["by_campaign"] == [],
        "total_cost": sum(channel_cost.values(), Decimal(0)),
        "total_credit": sum(credit.values(), Decimal(0)),
        "chart": {
            "labels": [row["name"] for row in with_roi],
            "values": [float(row["roi"]) for row in with_roi],
            "ratio": True,
        },
    }


def unit_economics(run: AttributionRun) -> dict:
    """The period's CAC, LTV, payback, per quarter with a chart of CAC and LTV, and the
    sourced and influenced pipeline and revenue."""
    economics = run.result["economics"]
    quarters = [_decimals(q) for q in economics["quarters"]]
    return {
        "period": _decimals(economics["period"]),
        "quarters": quarters,
        "inputs": _decimals(economics["inputs"]),
        "sourcing": {basis: _decimals(s) for basis, s in economics["sourcing"].items()},
        "chart": {
            "labels": [q["quarter"] for q in quarters],
            "datasets": [
                {"label": "CAC", "values": [_number(q["cac"]) for q in quarters]},
                {"label": "LTV", "values": [_number(q["ltv"]) for q in quarters]},
            ],
            "legend": "bottom",
        },
    }


def _channel_names() -> dict[str, str]:
    return dict(Channel.objects.values_list("key", "name"))


MONEY_KEYS = {"marketing_cost", "sales_cost", "cost", "new_revenue", "cac", "arpa", "ltv", "amount"}
RATIO_KEYS = {"ltv_to_cac", "payback_months", "gross_margin", "annual_churn"}


def _decimals(figures: dict) -> dict:
    """Stored figures with their money and ratios as Decimals again."""
    out = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out[key] = _decimals(value)
        elif key in MONEY_KEYS | RATIO_KEYS and value is not None:
            out[key] = Decimal(value)
        else:
            out[key] = value
    return out


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def spend_by_month(today: date, months: int = SPEND_MONTHS) -> dict | None:
    """What sales and marketing cost in each of the last `months` months up to this one:
    marketing spend lines, campaign costs and sales spend lines, as the spend page charts
    them; None when nothing was spent in those months."""
    first = add_months(first_of(today), -(months - 1))
    labels = month_range(first, today)
    sums: dict[str, dict[date, Decimal]] = {"marketing": {}, "campaigns": {}, "sales": {}}
    for month, side, amount in Spend.objects.filter(month__gte=first, month__lte=today).values_list(
        "month", "side", "amount"
    ):
        sums[side][month] = sums[side].get(month, Decimal(0)) + amount
    for month, amount in CampaignCost.objects.filter(
        month__gte=first, month__lte=today
    ).values_list("month", "amount"):
        sums["campaigns"][month] = sums["campaigns"].get(month, Decimal(0)) + amount
    if not any(sums.values()):
        return None
    names = {"marketing": "Marketing spend", "campaigns": "Campaign costs", "sales": "Sales spend"}
    return {
        "labels": [f"{month:%b %Y}" for month in labels],
        "datasets": [
            {"label": names[key], "values": [float(sums[key].get(m, 0)) for m in labels]}
            for key in ("marketing", "campaigns", "sales")
        ],
    }
