"""Content influence: every asset's credit under all ten attribution models, read as the
influence page reads it (the stored per-touch credits rolled up by an Ibis group-by in the
analytics engine, `content.influence.figures`), against a hand-written SQL GROUP BY over the
same stored table in the same run.

The demo company is the attribution bench's (`common.cached_demo`, the same cache: scale
10, or 1 with `--quick`), copied fresh. The bench ties every 25th touchpoint to one of the
demo's assets (round robin, its newest version) in its copy, so that the figures do not
depend on how the demo's own sends fall. Then, in one child process on that database:

- The worker's refresh (`influence.refresh`, untimed here; `store_seconds` in the notes):
  every model on both bases over the 365 days up to the end of the demo's history, each
  content touch's credit stored in `content_contentcredit`.
- Accord: `influence.figures("pipeline")`, what a page view costs: the latest run, the Ibis
  roll-up of the ten models by asset and version, each asset's reach and the freshness check.
- Baseline: one hand-written `SELECT model, asset_id, version_id, SUM(cents),
  COUNT(DISTINCT opportunity_id) FROM content_contentcredit WHERE run_id = ? AND basis =
  'pipeline' GROUP BY model, asset_id, version_id`.

Best of five each. The two must agree per model, asset and version to the cent, else the run
fails. Goal: Accord at least 0.5x the baseline's speed (baseline seconds / Accord seconds >=
0.5).
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
                f"{NAME} {engine}: Accord {answer['accord_seconds']:.3f} s, stored GROUP BY "
                f"{answer['baseline_seconds']:.3f} s ({ratio:.2f}x); {answer['content_touches']:,} "
                f"content touches of {answer['assets']} assets"
            )
            figures.append(
                Figure(
                    name=f"{NAME} {engine} scale {scale:g}: ten models by asset, stored credits "
                    "rolled up by Ibis vs SQL",
                    unit="s",
                    accord=answer["accord_seconds"],
                    baseline=answer["baseline_seconds"],
                    goal=f">= {GOAL}x the stored GROUP BY's speed",
                    passed=ratio >= GOAL,
                    notes={
                        "speed_ratio": round(ratio, 3),
                        "store_seconds": round(answer["store_seconds"], 2),
                        "stored_rows_pipeline": answer["stored_rows"],
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

    from accord.content import influence as content_influence
    from accord.content.models import ContentCredit

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

    started = time.perf_counter()
    run = content_influence.refresh(today=date.fromisoformat(period_end), force=True)
    store_seconds = time.perf_counter() - started
    stored_rows = ContentCredit.objects.filter(run=run, basis="pipeline").count()

    accord_timings = []
    for _ in range(5):
        started = time.perf_counter()
        ours = content_influence.figures("pipeline")
        accord_timings.append(time.perf_counter() - started)

    sql = (
        "SELECT model, asset_id, version_id, SUM(cents), COUNT(DISTINCT opportunity_id) "
        "FROM content_contentcredit WHERE run_id = %s AND basis = 'pipeline' "
        "GROUP BY model, asset_id, version_id"
    )
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, [run.pk])
            stored = cursor.fetchall()
        timings.append(time.perf_counter() - started)

    theirs: dict = {}
    for model, asset, version, cents, deals in stored:
        theirs.setdefault(model, set()).add((asset, version, int(cents), int(deals)))
    for model in content_influence.MODELS:
        mine = {row for row in ours.credits[model] if row[2] or row[3]}
        if mine != {row for row in theirs.get(model, set()) if row[2] or row[3]}:
            raise SystemExit(f"{model}: the engine's influence differs from the stored credits'")
    if not any(ours.credits[model] for model in content_influence.MODELS):
        raise SystemExit("no content touch was credited: the comparison would be vacuous")
    return {
        "accord_seconds": min(accord_timings),
        "baseline_seconds": min(timings),
        "store_seconds": store_seconds,
        "stored_rows": stored_rows,
        "content_touches": len(touches),
        "assets": len(assets),
    }


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    print(json.dumps(_child(sys.argv[2])))
