"""Content influence: every asset's credit under all ten attribution models, computed in the
analytics engine (Ibis, `analytics.attribution.influence`, what the influence page and the
API read), against a hand-written SQL GROUP BY over per-touch credits stored beforehand.

The demo company is the attribution bench's (`common.cached_demo`, the same cache: scale
10, or 1 with `--quick`), copied fresh. The demo ties no touchpoint to an asset yet, so the
bench ties every 25th touchpoint to one of the demo's assets (round robin, its newest
version) in its copy. Then, in one child process on that database:

- Accord: `influence.influence()` for the ten models on pipeline basis over the 365 days up
  to the end of the demo's history: journeys, weights, whole cents per touch and the roll-up
  by asset, from the CRM tables.
- Baseline: the per-touch cents of the content touches, stored once in a table (untimed
  here; `store_seconds` in the notes), then one hand-written `SELECT model, asset_id,
  SUM(cents), COUNT(DISTINCT opportunity_id) ... GROUP BY model, asset_id`: what reading
  stored credits costs. Best of three.

The two must agree per model and asset to the cent, else the run fails. Goal: Accord at
least 0.5x the baseline's speed (baseline seconds / Accord seconds >= 0.5).
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import attribution
from common import PYTHON, BenchFailure, Databases, DemoBuild, Figure, accord_env, cached_demo, log

NAME = "influence"
GOAL = 0.5
EVERY = 25  # one touchpoint in 25 is tied to an asset


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    scale = attribution.QUICK_SCALE if quick else attribution.FULL_SCALE
    build = DemoBuild(
        name=attribution.NAME,  # the attribution bench's demo company and cache
        scale=scale,
        seed=attribution.DEMO_SEED,
        months=attribution.DEMO_MONTHS,
        until=attribution.DEMO_UNTIL,
        keyed_files=attribution._demo_files(),
    )
    figures = []
    with Databases(workdir) as databases:
        for engine in engines:
            cached, build_seconds = cached_demo(build, engine)
            db = databases.fresh(engine, "influence", template=cached)
            done = subprocess.run(
                [PYTHON, __file__, "child", attribution.PERIOD_END],
                env=accord_env(db),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                output = done.stdout[-2000:] + done.stderr[-4000:]
                raise BenchFailure(f"{NAME} on {engine}:\n{output}")
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            ratio = answer["baseline_seconds"] / answer["accord_seconds"]
            log(
                f"{NAME} {engine}: Accord {answer['accord_seconds']:.2f} s, stored GROUP BY "
                f"{answer['baseline_seconds']:.3f} s ({ratio:.2f}x); {answer['content_touches']:,} "
                f"content touches of {answer['assets']} assets"
            )
            figures.append(
                Figure(
                    name=f"{NAME} {engine} scale {scale:g}: ten models by asset vs stored SQL",
                    unit="s",
                    accord=answer["accord_seconds"],
                    baseline=answer["baseline_seconds"],
                    goal=f">= {GOAL}x the stored GROUP BY's speed",
                    passed=ratio >= GOAL,
                    notes={
                        "speed_ratio": round(ratio, 3),
                        "store_seconds": round(answer["store_seconds"], 2),
                        "content_touches": answer["content_touches"],
                        "assets": answer["assets"],
                        "cache": "reused" if build_seconds is None else "built",
                    },
                )
            )
    return figures


# --- The child: one process on the bench's database ------------------------------------------


def _child(period_end: str) -> dict:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    django.setup()
    from datetime import date

    from django.db import connection

    from accord.analytics.attribution import influence
    from accord.analytics.attribution.rules import Options
    from accord.analytics.tables import rows
    from accord.attribution import compute
    from accord.core.engine import engine_tables

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM content_contenttouch")
        cursor.execute(
            "SELECT a.id, MAX(v.id) FROM content_asset a JOIN content_assetversion v "
            "ON v.asset_id = a.id GROUP BY a.id ORDER BY a.id"
        )
        assets = cursor.fetchall()
        cursor.execute(
            f"SELECT id FROM crm_touchpoint WHERE id % {EVERY} = 0 ORDER BY id"  # noqa: S608
        )
        touches = [row[0] for row in cursor.fetchall()]
        cursor.executemany(
            "INSERT INTO content_contenttouch (touchpoint_id, asset_id, version_id) "
            "VALUES (%s, %s, %s)",
            [(touch, *assets[i % len(assets)]) for i, touch in enumerate(touches)],
        )

    t = engine_tables(None)
    options = Options(basis="pipeline")
    period = compute.period(*compute.default_period(date.fromisoformat(period_end)))

    started = time.perf_counter()
    ours = influence.influence(t, influence.MODELS, options, period)
    accord_seconds = time.perf_counter() - started

    # The stored per-touch credits a store-on-run design would keep: content touches only.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_touch_credits")
        cursor.execute(
            "CREATE TABLE bench_touch_credits (model varchar(20), opportunity_id bigint, "
            "touchpoint_id bigint, cents bigint)"
        )
        for model in influence.MODELS:
            shares = (
                influence.channel_shares(t, model, options, period)
                if model in influence.DATA_DRIVEN
                else None
            )
            credited = influence.touch_cents_query(t, model, options, period, shares)
            content = credited.semi_join(t.content_touches, "touchpoint_id")
            # Through Python: SQLite's parser gives up on the query nested once more.
            cursor.executemany(
                "INSERT INTO bench_touch_credits VALUES (%s, %s, %s, %s)",
                [
                    (model, r["opportunity_id"], r["touchpoint_id"], r["cents"])
                    for r in rows(content)
                ],
            )
    store_seconds = time.perf_counter() - started

    sql = (
        "SELECT c.model, ct.asset_id, ct.version_id, SUM(c.cents), "
        "COUNT(DISTINCT c.opportunity_id) FROM bench_touch_credits c "
        "JOIN content_contenttouch ct ON ct.touchpoint_id = c.touchpoint_id "
        "GROUP BY c.model, ct.asset_id, ct.version_id"
    )
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            stored = cursor.fetchall()
        timings.append(time.perf_counter() - started)

    theirs: dict = {}
    for model, asset, version, cents, deals in stored:
        theirs.setdefault(model, set()).add((asset, version, int(cents), int(deals)))
    for model in influence.MODELS:
        mine = {row for row in ours["credits"][model] if row[2] or row[3]}
        if mine != {row for row in theirs.get(model, set()) if row[2] or row[3]}:
            raise SystemExit(f"{model}: the engine's influence differs from the stored credits'")
    return {
        "accord_seconds": accord_seconds,
        "baseline_seconds": min(timings),
        "store_seconds": store_seconds,
        "content_touches": len(touches),
        "assets": len(assets),
    }


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    print(json.dumps(_child(sys.argv[2])))
