"""Rescoring 1,000,000 leads after a definition change, against one hand-written UPDATE.

The database: `accord migrate` + `accord demo --seed 7 --scale 50 --until 2026-11-01`
(1,000,000 leads, ~12.5 million touchpoints). Building it takes many minutes, so the
built database is cached: the SQLite file under var/bench/cache/, and for PostgreSQL a
database `accord_bench_rescore_*` kept as a template. The cache key holds the scale, the
seed, the end date and a hash of the demo's company, simulation, persist, build and
definitions modules (src/accord/demo/) and every migration, so a change to what the build
writes rebuilds it; the log says whether it built or reused. BENCH_RESCORE_SCALE shrinks
it (1 = 20,000 leads; --quick uses 1).

Measured: `accord.qualify.scoring.rescore(v2, trigger="manual", promote=True)` for the
demo's proposed definition v2 (the same fit as the active v1, engagement that halves every
30 days, a higher MQL bar), in a fresh process, timing the call alone (its compiled
SELECT into a temporary table, the UPDATE of every lead, the promotions, the commit).
`now` is the moment the demo's history ends (when v2 was proposed), so the decay and the
promotions are those of the demo's story whatever the day the bench runs.

Baseline: one UPDATE of crm_lead setting fit_grade, engagement_score and scored_at from
the same v2 rules, written by hand below for SQLite and for PostgreSQL: CASE terms over
the lead and its account for fit, and a grouped subquery over crm_touchpoint with one
capped, decayed SUM per touch kind for engagement, committed in one transaction.

Fairness: every run starts from its own copy of the cached database (a file copy for
SQLite; CREATE DATABASE ... TEMPLATE for PostgreSQL), since Accord's run promotes leads.
Baseline and Accord alternate (baseline, Accord, Accord, baseline) and the best of each
side's two runs counts. Before each run the copy is flushed to disk (sync; CHECKPOINT)
so that no side pays for the other's writes. After the first round the leads'
fit_grade, engagement_score and scored_at from both sides are compared one by one; any
difference fails the run, since the comparison would then be meaningless.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import (
    PYTHON,
    BenchFailure,
    Database,
    Databases,
    DemoBuild,
    Figure,
    _postgres_admin,
    accord_env,
    cached_demo,
    log,
    remove_sqlite,
)

NAME = "rescore"
GOAL = 0.5
SEED = 7
MONTHS = 24
UNTIL = "2026-11-01"  # fixed, so that a cached database is the same whatever the day
FULL_SCALE = 50  # 1,000,000 leads
QUICK_SCALE = 1  # 20,000 leads
LEADS_PER_SCALE = 20_000
KEYED_FILES = tuple(
    f"src/accord/demo/{name}.py"
    for name in ("company", "simulation", "persist", "build", "definitions")
)


# The baseline: v2 by hand. Fit points, grades A >= 60, B >= 40, C >= 20; engagement:
# demo requests 40 each up to 40; calculator 12 up to 24, webinar 10 up to 20, event 10 up
# to 20, form fill 8 up to 16, content view 4 up to 20, email click 3 up to 15 and web
# visit 2 up to 20, each halving every 30 days; the score rounded half up.

SQLITE_UPDATE = """
UPDATE crm_lead
SET fit_grade = CASE WHEN s.fit >= 60 THEN 'A' WHEN s.fit >= 40 THEN 'B'
                     WHEN s.fit >= 20 THEN 'C' ELSE 'D' END,
    engagement_score = CAST(floor(coalesce(e.points, 0) + 0.5) AS INTEGER),
    scored_at = :at
