"""Browser tests: Debian's Chromium, driven by Playwright, against a real `accord serve`.

One server for the whole session, on a fresh SQLite database filled by `accord demo`.
Every test gets a fresh browser context (no shared cookies) and fails on any console
error, uncaught exception or Content-Security-Policy violation in the page.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ACCORD = REPO / ".venv" / "bin" / "accord"
SCREENSHOTS = REPO / "screenshots"
DEMO_PASSWORD = "accord-demo"
SERVER_START_TIMEOUT = 60
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark everything in this folder `browser`, before `-m` selects."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium package.")
    pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` to run the browser tests.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_home(tmp: Path) -> Path:
    """A home of its own, so `accord serve` collects static files into a fresh var/static.

    A shared var/static keeps files that the finders no longer find, which would hide a
    broken static setup. node_modules (chart.js, htmx) is the checkout's, linked in.
    """
    home = tmp / "home"
    home.mkdir()
    (home / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    return home


def _server_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The test process runs under the test settings (immediate tasks, no STATIC_ROOT);
    # the server must run the real settings, like a user's installation.
    for name in ("DJANGO_SETTINGS_MODULE", "ACCORD_TESTING", "ACCORD_TEST_SQLITE_FILE", "DEBUG"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'accord.sqlite3'}",
        ACCORD_DEMO="1",
        ACCORD_HOME=str(_server_home(tmp)),
        SECRET_KEY="browser-tests-only-not-secret",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(ACCORD), *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    if result.returncode:
        pytest.fail(
            f"`accord {' '.join(args)}` exited with {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="session")
def accord_server(tmp_path_factory) -> Iterator[str]:
    _require_chromium()
    tmp = tmp_path_factory.mktemp("accord-server")
    env = _server_env(tmp)
    _run(["migrate", "--noinput", "--verbosity", "0"], env)
    # The demo ends on a fixed day, so every run clicks through the same company. Built to
    # "today", its draws changed with the date: built on 2026-12-08 the rep owned no MQL, and
    # the tests of the rep's queue and of the content suggestions failed for no change.
    _run(["demo", "--seed", "7", "--scale", "0.05", "--months", "12", "--until", "2026-12-07"], env)

    port = _free_port()
    log_path = tmp / "server.log"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--web-workers", "1"]
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            [str(ACCORD), *serve],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while _status(f"{base_url}/login/") != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {server.returncode}"
                    if server.poll() is not None
                    else f"did not answer within {SERVER_START_TIMEOUT} s"
                )
                pytest.fail(f"`accord serve` {state}:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def browser(accord_server):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_tab(browser, accord_server):
    """Open a tab in a fresh browser context (its own cookies: another person, or nobody).

    Every tab opened is watched; the test fails on any console error, uncaught exception or
    Content-Security-Policy violation in any of them.
    """
    contexts = []
    problems: list[str] = []

    def open_tab():
        context = browser.new_context(
            base_url=accord_server, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = context.new_page()

        def on_console(message):
            if message.type == "error" or "Refused to" in message.text:
                problems.append(f"console {message.type}: {message.text} ({tab.url})")

        tab.on("console", on_console)
        tab.on("pageerror", lambda error: problems.append(f"uncaught: {error} ({tab.url})"))
        return tab

    yield open_tab
    for context in contexts:
        context.close()
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def page(new_tab):
    return new_tab()


@pytest.fixture
def log_in(page):
    """Log in as a demo user through the login form (the one on screen, if it is shown), in
    the test's page or in another tab (`new_tab`)."""

    def as_user(username: str, tab=None):
        tab = tab or page
        if "/login/" not in tab.url:
            tab.goto("/login/")
        tab.get_by_label("Username").fill(username)
        tab.get_by_label("Password").fill(DEMO_PASSWORD)
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_url(lambda url: "/login/" not in url)
        return tab

    return as_user


@pytest.fixture(scope="session")
def screenshot():
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save
