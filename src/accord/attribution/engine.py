"""Running attribution models on the analytics engine and summing their credit up.

The data-driven models (Markov, Shapley) work on the first-order chain or the path summary
the engine builds (`accord.analytics.attribution.journeys`); only those small summaries come
back to Python. They credit channels: a campaign has no credit of its own there.
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import ibis
from django.core.exceptions import ImproperlyConfigured

from accord.analytics import tables
from accord.analytics.attribution import journeys, markov, shapley
from accord.analytics.django_source import app_tables

DATA_DRIVEN = ("markov", "shapley")
BASES = ("pipeline", "revenue")
CENT = Decimal("0.01")


class EngineError(ValueError):
    """The engine named cannot be reached or read; the message says which and why."""


def engine_tables(url: str | None) -> tables.Tables:
    """The contract's tables on `url` (an Ibis URL), or on the configured analytics engine."""
    if not url:
        try:
            return app_tables()
        except ImproperlyConfigured as error:
            raise EngineError(str(error)) from None
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not scheme:
        raise EngineError(
            f"{url!r} is not an engine URL; write it like duckdb:///path/copy.duckdb, "
            "sqlite:///path/accord.sqlite3 or postgres://user@host/db."
        )
    try:
        return tables.load(ibis.connect(url))
    except Exception as error:  # noqa: BLE001 - any driver's failure, reported by name
        raise EngineError(f"Cannot use the engine {url!r}: {error}") from None


def cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def run(
    model: str,
    *,
    url: str | None = None,
    basis: str = "pipeline",
    lookback_days: int = 365,
    as_of: datetime | None = None,
) -> dict:
    """`accord attribution run`'s result for a data-driven model."""
    if model not in DATA_DRIVEN:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(DATA_DRIVEN)}.")
    if basis not in BASES:
        raise ValueError(f"Unknown basis {basis!r}; choose pipeline or revenue.")
    t = engine_tables(url)
    if model == "markov":
        counted = journeys.transitions(t, basis=basis, lookback_days=lookback_days, as_of=as_of)
        result = markov.markov_from_transitions(counted.chain())
        credit, share = result.value, result.value_shares
        conversions, total_value = result.conversions, result.total_value
        unattributed = counted.unattributed
    else:
        rows = journeys.path_rows(t, basis=basis, lookback_days=lookback_days, as_of=as_of)
        result = shapley.shapley(rows)
        credit, share = result.value_credits, result.shares
        conversions, total_value = result.credits, sum(r.value for r in rows)
        unattributed = journeys.transitions(
            t, basis=basis, lookback_days=lookback_days, as_of=as_of
        ).unattributed
    by_channel = sorted(
        (
            {
                "channel": channel,
                "credit": str(cents(credit.get(channel, 0.0))),
                "share": round(share.get(channel, 0.0), 6),
                "conversions": round(conversions.get(channel, 0.0), 6),
            }
            for channel in result.channels
        ),
        key=lambda row: (-Decimal(row["credit"]), row["channel"]),
    )
    return {
        "model": model,
        "basis": basis,
        "lookback_days": lookback_days,
        "total": str(cents(total_value)),
        "by_channel": by_channel,
        "by_campaign": [],  # data-driven models credit channels, not campaigns
        "unattributed": {
            "opportunities": len(unattributed),
            "amount": str(cents(sum((a or Decimal(0)) for _, a in unattributed))),
        },
    }


def write_paths(
    out, *, url: str | None = None, basis: str = "pipeline", lookback_days: int = 365, as_of=None
) -> int:
    """Write the path summary in ChannelAttribution's CSV format; how many paths."""
    rows = journeys.path_rows(
        engine_tables(url), basis=basis, lookback_days=lookback_days, as_of=as_of
    )
    markov.path_table_csv(rows, out)
    return len(rows)
