"""What every benchmark needs: throwaway databases, the `accord` command, a server, a table.

Benchmarks run Accord the way a user does (the `accord` console script in child processes,
a real `accord serve`) and compare it with a plain DB-API baseline on the same kind of
database in the same run. Nothing here touches var/accord.sqlite3: SQLite files live in a
temporary directory and PostgreSQL databases are created and dropped per run.
"""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

HOME = Path(__file__).resolve().parent.parent
# The checkout's own virtual environment; a git worktree has none, so there the one that runs
# the bench (its `accord` beside its Python). Either way the children import the code of the
# checkout the bench lives in (PYTHONPATH in accord_env), whichever copy the environment's
# editable install points at.
_BIN = HOME / ".venv" / "bin"
if not (_BIN / "accord").exists():
    _BIN = Path(sys.executable).parent
ACCORD = str(_BIN / "accord")
PYTHON = str(_BIN / "python")
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgres")
CACHE = HOME / "var" / "bench" / "cache"


class BenchFailure(RuntimeError):
    """Accord gave a wrong answer: a figure measured on it would be meaningless."""


# Databases


@dataclass
class Database:
    engine: str
    url: str
    name: str  # the SQLite file's path, or the PostgreSQL database's name

    def connect(self):
        """A raw DB-API connection in autocommit mode; callers open their own transaction."""
        if self.engine == "sqlite":
            connection = sqlite3.connect(self.name, isolation_level=None)
            # The same durability Accord's settings ask for and the foreign-key checks Django
            # turns on for every SQLite connection (PostgreSQL always checks them), so
            # neither side gets a discount.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            return connection
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    @property
    def placeholder(self) -> str:
        return "?" if self.engine == "sqlite" else "%s"

    def query(self, sql: str, params=()) -> list[tuple]:
        connection = self.connect()
        try:
            return list(connection.execute(sql.replace("?", self.placeholder), params))
        finally:
            connection.close()


class Databases:
    """Creates fresh databases for one run and removes them all at the end."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.created: list[Database] = []

    def __enter__(self) -> "Databases":
        return self

    def __exit__(self, *exc) -> None:
        for db in self.created:
            if db.engine == "postgres":
                _postgres_admin(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
        self.created.clear()

    def fresh(self, engine: str, label: str, template: Database | None = None) -> Database:
        """An empty database, or a copy of `template` (same engine) when given."""
        name = f"accord_bench_{os.getpid()}_{label}"
        if engine == "sqlite":
            path = self.workdir / f"{name}.sqlite3"
            if template is not None:
                # A checkpointed WAL database is the one file; copy it whole.
                with sqlite3.connect(template.name) as connection:
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                shutil.copyfile(template.name, path)
            db = Database("sqlite", f"sqlite:///{path}", str(path))
        elif engine == "postgres":
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            copy = f' TEMPLATE "{template.name}"' if template is not None else ""
            _postgres_admin(f'CREATE DATABASE "{name}"{copy}')
            db = Database("postgres", f"postgres://postgres@127.0.0.1:5432/{name}", name)
        else:
            raise ValueError(f"unknown engine {engine!r}")
        self.created.append(db)
        return db


def _postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(sql)


def _admin_query(sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        return list(connection.execute(sql, params))


def remove_sqlite(path: Path) -> None:
    """An SQLite file and its companions (WAL, shared memory, journal)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# Demo companies kept between runs


@dataclass(frozen=True)
class DemoBuild:
    """What `accord migrate` + `accord demo` build, and what a change of rebuilds it.

    `name` is the benchmark's (it names the cache), `keyed_files` the files besides the
    migrations whose content the key holds: a change to what the build writes rebuilds it.
    With `migrations_keyed` False the migrations are left out of the key, and the benchmark
    migrates its copy instead (`migrate_copy`), as a company's database is upgraded: a new
    migration then costs its run on the copy, not a rebuild of the company.
    """

    name: str
    scale: float
    seed: int
    months: int
    until: str  # fixed, so that a cached database is the same whatever the day
    keyed_files: tuple[str, ...]
    leads_per_scale: int = 20_000
    migrations_keyed: bool = True

    def key(self) -> tuple[str, str]:
        """(prefix, key): the prefix names scale and seed, the key adds what the build reads."""
        digest = hashlib.sha256(f"{self.scale:g} {self.seed} {self.months} {self.until}".encode())
        migrations = sorted((HOME / "src" / "accord").glob("*/migrations/*.py"))
        if not self.migrations_keyed:
            migrations = []
        for path in [HOME / name for name in self.keyed_files] + migrations:
            digest.update(str(path.relative_to(HOME)).encode() + b"\0" + path.read_bytes() + b"\0")
        prefix = f"accord_bench_{self.name}_s{self.scale:g}_r{self.seed}_".replace(".", "p")
        return prefix, prefix + digest.hexdigest()[:12]


