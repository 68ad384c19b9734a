"""`make bench`: run the benchmarks, print one table, keep the figures in var/bench/latest.json.

Each figure sets Accord beside a baseline measured in the same run on the same machine and
the same kind of database, so the ratio means something on any machine; a MISS is
reported, not raised (the benchmarks inform, tests gate). A wrong answer from Accord
(an HTTP error, a rejected row, a missing row) fails the run: its speed would mean nothing.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import attribution
import calculator_submit
import formulas
import import_contention
import import_csv
import influence
import ingest_api
import pages
import rescore
from common import ENGINES, HOME, BenchFailure, format_table, log, write_json

BENCHMARKS = {
    ingest_api.NAME: ingest_api.run,
    import_csv.NAME: import_csv.run,
    import_contention.NAME: import_contention.run,
    rescore.NAME: rescore.run,
    attribution.NAME: attribution.run,
    pages.NAME: pages.run,
    influence.NAME: influence.run,
    formulas.NAME: formulas.run,
    calculator_submit.NAME: calculator_submit.run,
}
LATEST = HOME / "var" / "bench" / "latest.json"


def _engines(value: str) -> list[str]:
    engines = [e.strip() for e in value.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown or not engines:
        raise argparse.ArgumentTypeError(f"engines are {', '.join(ENGINES)}; got {value!r}")
    return engines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=list(BENCHMARKS), help="run one benchmark")
    parser.add_argument(
        "--engines",
        type=_engines,
        default=list(ENGINES),
        help="comma-separated: sqlite,postgres (default both)",
    )
    args = parser.parse_args()

    names = [args.only] if args.only else list(BENCHMARKS)
    started = time.perf_counter()
    figures, timings = [], {}
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as workdir:
        for name in names:
            began = time.perf_counter()
            try:
                figures += BENCHMARKS[name](args.engines, args.quick, Path(workdir))
            except BenchFailure as failure:
                log(f"{name} FAILED: {failure}")
                return 1
            timings[name] = round(time.perf_counter() - began, 1)
            log(f"{name} done in {timings[name]:.0f} s")
    elapsed = time.perf_counter() - started

    print(format_table(figures))
    write_json(
        LATEST,
        {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "engines": args.engines,
            "seconds": round(elapsed, 1),
            "seconds_per_benchmark": timings,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "commit": _commit(),
            "figures": [f.as_json() for f in figures],
        },
    )
    log(f"all done in {elapsed:.0f} s; figures in {LATEST.relative_to(HOME)}")
    return 0


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=HOME, capture_output=True, text=True
    )
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
