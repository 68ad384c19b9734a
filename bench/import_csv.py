"""CSV import of 1,000,000 leads: rows per second and peak memory, against a raw executemany.

Measured: `accord import leads FILE --json` as its own process on a freshly migrated
database holding a tiny demo company (its users and channels give owners and sources to
resolve). The wall time covers the whole command as a person runs it: Django start-up,
detecting the layout, reading the file twice (checks, then upserts), validating every
row, creating ~50,000 accounts, resolving owners and sources, recording status history.
The peak RSS is the child's own (wait4 rusage): the import must stream, so it should
stay far below the file's size.

Baseline: the same file read with csv.reader and inserted with the DB-API driver's
`executemany` into crm_lead only (owner and source ids looked up in dicts built
beforehand, account NULL) in one transaction, on a fresh copy of the same database, in
its own child process, timed the same way. It is what it costs to put those rows on disk
with the lead table's indexes and constraints and nothing else, so the ratio shows the
price of Accord's checks, accounts and history; the issue sets no goal for it beyond
streaming.
"""

import csv
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    ACCORD,
    PYTHON,
    BenchFailure,
    Database,
    Databases,
    Figure,
    accord_env,
    log,
    measure,
    prepare,
)

NAME = "import_csv"
HEADER = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "source",
    "status",
    "owner",
    "created_at",
)
STATUSES = ("new", "mql", "accepted", "sql")
MEMORY_CAP_MB = 400

FIRST = (
    "Ann Ben Carla Dev Eva Farid Grace Hugo Ines Jon Kira Luis Mona Nils Olga Pia Quinn Raj "
    "Sara Tom Uma Vik Wen Xavi Yara Zoe Ada Bo Cy Di"
).split()
LAST = (
    "Adams Berg Costa Dubois Evans Fischer Garcia Hansen Ito Jensen Kowalski Lopez Meyer "
    "Novak Olsen Petrov Quist Rossi Silva Tanaka Umar Vogel Weber Xu Young Zhang"
).split()
TITLES = (
    "CMO",
    "VP Marketing",
    "Head of Growth",
    "Marketing Manager",
    "Demand Gen Manager",
    "VP Sales",
    "Sales Director",
    "Account Executive",
    "Analyst",
    "",
)
# 50 x 40 x 25 = 50,000 distinct company names.
WORDS_A = (
    "North South East West Blue Red Green Silver Golden Bright Clear Swift Prime Nova Terra "
    "Aqua Solar Lunar Iron Stone Cedar Maple Oak Pine Birch River Lake Ocean Harbor Summit "
    "Valley Canyon Mesa Prairie Delta Alpine Polar Coral Amber Ivory Onyx Jade Ruby Opal "
    "Pearl Falcon Eagle Hawk Raven Fox"
).split()
WORDS_B = (
    "Analytics Data Cloud Logic Metrics Signal Vector Matrix Pixel Quantum Fusion Orbit "
    "Pulse Spark Bridge Forge Craft Works Labs Core Edge Point Path Wave Stream Field Grid "
    "Link Node Scale Shift Stack Layer Frame Sense Scope Trail Beacon Anchor Compass"
).split()
WORDS_C = (
    "Inc Ltd GmbH LLC SA AG BV AB Oy AS Group Holdings Partners Systems Solutions "
    "Technologies Industries Ventures Global International Software Services Networks "
    "Media Health"
).split()


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    count = 50_000 if quick else 1_000_000
    figures = []
    csv_path = None
    with Databases(workdir) as databases:
        for engine in engines:
            log(f"{NAME} {engine}: migrate + demo --scale 0.01 (the template)")
            template = databases.fresh(engine, "csv_template")
            prepare(template, scale=0.01)
            if csv_path is None:
                csv_path = workdir / f"leads-{count}.csv"
                log(f"{NAME}: writing {count:,} rows to {csv_path}")
                write_csv(csv_path, template, count)
            accord_db = databases.fresh(engine, "csv_accord", template)
            baseline_db = databases.fresh(engine, "csv_baseline", template)
            figures += _bench(accord_db, baseline_db, csv_path, count, workdir)
    return figures