def cached_demo(build: DemoBuild, engine: str) -> tuple[Database, float | None]:
    """The built demo database on `engine`, built now if the cache has none; and the build's
    seconds (None when reused). The SQLite file lives in var/bench/cache/; on PostgreSQL the
    database stays, named by the key, to be used as a template. An outdated copy of the same
    benchmark, scale and seed is removed when the new one is built."""
    prefix, key = build.key()
    name, scale = build.name, build.scale
    leads = f"{round(build.leads_per_scale * scale):,} leads"
    if engine == "sqlite":
        CACHE.mkdir(parents=True, exist_ok=True)
        path = CACHE / f"{key}.sqlite3"
        db = Database("sqlite", f"sqlite:///{path}", str(path))
        if path.exists():
            log(f"{name} sqlite: REUSING the cached scale-{scale:g} database ({leads}): {path}")
            return db, None
        for stale in CACHE.glob(f"{prefix}*.sqlite3"):
            log(f"{name} sqlite: removing the outdated cached database {stale.name}")
            stale.unlink()
        building = CACHE / f"{key}.building.sqlite3"
        remove_sqlite(building)
        target = Database("sqlite", f"sqlite:///{building}", str(building))
    else:
        db = Database("postgres", f"postgres://postgres@127.0.0.1:5432/{key}", key)
        names = [
            name
            for (name,) in _admin_query(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]
            )
        ]
        if key in names:
            log(f"{name} postgres: REUSING the cached scale-{scale:g} database ({leads}): {key}")
            return db, None
        for stale in names:
            log(f"{name} postgres: dropping the outdated cached database {stale}")
            _postgres_admin(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        building_name = key[:50] + "_building"
        _postgres_admin(f'CREATE DATABASE "{building_name}"')
        target = Database(
            "postgres", f"postgres://postgres@127.0.0.1:5432/{building_name}", building_name
        )

    log(
        f"{name} {engine}: BUILDING the scale-{scale:g} demo database ({leads}; at scale 50 "
        "this takes tens of minutes, once: it is cached for the next runs)"
    )
    started = time.perf_counter()
    try:
        accord(target, "migrate", "--noinput", "--verbosity", "0")
        out = accord(
            target,
            "demo",
            "--seed",
            str(build.seed),
            "--scale",
            f"{scale:g}",
            "--months",
            str(build.months),
            "--until",
            build.until,
        )
        if engine == "sqlite":
            connection = target.connect()
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            remove_sqlite(Path(db.name))
            os.replace(target.name, db.name)
        else:
            # Visibility map, hint bits and statistics in place, as autovacuum would leave
            # a real database; every copy inherits them.
            connection = target.connect()
            connection.execute("VACUUM (ANALYZE)")
            connection.close()
            _postgres_admin(f'ALTER DATABASE "{target.name}" RENAME TO "{key}"')
    except BaseException:
        if engine == "sqlite":
            remove_sqlite(Path(target.name))
        else:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')
        raise
    seconds = time.perf_counter() - started
    summary = ", ".join(" ".join(line.split()) for line in out.splitlines()[:7] if line.strip())
    log(f"{name} {engine}: built in {seconds:.0f} s: {summary}")
    return db, seconds


# The accord command


def migrate_copy(db: Database) -> float:
    """Bring a copy of a cached database to this checkout's migrations; the seconds it took."""
    started = time.perf_counter()
    accord(db, "migrate", "--noinput", "--verbosity", "0")
    return time.perf_counter() - started


def accord_env(db: Database, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db.url,
        ACCORD_DEMO="1",
        SECRET_KEY="bench",  # noqa: S106 (a throwaway database)
        ACCORD_HOME=str(HOME),
        PYTHONPATH=os.pathsep.join(
            p for p in (str(HOME / "src"), os.environ.get("PYTHONPATH", "")) if p
        ),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def accord(db: Database, *args: str) -> str:
    """Run `accord ARGS` on the database; its stdout, or a loud failure with its output."""
    done = subprocess.run(
        [ACCORD, *args], env=accord_env(db), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchFailure(
            f"accord {' '.join(args)} exited with {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def prepare(db: Database, *, scale: float, months: int = 12) -> None:
    accord(db, "migrate", "--noinput", "--verbosity", "0")
    accord(db, "demo", "--seed", "7", "--scale", f"{scale:g}", "--months", str(months))


def issue_write_token(db: Database, username: str = "ops.manager") -> str:
    code = (
        "from accord.people.models import User; from accord.people import tokens; "
        f"u=User.objects.get(username={username!r}); "
        "print(tokens.issue_token(u, name='bench', scope='write')[1])"
    )
    out = accord(db, "shell", "-c", code)
    # `shell` may print its automatic imports first; the token is the line of its own.
    found = [line.strip() for line in out.splitlines() if line.strip().startswith("acc_")]
    if not found:
        raise BenchFailure(f"no token in the output of accord shell:\n{out}")
    return found[-1]


def drain(db: Database, limit: float = 900) -> float:
    """Wait until the task queue is empty; the seconds it took."""
    started = time.perf_counter()
    while unfinished_tasks(db):
        if time.perf_counter() - started > limit:
            raise BenchFailure(f"the task worker did not empty the queue in {limit:.0f} s")
        time.sleep(0.5)
    return time.perf_counter() - started


def unfinished_tasks(db: Database) -> int:
    """Tasks still to run, leaving out the recurring ones, which are always queued (each
    queues its next run ahead each time it runs): by the project's rule they, and only they,
    live in an app's `tasks` module."""
    return db.query(
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status IN (?, ?) AND task_path NOT LIKE ?",
        ["READY", "RUNNING", "accord.%.tasks.%"],
    )[0][0]


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def measure(cmd: list[str], env: dict[str, str], workdir: Path) -> Measured:
    """Run one child; its wall time and its own peak RSS (wait4 rusage, not the parent's)."""
    out_path, err_path = workdir / "child.out", workdir / "child.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        returncode=child.returncode,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


# The server


def cookies_set(response) -> dict[str, str]:
    """The cookies an HTTP response sets (name -> value); a malformed header is skipped."""
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        jar = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        found.update({name: morsel.value for name, morsel in jar.items()})
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`accord serve` in its own process group, stopped with the whole group."""

    def __init__(
        self, db: Database, workdir: Path, *, web_workers: int = 2, worker: bool = False, **env: str
    ):
        self.port = free_port()
        self.log_path = workdir / f"serve-{db.engine}.log"
        self.cmd = [
            ACCORD,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--web-workers",
            str(web_workers),
        ]
        if not worker:
            self.cmd.append("--no-worker")
        self.env = accord_env(db, **env)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.log = open(self.log_path, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.cmd,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchFailure(f"accord serve exited early; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/login/")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchFailure(f"accord serve did not answer /login/ in {timeout:.0f} s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # The group may outlive its leader for a moment (gunicorn workers shutting down).
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()


# Results


@dataclass
class Figure:
    name: str
    unit: str
    accord: float
    baseline: float | None
    goal: str
    passed: bool | None  # None: reported, no goal
    notes: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.accord / self.baseline

    def as_json(self) -> dict:
        return asdict(self) | {"ratio": self.ratio, "verdict": self.verdict}

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "MISS")


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "s":
        return f"{value:,.2f} s"
    return f"{value:,.0f}/s" if value >= 100 else f"{value:,.1f}/s"


def format_table(figures: list[Figure]) -> str:
    head = ("figure", "Accord", "baseline", "ratio", "goal", "")
    rows = [head] + [
        (
            f.name,
            _number(f.accord, f.unit),
            _number(f.baseline, f.unit),
            "-" if f.ratio is None else f"{f.ratio:.2f}x",
            f.goal,
            f.verdict,
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    align = ("<", ">", ">", ">", "<", "<")
    lines = []
    for n, row in enumerate(rows):
        cells = [f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def log(message: str) -> None:
    """Progress goes to stderr so that stdout carries only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
