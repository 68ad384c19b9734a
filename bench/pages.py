"""The pages people read, under load, against a bare Django page on the same server.

The demo company at scale 10 (`accord migrate` + `accord demo --seed 7 --scale 10 --months
24 --until 2026-11-01`: 200,000 leads, ~2.5 million touchpoints; --quick or
BENCH_PAGES_SCALE: another scale), cached as `rescore` and `attribution` cache theirs
(common.cached_demo), and a fresh copy of it per run. The demo leaves its two attribution
runs queued and no backtest, so before the server starts one child (`accord shell`) does
what the worker would: it computes the queued runs, runs a backtest of the proposed
definition beside the active one, as a leader would start it from the definition's page, and
refreshes the content influence (the worker's ten-minute task).

Served by `accord serve` with its default web workers (3: `--web-workers 3`, gunicorn's sync
workers) and no task worker, with ACCORD_BENCH_BASELINE=1, which adds the bare page
/bench/bare/: a small template rendered with no database query (accord.core.views).

The load, standard library only: the leader `cmo` signs in once as a browser does (GET
/login/ for the CSRF cookie and token, POST the form, keep the session cookie; a GET of /
must then answer 200). Then, page after page, CLIENTS threads (BENCH_PAGES_CLIENTS, default
20), each with its own HTTP/1.1 connection (reopened after an error, and after each answer,
since gunicorn's sync workers close it) and the session and CSRF cookies, request the page
back to back for SECONDS (BENCH_PAGES_SECONDS, default 60; --quick 10), after two warm-up
requests that are not counted. An error is a status other than 200, a redirect to the login
page, no answer within 120 s, or a broken connection; it counts at the time it took, and the
percentiles are over every request (nearest rank). The bare page is measured first and
again last; the baseline is the larger of its two p95s.

Each page's figure: its p95 against the bare page's. Goal: at most 5x the bare page's p95,
and no error (with one client, BENCH_PAGES_CLIENTS=1, and at scale 100 or more, where the
bench runs one client: at most 10x).

Then the worker's recurring work, one run of each on the same copy, each in its own child
`accord shell -c` that times the work alone (Django's start is not counted), at the end of
the demo's history (2026-11-01 00:00 UTC): the service-level tick (`alerts.tick`, its
last tick set a minute before), the attribution refresh (`actions.refresh`) and the
incremental scoring pass (`scoring.score_pending`, the task the worker runs a few seconds
after leads change) over the leads touched or created in the history's last day. Goal: at
most half of the task's interval (the tick's minute, the refresh's ten minutes, and the 5 s
the scoring pass waits for a burst of writes).
"""

import http.client
import json
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from common import (
    HOME,
    BenchFailure,
    Database,
    Databases,
    DemoBuild,
    Figure,
    Server,
    accord,
    cached_demo,
    cookies_set,
    log,
    migrate_copy,
)

NAME = "pages"

DEMO_SEED = 7
DEMO_MONTHS = 24
DEMO_UNTIL = "2026-11-01"  # fixed, so that the cached database is the same whatever the day
FULL_SCALE = 10
QUICK_SCALE = 1
# Two years of history: 20,000 leads per unit of scale, as the issue measured.
LEADS_PER_SCALE = 20_000
ONE_CLIENT_FROM_SCALE = 100  # from this scale on, one client at a time

CLIENTS = 20
SECONDS = 60
QUICK_SECONDS = 10
WARM_UP = 2  # requests before the clock, not counted
TIMEOUT = 120  # seconds a request may take before it counts as an error
WEB_WORKERS = 3  # `accord serve`'s default (WEB_CONCURRENCY unset)

LEADER, PASSWORD = "cmo", "accord-demo"
GOAL = 5.0  # a page's p95 <= 5x the bare page's, with no error
ONE_CLIENT_GOAL = 10.0
TICK_GOAL = 0.5  # a recurring task's run <= half its interval

BARE = "/bench/bare/"
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
MARK = "BENCH-PAGES "  # the children's answer line, after whatever `accord shell` prints


