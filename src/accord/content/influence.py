"""Content influence, the read model: per asset (and version, owner, kind) the credit its
content touches earn under each attribution model, the opportunities and won revenue it
reached, and won against lost deals with and without it.

Computing every model takes minutes at a large company's size, so no page or API call ever
computes it. `refresh` (the worker every ten minutes, `accord content influence --refresh`)
computes it in the analytics engine (`analytics.attribution.influence`) over the
attribution's default period (the 365 days up to today) on both bases and stores each content
touch's credit (`ContentCredit`), each asset's reach (`ContentReach`) and one `InfluenceRun`
saying when, over which period and from which data generations; it replaces the previous run
in one transaction. Reads roll the stored credits up in the engine (`rolled_up`, a group-by
over the stored table): milliseconds. With nothing stored, reads answer None and the doors
say so. Every asset is listed, one without a credited touch with zero.
"""

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import ibis
from django.db import transaction
from django.db.models import BigIntegerField, Case, Value, When
from django.utils import timezone

from accord.analytics.attribution import influence as engine
from accord.analytics.attribution.rules import Options
from accord.analytics.tables import rows as engine_rows
from accord.attribution import compute
from accord.content.models import Asset, ContentCredit, ContentReach, ContentTouch, InfluenceRun
from accord.core import figures as kept_figures
from accord.core.bulk import insert_values
from accord.core.engine import app_database, engine_tables
from accord.crm.models import Channel, Lead, Opportunity, Touchpoint

MODELS = compute.MODELS
LABELS = compute.LABELS
BASES = compute.BASES
DEFAULT_MODEL = "w_shaped"
# What a computation reads: the stored figures are behind once one of these tables changes.
TABLES = kept_figures.table_names([Opportunity, Touchpoint, Lead, Channel, ContentTouch])


def check(model: str, basis: str = "pipeline") -> None:
    """A ValueError that names the choices, for every door alike."""
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(MODELS)}.")
    if basis not in BASES:
        raise ValueError(f"Unknown basis {basis!r}; choose one of {', '.join(BASES)}.")


# --- Computing and storing: the worker and the command line, never a request ----------------


def refresh(*, today: date | None = None, force: bool = False) -> InfluenceRun | None:
    """Compute every model on both bases and store the content touches' credits, replacing
    the previous run; the new run. None (nothing done) when the stored run already covers
    today's period and the data has not changed since, unless `force`."""
    start, end = compute.default_period(today or timezone.now().date())
    read = kept_figures.generations(TABLES)
    latest = latest_run()
    if (
        not force
        and latest is not None
        and (latest.period_start, latest.period_end) == (start, end)
        and latest.generations == read
    ):
        return None
    started_at, clock = timezone.now(), time.perf_counter()
    t = engine_tables(None)
    period = compute.period(start, end)
    computed = {basis: engine.influence(t, MODELS, Options(basis=basis), period) for basis in BASES}
    with transaction.atomic():
        # Cascades to the old credits and reach with one DELETE each (no signals on them).
        InfluenceRun.objects.all().delete()
        closed_all = computed[BASES[0]]["closed_all"]  # closed deals do not depend on the basis
        run = InfluenceRun.objects.create(
            started_at=started_at,
            computed_at=timezone.now(),
            period_start=start,
            period_end=end,
            generations=read,
            seconds=round(time.perf_counter() - clock, 3),
            closed=closed_all[0],
            closed_won=closed_all[1],
        )
        insert_values(
            ContentCredit,
            ("run", "basis", "model", *_TOUCH_COLUMNS),
            (
                (run.pk, basis, model, *touch)
                for basis, result in computed.items()
                for model, touches in result["touches"].items()
                for touch in touches
            ),
        )
        insert_values(
            ContentReach,
            (
                "run",
                "basis",
                "asset_id",
                "opportunities",
                "won",
                "won_cents",
                "closed",
                "closed_won",
            ),
            _reach_rows(run.pk, computed),
        )
    return run


_TOUCH_COLUMNS = ("opportunity_id", "touchpoint_id", "asset_id", "version_id", "cents")


def _reach_rows(run_id: int, computed: dict):
    for basis, result in computed.items():
        for asset_id in sorted(set(result["reach"]) | set(result["closed"])):
            reach = result["reach"].get(asset_id, (0, 0, 0))
            closed = result["closed"].get(asset_id, (0, 0))
            yield (run_id, basis, asset_id, *reach, *closed)


def latest_run() -> InfluenceRun | None:
    return InfluenceRun.objects.order_by("-computed_at", "-pk").first()


