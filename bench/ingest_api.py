"""Bulk ingest through the API: touchpoints per second, against a raw executemany.

Measured: 200,000 touchpoints POSTed to /api/v1/touchpoints/bulk in batches of 5,000 by
one sequential client (standard library, keep-alive where the server allows it) against
`accord serve` with two web workers on a demo company. The rate is items over the wall
time of the whole loop: JSON encoding, HTTP, token check, validation, resolving lead
emails and channel keys, the upsert, the per-item results and decoding them.

Baseline: the same 200,000 rows inserted into the same table (crm_touchpoint) of the same
database (a copy of it as the API runs find it), by the DB-API driver's `executemany` in
one transaction, with lead and channel ids resolved beforehand and foreign keys checked
(Django turns the checks on for every SQLite connection). It is the floor cost of
putting these rows on disk with the same indexes and constraints; everything Accord does
on top is what the ratio measures. The baseline rows use source_system 'baseline' so
they do not collide with the API's. Goal (from the issue): API rate >= 0.5 x baseline.

With scoring: the demo company has an active lead definition, so every batch queues the
scoring of the leads it touched. The first run measures the API with the worker stopped
(the tasks wait in the queue); the second posts the same 200,000 touchpoints with the task
worker running beside the web workers, scoring as the data arrives, which is how `accord
serve` runs. Its rate is held to the same goal against the same baseline; the time the
worker still needed after the last batch to empty the queue is a note.

Every run starts from its own copy of the database as the demo left it, so each inserts
its 200,000 rows into a table of the same size (when the runs followed one another on one
database, each met a table 200,000 rows bigger than the one before and paid for it: the
worker seemed to cost 30%, which was the bigger table). Each side runs twice, in the order
baseline, API, API with the worker, API with the worker, API, baseline, and the faster run
of each counts (the baseline alone varies by ±20% from run to run on a shared machine).
"""

import http.client
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    BenchFailure,
    Database,
    Databases,
    Figure,
    Server,
    drain,
    issue_write_token,
    log,
    prepare,
    unfinished_tasks,
)

NAME = "ingest_api"
KINDS = ("web_visit", "email_click", "ad_click", "content_view", "webinar")
BATCH = 5_000
GOAL = 0.5


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    count = 20_000 if quick else 200_000
    figures = []
    with Databases(workdir) as databases:
        for engine in engines:
            db = databases.fresh(engine, "ingest")
            figures.extend(_bench(databases, db, count, workdir))
    return figures


def _bench(databases: Databases, db: Database, count: int, workdir: Path) -> list[Figure]:
    log(f"{NAME} {db.engine}: migrate + demo --scale 0.2")
    prepare(db, scale=0.2)
    token = issue_write_token(db)
    items, rows = _touchpoints(db, count)

    # Each measurement runs on its own copy of this database, so each puts the same rows
    # into a table of the same size: none is helped or hurt by the rows of another. Every
    # side runs twice, in the order baseline, API, API with the worker, and back again;
    # the faster run of each side counts.
    seconds: dict[str, list[float]] = {"baseline": [], "plain": [], "scored": []}
    notes: dict[str, list] = {"queued": [], "drain": []}
    for round_, order in enumerate(
        (("baseline", "plain", "scored"), ("scored", "plain", "baseline"))
    ):
        for side in order:
            copy = databases.fresh(db.engine, f"ingest_{side}_{round_}", template=db)
            seconds[side].append(_measure(side, copy, token, items, rows, workdir, notes))
            log(f"{NAME} {db.engine}: {side}: {count / seconds[side][-1]:,.0f} rows/s")
    baseline_seconds = min(seconds["baseline"])
    api_seconds, scored_seconds = min(seconds["plain"]), min(seconds["scored"])
    queued_before, drain_seconds = max(notes["queued"]), max(notes["drain"])

    baseline_rate = count / baseline_seconds
    figures = []
    for label, taken, extra in (
        ("touchpoints/s", api_seconds, {"scoring_tasks_queued": queued_before}),
        (
            "touchpoints/s, worker scoring",
            scored_seconds,
            {"queue_empty_after_last_batch_s": round(drain_seconds, 1)},
        ),
    ):
        rate = count / taken
        figures.append(
            Figure(
                name=f"{NAME} {db.engine}: {label}",
                unit="rows/s",
                accord=rate,
                baseline=baseline_rate,
                goal=f">= {GOAL}x baseline",
                passed=rate >= GOAL * baseline_rate,
                notes={
                    "items": count,
                    "batch": BATCH,
                    "accord_seconds": round(taken, 2),
                    "baseline_seconds": round(baseline_seconds, 2),
                    "all_runs_seconds": {
                        k: [round(v, 2) for v in runs] for k, runs in seconds.items()
                    },
                    "web_workers": 2,
                    **extra,
                },
            )
        )
    return figures


