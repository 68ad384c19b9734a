"""Content influence, the read model: per asset (and version, owner, kind) the credit its
content touches earn under each attribution model, the opportunities and won revenue it
reached, and won against lost deals with and without it.

Computed in the analytics engine (`analytics.attribution.influence`) over the attribution's
default period (the 365 days up to today, as `accord attribution run` uses), every model at
once, and kept (`core.figures`) until a deal, touch, lead, channel or content touch changes;
the page says when it was computed. Every asset is listed, one without a credited touch with zero.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from django.db.models import BigIntegerField, Case, Value, When
from django.utils import timezone

from accord.analytics.attribution import influence as engine
from accord.analytics.attribution.rules import Options
from accord.attribution import compute
from accord.content.models import Asset, ContentTouch
from accord.core import figures as kept_figures
from accord.core.engine import engine_tables
from accord.crm.models import Channel, Lead, Opportunity, Touchpoint

MODELS = compute.MODELS
LABELS = compute.LABELS
BASES = compute.BASES
DEFAULT_MODEL = "w_shaped"
# What the figures read: kept until one of these tables changes.
TABLES = kept_figures.table_names([Opportunity, Touchpoint, Lead, Channel, ContentTouch])


def check(model: str, basis: str = "pipeline") -> None:
    """A ValueError that names the choices, for every door alike."""
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(MODELS)}.")
    if basis not in BASES:
        raise ValueError(f"Unknown basis {basis!r}; choose one of {', '.join(BASES)}.")


@dataclass(frozen=True)
class Figures:
    """One basis's influence under every model, as computed."""

    basis: str
    start: date
    end: date
    computed_at: datetime
    credits: dict  # model -> [(asset_id, version_id, cents, opportunities)]
    reach: dict  # asset_id -> (opportunities, won, won_cents)
    closed: dict  # asset_id -> (closed, won)
    closed_all: tuple[int, int]
    stale: bool = field(default=False)


def figures(basis: str = "pipeline", *, today: date | None = None) -> Figures:
    """The basis's figures, kept (`core.figures`) until a deal, touch, lead or content
    touch changes, else computed now."""
    check(MODELS[0], basis)
    start, end = compute.default_period(today or timezone.now().date())
    key = f"content.influence:{basis}:{start}:{end}"
    found = kept_figures.kept(key, TABLES, lambda: compute_figures(basis, start, end))
    return replace(found.value, computed_at=found.computed_at, stale=found.behind)


def compute_figures(basis: str, start: date, end: date) -> Figures:
    """The figures from scratch, in the analytics engine."""
    t = engine_tables(None)
    result = engine.influence(t, MODELS, Options(basis=basis), compute.period(start, end))
    return Figures(
        basis=basis,
        start=start,
        end=end,
        computed_at=timezone.now(),
        credits=result["credits"],
        reach=result["reach"],
        closed=result["closed"],
        closed_all=result["closed_all"],
    )


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def by_asset(found: Figures, model: str, assets=None) -> list[dict]:
    """Every asset (or those given), largest credit first: id, title, kind, owner, credit,
    share of the total, opportunities, won, won revenue, and won against lost."""
    check(model, found.basis)
    credit: dict[int, int] = defaultdict(int)
    for asset_id, _version, cents, _deals in found.credits[model]:
        credit[asset_id] += cents
    total = sum(credit.values())
    if assets is None:
        assets = Asset.objects.select_related("owner")
    rows = []
    for asset in assets:
        reach = found.reach.get(asset.pk, (0, 0, 0))
        rows.append(
            {
                "id": asset.pk,
                "title": asset.title,
                "kind": asset.kind,
                "kind_label": asset.get_kind_display(),
                "owner": asset.owner.get_username() if asset.owner else None,
                "owner_name": (asset.owner.get_full_name() or asset.owner.get_username())
                if asset.owner
                else "",
                "asset": asset,
                "credit": _money(credit.get(asset.pk, 0)),
                "share": credit.get(asset.pk, 0) / total if total else 0.0,
                "opportunities": reach[0],
                "won": reach[1],
                "won_revenue": _money(reach[2]),
                "closed": win_rates(found, asset.pk),
            }
        )
    rows.sort(key=lambda row: (-row["credit"], -row["won_revenue"], row["title"], row["id"]))
    return rows