def write_csv(path: Path, db: Database, count: int) -> None:
    """Accord's lead format, deterministic for a given demo company."""
    owners = [u for (u,) in db.query("SELECT username FROM people_user ORDER BY username")]
    sources = [k for (k,) in db.query("SELECT key FROM crm_channel ORDER BY key")]
    companies = min(50_000, max(1, count // 20))
    rng = random.Random(2)
    end = datetime(2026, 1, 1, tzinfo=UTC)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(count):
            n = rng.randrange(companies)
            company = f"{WORDS_A[n % 50]} {WORDS_B[n // 50 % 40]} {WORDS_C[n // 2000 % 25]}"
            first, last = rng.choice(FIRST), rng.choice(LAST)
            domain = company.lower().replace(" ", "-") + ".example"
            created_at = end - timedelta(seconds=rng.randrange(2 * 365 * 86400))
            writer.writerow(
                (
                    f"L{i:07d}",
                    f"{first}.{last}.{i}@{domain}".lower(),
                    first,
                    last,
                    rng.choice(TITLES),
                    company,
                    rng.choice(sources),
                    rng.choice(STATUSES),
                    rng.choice(owners) if rng.random() < 0.8 else "",
                    created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                )
            )


def _bench(
    accord_db: Database, baseline_db: Database, csv_path: Path, count: int, workdir: Path
) -> list:
    engine = accord_db.engine
    file_mb = csv_path.stat().st_size / 2**20

    log(f"{NAME} {engine}: accord import leads ({count:,} rows, {file_mb:.0f} MB)")
    ran = measure(
        [ACCORD, "import", "leads", str(csv_path), "--json"], accord_env(accord_db), workdir
    )
    if ran.returncode != 0:
        raise BenchFailure(f"accord import exited with {ran.returncode}:\n{ran.stderr[-4000:]}")
    report = _last_json(ran.stdout)
    if report.get("created") != count or report.get("rejected") != 0:
        shown = {k: report.get(k) for k in ("rows", "created", "updated", "rejected", "errors")}
        raise BenchFailure(f"accord import should create {count:,} leads: {shown}")

    log(f"{NAME} {engine}: baseline csv.reader + executemany")
    base = measure(
        [PYTHON, __file__, engine, baseline_db.url, baseline_db.name, str(csv_path)],
        accord_env(baseline_db),
        workdir,
    )
    if base.returncode != 0:
        raise BenchFailure(f"the baseline exited with {base.returncode}:\n{base.stderr[-4000:]}")
    if _last_json(base.stdout).get("rows") != count:
        raise BenchFailure(f"the baseline inserted the wrong number of rows: {base.stdout}")

    notes = {
        "rows": count,
        "file_mb": round(file_mb, 1),
        "accord_seconds": round(ran.seconds, 2),
        "baseline_seconds": round(base.seconds, 2),
        "accord_peak_mb": round(ran.peak_rss_mb, 1),
        "baseline_peak_mb": round(base.peak_rss_mb, 1),
        "accounts_created": report.get("created_accounts"),
    }
    return [
        Figure(
            name=f"{NAME} {engine}: leads/s",
            unit="rows/s",
            accord=count / ran.seconds,
            baseline=count / base.seconds,
            goal="none set (reported)",
            passed=None,
            notes=notes,
        ),
        Figure(
            name=f"{NAME} {engine}: peak RSS (file {file_mb:,.0f} MB)",
            unit="MB",
            accord=ran.peak_rss_mb,
            baseline=base.peak_rss_mb,
            goal="streams (peak MB << file size)",
            passed=ran.peak_rss_mb < 0.5 * file_mb or ran.peak_rss_mb < MEMORY_CAP_MB,
            notes=notes,
        ),
    ]


def _last_json(stdout: str) -> dict:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise BenchFailure(f"no JSON in the output:\n{stdout[-2000:]}")


# The baseline runs in its own process (python import_csv.py ENGINE URL NAME FILE) so that
# its peak memory is its own.


def baseline(db: Database, csv_path: Path) -> int:
    owners = dict(db.query("SELECT username, id FROM people_user"))
    sources = dict(db.query("SELECT key, id FROM crm_channel"))
    now = datetime.now(UTC)
    sqlite = db.engine == "sqlite"
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    sql = (
        "INSERT INTO crm_lead (source_system, external_id, email, first_name, last_name, "
        "title, account_id, source_id, owner_id, status, status_changed_at, fit_grade, "
        "engagement_score, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ).replace("?", db.placeholder)
    inserted = 0

    def rows(reader):
        nonlocal inserted
        column = {name: i for i, name in enumerate(next(reader))}
        ext, email, first, last, title = (
            column[c] for c in ("external_id", "email", "first_name", "last_name", "title")
        )
        source, status, owner, created = (
            column[c] for c in ("source", "status", "owner", "created_at")
        )
        for cells in reader:
            at = datetime.fromisoformat(cells[created])
            at = at.strftime("%Y-%m-%d %H:%M:%S") if sqlite else at
            inserted += 1
            yield (
                "accord",
                cells[ext],
                cells[email].lower(),
                cells[first],
                cells[last],
                cells[title],
                None,
                sources.get(cells[source]),
                owners.get(cells[owner]),
                cells[status],
                at,
                "",
                0,
                at,
                stamp,
            )

    connection = db.connect()
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        if sqlite:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(sql, rows(reader))
            connection.execute("COMMIT")
        else:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(sql, rows(reader))
    connection.close()
    return inserted


if __name__ == "__main__":
    engine, url, name, path = sys.argv[1:5]
    started = time.perf_counter()
    done = baseline(Database(engine, url, name), Path(path))
    print(json.dumps({"rows": done, "seconds": time.perf_counter() - started}))
