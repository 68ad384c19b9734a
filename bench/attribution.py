"""Markov attribution, exact, against ChannelAttribution's simulation on the same paths.

ChannelAttribution 2.2.5 (PyPI; GPL, so it is installed, never copied) is the reference
implementation of first-order Markov attribution. The bench installs it itself, into its
own virtual environment `var/bench/ca-venv/` (`pip install ChannelAttribution==2.2.5
matplotlib`: it compiles C++ from the source distribution, a few minutes once), and reuses
that environment while it imports. The log says BUILDING or REUSING.

Path tables. Synthetic B2B journeys, made by a seeded generator (so every run and machine
gets the same table): twelve channels, each with its own chance of opening a journey, of
following another channel and of leading to a conversion, journeys of 1 to 15 touches
(repeats of a channel included, which both sides collapse), a conversion chance that grows
with the channels visited, and a deal value drawn from a spread that depends on the last
touch. They are summed per distinct path into ChannelAttribution's path summary (path,
total_conversions, total_conversion_value, total_null) and written once with
`markov.path_table_csv` into the run's temporary folder, at 10,000, 100,000 and 1,000,000
journeys (--quick: the first two), by a child process. That one CSV feeds both sides.

Each side reads it in a child process of its own, so that each one's peak memory (the
child's own VmHWM; see _peak_mb) is its own: Accord with `markov.read_path_table` (Arrow
reads the CSV, splits the paths and codes the channel names), then `markov.markov(table)`;
ChannelAttribution with `pandas.read_csv`, then `markov_model(..., order=1,
out_more=True)` with its other settings at their defaults (one thread, seed 0, 100,000
simulated journeys to start with, ten folds, stop when the folds agree within 5%). The
goal's ratio is the model calls'; since ChannelAttribution's call also parses its path
strings, which Accord's reader has done, the ratio of reading + model is reported beside
it, in the figure's name and notes. Imports are outside the clocks on both sides (Arrow
imports pandas on its first conversion to NumPy, so Accord's child imports it first, as
ChannelAttribution's does). The sides run CA, Accord, Accord, CA, and the faster run of
each side counts.

A wrong answer makes a speed meaningless, so the results are compared per channel:
Accord's conversion shares and value shares with ChannelAttribution's (its attributed
conversions and value over their totals). ChannelAttribution simulates, and its noise
comes from how many journeys it simulates, not from the data: by default it keeps the
result of one fold of its last round, some 10,000 to 15,000 simulated journeys, whatever
the size of the table, which leaves shares off by up to ~0.02. So the timed run's
differences are reported, and the check is made against an untimed run of its own with
ten times the simulations and no cut on long journeys (PRECISE): any share 0.01 or more
apart fails the run. Its conventions otherwise match Accord's: it collapses repeats of a
channel, removes a channel by sending its traffic to (null), normalises removal effects to
shares, and draws each simulated conversion's value from the observed values per
conversion of the paths ending on the same channel. One difference: its simulated journeys
stop after as many steps as the longest observed path has (`max_step`), and those cut
short count as neither conversions nor nulls; Accord solves the chain with no such cap.
How many were cut (a fraction of a percent here) is in the notes.

End to end, from raw touchpoints. The demo company at scale 10 (`accord migrate` +
`accord demo --seed 7 --scale 10 --until 2026-11-01`, 200,000 leads; --quick: scale 1),
cached under var/bench/cache/ as `rescore` caches its own (common.cached_demo), a fresh
copy of it per run, and that copy copied to DuckDB with `accord attribution copy --to
duckdb:///...`. On each engine (SQLite or PostgreSQL as --engines says, and DuckDB):
`accord attribution run --model markov --to 2026-10-31 --json` against the engine's URL, in
a child (wall time, peak memory), beside the baseline `accord attribution paths --out FILE`
on the same period followed by ChannelAttribution's `markov_model` on that file, in its
child (the two wall times added; the larger peak). Baseline, Accord, Accord, baseline; the
faster run of each side counts. Both must attribute the same total to the cent, their
shares must agree as above, and every engine must give the same credits.
"""