FROM (
    SELECT l.id,
          CASE WHEN lower(trim(l.title)) LIKE 'chief%' THEN 30 ELSE 0 END
        + CASE WHEN lower(trim(l.title)) LIKE 'vp%' THEN 35 ELSE 0 END
        + CASE WHEN lower(trim(l.title)) LIKE '%director%' THEN 30 ELSE 0 END
        + CASE WHEN lower(trim(l.title)) LIKE 'head of%' THEN 30 ELSE 0 END
        + CASE WHEN lower(trim(l.title)) LIKE '%manager%' THEN 15 ELSE 0 END
        + CASE WHEN lower(trim(l.title)) IN ('student', 'msc student', 'phd candidate',
              'graduate student', 'open to work', 'job seeker', 'between roles')
              THEN -60 ELSE 0 END
        + CASE WHEN lower(substr(l.email, instr(l.email, '@') + 1)) IN ('gmail.com',
              'outlook.com', 'yahoo.com', 'proton.me', 'icloud.com', 'hotmail.com')
              THEN -40 ELSE 0 END
        + CASE lower(trim(a.industry))
              WHEN 'software' THEN 25 WHEN 'financial services' THEN 25
              WHEN 'healthcare' THEN 10 WHEN 'manufacturing' THEN 10 WHEN 'logistics' THEN 10
              WHEN 'education' THEN -15 WHEN 'government' THEN -15 ELSE 0 END
        + CASE WHEN a.employees BETWEEN 200 AND 10000 THEN 20 ELSE 0 END AS fit
    FROM crm_lead l LEFT JOIN crm_account a ON a.id = l.account_id
) s
LEFT JOIN (
    SELECT t.lead_id,
          min(sum(CASE WHEN t.kind = 'demo_request' THEN 40 ELSE 0 END), 40)
        + min(sum(CASE WHEN t.kind = 'calculator' THEN 12 * power(0.5,
              (julianday(:at) - julianday(t.occurred_at)) / 30.0) ELSE 0 END), 24)
        + min(sum(CASE WHEN t.kind = 'webinar' THEN 10 * power(0.5,
              (julianday(:at) - julianday(t.occurred_at)) / 30.0) ELSE 0 END), 20)
        + min(sum(CASE WHEN t.kind = 'event' THEN 10 * power(0.5,
              (julianday(:at) - julianday(t.occurred_at)) / 30.0) ELSE 0 END), 20)
        + min(sum(CASE WHEN t.kind = 'form_fill' THEN 8 * power(0.5,
              (julianday(:at) - julianday(t.occurred_at)) / 30.0) ELSE 0 END), 16)
        + min(sum(CASE WHEN t.kind = 'content_view' THEN 4 * power(0.5,
              (julianday(:at) - julianday(t.occurred_at)) / 30.0) ELSE 0 END), 20)
        + min(sum(CASE WHEN t.kind = 'email_click' THEN 3 * power(0.5,
              (julianday(:at) - julianday(t.occurred_at)) / 30.0) ELSE 0 END), 15)
        + min(sum(CASE WHEN t.kind = 'web_visit' THEN 2 * power(0.5,
              (julianday(:at) - julianday(t.occurred_at)) / 30.0) ELSE 0 END), 20) AS points
    FROM crm_touchpoint t
    WHERE t.occurred_at <= :at
      AND t.kind IN ('demo_request', 'calculator', 'webinar', 'event', 'form_fill',
                     'content_view', 'email_click', 'web_visit')
    GROUP BY t.lead_id
) e ON e.lead_id = s.id
WHERE s.id = crm_lead.id
"""

POSTGRES_UPDATE = """
UPDATE crm_lead AS l
SET fit_grade = CASE WHEN s.fit >= 60 THEN 'A' WHEN s.fit >= 40 THEN 'B'
                     WHEN s.fit >= 20 THEN 'C' ELSE 'D' END,
    engagement_score = floor(coalesce(e.points, 0) + 0.5)::integer,
    scored_at = %(at)s
