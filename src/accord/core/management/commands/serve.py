"""`accord serve`: gunicorn for the web and one task worker, started and stopped together.

Stopping (TERM or Ctrl-C) is graceful: gunicorn finishes the requests in flight; the
worker is asked to stop after its current task, and a task still running after `--grace`
seconds is asked to stop too (a second TERM: an import rolls back and goes back in the
queue for the next start). Only a worker that ignores both is killed.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

WORKER_NICENESS = 10
WEB_STOP_SECONDS = 15  # gunicorn's own --graceful-timeout is 10
RELEASE_SECONDS = 30  # for a task asked to stop to roll back and let go of its work


class Command(BaseCommand):
    help = "Serve Accord with gunicorn and run one background task worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "3")),
            help="gunicorn worker processes (default 3, or WEB_CONCURRENCY).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Serve the web only; run `accord worker` elsewhere.",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="Seconds a stopping worker may take to finish its task before it is asked "
            "to give it back (default 10).",
        )

    def handle(self, *args, host, port, web_workers, no_worker, grace, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a port number (1-65535).")
        if grace < 0:
            raise CommandError(f"--grace {grace} is negative.")
        call_command("collectstatic", interactive=False, verbosity=0)
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "accord.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(web_workers),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            # gunicorn's largest request line (its default, 4094, answers a long pasted
            # search with a bare "URI Too Long" page before the app can say what is wrong).
            "--limit-request-line",
            "8190",
            # A page computing its kept figures afresh at a million leads (accord.core.figures)
            # may take longer than gunicorn's default of 30 s; the worker's refresh spares
            # most pages that, but none should be cut off for it.
            "--timeout",
            os.environ.get("WEB_TIMEOUT_SECONDS", "120"),
        ]
        # Background work (scoring, backtests, imports) yields the CPU to web requests.
        worker = [sys.executable, "-m", "accord.cli", "worker", "--nice", str(WORKER_NICENESS)]
        children = [subprocess.Popen(web)]
        if not no_worker:
            children.append(subprocess.Popen(worker))
        self.stdout.write(f"Accord is serving on http://{host}:{port}/  (Ctrl-C stops it)")

        stopping = []

        def stop(*_):
            # Once: a second TERM tells the worker to give up its task at once.
            if not stopping:
                stopping.append(time.monotonic())
                for child in children:
                    if child.poll() is None:
                        child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            # If either process dies, stop the other: a web without its worker silently
            # queues work that never runs.
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child, seconds in zip(children, (WEB_STOP_SECONDS, grace), strict=False):
                _wait_or_kill(child, max(0.0, stopping[0] + seconds - time.monotonic()))
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed:
            raise CommandError(f"{' '.join(failed[0].args[:4])} exited with {failed[0].returncode}")


def _wait_or_kill(child: subprocess.Popen, timeout: float) -> None:
    """Wait for a child asked to stop; then ask again (the worker lets go of its task on the
    second TERM); kill it only if it still runs."""
    try:
        child.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        child.terminate()
    try:
        child.wait(timeout=RELEASE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
