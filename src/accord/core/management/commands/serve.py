"""`accord serve`: gunicorn for the web and one task worker, started and stopped together."""

import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

WORKER_NICENESS = 10


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

    def handle(self, *args, host, port, web_workers, no_worker, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a port number (1-65535).")
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
        ]
        # Background work (scoring, backtests, imports) yields the CPU to web requests.
        worker = [sys.executable, "-m", "accord.cli", "worker", "--nice", str(WORKER_NICENESS)]
        children = [subprocess.Popen(web)]
        if not no_worker:
            children.append(subprocess.Popen(worker))
        self.stdout.write(f"Accord is serving on http://{host}:{port}/  (Ctrl-C stops it)")

        def stop(*_):
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
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed:
            raise CommandError(f"{' '.join(failed[0].args[:4])} exited with {failed[0].returncode}")