def run(engines: list[str], quick: bool, workdir: Path) -> list[Figure]:
    scale = float(os.environ.get("BENCH_PAGES_SCALE") or (QUICK_SCALE if quick else FULL_SCALE))
    clients = int(os.environ.get("BENCH_PAGES_CLIENTS") or CLIENTS)
    seconds = float(os.environ.get("BENCH_PAGES_SECONDS") or (QUICK_SECONDS if quick else SECONDS))
    if scale >= ONE_CLIENT_FROM_SCALE:
        clients = 1
    if clients < 1 or seconds <= 0:
        raise BenchFailure("BENCH_PAGES_CLIENTS and BENCH_PAGES_SECONDS must be positive")
    build = DemoBuild(
        name=NAME,
        scale=scale,
        seed=DEMO_SEED,
        months=DEMO_MONTHS,
        until=DEMO_UNTIL,
        keyed_files=_demo_files(),
        leads_per_scale=LEADS_PER_SCALE,
        migrations_keyed=False,
    )
    figures = []
    with Databases(workdir) as databases:
        for engine in engines:
            cached, build_seconds = cached_demo(build, engine)
            # A copy of its own, so that nothing the pages or the ticks write reaches the cache.
            db = databases.fresh(engine, NAME, template=cached)
            log(f"{NAME} {engine}: copy migrated in {migrate_copy(db):.0f} s")
            prepared = _prepare(db)
            pages = _pages(db, prepared)
            loads = _serve_and_load(db, workdir, pages, clients, seconds)
            engine_figures = _page_figures(engine, loads, clients, scale, seconds)
            engine_figures += _ticks(db, engine)
            for figure in engine_figures:
                figure.notes["cache"] = "reused" if build_seconds is None else "built"
            figures += engine_figures
    return figures


def _demo_files() -> tuple[str, ...]:
    """What the demo build writes with: every module of the demo app (accord.demo)."""
    modules = sorted((HOME / "src" / "accord" / "demo").glob("*.py"))
    return tuple(str(p.relative_to(HOME)) for p in modules)


# The copy, as a worker would have left it


PREPARE = """
import json, time
from datetime import date
import accord
from accord.attribution import compute
from accord.attribution.models import AttributionRun
from accord.people.models import User
from accord.qualify import backtest, scoring
from accord.qualify.models import BacktestRun, LeadDefinition

answer = {"code": accord.__file__, "attribution_runs": [], "backtest": None}
for run in AttributionRun.objects.filter(status=AttributionRun.Status.QUEUED).order_by("id"):
    started = time.perf_counter()
    compute.compute_run.call(run.pk)
    run.refresh_from_db()
    answer["attribution_runs"].append(
        {"id": run.pk, "basis": run.basis, "status": run.status, "error": run.error[:500],
         "seconds": round(time.perf_counter() - started, 2)}
    )
done = BacktestRun.objects.filter(status=BacktestRun.Status.DONE).order_by("-id").first()
started = time.perf_counter()
if done is None:
    active = scoring.active_definition()
    others = LeadDefinition.objects.order_by("-version")
    definition = (others.exclude(pk=active.pk) if active else others).first() or active
    start, end = backtest.default_window(date.fromisoformat(UNTIL))
    done = backtest.start(User.objects.get(username=LEADER), definition, start, end)
    # The worker's part, here (the task it queued stays in the queue, where nothing runs it).
    backtest.run_backtest.call(done.pk)
    done.refresh_from_db()
answer["backtest"] = {"id": done.pk, "status": done.status, "error": done.error[:500],
                      "definition": done.definition.version,
                      "seconds": round(time.perf_counter() - started, 2)}
# Content influence, which the worker refreshes every ten minutes: without it, an asset page
# finds nothing stored and asks the worker for a refresh on every view.
from accord.content import influence
started = time.perf_counter()
influence.refresh()
answer["influence_seconds"] = round(time.perf_counter() - started, 2)
print(MARK + json.dumps(answer))
"""