FROM (
    SELECT l.id,
          CASE WHEN lower(btrim(l.title)) LIKE 'chief%%' THEN 30 ELSE 0 END
        + CASE WHEN lower(btrim(l.title)) LIKE 'vp%%' THEN 35 ELSE 0 END
        + CASE WHEN lower(btrim(l.title)) LIKE '%%director%%' THEN 30 ELSE 0 END
        + CASE WHEN lower(btrim(l.title)) LIKE 'head of%%' THEN 30 ELSE 0 END
        + CASE WHEN lower(btrim(l.title)) LIKE '%%manager%%' THEN 15 ELSE 0 END
        + CASE WHEN lower(btrim(l.title)) IN ('student', 'msc student', 'phd candidate',
              'graduate student', 'open to work', 'job seeker', 'between roles')
              THEN -60 ELSE 0 END
        + CASE WHEN lower(split_part(l.email, '@', 2)) IN ('gmail.com', 'outlook.com',
              'yahoo.com', 'proton.me', 'icloud.com', 'hotmail.com')
              THEN -40 ELSE 0 END
        + CASE lower(btrim(a.industry))
              WHEN 'software' THEN 25 WHEN 'financial services' THEN 25
              WHEN 'healthcare' THEN 10 WHEN 'manufacturing' THEN 10 WHEN 'logistics' THEN 10
              WHEN 'education' THEN -15 WHEN 'government' THEN -15 ELSE 0 END
        + CASE WHEN a.employees BETWEEN 200 AND 10000 THEN 20 ELSE 0 END AS fit
    FROM crm_lead l LEFT JOIN crm_account a ON a.id = l.account_id
) s
LEFT JOIN (
    SELECT t.lead_id,
          least(sum(CASE WHEN t.kind = 'demo_request' THEN 40 ELSE 0 END), 40)
        + least(sum(CASE WHEN t.kind = 'calculator' THEN 12 * power(0.5,
              extract(epoch FROM %(at)s - t.occurred_at)::float8 / 2592000) ELSE 0 END), 24)
        + least(sum(CASE WHEN t.kind = 'webinar' THEN 10 * power(0.5,
              extract(epoch FROM %(at)s - t.occurred_at)::float8 / 2592000) ELSE 0 END), 20)
        + least(sum(CASE WHEN t.kind = 'event' THEN 10 * power(0.5,
              extract(epoch FROM %(at)s - t.occurred_at)::float8 / 2592000) ELSE 0 END), 20)
        + least(sum(CASE WHEN t.kind = 'form_fill' THEN 8 * power(0.5,
              extract(epoch FROM %(at)s - t.occurred_at)::float8 / 2592000) ELSE 0 END), 16)
        + least(sum(CASE WHEN t.kind = 'content_view' THEN 4 * power(0.5,
              extract(epoch FROM %(at)s - t.occurred_at)::float8 / 2592000) ELSE 0 END), 20)
        + least(sum(CASE WHEN t.kind = 'email_click' THEN 3 * power(0.5,
              extract(epoch FROM %(at)s - t.occurred_at)::float8 / 2592000) ELSE 0 END), 15)
        + least(sum(CASE WHEN t.kind = 'web_visit' THEN 2 * power(0.5,
              extract(epoch FROM %(at)s - t.occurred_at)::float8 / 2592000) ELSE 0 END), 20)
          AS points
    FROM crm_touchpoint t
    WHERE t.occurred_at <= %(at)s
      AND t.kind IN ('demo_request', 'calculator', 'webinar', 'event', 'form_fill',
                     'content_view', 'email_click', 'web_visit')
    GROUP BY t.lead_id
) e ON e.lead_id = s.id
WHERE s.id = l.id
"""


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    scale = _scale(quick)
    figures = []
    with Databases(workdir) as databases:
        for engine in engines:
            cached, build_seconds = _cached(engine, scale)
            figures.append(_bench(databases, cached, build_seconds, scale, workdir))
    return figures


def _scale(quick: bool) -> float:
    raw = os.environ.get("BENCH_RESCORE_SCALE", "").strip()
    if not raw:
        return QUICK_SCALE if quick else FULL_SCALE
    try:
        scale = float(raw)
    except ValueError:
        scale = 0
    if scale <= 0:
        raise BenchFailure(f"BENCH_RESCORE_SCALE must be a positive number, not {raw!r}")
    return scale


# The cached database


def _cached(engine: str, scale: float) -> tuple[Database, float | None]:
    """The built demo database for this scale, built now if the cache has none."""
    build = DemoBuild(
        name=NAME,
        scale=scale,
        seed=SEED,
        months=MONTHS,
        until=UNTIL,
        keyed_files=KEYED_FILES,
        leads_per_scale=LEADS_PER_SCALE,
    )
    return cached_demo(build, engine)


def _copy(databases: Databases, cached: Database, label: str) -> Database:
    """A fresh copy of the cached database, flushed to disk before anything is timed."""
    if cached.engine == "sqlite":
        db = databases.fresh("sqlite", label, cached)
        os.sync()
        return db
    name = f"accord_bench_{os.getpid()}_{label}"
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    # FILE_COPY copies the files and checkpoints; WAL_LOG would write gigabytes of WAL.
    for attempt in range(20):
        try:
            _postgres_admin(
                f'CREATE DATABASE "{name}" TEMPLATE "{cached.name}" STRATEGY = FILE_COPY'
            )
            break
        except Exception as error:  # autovacuum may be visiting the template
            if "being accessed by other users" not in str(error) or attempt == 19:
                raise
            time.sleep(1)
    db = Database("postgres", f"postgres://postgres@127.0.0.1:5432/{name}", name)
    databases.created.append(db)
    _postgres_admin("CHECKPOINT")
    return db


def _discard(databases: Databases, db: Database) -> None:
    if db.engine == "sqlite":
        remove_sqlite(Path(db.name))
    else:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    if db in databases.created:
        databases.created.remove(db)


# The benchmark


def _bench(
    databases: Databases,
    cached: Database,
    build_seconds: float | None,
    scale: float,
    workdir: Path,
) -> Figure:
    engine = cached.engine
    leads = cached.query("SELECT count(*) FROM crm_lead")[0][0]
    touches = cached.query("SELECT count(*) FROM crm_touchpoint")[0][0]
    if not leads:
        raise BenchFailure(f"the cached database {cached.name} has no leads")
    log(f"{NAME} {engine}: {leads:,} leads and {touches:,} touchpoints to score under v2")

    seconds: dict[str, list[float]] = {"accord": [], "baseline": []}
    promoted = None
    # ABBA: each side runs once first and once second.
    for number, order in enumerate((("baseline", "accord"), ("accord", "baseline"))):
        kept = {}
        for side in order:
            db = _copy(databases, cached, f"rescore_{side}_{number}")
            log(f"{NAME} {engine}: round {number + 1}, {side} ...")
            answer = _child(side, db, workdir)
            if answer["scored"] != leads:
                raise BenchFailure(f"{side} scored {answer['scored']:,} leads of {leads:,}")
            seconds[side].append(answer["seconds"])
            if side == "accord":
                promoted = answer["promoted"]
            log(
                f"{NAME} {engine}: round {number + 1}, {side}: {answer['seconds']:.2f} s"
                + (f", {answer['promoted']:,} promoted" if side == "accord" else "")
            )
            if number == 0:
                kept[side] = db
            else:
                _discard(databases, db)
        if number == 0:
            changed = _verify(cached, kept["accord"], kept["baseline"])
            log(
                f"{NAME} {engine}: the baseline wrote the same grade, score and scored_at as "
                f"Accord for all {leads:,} leads ({changed:,} of them differ from v1's)"
            )
            for db in kept.values():
                _discard(databases, db)

    best_accord, best_baseline = min(seconds["accord"]), min(seconds["baseline"])
    accord_rate, baseline_rate = leads / best_accord, leads / best_baseline
    return Figure(
        name=(
            f"{NAME} {engine}: {leads:,} leads, leads/s "
            f"(Accord {best_accord:.1f} s, UPDATE {best_baseline:.1f} s)"
        ),
        unit="leads/s",
        accord=accord_rate,
        baseline=baseline_rate,
        goal=f">= {GOAL}x baseline",
        passed=accord_rate >= GOAL * baseline_rate,
        notes={
            "scale": scale,
            "leads": leads,
            "touchpoints": touches,
            "promoted": promoted,
            "accord_seconds": [round(s, 2) for s in seconds["accord"]],
            "baseline_seconds": [round(s, 2) for s in seconds["baseline"]],
            "cache": "reused" if build_seconds is None else "built",
            "build_seconds": None if build_seconds is None else round(build_seconds, 1),
            "database": cached.name,
        },
    )


def _child(side: str, db: Database, workdir: Path) -> dict:
    env = accord_env(db, DJANGO_SETTINGS_MODULE="accord.settings")
    cmd = [PYTHON, __file__, side, db.engine, db.url, db.name]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchFailure(
            f"the {side} run exited with {done.returncode}:\n{done.stdout}{done.stderr[-4000:]}"
        )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise BenchFailure(f"no JSON in the {side} run's output:\n{done.stdout[-2000:]}")


def _verify(start: Database, accord_db: Database, baseline_db: Database) -> int:
    """Fail unless both sides wrote the same fit_grade, engagement_score and scored_at.

    Returns how many leads v2 changed (grade or score) from the starting state, so that a
    comparison of two untouched tables cannot pass for a check.
    """
    sql = (
        "SELECT id, fit_grade, engagement_score, scored_at FROM crm_lead "
        "WHERE id > ? ORDER BY id LIMIT 50000"
    )
    connections = [db.connect() for db in (start, accord_db, baseline_db)]
    placeholder = start.placeholder
    differences, changed, compared, after = [], 0, 0, 0
    try:
        while True:
            chunks = [list(c.execute(sql.replace("?", placeholder), [after])) for c in connections]
            before, ours, theirs = chunks
            if not ours and not theirs:
                break
            if [r[0] for r in ours] != [r[0] for r in theirs] or len(before) != len(ours):
                raise BenchFailure("the two sides' crm_lead tables hold different leads")
            for old, a, b in zip(before, ours, theirs, strict=True):
                if a[1:] != b[1:]:
                    differences.append((a[0], a[1:], b[1:]))
                if old[1:3] != a[1:3]:
                    changed += 1
            compared += len(ours)
            after = ours[-1][0]
    finally:
        for c in connections:
            c.close()
    if differences:
        shown = "; ".join(f"lead {i}: Accord {a!r}, baseline {b!r}" for i, a, b in differences[:5])
        raise BenchFailure(
            f"the hand-written UPDATE and Accord disagree on {len(differences):,} of "
            f"{compared:,} leads (grade, score, scored_at), e.g. {shown}. If the demo's v2 "
            "definition changed, update the statements in bench/rescore.py."
        )
    if not changed:
        raise BenchFailure("v2 changed no lead's grade or score: the check would prove nothing")
    return changed


# The two sides, each in its own process: python rescore.py SIDE ENGINE URL NAME


def _run_accord() -> dict:
    import django

    django.setup()
    from accord.qualify.models import LeadDefinition
    from accord.qualify.scoring import rescore

    definition = LeadDefinition.objects.get(version=2)
    started = time.perf_counter()
    run = rescore(definition, trigger="manual", now=definition.created_at, promote=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "scored": run.leads_scored, "promoted": run.promoted}


def _run_baseline(db: Database) -> dict:
    connection = db.connect()
    try:
        placeholder = db.placeholder
        at = connection.execute(
            f"SELECT created_at FROM qualify_leaddefinition WHERE version = {placeholder}", [2]
        ).fetchone()[0]
        started = time.perf_counter()
        if db.engine == "sqlite":
            connection.execute("BEGIN IMMEDIATE")
            scored = connection.execute(SQLITE_UPDATE, {"at": at}).rowcount
            connection.execute("COMMIT")
        else:
            with connection.transaction():
                scored = connection.execute(POSTGRES_UPDATE, {"at": at}).rowcount
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    return {"seconds": seconds, "scored": scored}


if __name__ == "__main__":
    side, engine, url, name = sys.argv[1:5]
    if side == "accord":
        answer = _run_accord()
    else:
        answer = _run_baseline(Database(engine, url, name))
    print(json.dumps(answer))
