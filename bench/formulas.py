"""Formula evaluation: the demo ROI calculator's formulas, compiled once by
`accord.analytics.formulas` (as a calculator is when saved), evaluated 10,000 times with
varying inputs, against the same formulas hand-written as a plain Python function over
Decimal, in the same process and the same run.

Both sides get the same inputs (seeded) and must agree on every value of every evaluation,
or the run fails. Each side runs three times, alternating, and its fastest run counts.
Goal (issue 21's): Accord at least 0.1x the hand-written function's speed. No database:
`--engines` does not apply; the figure is reported once.
"""

import decimal
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

from common import HOME, BenchFailure, Figure, log

sys.path.insert(0, str(HOME / "src"))

from accord.analytics import formulas  # noqa: E402

NAME = "formulas"
GOAL = 0.1
EVALUATIONS = 10_000

# The demo ROI calculator, as data: what a marketer would type into the calculator builder.
INPUTS = {
    "analysts": formulas.Range(Decimal(1), Decimal(500)),
    "hours_saved_per_week": formulas.Range(Decimal(0), Decimal(40)),
    "salary": formulas.Range(Decimal(20000), Decimal(400000)),
    "horizon_years": formulas.Range(Decimal(1), Decimal(5)),
}
CONSTANTS = {
    "working_weeks": Decimal(46),
    "hours_per_year": Decimal(1720),
    "licence_per_seat": Decimal(1200),
    "implementation_cost": Decimal(25000),
    "adoption": Decimal("0.85"),
}
TABLES = {"volume_discount": [(1, Decimal("0")), (25, Decimal("0.05")), (100, Decimal("0.12"))]}
FORMULAS = {
    "hourly_cost": "salary / hours_per_year",
    "hours_saved": "analysts * hours_saved_per_week * working_weeks * adoption",
    "total_benefit": "ROUND(hours_saved * hourly_cost * horizon_years, 2)",
    "licence_cost": "analysts * licence_per_seat * (1 - LOOKUP(analysts, volume_discount))",
    "total_cost": "ROUND(licence_cost * horizon_years + implementation_cost, 2)",
    "net_value": "total_benefit - total_cost",
    "roi": "ROUND(net_value / total_cost, 4)",
    "payback_months": (
        "IF(total_benefit > 0, "
        "ROUND(MIN(total_cost / (total_benefit / (horizon_years * 12)), 120), 1), 120)"
    ),
}


def by_hand(v: dict) -> dict:
    """The same calculator written directly in Python over Decimal."""
    half_up = "ROUND_HALF_UP"
    analysts, hours, salary, years = (
        v["analysts"],
        v["hours_saved_per_week"],
        v["salary"],
        v["horizon_years"],
    )
    hourly_cost = salary / Decimal(1720)
    hours_saved = analysts * hours * Decimal(46) * Decimal("0.85")
    total_benefit = (hours_saved * hourly_cost * years).quantize(Decimal("0.01"), half_up)
    discount = (
        Decimal("0.12") if analysts >= 100 else Decimal("0.05") if analysts >= 25 else Decimal(0)
    )
    licence_cost = analysts * Decimal(1200) * (1 - discount)
    total_cost = (licence_cost * years + Decimal(25000)).quantize(Decimal("0.01"), half_up)
    net_value = total_benefit - total_cost
    roi = (net_value / total_cost).quantize(Decimal("0.0001"), half_up)
    if total_benefit > 0:
        months = min(total_cost / (total_benefit / (years * 12)), Decimal(120))
        payback = months.quantize(Decimal("0.1"), half_up)
    else:
        payback = Decimal(120)
    return {
        "hourly_cost": hourly_cost,
        "hours_saved": hours_saved,
        "total_benefit": total_benefit,
        "licence_cost": licence_cost,
        "total_cost": total_cost,
        "net_value": net_value,
        "roi": roi,
        "payback_months": payback,
    }


def _inputs(count: int) -> list[dict]:
    rng = random.Random(21)
    return [
        {
            "analysts": Decimal(rng.randint(1, 500)),
            "hours_saved_per_week": Decimal(rng.randint(0, 400)) / 10,
            "salary": Decimal(rng.randrange(20000, 400000, 500)),
            "horizon_years": Decimal(rng.randint(1, 5)),
        }
        for _ in range(count)
    ]


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    problems = formulas.check(FORMULAS, inputs=INPUTS, constants=CONSTANTS, tables=TABLES)
    if problems:
        raise BenchFailure(f"{NAME}: the demo calculator does not check: {problems}")
    started = time.perf_counter()
    compiled = formulas.compile_formulas(
        FORMULAS, inputs=INPUTS, constants=CONSTANTS, tables=TABLES
    )
    compile_seconds = time.perf_counter() - started
    cases = _inputs(EVALUATIONS)

    def timed(fn):
        began = time.perf_counter()
        answers = [fn(case) for case in cases]
        return time.perf_counter() - began, answers

    def accord(case):
        return formulas.evaluate(compiled, case)

    # The hand-written function runs in the same context evaluate() enters, so both round alike.
    def baseline(case):
        with decimal.localcontext(formulas.CONTEXT):
            return by_hand(case)

    accord_times, baseline_times = [], []
    for _round in range(3):
        seconds, expected = timed(baseline)
        baseline_times.append(seconds)
        seconds, answers = timed(accord)
        accord_times.append(seconds)
        for case, mine, theirs in zip(cases, answers, expected, strict=True):
            if mine != theirs:
                raise BenchFailure(f"{NAME}: for {case} Accord gave {mine}, by hand {theirs}")
    accord_rate = EVALUATIONS / min(accord_times)
    baseline_rate = EVALUATIONS / min(baseline_times)
    ratio = accord_rate / baseline_rate
    log(
        f"{NAME}: {EVALUATIONS:,} evaluations, Accord {min(accord_times):.3f} s, by hand "
        f"{min(baseline_times):.3f} s ({ratio:.2f}x); "
        f"compiled once in {compile_seconds * 1000:.1f} ms"
    )
    return [
        Figure(
            name=f"{NAME}: demo ROI calculator, {EVALUATIONS:,} evaluations, evaluations/s",
            unit="/s",
            accord=accord_rate,
            baseline=baseline_rate,
            goal=f">= {GOAL}x baseline",
            passed=ratio >= GOAL,
            notes={
                "accord_seconds": [round(s, 4) for s in accord_times],
                "baseline_seconds": [round(s, 4) for s in baseline_times],
                "compile_ms": round(compile_seconds * 1000, 2),
                "values": len(FORMULAS),
            },
        )
    ]