def win_rates(found: Figures, asset_id: int) -> dict:
    """Closed deals with the asset in their journey and without it: n, won, win rate."""
    closed, won = found.closed.get(asset_id, (0, 0))
    all_closed, all_won = found.closed_all
    without_n, without_won = all_closed - closed, all_won - won
    return {
        "with_n": closed,
        "with_won": won,
        "with_rate": won / closed if closed else None,
        "without_n": without_n,
        "without_won": without_won,
        "without_rate": without_won / without_n if without_n else None,
    }


def rolled_up(rows: list[dict], key: str, label: str) -> list[dict]:
    """The asset rows summed by owner or kind, largest credit first."""
    groups: dict = {}
    for row in rows:
        group = groups.setdefault(
            row[key],
            {
                "key": row[key],
                "label": row[label] or "(no owner)",
                "assets": 0,
                "credit": Decimal("0.00"),
                "won_revenue": Decimal("0.00"),
            },
        )
        group["assets"] += 1
        group["credit"] += row["credit"]
        group["won_revenue"] += row["won_revenue"]
    return sorted(groups.values(), key=lambda g: (-g["credit"], str(g["label"])))


def by_version(found: Figures, model: str, asset: Asset) -> list[dict]:
    """The asset's credit and credited opportunities per version, newest version first."""
    check(model, found.basis)
    numbers = dict(asset.versions.values_list("pk", "number"))
    per: dict = defaultdict(lambda: [0, 0])
    for asset_id, version_id, cents, deals in found.credits[model]:
        if asset_id == asset.pk:
            per[version_id][0] += cents
            per[version_id][1] += deals
    return [
        {"version": numbers.get(version_id), "credit": _money(cents), "opportunities": deals}
        for version_id, (cents, deals) in sorted(
            per.items(), key=lambda item: -(numbers.get(item[0]) or 0)
        )
    ]


def summary(model: str, basis: str = "pipeline", *, today: date | None = None) -> dict:
    """`accord content influence`'s JSON (and the API's): every asset, unused ones with 0."""
    check(model, basis)
    found = figures(basis, today=today)
    rows = by_asset(found, model)
    return {
        "model": model,
        "basis": basis,
        "total": str(sum((row["credit"] for row in rows), Decimal("0.00"))),
        "assets": [
            {
                "id": row["id"],
                "title": row["title"],
                "owner": row["owner"],
                "credit": str(row["credit"]),
                "opportunities": row["opportunities"],
                "won": row["won"],
            }
            for row in rows
        ],
    }


def of_asset(asset: Asset, *, today: date | None = None) -> dict:
    """One asset under every model and both bases (the asset page's card, the API)."""
    result = {"id": asset.pk, "title": asset.title, "bases": {}}
    for basis in BASES:
        found = figures(basis, today=today)
        models = {}
        for model in MODELS:
            (row,) = by_asset(found, model, [asset])
            models[model] = {
                "label": LABELS[model],
                "credit": row["credit"],
                "versions": by_version(found, model, asset),
            }
        (row,) = by_asset(found, MODELS[0], [asset])
        result["bases"][basis] = {
            "models": models,
            "opportunities": row["opportunities"],
            "won": row["won"],
            "won_revenue": row["won_revenue"],
            "closed": row["closed"],
            "computed_at": found.computed_at,
            "period": {"from": found.start, "to": found.end},
        }
    return result


def credit_cents_expression(model: str = DEFAULT_MODEL, basis: str = "pipeline"):
    """Each asset's credit in cents as a database expression, for sorting the library."""
    found = figures(basis)
    cents: dict[int, int] = defaultdict(int)
    for asset_id, _version, value, _deals in found.credits[model]:
        cents[asset_id] += value
    whens = [When(pk=asset_id, then=Value(value)) for asset_id, value in cents.items() if value]
    if not whens:
        return Value(0, output_field=BigIntegerField())
    return Case(*whens, default=Value(0), output_field=BigIntegerField())