def _prepare(db: Database) -> dict:
    started = time.perf_counter()
    code = f"UNTIL = {DEMO_UNTIL!r}; LEADER = {LEADER!r}; MARK = {MARK!r}\n" + PREPARE
    answer = _answer(accord(db, "shell", "-c", code))
    served = Path(answer["code"]).resolve()
    if not served.is_relative_to(HOME / "src"):
        raise BenchFailure(f"the children import Accord from {served}, not from {HOME / 'src'}")
    failed = [r for r in answer["attribution_runs"] if r["status"] != "done"]
    if failed or answer["backtest"]["status"] != "done":
        raise BenchFailure(f"{NAME} {db.engine}: preparing the copy failed: {answer}")
    runs = ", ".join(f"{r['basis']} {r['seconds']:.1f} s" for r in answer["attribution_runs"])
    log(
        f"{NAME} {db.engine}: copy prepared in {time.perf_counter() - started:.0f} s (code from "
        f"{served.parent}): attribution runs computed ({runs or 'none queued'}), backtest "
        f"{answer['backtest']['id']} of v{answer['backtest']['definition']} done "
        f"({answer['backtest']['seconds']:.1f} s), content influence refreshed "
        f"({answer['influence_seconds']:.1f} s)"
    )
    return answer


def _answer(out: str) -> dict:
    lines = [line for line in out.splitlines() if line.startswith(MARK)]
    if not lines:
        raise BenchFailure(f"no answer in the output of accord shell:\n{out[-3000:]}")
    return json.loads(lines[-1][len(MARK) :])


# The pages


def _pages(db: Database, prepared: dict) -> list[tuple[str, str]]:
    """(label, path) of each page, with realistic rows of the demo in the addresses."""

    def one(sql: str, params=()):
        rows = db.query(sql, params)
        if not rows or rows[0][0] is None:
            raise BenchFailure(f"{NAME} {db.engine}: the demo has nothing for: {sql}")
        return rows[0][0]

    lead = one(
        "SELECT lead_id FROM crm_touchpoint GROUP BY lead_id ORDER BY count(*) DESC, lead_id "
        "LIMIT 1"
    )
    account = one(
        "SELECT account_id FROM crm_lead WHERE account_id IS NOT NULL GROUP BY account_id "
        "ORDER BY count(*) DESC, account_id LIMIT 1"
    )
    # A common surname: a search a person types.
    surname = one(
        "SELECT lower(last_name) FROM crm_lead WHERE last_name <> '' GROUP BY lower(last_name) "
        "ORDER BY count(*) DESC, lower(last_name) LIMIT 1"
    )
    plan = _plan_in_force(db)
    backtest = prepared["backtest"]["id"]
    # The asset with the longest history: the heaviest asset page.
    asset = one(
        "SELECT asset_id FROM content_assetversion GROUP BY asset_id ORDER BY count(*) DESC, "
        "asset_id LIMIT 1"
    )
    touches = one("SELECT count(*) FROM crm_touchpoint WHERE lead_id = ?", [lead])
    leads = one("SELECT count(*) FROM crm_lead WHERE account_id = ?", [account])
    log(
        f"{NAME} {db.engine}: lead {lead} ({touches} touchpoints), account {account} "
        f"({leads} leads), plan {plan}, backtest {backtest}, search {surname!r}"
    )
    return [
        ("overview", "/"),
        ("leads, MQLs by score", "/leads/?" + urlencode({"status": "mql", "sort": "score"})),
        ("leads, search", "/leads/?" + urlencode({"q": surname})),
        ("lead", f"/leads/{lead}/"),
        ("account", f"/accounts/{account}/"),
        ("plans", "/plans/"),
        ("plan", f"/plans/{plan}/"),
        ("scoreboard", "/scoreboard/"),
        ("follow-up board", "/sla/"),
        ("both ways", "/sla/two-way/"),
        ("sales reviews", "/qualify/reviews/"),
        ("lead value", "/qualify/value/"),
        ("lead definitions", "/qualify/"),
        ("backtest", f"/qualify/backtests/{backtest}/"),
        ("attribution", "/attribution/"),
        ("attribution money", "/attribution/money/"),
        ("notifications", "/notifications/"),
        ("imports", "/imports/"),
        ("rep's queue", "/sla/queue/"),
        ("content library", "/content/"),
        ("asset", f"/content/{asset}/"),
        ("content owners", "/content/owners/"),
    ]


def _plan_in_force(db: Database) -> int:
    """The plan whose fiscal year holds the demo's last day, or the newest."""
    until = tuple(int(part) for part in DEMO_UNTIL.split("-"))
    month = until[0] * 12 + until[1] - 1
    plans = db.query("SELECT id, fiscal_year, first_month FROM plan_plan ORDER BY id DESC")
    if not plans:
        raise BenchFailure(f"{NAME} {db.engine}: the demo has no plan")
    for pk, year, first in plans:
        start = year * 12 + first - 1
        if start <= month < start + 12:
            return pk
    return max(plans, key=lambda p: (p[1], p[0]))[0]


