"""`accord worker`: run queued background tasks from the database queue."""

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (imports, rescoring, recomputations) from the database queue."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--max-tasks", type=int, default=None, help="Stop after this many.")
        parser.add_argument(
            "--nice",
            type=int,
            default=0,
            choices=range(0, 20),
            metavar="0-19",
            help="Run at a lower CPU priority (`accord serve` uses 10), so that background "
            "work never slows the web workers on a busy machine.",
        )

    def handle(self, *args, interval, max_tasks, nice, **options):
        if nice:
            os.nice(nice)
        from accord.core import recurring

        # e.g. the service-level tick (then every minute) and the attribution refresh
        # (every ten minutes, recomputing when its data changed)
        recurring.start_all()
        call_command(
            "db_worker",
            queue_name="*",
            interval=interval,
            max_tasks=max_tasks,
            no_startup_delay=True,
            verbosity=options["verbosity"],
        )