# --- Reading the stored figures -----------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """One basis's stored influence: the run's period and freshness, and the credits of the
    models read."""

    basis: str
    start: date
    end: date
    computed_at: datetime
    credits: dict  # model -> [(asset_id, version_id, cents, opportunities)]
    reach: dict  # asset_id -> (opportunities, won, won_cents)
    closed: dict  # asset_id -> (closed, won)
    closed_all: tuple[int, int]
    # The data has changed since, or the period has moved on a day: the worker computes
    # it again within ten minutes.
    stale: bool = False


def stored_credits() -> ibis.Table:
    """The stored per-touch credits as an Ibis table on the app database (where they are
    stored, whatever engine computed them)."""
    columns = ", ".join(f'"{name}"' for name in engine.STORED_CREDITS.names)
    return app_database().sql(
        f'SELECT {columns} FROM "{ContentCredit._meta.db_table}"',  # noqa: S608 - fixed names
        schema=engine.STORED_CREDITS,
        dialect="postgres",
    )


def figures(
    basis: str = "pipeline", models=MODELS, *, asset_id: int | None = None
) -> Figures | None:
    """The stored figures of `basis` for `models` (of one asset if given), rolled up from the
    stored credits; None when influence has never been computed."""
    check(MODELS[0], basis)
    run = latest_run()
    if run is None:
        return None
    credits = _credits_of(run, basis, models, asset_id)
    reach_rows = ContentReach.objects.filter(run=run, basis=basis)
    if asset_id is not None:
        reach_rows = reach_rows.filter(asset_id=asset_id)
    reach, closed = {}, {}
    for r in reach_rows.values_list(
        "asset_id", "opportunities", "won", "won_cents", "closed", "closed_won"
    ):
        reach[r[0]] = (r[1], r[2], r[3])
        closed[r[0]] = (r[4], r[5])
    return Figures(
        basis=basis,
        start=run.period_start,
        end=run.period_end,
        computed_at=run.computed_at,
        credits=credits,
        reach=reach,
        closed=closed,
        closed_all=(run.closed, run.closed_won),
        stale=is_behind(run),
    )


def _filtered(run: InfluenceRun, basis: str, models, asset_id: int | None = None) -> ibis.Table:
    credits = stored_credits()
    credits = credits.filter(credits.run_id == run.pk, credits.basis == basis)
    if tuple(models) != MODELS:
        credits = credits.filter(credits.model.isin(tuple(models)))
    if asset_id is not None:
        credits = credits.filter(credits.asset_id == asset_id)
    return credits


def _credits_of(run: InfluenceRun, basis: str, models, asset_id: int | None) -> dict:
    found: dict[str, list[tuple]] = {model: [] for model in models}
    for r in engine_rows(engine.rolled_up(_filtered(run, basis, models, asset_id))):
        found[r["model"]].append(
            (r["asset_id"], r["version_id"], int(r["cents"]), int(r["opportunities"]))
        )
    return found


def is_behind(run: InfluenceRun, *, today: date | None = None) -> bool:
    """Whether the data or the period has moved on since the run."""
    period = compute.default_period(today or timezone.now().date())
    moved = (run.period_start, run.period_end) != period
    return moved or run.generations != kept_figures.generations(TABLES)


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
                "owner_id": asset.owner_id,
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


def by_owner(model: str = DEFAULT_MODEL, basis: str = "pipeline") -> dict[int, dict] | None:
    """Per owner (user id) of assets, from the stored credits: "assets" (owned), "credit"
    (Decimal dollars credited to their assets' touches) and "opportunities" (distinct deals
    credited through any of them; on the revenue basis, won deals). None when influence has
    never been computed. For the owner scorecard."""
    check(model, basis)
    run = latest_run()
    if run is None:
        return None
    owners = dict(Asset.objects.exclude(owner=None).values_list("pk", "owner_id"))
    result = {
        owner: {"assets": 0, "credit": Decimal("0.00"), "opportunities": 0}
        for owner in owners.values()
    }
    for owner in owners.values():
        result[owner]["assets"] += 1
    if owners:
        query = engine.rolled_up_by_group(_filtered(run, basis, (model,)), owners)
        for r in engine_rows(query):
            result[r["group_id"]]["credit"] = _money(int(r["cents"]))
            result[r["group_id"]]["opportunities"] = int(r["opportunities"])
    return result


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


def freshness(found: Figures | None) -> dict:
    """When the stored figures were computed and over which period (None: never)."""
    if found is None:
        return {"computed_at": None, "period": None, "stale": False}
    return {
        "computed_at": found.computed_at,
        "period": {"from": found.start, "to": found.end},
        "stale": found.stale,
    }


def summary(model: str, basis: str = "pipeline") -> dict:
    """`accord content influence`'s JSON (and the API's): every asset, unused ones with 0,
    and when the figures were computed; no assets and a null `computed_at` when influence has
    never been computed."""
    check(model, basis)
    found = figures(basis, (model,))
    rows = by_asset(found, model) if found is not None else []
    fresh = freshness(found)
    return {
        "model": model,
        "basis": basis,
        "computed_at": fresh["computed_at"],
        "period": fresh["period"],
        "stale": fresh["stale"],
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


def of_asset(asset: Asset) -> dict:
    """One asset under every model and both bases (the asset page's card, the API), with when
    it was computed; `bases` is empty and `computed_at` None when it never was."""
    result = {"id": asset.pk, "title": asset.title, "computed_at": None, "bases": {}}
    for basis in BASES:
        found = figures(basis, asset_id=asset.pk)
        if found is None:
            return result
        models = {}
        for model in MODELS:
            (row,) = by_asset(found, model, [asset])
            models[model] = {
                "label": LABELS[model],
                "credit": row["credit"],
                "versions": by_version(found, model, asset),
            }
        (row,) = by_asset(found, MODELS[0], [asset])
        result["computed_at"] = found.computed_at
        result["bases"][basis] = {
            "models": models,
            "opportunities": row["opportunities"],
            "won": row["won"],
            "won_revenue": row["won_revenue"],
            "closed": row["closed"],
            **freshness(found),
        }
    return result


def credit_cents_expression(model: str = DEFAULT_MODEL, basis: str = "pipeline"):
    """Each asset's stored credit in cents as a database expression, for sorting the library
    (0 for every asset when influence has never been computed)."""
    found = figures(basis, (model,))
    cents: dict[int, int] = defaultdict(int)
    for asset_id, _version, value, _deals in found.credits[model] if found else ():
        cents[asset_id] += value
    whens = [When(pk=asset_id, then=Value(value)) for asset_id, value in cents.items() if value]
    if not whens:
        return Value(0, output_field=BigIntegerField())
    return Case(*whens, default=Value(0), output_field=BigIntegerField())