def _measure(side, db: Database, token: str, items, rows, workdir: Path, notes: dict) -> float:
    """Seconds for one side on its own copy: the raw insert, the API with the worker
    stopped ("plain"), or the API with the worker scoring alongside ("scored")."""
    count = len(items)
    if side == "baseline":
        return _insert_baseline(db, rows)
    if side == "plain":
        with Server(db, workdir, API_RATE_LIMIT_PER_MINUTE="100000") as server:
            taken = _post_all(server.port, token, items, "bench")
        _check_stored(db, "bench", count)
        notes["queued"].append(unfinished_tasks(db))
        return taken
    with Server(db, workdir, worker=True, API_RATE_LIMIT_PER_MINUTE="100000") as server:
        drain(db)  # what the demo queued, before the clock starts
        taken = _post_all(server.port, token, items, "bench")
        notes["drain"].append(drain(db))
    _check_stored(db, "bench", count)
    return taken


def _check_stored(db: Database, source: str, count: int) -> None:
    stored = db.query("SELECT count(*) FROM crm_touchpoint WHERE source_system = ?", [source])
    if stored[0][0] != count:
        raise BenchFailure(f"the API answered for {count:,} items but stored {stored[0][0]:,}")


def _touchpoints(
    db: Database, count: int, *, seed: int = 1, prefix: str = "bench"
) -> tuple[list[dict], list[tuple]]:
    """The API items and the same rows for the baseline, ids already resolved."""
    leads: dict[str, tuple[int, datetime]] = {}
    # Lowest id per email, the lead Accord's resolver picks too.
    for lead_id, email, created_at in db.query(
        "SELECT id, email, created_at FROM crm_lead ORDER BY id DESC"
    ):
        leads[email.lower()] = (lead_id, _aware(created_at))
    emails = sorted(leads)
    channels = db.query("SELECT key, id FROM crm_channel ORDER BY key")
    if not emails or not channels:
        raise BenchFailure("the demo company has no leads or no channels")

    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    year_ago = now - timedelta(days=365)
    rng = random.Random(seed)
    items, rows = [], []
    for i in range(count):
        email = rng.choice(emails)
        lead_id, created_at = leads[email]
        channel_key, channel_id = rng.choice(channels)
        kind = rng.choice(KINDS)
        # After the lead existed, so the data stays plausible whatever the importer checks.
        start = max(year_ago, created_at)
        span = max(0, int((now - start).total_seconds()))
        occurred_at = start + timedelta(seconds=rng.randint(0, span))
        items.append(
            {
                "external_id": f"{prefix}-{i}",
                "lead": email,
                "channel": channel_key,
                "kind": kind,
                "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        stored_at = (
            occurred_at.strftime("%Y-%m-%d %H:%M:%S") if db.engine == "sqlite" else occurred_at
        )
        rows.append(("baseline", f"bench-{i}", lead_id, channel_id, None, kind, stored_at))
    return items, rows


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _post_all(port: int, token: str, items: list[dict], source: str) -> float:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    # http.client reopens the connection by itself when the server closes it after a reply.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    for first in range(0, len(items), BATCH):
        batch = items[first : first + BATCH]
        body = json.dumps({"source_system": source, "items": batch}).encode()
        connection.request("POST", "/api/v1/touchpoints/bulk", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise BenchFailure(
                f"batch at item {first:,}: HTTP {response.status}: {payload[:2000]!r}"
            )
        answer = json.loads(payload)
        if answer["rejected"] or answer["created"] != len(batch):
            bad = [r for r in answer["results"] if r["status"] != "created"][:5]
            raise BenchFailure(
                f"batch at item {first:,}: {answer['created']} created, "
                f"{answer['rejected']} rejected of {len(batch)}; first: {bad}"
            )
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def _insert_baseline(db: Database, rows: list[tuple]) -> float:
    sql = (
        "INSERT INTO crm_touchpoint (source_system, external_id, lead_id, channel_id, "
        "campaign_id, kind, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ).replace("?", db.placeholder)
    connection = db.connect()
    try:
        started = time.perf_counter()
        if db.engine == "sqlite":
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(sql, rows)
            connection.execute("COMMIT")
        else:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(sql, rows)
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    return seconds