import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import (
    ACCORD,
    HOME,
    PYTHON,
    BenchFailure,
    Database,
    Databases,
    DemoBuild,
    Figure,
    accord,
    accord_env,
    cached_demo,
    log,
    measure,
)

NAME = "attribution"
GOAL = 5.0  # Accord's model call >= 5x faster than ChannelAttribution's, at 1,000,000 journeys
GOAL_JOURNEYS = 1_000_000
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
TOLERANCE = 0.01  # largest share difference from ChannelAttribution's precise run allowed
# The untimed run the shares are checked against: ten times the default simulations, and
# simulated journeys no longer cut at the longest observed path's length.
PRECISE = {"nsim_start": 1_000_000, "max_step": 1_000}
SEED = 20261123

CA_VERSION = "2.2.5"
CA_VENV = HOME / "var" / "bench" / "ca-venv"
CA_PYTHON = CA_VENV / "bin" / "python"

# The end-to-end demo company: the same history rescore's cache is built with.
DEMO_SEED = 7
DEMO_MONTHS = 24
DEMO_UNTIL = "2026-11-01"
PERIOD_END = "2026-10-31"  # the last day of that history, so the period ends with it
FULL_SCALE = 10  # 200,000 leads
QUICK_SCALE = 1  # 20,000 leads

# The synthetic channels: (name, chance to open a journey, weight as a later touch, chance
# that a journey which visited it converts because of it, deal size factor as last touch).
CHANNELS = (
    ("paid_search", 0.18, 0.10, 0.020, 0.9),
    ("organic_search", 0.16, 0.10, 0.025, 1.0),
    ("paid_social", 0.12, 0.07, 0.008, 0.7),
    ("organic_social", 0.06, 0.05, 0.006, 0.8),
    ("display", 0.08, 0.06, 0.003, 0.6),
    ("content_syndication", 0.07, 0.07, 0.010, 0.9),
    ("email", 0.03, 0.16, 0.015, 1.0),
    ("webinar", 0.04, 0.09, 0.045, 1.2),
    ("event", 0.05, 0.06, 0.060, 1.8),
    ("partner", 0.04, 0.05, 0.070, 2.2),
    ("referral", 0.05, 0.04, 0.050, 1.5),
    ("direct", 0.12, 0.15, 0.030, 1.1),
)
MAX_TOUCHES = 15
REPEAT = 0.15  # chance that a touch repeats the channel before it


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    ca_python = _channel_attribution()
    figures = []
    for journeys in QUICK_SIZES if quick else SIZES:
        figures += _path_table(journeys, ca_python, workdir)
    figures += _end_to_end(engines, QUICK_SCALE if quick else FULL_SCALE, ca_python, workdir)
    return figures


# ChannelAttribution, in its own environment


def _channel_attribution() -> str:
    """The Python of a virtual environment holding ChannelAttribution, built if need be."""
    python = str(CA_PYTHON)
    if CA_PYTHON.exists() and _ca_version(python) == CA_VERSION:
        log(f"{NAME}: REUSING ChannelAttribution {CA_VERSION} in {CA_VENV.relative_to(HOME)}")
        return python
    log(
        f"{NAME}: BUILDING ChannelAttribution {CA_VERSION} in {CA_VENV.relative_to(HOME)} "
        "(pip compiles its C++ from the source distribution: a few minutes, once)"
    )
    started = time.perf_counter()
    shutil.rmtree(CA_VENV, ignore_errors=True)
    CA_VENV.parent.mkdir(parents=True, exist_ok=True)
    build_log = CA_VENV.parent / "ca-venv-build.log"
    with open(build_log, "wb") as out:
        for cmd in (
            [sys.executable, "-m", "venv", str(CA_VENV)],
            [
                python,
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                f"ChannelAttribution=={CA_VERSION}",
                "matplotlib",
            ],
        ):
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                tail = build_log.read_text(errors="replace")[-3000:]
                raise BenchFailure(f"{' '.join(cmd)} exited with {done.returncode}:\n{tail}")
    version = _ca_version(python)
    if version != CA_VERSION:
        raise BenchFailure(f"the new environment imports ChannelAttribution {version!r}")
    log(f"{NAME}: built ChannelAttribution in {time.perf_counter() - started:.0f} s")
    return python


