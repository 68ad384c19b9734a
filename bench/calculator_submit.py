"""The public calculator's submit under load, against a bare Django page on the same server.

A fresh database per engine with a small demo company (`accord migrate` + `accord demo --seed
7 --scale 0.05 --months 12`), whose published ROI calculator (`analytics-platform-roi`) takes
the submissions. Served by `accord serve` with 3 web workers (gunicorn's sync workers), no task
worker, ACCORD_BENCH_BASELINE=1 (the bare page /bench/bare/) and the public pages' rate limits
lifted: every client posts from 127.0.0.1.

The form keys: a visitor's browser gets one with each page it loads and may submit 3 s later.
So that the load is the submit alone, a child (`accord shell`) makes them all beforehand with
`calculators.public.form_key`, as served a minute ago, and prints each with its request key.

The load, standard library only: CLIENTS threads (50), each with its own HTTP/1.1 connection
(opened again after each answer: gunicorn's sync workers close it), for SECONDS (60; --quick
15) after two warm-up requests each that are not timed. The bare page is loaded first and
again last (the baseline is the larger of its two p95s); between them the submit: each post
a form key of its own, a visitor (four in five new, one in five an address posted before),
and inputs drawn from a seeded generator within the calculator's ranges, asking for JSON.
An error is a status other than 200, an answer other than {"ok": true, ...}, no answer within
120 s or a broken connection; it counts at the time it took; p50, p95 and max are over every
request (nearest rank).

The submit stores the submission and queues its lead (`calculators.capture.attach_lead`): a
burst of visitors waits for the task worker, not for the visitor's answer. So after the load
the real worker (`accord worker`) runs until every accepted submission has its lead and its
touch, and how long that took is reported beside the figure (`worker_seconds`, the backlog of
a minute of 50 clients). Then the database must hold every accepted submission exactly once:
the calculator's submissions are exactly the accepted request keys (warm-up included), one
touchpoint each.

Goal (issue 21's): the submit's p95 <= 5x the bare page's, no error, every accepted
submission stored once.
"""

import http.client
import json
import random
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from common import (
    ACCORD,
    BenchFailure,
    Database,
    Databases,
    Figure,
    Server,
    accord,
    accord_env,
    log,
    prepare,
)
from pages import Load

NAME = "calculator_submit"
SCALE = 0.05
CLIENTS = 50
SECONDS = 60
QUICK_SECONDS = 15
WARM_UP = 2
TIMEOUT = 120
WEB_WORKERS = 3
GOAL = 5.0
SLUG = "analytics-platform-roi"
BARE = "/bench/bare/"
# Form keys made per client: more than a client can post in the time (a submit takes a few
# milliseconds at best; a client that runs out stops and the run fails).
KEYS_PER_CLIENT = {False: 600, True: 200}
MARK = "BENCH-SUBMIT "
UNLIMITED = str(10**9)

KEYS = """
import json, time
from accord.calculators import public
from accord.calculators.models import Calculator
from django.core import signing
calculator = Calculator.objects.get(slug=SLUG)
version = calculator.versions.get(status="published")
issued = time.time() - 60
keys = []
for _ in range(COUNT):
    key = public.form_key(calculator, issued_at=issued)
    keys.append([key, signing.loads(key, salt=public.FORM_SALT)["k"]])
print(MARK + json.dumps({"id": calculator.pk, "inputs": version.inputs, "keys": keys}))
"""


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    seconds = QUICK_SECONDS if quick else SECONDS
    figures = []
    with Databases(workdir) as databases:
        for engine in engines:
            db = databases.fresh(engine, NAME)
            started = time.perf_counter()
            prepare(db, scale=SCALE)
            log(f"{NAME} {engine}: demo company built in {time.perf_counter() - started:.0f} s")
            made = _keys(db, CLIENTS * KEYS_PER_CLIENT[quick])
            figures.append(_measure(db, workdir, made, seconds))
    return figures


def _keys(db: Database, count: int) -> dict:
    code = f"SLUG = {SLUG!r}; COUNT = {count}; MARK = {MARK!r}\n" + KEYS
    out = accord(db, "shell", "-c", code)
    lines = [line for line in out.splitlines() if line.startswith(MARK)]
    if not lines:
        raise BenchFailure(f"no form keys in the output of accord shell:\n{out[-2000:]}")
    return json.loads(lines[-1][len(MARK) :])