# The load


@dataclass
class Load:
    label: str
    path: str
    clients: int
    seconds: float = 0.0
    load_average: float = 0.0  # the machine's, over the last minute, at the end
    latencies: list[float] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (what, the answer's head)

    def percentile(self, q: float) -> float:
        """Nearest rank: the smallest value with at least q of the values at or below it."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    def summary(self) -> dict:
        kinds: dict[str, int] = {}
        for what, _ in self.errors:
            kinds[what] = kinds.get(what, 0) + 1
        return {
            "path": self.path,
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "requests": len(self.latencies),
            "errors": len(self.errors),
            "errors_by_kind": kinds,
            "first_error": list(self.errors[0]) if self.errors else None,
            "p50_s": round(self.percentile(0.5), 4),
            "p95_s": round(self.percentile(0.95), 4),
            "max_s": round(max(self.latencies), 4),
            "requests_per_s": round(len(self.latencies) / self.seconds, 1),
            "load_average_1m": round(self.load_average, 2),
        }


class Client:
    """One simulated person: one HTTP/1.1 connection (http.client opens it again after an
    answer that closes it, and the client after an error) and the signed-in cookies."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[float, tuple[str, str] | None]:
        """(seconds, None) for a good answer, (seconds, (what, head)) for an error."""
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=TIMEOUT
                )
            self.connection.request("GET", path, headers={"Cookie": self.cookie})
            response = self.connection.getresponse()
            body = response.read()
        except TimeoutError:
            self.close()
            return time.perf_counter() - started, ("timeout", f"no answer in {TIMEOUT} s")
        except (OSError, http.client.HTTPException) as problem:
            self.close()
            return time.perf_counter() - started, ("connection", repr(problem)[:200])
        seconds = time.perf_counter() - started
        location = response.getheader("Location") or ""
        if 300 <= response.status < 400 and "/login/" in location:
            return seconds, ("to the login page", f"HTTP {response.status} to {location}")
        if response.status != 200:
            head = body[:300].decode("utf-8", "replace")
            return seconds, (f"HTTP {response.status}", " ".join(head.split()))
        return seconds, None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _sign_in(port: int) -> dict[str, str]:
    """The leader's cookies (session and CSRF) after signing in as a browser does."""
    cookies: dict[str, str] = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def request(method: str, path: str, body=None, headers=None):
        headers = dict(headers or {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        cookies.update(cookies_set(response))
        return response, payload

    try:
        response, page = request("GET", "/login/")
        found = CSRF_INPUT.search(page)
        if response.status != 200 or not found or "csrftoken" not in cookies:
            raise BenchFailure(f"GET /login/: HTTP {response.status}, no CSRF token or cookie")
        form = {
            "csrfmiddlewaretoken": found.group(1).decode(),
            "username": LEADER,
            "password": PASSWORD,
            "next": "",
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response, _ = request("POST", "/login/", urlencode(form).encode(), headers)
        location = response.getheader("Location") or ""
        if response.status != 302 or "/login/" in location or "sessionid" not in cookies:
            raise BenchFailure(
                f"signing in as {LEADER}: HTTP {response.status} to {location!r}, cookies "
                f"{sorted(cookies)}"
            )
        response, _ = request("GET", "/")
        if response.status != 200:
            raise BenchFailure(
                f"signed in as {LEADER}, GET / answers HTTP {response.status} "
                f"(to {response.getheader('Location')!r})"
            )
    finally:
        connection.close()
    return {name: cookies[name] for name in ("sessionid", "csrftoken")}


def _load(port: int, cookies: dict, label: str, path: str, clients: int, seconds: float) -> Load:
    """`clients` threads requesting `path` back to back for `seconds`, after the warm-up."""
    warm = Client(port, cookies)
    for _ in range(WARM_UP):
        warm.get(path)
    warm.close()

    load = Load(label, path, clients)
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        me = Client(port, cookies)
        latencies, errors = [], []
        ready.wait()
        try:
            while time.perf_counter() < deadline[0]:
                took, error = me.get(path)
                latencies.append(took)
                if error is not None:
                    errors.append(error)
        finally:
            me.close()
            with lock:
                load.latencies += latencies
                load.errors += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    ready.wait()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    load.load_average = os.getloadavg()[0]  # other work on the machine shows here
    if not load.latencies:
        raise BenchFailure(f"{label}: no request was made")
    return load


def _serve_and_load(
    db: Database, workdir: Path, pages: list[tuple[str, str]], clients: int, seconds: float
) -> dict:
    engine = db.engine
    with Server(db, workdir, web_workers=WEB_WORKERS, ACCORD_BENCH_BASELINE="1") as server:
        cookies = _sign_in(server.port)
        log(
            f"{NAME} {engine}: signed in as {LEADER}; {len(pages)} pages and the bare page twice, "
            f"{clients} client(s) x {seconds:g} s each, {WEB_WORKERS} web workers"
        )

        def measure(label: str, path: str) -> Load:
            load = _load(server.port, cookies, label, path, clients, seconds)
            s = load.summary()
            line = (
                f"{NAME} {engine}: {label} ({path}): p50 {s['p50_s']:.3f} s, p95 "
                f"{s['p95_s']:.3f} s, max {s['max_s']:.3f} s, {s['requests']} requests "
                f"({s['requests_per_s']:.1f}/s), {s['errors']} errors; load average "
                f"{s['load_average_1m']:.1f}"
            )
            if load.errors:
                what, head = load.errors[0]
                line += f"; first: {what}: {head[:200]}"
            log(line)
            return load

        first = measure("bare page (first)", BARE)
        loads = [measure(label, path) for label, path in pages]
        last = measure("bare page (last)", BARE)
    for bare in (first, last):
        if len(bare.errors) == len(bare.latencies):
            raise BenchFailure(f"the bare page never answered: {bare.errors[0]}")
    return {"bare": (first, last), "pages": loads}


def _page_figures(
    engine: str, loads: dict, clients: int, scale: float, seconds: float
) -> list[Figure]:
    first, last = loads["bare"]
    bare = max(first.percentile(0.95), last.percentile(0.95))
    goal = ONE_CLIENT_GOAL if clients == 1 else GOAL
    common_notes = {
        "scale": scale,
        "clients": clients,
        "seconds_per_page": seconds,
        "web_workers": WEB_WORKERS,
        "bare_p95_first_s": round(first.percentile(0.95), 4),
        "bare_p95_last_s": round(last.percentile(0.95), 4),
    }
    figures = [
        Figure(
            name=f"{NAME} {engine}: bare page p95 (last beside first)",
            unit="s",
            accord=last.percentile(0.95),
            baseline=first.percentile(0.95),
            goal="none set (the baseline)",
            passed=None,
            notes=common_notes | {"first": first.summary(), "last": last.summary()},
        )
    ]
    for load in loads["pages"]:
        p95 = load.percentile(0.95)
        figures.append(
            Figure(
                name=f"{NAME} {engine}: {load.label} p95",
                unit="s",
                accord=p95,
                baseline=bare,
                goal=f"<= {goal:g}x bare",
                passed=not load.errors and p95 <= goal * bare,
                notes=common_notes | load.summary(),
            )
        )
    return figures


# The worker's recurring work


TICK = """
import json, time
from datetime import datetime, timedelta, timezone
END = datetime.fromisoformat(UNTIL).replace(tzinfo=timezone.utc)
answer = {}
if TASK == "sla":
    from accord.sla import alerts, tasks
    from accord.sla.models import TickState
    TickState.objects.update(last_tick_at=END - tasks.TICK_EVERY)
    started = time.perf_counter()
    answer["did"] = alerts.tick(END)
    answer["seconds"] = time.perf_counter() - started
    answer["interval"] = tasks.TICK_EVERY.total_seconds()
elif TASK == "sla_quiet":
    # The minute after: nothing written, so the tick reads no spell unless a clock turns.
    from accord.sla import alerts, tasks
    from accord.sla.models import TickState
    TickState.objects.update(last_tick_at=END - 2 * tasks.TICK_EVERY)
    alerts.tick(END - tasks.TICK_EVERY)
    started = time.perf_counter()
    answer["did"] = alerts.tick(END)
    answer["seconds"] = time.perf_counter() - started
    answer["interval"] = tasks.TICK_EVERY.total_seconds()
elif TASK == "figures":
    # Every kept figure of the daily pages computed from scratch, with no clock kept either:
    # the worker's first refresh after an upgrade, a restore or a change of the policies.
    from django.core.cache import caches
    from accord.scoreboard import refresh, tasks
    from accord.sla import kept
    caches["figures"].clear()
    kept.forget()
    started = time.perf_counter()
    answer["did"] = {k: round(v, 2) for k, v in refresh.refresh_all().items()}
    answer["seconds"] = time.perf_counter() - started
    answer["interval"] = tasks.REFRESH_EVERY.total_seconds()
elif TASK == "figures_minute":
    # The refresh a minute later, as every minute of a working day: in that minute reps
    # logged a call on 20 MQLs and one lead was accepted, so every figure that reads leads,
    # activities or status changes is computed again; the clocks of those 21 leads alone.
    from django.utils import timezone as tz
    from accord.crm import actions
    from accord.crm.models import Activity, Lead
    from accord.qualify import reviews
    from accord.scoreboard import refresh, tasks
    refresh.refresh_all()
    mqls = Lead.objects.filter(status="mql", owner__is_active=True).order_by("-id")
    for lead in mqls[:20]:
        actions.record_follow_up(lead, actor=lead.owner, kind=Activity.Kind.CALL,
                                 occurred_at=tz.now())
    accepted = mqls[20]
    reviews.accept_lead(accepted, actor=accepted.owner)
    started = time.perf_counter()
    answer["did"] = {k: round(v, 2) for k, v in refresh.refresh_all().items()}
    answer["seconds"] = time.perf_counter() - started
    answer["interval"] = tasks.REFRESH_EVERY.total_seconds()
elif TASK == "attribution":
    from accord.attribution import actions, tasks
    started = time.perf_counter()
    queued = actions.refresh(END.date())
    answer["seconds"] = time.perf_counter() - started
    answer["did"] = {"runs_queued": len(queued)}
    answer["interval"] = tasks.REFRESH_EVERY.total_seconds()
else:
    from django.db.models import Q
    from accord.crm.models import Lead
    from accord.qualify import scoring
    from accord.qualify.models import PendingScore
    since = END - timedelta(days=1)
    ids = set(Lead.objects.filter(Q(created_at__gte=since) | Q(touchpoints__occurred_at__gte=since))
              .values_list("id", flat=True))
    PendingScore.objects.bulk_create([PendingScore(lead_id=i) for i in sorted(ids)])
    started = time.perf_counter()
    scored = scoring.score_pending()
    answer["seconds"] = time.perf_counter() - started
    left = PendingScore.objects.values("lead_id").distinct().count()
    # The passes after it, back to back, until the day's backlog is worked off (the worker
    # waits a few seconds between them).
    passes, drained = 1, time.perf_counter()
    while PendingScore.objects.exists():
        scoring.score_pending()
        passes += 1
    answer["did"] = {"leads_waiting": len(ids), "leads_scored": scored, "left_for_next": left,
                     "passes_for_all": passes,
                     "seconds_for_all": round(answer["seconds"] + time.perf_counter() - drained, 2)}
    answer["interval"] = float(scoring.SCORING_DELAY_SECONDS)
print(MARK + json.dumps(answer, default=str))
"""

TICKS = (
    ("sla", "SLA"),
    ("sla_quiet", "SLA, a quiet minute"),
    ("figures", "kept figures refresh, nothing kept"),
    ("figures_minute", "kept figures refresh, a minute after"),
    ("attribution", "attribution refresh"),
    ("scoring", "scoring"),
)


def _ticks(db: Database, engine: str) -> list[Figure]:
    figures = []
    for task, label in TICKS:
        code = f"UNTIL = {DEMO_UNTIL!r}; TASK = {task!r}; MARK = {MARK!r}\n" + TICK
        answer = _answer(accord(db, "shell", "-c", code))
        seconds, interval = answer["seconds"], answer["interval"]
        log(f"{NAME} {engine}: {label}: {seconds:.2f} s (every {interval:g} s): {answer['did']}")
        figures.append(
            Figure(
                name=f"{NAME} {engine}: {label} tick",
                unit="s",
                accord=seconds,
                baseline=interval,
                goal=f"<= {TICK_GOAL:g}x interval",
                passed=seconds <= TICK_GOAL * interval,
                notes={"task": task, "interval_s": interval, "did": answer["did"]},
            )
        )
    return figures