def _ca_version(python: str) -> str | None:
    # Importing it prints a banner; the version is the last line.
    code = (
        "import ChannelAttribution, matplotlib; from importlib.metadata import version; "
        "print(version('ChannelAttribution'))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    lines = done.stdout.split()
    return lines[-1] if done.returncode == 0 and lines else None


# Path tables


def journeys_table(journeys: int, seed: int = SEED) -> list:
    """`journeys` synthetic journeys summed per distinct path, as markov.PathRow."""
    import numpy as np

    from accord.analytics.attribution import markov

    rng = np.random.default_rng([seed, journeys])
    names = [c[0] for c in CHANNELS]
    n = len(CHANNELS)
    opening = np.array([c[1] for c in CHANNELS])
    later = np.array([c[2] for c in CHANNELS])
    converts = np.array([c[3] for c in CHANNELS])
    deal = np.array([c[4] for c in CHANNELS])

    # Who follows whom: the later-touch weights, bent per pair (a webinar after an email is
    # likelier than after a display ad, say), and a chance of the same channel again.
    follow = later[None, :] * rng.uniform(0.3, 1.7, size=(n, n))
    np.fill_diagonal(follow, 0)
    follow = (1 - REPEAT) * follow / follow.sum(axis=1, keepdims=True) + REPEAT * np.eye(n)
    cumulative = np.cumsum(follow, axis=1)
    cumulative[:, -1] = 1.0

    # Lengths: a third of the journeys are short, the rest longer, 1 to MAX_TOUCHES touches.
    short = rng.random(journeys) < 0.35
    lengths = np.where(short, rng.geometric(0.55, journeys), rng.geometric(0.2, journeys))
    lengths = np.minimum(lengths, MAX_TOUCHES)

    touches = np.full((journeys, MAX_TOUCHES), -1, dtype=np.int64)
    touches[:, 0] = rng.choice(n, size=journeys, p=opening / opening.sum())
    for step in range(1, MAX_TOUCHES):
        going = lengths > step
        current = touches[going, step - 1]
        draws = rng.random(int(going.sum()))
        touches[going, step] = (cumulative[current] < draws[:, None]).sum(axis=1)

    visited = np.zeros((journeys, n), dtype=bool)
    rows = np.repeat(np.arange(journeys), lengths)
    visited[rows, touches[touches >= 0]] = True
    chance = 1 - np.exp(visited @ np.log1p(-converts))
    converted = rng.random(journeys) < chance
    last = touches[np.arange(journeys), lengths - 1]
    # Deals of 2,000 to a few hundred thousand, rounded to hundreds, larger after some
    # channels; sums of whole hundreds stay exact in the CSV.
    size = np.round(rng.lognormal(np.log(18_000), 0.9, journeys) * deal[last], -2)
    value = np.where(converted, np.maximum(size, 2_000), 0.0)

    # One row per distinct path: the path as a base-(n + 1) number (15 digits fit int64).
    base = np.int64(n + 1)
    codes = ((touches + 1) * base ** np.arange(MAX_TOUCHES, dtype=np.int64)).sum(axis=1)
    unique, inverse = np.unique(codes, return_inverse=True)
    conversions = np.bincount(inverse, weights=converted, minlength=len(unique))
    values = np.bincount(inverse, weights=value, minlength=len(unique))
    nulls = np.bincount(inverse, weights=~converted, minlength=len(unique))
    digits = (unique[:, None] // base ** np.arange(MAX_TOUCHES, dtype=np.int64)) % base
    result = []
    for path, c, v, z in zip(
        digits.tolist(), conversions.tolist(), values.tolist(), nulls.tolist(), strict=True
    ):
        channels = tuple(names[d - 1] for d in path if d)
        result.append(markov.PathRow(path=channels, conversions=c, value=v, nulls=z))
    return result


def _write_table(journeys: int, table: str) -> dict:
    """The path table of `journeys` journeys, written as CSV (in a child: see _peak_mb)."""
    from accord.analytics.attribution import markov

    rows = journeys_table(journeys)
    with open(table, "w", newline="", encoding="utf-8") as out:
        markov.path_table_csv(rows, out)
    return {"paths": len(rows), "conversions": sum(r.conversions for r in rows)}


def _path_table(journeys: int, ca_python: str, workdir: Path) -> list[Figure]:
    started = time.perf_counter()
    table = workdir / f"attribution-paths-{journeys}.csv"
    made = _side("table", PYTHON, table, workdir, {"journeys": journeys})
    converted = made["conversions"]
    log(
        f"{NAME}: {journeys:,} journeys on {made['paths']:,} paths, {converted:,.0f} converted "
        f"({table.stat().st_size / 1e6:.1f} MB CSV, made in {time.perf_counter() - started:.1f} s)"
    )

    # Each side twice, in the order CA, Accord, Accord, CA; the faster run of each counts.
    runs: dict[str, list[dict]] = {"accord": [], "ca": []}
    for side in ("ca", "accord", "accord", "ca"):
        runs[side].append(_side(side, PYTHON if side == "accord" else ca_python, table, workdir))
    ours = min(runs["accord"], key=lambda r: r["model_seconds"])
    theirs = min(runs["ca"], key=lambda r: r["model_seconds"])
    timed = _compare(ours, theirs, f"{journeys:,} journeys", check=False)
    precise = _side("ca", ca_python, table, workdir, PRECISE)
    checked = _compare(ours, precise, f"{journeys:,} journeys", check=True)
    log(
        f"{NAME}: {journeys:,} journeys: Accord {ours['model_seconds']:.3f} s "
        f"(read {ours['read_seconds']:.2f} s, {ours['peak_rss_mb']:.0f} MB), ChannelAttribution "
        f"{theirs['model_seconds']:.3f} s (read {theirs['read_seconds']:.2f} s, "
        f"{theirs['peak_rss_mb']:.0f} MB; {theirs['simulations']:,} simulated journeys, "
        f"{theirs['cut_short']} cut short at {theirs['max_step']} steps)"
    )
    _log_agreement(f"{journeys:,} journeys", timed, checked, precise)

    notes = {
        "journeys": journeys,
        "paths": ours["paths"],
        "conversions": converted,
        "csv_mb": round(table.stat().st_size / 1e6, 1),
        "accord_model_seconds": [round(r["model_seconds"], 4) for r in runs["accord"]],
        "ca_model_seconds": [round(r["model_seconds"], 4) for r in runs["ca"]],
        "accord": _summary(ours),
        "channelattribution": _summary(theirs),
        "channelattribution_precise": _summary(precise),
        "against_timed_run": timed,
        "against_precise_run": checked,
    }
    ratio_goal = journeys == GOAL_JOURNEYS
    ours_total = ours["read_seconds"] + ours["model_seconds"]
    theirs_total = theirs["read_seconds"] + theirs["model_seconds"]
    notes["read_and_model_seconds"] = {"accord": ours_total, "channelattribution": theirs_total}
    notes["read_and_model_ratio"] = theirs_total / ours_total
    speed = Figure(
        name=(
            f"{NAME} markov: {journeys:,} journeys, journeys/s (Accord "
            f"{ours['model_seconds']:.2f} s, CA {theirs['model_seconds']:.2f} s; read + model "
            f"{ours_total:.2f} s vs {theirs_total:.2f} s, {theirs_total / ours_total:.1f}x; "
            f"shares ±{_largest(timed):.3f}, ±{_largest(checked):.3f} at 10x simulations)"
        ),
        unit="journeys/s",
        accord=journeys / ours["model_seconds"],
        baseline=journeys / theirs["model_seconds"],
        goal=f">= {GOAL:g}x baseline" if ratio_goal else "none set (reported)",
        passed=(theirs["model_seconds"] >= GOAL * ours["model_seconds"]) if ratio_goal else None,
        notes=notes,
    )
    memory = Figure(
        name=f"{NAME} markov: {journeys:,} journeys, peak RSS (read + model)",
        unit="MB",
        accord=max(r["peak_rss_mb"] for r in runs["accord"]),
        baseline=max(r["peak_rss_mb"] for r in runs["ca"]),
        goal="none set (reported)",
        passed=None,
        notes={"journeys": journeys},
    )
    return [speed, memory]


def _side(side: str, python: str, table: Path, workdir: Path, settings: dict | None = None) -> dict:
    """One side's child on the path table: its JSON answer."""
    answer = workdir / f"attribution-{side}.json"
    answer.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [python, __file__, side, str(table), str(answer), json.dumps(settings or {})]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not answer.exists():
        who = {"accord": "Accord", "ca": "ChannelAttribution"}.get(side, "the table maker")
        raise BenchFailure(
            f"{who}'s run on {table.name} exited with {done.returncode}:\n"
            f"{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    return json.loads(answer.read_text())


def _summary(answer: dict) -> dict:
    """A side's answer for latest.json: its figures, not its per-channel numbers."""
    return {k: v for k, v in answer.items() if not isinstance(v, dict) and k != "printed"}


def _largest(compared: dict) -> float:
    return max(compared["max_share_difference"], compared["max_value_share_difference"])


def _log_agreement(label: str, timed: dict, checked: dict, precise: dict) -> None:
    log(
        f"{NAME}: {label}: shares differ from ChannelAttribution's timed run by at most "
        f"{timed['max_share_difference']:.4f} (conversions) and "
        f"{timed['max_value_share_difference']:.4f} (value); from its run with "
        f"{precise['simulations']:,} simulated journeys and max_step {precise['max_step']} by "
        f"{checked['max_share_difference']:.4f} and {checked['max_value_share_difference']:.4f}"
    )


def _compare(ours: dict, theirs: dict, label: str, *, check: bool) -> dict:
    """Per channel share differences (Accord's minus ChannelAttribution's); with `check`, a
    BenchFailure when one reaches TOLERANCE."""
    if sorted(ours["conversions"]) != sorted(theirs["conversions"]):
        raise BenchFailure(
            f"{label}: Accord credits channels {sorted(ours['conversions'])}, ChannelAttribution "
            f"{sorted(theirs['conversions'])}"
        )
    differences = {}
    for kind in ("conversions", "value"):
        mine, other = _shares(ours[kind]), _shares(theirs[kind])
        differences[kind] = {c: mine[c] - other[c] for c in mine}
    largest = {k: max(map(abs, d.values()), default=0.0) for k, d in differences.items()}
    compared = {
        "max_share_difference": largest["conversions"],
        "max_value_share_difference": largest["value"],
        "share_differences": {k: _rounded(d) for k, d in differences.items()},
    }
    if "removal_effects" in ours and "removal_effects" in theirs:
        compared["max_removal_effect_difference"] = max(
            abs(ours["removal_effects"][c] - theirs["removal_effects"][c])
            for c in ours["removal_effects"]
        )
    if check and max(largest.values()) >= TOLERANCE:
        worst = max(
            ((k, c, d) for k, ds in differences.items() for c, d in ds.items()),
            key=lambda item: abs(item[2]),
        )
        raise BenchFailure(
            f"{label}: Accord's {worst[0]} share of {worst[1]} differs from ChannelAttribution's "
            f"by {worst[2]:+.4f} even with {theirs.get('simulations')} simulated journeys, "
            f"more than its simulation noise ({TOLERANCE}): {compared['share_differences']}"
        )
    return compared


def _shares(amounts: dict[str, float]) -> dict[str, float]:
    whole = sum(amounts.values())
    return {c: (a / whole if whole else 0.0) for c, a in amounts.items()}


def _rounded(mapping: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in sorted(mapping.items())}


# End to end, from raw touchpoints


def _end_to_end(engines: list[str], scale: float, ca_python: str, workdir: Path) -> list[Figure]:
    build = DemoBuild(
        name=NAME,
        scale=scale,
        seed=DEMO_SEED,
        months=DEMO_MONTHS,
        until=DEMO_UNTIL,
        keyed_files=_demo_files(),
    )
    figures, results = [], {}
    with Databases(workdir) as databases:
        for engine in engines:
            cached, build_seconds = cached_demo(build, engine)
            # A copy of its own, so that no run can touch the cache.
            db = databases.fresh(engine, "attribution_e2e", template=cached)
            targets = [(engine, db.url)]
            if engine == engines[0]:
                duckdb = workdir / "attribution-e2e.duckdb"
                started = time.perf_counter()
                out = accord(db, "attribution", "copy", "--to", f"duckdb:///{duckdb}")
                copy_seconds = time.perf_counter() - started
                copied = " ".join(out.split())
                log(f"{NAME}: copied {engine} to DuckDB in {copy_seconds:.0f} s: {copied}")
                targets.append(("duckdb", f"duckdb:///{duckdb}"))
            for label, url in targets:
                figure_pair, result = _end_to_end_on(label, url, db, scale, ca_python, workdir)
                figure_pair[0].notes["cache"] = "reused" if build_seconds is None else "built"
                if label == "duckdb":
                    figure_pair[0].notes["copied_from"] = engine
                    figure_pair[0].notes["copy_seconds"] = round(copy_seconds, 1)
                figures += figure_pair
                results[label] = result
    _same_credits(results)
    return figures


def _demo_files() -> tuple[str, ...]:
    """What the demo build writes with: every module of the demo app (accord.demo)."""
    modules = sorted((HOME / "src" / "accord" / "demo").glob("*.py"))
    return tuple(str(p.relative_to(HOME)) for p in modules)


def _end_to_end_on(
    label: str, url: str, db: Database, scale: float, ca_python: str, workdir: Path
) -> tuple[list[Figure], dict]:
    env = accord_env(db)
    period = ["--to", PERIOD_END]
    table = workdir / f"attribution-e2e-{label}.csv"

    # Baseline, Accord, Accord, baseline (each side once first, once second, on a warm page
    # cache); the faster of each side's two runs counts.
    accord_runs, paths_runs, ca_runs = [], [], []
    results, answers = [], []
    for side in ("baseline", "accord", "accord", "baseline"):
        if side == "accord":
            log(f"{NAME} {label}: accord attribution run --model markov ...")
            ran = _accord_command(
                label,
                ["run", "--model", "markov", "--engine", url, *period, "--json"],
                env,
                workdir,
            )
            accord_runs.append(ran)
            results.append(json.loads(ran.stdout.strip().splitlines()[-1]))
        else:
            log(f"{NAME} {label}: accord attribution paths, then ChannelAttribution ...")
            table.unlink(missing_ok=True)
            paths_runs.append(
                _accord_command(
                    label, ["paths", "--out", str(table), "--engine", url, *period], env, workdir
                )
            )
            started = time.perf_counter()
            answers.append(_side("ca", ca_python, table, workdir))
            ca_runs.append(time.perf_counter() - started)
    result, theirs = results[0], answers[0]
    if results[1] != result:
        raise BenchFailure(f"{label}: two runs of `accord attribution run` answered differently")
    ran = min(accord_runs, key=lambda m: m.seconds)
    paths = min(paths_runs, key=lambda m: m.seconds)
    ca_seconds = min(ca_runs)

    paths_count, journeys, table_total = 0, 0.0, 0.0
    with open(table, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            paths_count += 1
            journeys += float(row["total_conversions"]) + float(row["total_null"])
            table_total += float(row["total_conversion_value"])
    journeys = round(journeys)
    if not journeys or not result["by_channel"]:
        raise BenchFailure(f"{label}: the demo's period has no journeys to attribute")

    # The same total, to the cent: Accord's, the path table's and ChannelAttribution's.
    accord_total = float(result["total"])
    ca_total = sum(theirs["value"].values())
    for what, total in (("the path table", table_total), ("ChannelAttribution", ca_total)):
        if abs(total - accord_total) >= 0.005 + 1e-12 * abs(accord_total):
            raise BenchFailure(
                f"{label}: Accord attributes {accord_total:,.2f}, {what} {total:,.2f}"
            )
    ours = {
        "conversions": {r["channel"]: r["conversions"] for r in result["by_channel"]},
        "value": {r["channel"]: float(r["credit"]) for r in result["by_channel"]},
    }
    timed = _compare(ours, theirs, f"{label}, end to end", check=False)
    precise = _side("ca", ca_python, table, workdir, PRECISE)
    checked = _compare(ours, precise, f"{label}, end to end", check=True)

    baseline_seconds = paths.seconds + ca_seconds
    accord_peak = max(m.peak_rss_mb for m in accord_runs)
    baseline_peak = max([m.peak_rss_mb for m in paths_runs] + [a["peak_rss_mb"] for a in answers])
    log(
        f"{NAME} {label}: best of two: Accord {ran.seconds:.1f} s ({accord_peak:.0f} MB); "
        f"paths {paths.seconds:.1f} s + ChannelAttribution {ca_seconds:.1f} s (its model "
        f"{theirs['model_seconds']:.2f} s; {baseline_peak:.0f} MB); {journeys:,} journeys on "
        f"{paths_count:,} paths, {accord_total:,.2f} attributed by both"
    )
    _log_agreement(f"{label}, end to end", timed, checked, precise)
    notes = {
        "scale": scale,
        "engine_url": url.split("://", 1)[0],
        "journeys": journeys,
        "paths": paths_count,
        "bench_peak_mb": round(_peak_mb(), 1),
        "total": result["total"],
        "accord_seconds": [round(m.seconds, 2) for m in accord_runs],
        "accord_peak_rss_mb": [round(m.peak_rss_mb, 1) for m in accord_runs],
        "paths_seconds": [round(m.seconds, 2) for m in paths_runs],
        "paths_peak_rss_mb": [round(m.peak_rss_mb, 1) for m in paths_runs],
        "channelattribution_seconds": [round(x, 2) for x in ca_runs],
        "channelattribution_peak_rss_mb": [round(a["peak_rss_mb"], 1) for a in answers],
        "channelattribution": _summary(theirs),
        "channelattribution_precise": _summary(precise),
        "against_timed_run": timed,
        "against_precise_run": checked,
    }
    speed = Figure(
        name=(
            f"{NAME} {label}: end to end, scale {scale:g}, journeys/s (Accord {ran.seconds:.1f} s, "
            f"paths + CA {baseline_seconds:.1f} s)"
        ),
        unit="journeys/s",
        accord=journeys / ran.seconds,
        baseline=journeys / baseline_seconds,
        goal="none set (reported)",
        passed=None,
        notes=notes,
    )
    memory = Figure(
        name=f"{NAME} {label}: end to end, peak RSS (baseline: the larger of its two)",
        unit="MB",
        accord=accord_peak,
        baseline=baseline_peak,
        goal="none set (reported)",
        passed=None,
        notes={"journeys": journeys},
    )
    return [speed, memory], result


def _accord_command(label: str, args: list[str], env: dict, workdir: Path):
    """`accord attribution ARGS` in a child: its wall time and its own peak memory."""
    done = measure([ACCORD, "attribution", *args], env, workdir)
    if done.returncode != 0:
        raise BenchFailure(
            f"accord attribution {args[0]} on {label} exited with {done.returncode}:\n"
            f"{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    return done


def _same_credits(results: dict[str, dict]) -> None:
    """Every engine must attribute the same total and credit each channel the same amount
    (to the cent: sums of floats in another order may round the other way)."""
    credits = {
        label: {row["channel"]: float(row["credit"]) for row in r["by_channel"]}
        for label, r in results.items()
    }
    first, *others = credits
    for label in others:
        apart = max(
            (abs(credits[label].get(c, 0) - credits[first].get(c, 0)) for c in credits[first]),
            default=0.0,
        )
        if (
            results[label]["total"] != results[first]["total"]
            or credits[label].keys() != credits[first].keys()
            or apart > 0.011
        ):
            raise BenchFailure(
                f"Accord's Markov credits differ between {first} and {label}: "
                f"{results[first]['total']} {credits[first]} against "
                f"{results[label]['total']} {credits[label]}"
            )
    log(
        f"{NAME}: {', '.join(credits)} give the same credits "
        f"({results[first]['total']} attributed on each)"
    )


def _peak_mb() -> float:
    """This process's own peak resident memory, in MB.

    Not `ru_maxrss`: on Linux a child's starts at its parent's high-water mark (the memory
    the parent ever held counts as the child's), which would hand the bench process's own
    peak to every side. VmHWM is the high-water mark of this process's memory since exec.
    That is also why the bench process makes the path tables in a child and keeps small:
    the `accord` commands are measured with wait4's `ru_maxrss`, whose floor is the bench
    process's own peak (in the notes as bench_peak_mb).
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The two sides on a path table, each in its own process:
#   python attribution.py accord|ca TABLE ANSWER_JSON


def _child_accord(table: str) -> dict:
    import pandas  # noqa: F401 (an import, outside the clock: see the module docstring)

    from accord.analytics.attribution import markov

    started = time.perf_counter()
    paths = markov.read_path_table(table)
    read = time.perf_counter() - started
    started = time.perf_counter()
    result = markov.markov(paths)
    model = time.perf_counter() - started
    return {
        "read_seconds": read,
        "model_seconds": model,
        "paths": len(paths.lengths),
        "conversions": result.conversions,
        "value": result.value,
        "removal_effects": result.removal_effects,
    }


def _child_ca(table: str, settings: dict) -> dict:
    import contextlib
    import io
    import re

    printed = io.StringIO()
    # It prints a banner on import and its progress while it simulates (from C++, through
    # Python's print): kept, to read how many journeys it simulated and how many it cut.
    with contextlib.redirect_stdout(printed):
        import ChannelAttribution as ca  # noqa: N813 (its own name)
        import pandas as pd

        started = time.perf_counter()
        data = pd.read_csv(table)
        read = time.perf_counter() - started
        started = time.perf_counter()
        result = ca.markov_model(
            data,
            var_path="path",
            var_conv="total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            order=1,
            out_more=True,
            ncore=1,
            flg_pro=False,
            **settings,
        )
        model = time.perf_counter() - started
    text = printed.getvalue()
    simulations = re.findall(r"Number of simulations: (\d+)", text)
    ended = re.search(r"maximum number of steps \((\d+)\) is reached: ([\d.]+)%", text)
    credited, effects = result["result"], result["removal_effects"]
    names = list(credited["channel_name"])
    return {
        "read_seconds": read,
        "model_seconds": model,
        "paths": len(data),
        "conversions": dict(zip(names, map(float, credited["total_conversions"]), strict=True)),
        "value": dict(zip(names, map(float, credited["total_conversion_value"]), strict=True)),
        "removal_effects": dict(
            zip(
                effects["channel_name"],
                map(float, effects["removal_effects_conversion"]),
                strict=True,
            )
        ),
        # Each round simulates this many journeys in ten folds and keeps one fold's result.
        "simulations": int(simulations[-1]) if simulations else None,
        "rounds": len(simulations),
        "max_step": int(ended.group(1)) if ended else None,
        "cut_short": f"{100 - float(ended.group(2)):.2f}%" if ended else None,
        "printed": text[-2000:],
    }


if __name__ == "__main__":
    side, table, answer_path, settings = sys.argv[1:5]
    if side == "table":
        answer = _write_table(json.loads(settings)["journeys"], table)
    elif side == "accord":
        answer = _child_accord(table)
    else:
        answer = _child_ca(table, json.loads(settings))
    answer["peak_rss_mb"] = _peak_mb()
    Path(answer_path).write_text(json.dumps(answer))