def _form(inputs: list[dict], rng: random.Random) -> dict[str, str]:
    """Inputs a visitor might type: within each input's range, as text."""
    typed = {}
    for item in inputs:
        low = float(item.get("min") if item.get("min") not in (None, "") else 0)
        high = float(item.get("max") if item.get("max") not in (None, "") else low + 100)
        high = min(high, low + 1000) if item["type"] != "money" else min(high, low + 200_000)
        if item["type"] == "whole":
            typed[item["key"]] = str(rng.randint(int(low), int(high)))
        elif item["type"] == "percent":
            typed[item["key"]] = f"{rng.uniform(low, high) * 100:.1f}"
        elif item["type"] == "choice":
            typed[item["key"]] = str(rng.choice(item["choices"])["value"])
        elif item["type"] == "yesno":
            typed[item["key"]] = rng.choice(["yes", "no"])
        else:
            typed[item["key"]] = f"{rng.uniform(low, high):.2f}"
    return {f"in_{key}": value for key, value in typed.items()}


class Poster:
    """One client: its connection, its form keys, the request keys the server accepted."""

    def __init__(self, port: int, number: int, keys: list, inputs: list[dict]):
        self.port, self.number, self.keys, self.inputs = port, number, keys, inputs
        self.rng = random.Random(number)
        self.accepted: list[str] = []
        self.sent = 0
        self.connection: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: bytes | None, headers: dict):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response, response.read()

    def get(self, path: str):
        return self._timed(lambda: self._request("GET", path, None, {}), json_answer=False)

    def submit(self):
        if not self.keys:
            raise BenchFailure(f"client {self.number} ran out of form keys; raise KEYS_PER_CLIENT")
        key, request_key = self.keys.pop()
        self.sent += 1
        returning = self.sent > 5 and self.rng.random() < 0.2
        n = self.rng.randint(1, self.sent - 1) if returning else self.sent
        data = {
            "form_key": key,
            "email": f"visitor{self.number}-{n}@bench.example",
            "name": f"Visitor {self.number}-{n}",
            "company": f"Bench Company {self.rng.randint(1, 300)}",
            **_form(self.inputs, self.rng),
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        body = urlencode(data).encode()
        path = f"/c/{SLUG}/submit/"
        took, error = self._timed(lambda: self._request("POST", path, body, headers), True)
        if error is None:
            self.accepted.append(request_key)
        return took, error

    def _timed(self, call, json_answer: bool):
        started = time.perf_counter()
        try:
            response, body = call()
        except TimeoutError:
            self.close()
            return time.perf_counter() - started, ("timeout", f"no answer in {TIMEOUT} s")
        except (OSError, http.client.HTTPException) as problem:
            self.close()
            return time.perf_counter() - started, ("connection", repr(problem)[:200])
        took = time.perf_counter() - started
        if response.status != 200:
            head = " ".join(body[:300].decode("utf-8", "replace").split())
            return took, (f"HTTP {response.status}", head)
        if json_answer:
            try:
                ok = json.loads(body).get("ok") is True
            except ValueError:
                ok = False
            if not ok:
                return took, ("not ok", body[:300].decode("utf-8", "replace"))
        return took, None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _load(label: str, path: str, posters: list[Poster], seconds: float, what) -> Load:
    for poster in posters:
        for _ in range(WARM_UP):
            what(poster)
        poster.close()
    load = Load(label, path, len(posters))
    lock = threading.Lock()
    ready = threading.Barrier(len(posters) + 1)
    deadline = [0.0]
    failures: list[BaseException] = []

    def client(poster: Poster) -> None:
        latencies, errors = [], []
        ready.wait()
        try:
            while time.perf_counter() < deadline[0]:
                took, error = what(poster)
                latencies.append(took)
                if error is not None:
                    errors.append(error)
        except BenchFailure as failure:
            failures.append(failure)
        finally:
            poster.close()
            with lock:
                load.latencies += latencies
                load.errors += errors

    threads = [threading.Thread(target=client, args=(p,), daemon=True) for p in posters]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    ready.wait()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    if not load.latencies:
        raise BenchFailure(f"{label}: no request was made")
    s = load.summary()
    line = (
        f"{NAME}: {label}: p50 {s['p50_s']:.3f} s, p95 {s['p95_s']:.3f} s, max "
        f"{s['max_s']:.3f} s, {s['requests']} requests ({s['requests_per_s']:.1f}/s), "
        f"{s['errors']} errors"
    )
    if load.errors:
        line += f"; first: {load.errors[0][0]}: {load.errors[0][1][:200]}"
    log(line)
    return load


def _stored(db: Database, calculator_id: int) -> tuple[list[str], int]:
    """The calculator's submissions' request keys, and the calculator touches."""
    keys = [
        row[0]
        for row in db.query(
            "SELECT request_key FROM calculators_submission WHERE calculator_id = ?",
            [calculator_id],
        )
    ]
    touches = db.query(
        "SELECT count(*) FROM crm_touchpoint WHERE source_system = 'value-calculators'"
    )[0][0]
    return keys, touches


DRAIN_TIMEOUT = 900


def _drain(db: Database, calculator_id: int, touches_wanted: int) -> float:
    """Run the task worker until the calculator touches reach `touches_wanted` (every accepted
    submission's lead made); the seconds it took. A worker that cannot finish in DRAIN_TIMEOUT
    leaves the count short, and the check after it fails the run."""
    start = time.perf_counter()
    worker = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [ACCORD, "worker", "--interval", "0.2"],
        env=accord_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - start < DRAIN_TIMEOUT:
            if _stored(db, calculator_id)[1] >= touches_wanted:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    seconds = time.perf_counter() - start
    log(f"{NAME} {db.engine}: the worker made the leads and touches in {seconds:.1f} s")
    return seconds


def _measure(db: Database, workdir: Path, made: dict, seconds: float) -> Figure:
    keys, inputs = made["keys"], made["inputs"]
    # What the demo stored before (its own history of submissions, if any) is not ours.
    before_keys, before_touches = _stored(db, made["id"])
    per_client = len(keys) // CLIENTS
    limits = {
        "CALCULATOR_ADDRESS_RATE_LIMIT": UNLIMITED,
        "CALCULATOR_COMPUTE_RATE_LIMIT": UNLIMITED,
        "CALCULATOR_RATE_LIMIT": UNLIMITED,
    }
    with Server(
        db, workdir, web_workers=WEB_WORKERS, ACCORD_BENCH_BASELINE="1", **limits
    ) as server:
        posters = [
            Poster(server.port, n, keys[n * per_client : (n + 1) * per_client], inputs)
            for n in range(CLIENTS)
        ]
        log(
            f"{NAME} {db.engine}: {CLIENTS} clients x {seconds:g} s, {WEB_WORKERS} web "
            f"workers; bare page, submit, bare page"
        )
        first = _load("bare page (first)", BARE, posters, seconds, lambda p: p.get(BARE))
        submit = _load("submit", f"/c/{SLUG}/submit/", posters, seconds, lambda p: p.submit())
        last = _load("bare page (last)", BARE, posters, seconds, lambda p: p.get(BARE))

    accepted = [key for poster in posters for key in poster.accepted]
    worker_seconds = _drain(db, made["id"], before_touches + len(accepted))
    stored_keys, touches = _stored(db, made["id"])
    earlier = set(before_keys)
    stored = [key for key in stored_keys if key not in earlier]
    touches -= before_touches
    distinct = set(stored)
    once = len(stored) == len(distinct) == len(accepted) == touches and distinct == set(accepted)
    log(
        f"{NAME} {db.engine}: {len(accepted)} submissions accepted, {len(stored)} stored "
        f"({len(set(stored))} distinct keys), {touches} calculator touches: "
        + ("each stored once" if once else "NOT each stored once")
    )
    if not once:
        raise BenchFailure(
            f"{NAME} {db.engine}: accepted {len(accepted)}, stored {len(stored)} "
            f"({len(set(stored))} distinct), touches {touches}"
        )
    bare = max(first.percentile(0.95), last.percentile(0.95))
    p95 = submit.percentile(0.95)
    return Figure(
        name=f"{NAME} {db.engine}: submit p95 ({CLIENTS} clients)",
        unit="s",
        accord=p95,
        baseline=bare,
        goal=f"<= {GOAL:g}x bare, 0 errors, each stored once",
        passed=not submit.errors and p95 <= GOAL * bare,
        notes={
            "clients": CLIENTS,
            "seconds": seconds,
            "web_workers": WEB_WORKERS,
            "scale": SCALE,
            "accepted": len(accepted),
            "stored": len(stored),
            "touchpoints": touches,
            "worker_seconds": round(worker_seconds, 1),
            "submit": submit.summary(),
            "bare_first": first.summary(),
            "bare_last": last.summary(),
        },
    )
