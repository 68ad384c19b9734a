"""`accord demo`: fill an empty database with Northwind Analytics, the demo company."""

import argparse
import time
from datetime import UTC, date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accord.demo.build import build_demo_company, erase_company, has_company_data
from accord.demo.company import COMPANY_NAME, DEMO_LOGINS, DEMO_PASSWORD
from accord.people.models import User


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-03-31") from None


def _positive(kind):
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            number = 0
        if number <= 0:
            raise argparse.ArgumentTypeError(f"{value!r} is not a positive number")
        return number

    return parse


class Command(BaseCommand):
    help = (
        f"Build {COMPANY_NAME}, a deterministic demo company: the same --seed and --until "
        "always give the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--scale", type=_positive(float), default=1.0, help="1.0 is about 20,000 leads"
        )
        parser.add_argument("--months", type=_positive(int), default=24, help="history length")
        parser.add_argument(
            "--until",
            type=_day,
            default=None,
            metavar="YYYY-MM-DD",
            help="the history ends at the start of this day, UTC (default: today)",
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--reset", action="store_true", help="delete all CRM data, users and teams first"
        )
        existing.add_argument(
            "--if-empty", action="store_true", help="keep a database that already has data"
        )

    def handle(self, *args, seed, scale, months, until, reset, if_empty, **options):
        until = until or datetime.now(UTC).date()
        started = time.perf_counter()
        # Erase and rebuild together: a failed build leaves the old data in place.
        with transaction.atomic():
            if has_company_data():
                if if_empty:
                    self.stdout.write("Database already has data; keeping it.")
                    if User.objects.filter(username=DEMO_LOGINS[0].username).exists():
                        self._print_logins()
                    return
                if not reset:
                    raise CommandError(
                        "The database already has leads, accounts, campaigns or users. "
                        "Use --reset to replace everything with the demo company, "
                        "or --if-empty to keep it."
                    )
                erase_company()
            summary = build_demo_company(seed=seed, scale=scale, months=months, until=until)
        elapsed = time.perf_counter() - started

        self.stdout.write(
            f"Built {COMPANY_NAME} (seed {seed}, scale {scale:g}, {months} months from "
            f"{summary.start:%Y-%m-%d} until {summary.until:%Y-%m-%d}) in {elapsed:.1f} s:"
        )
        width = max(map(len, summary.counts))
        for name, value in summary.counts.items():
            shown = f"{value:,}" if isinstance(value, int) else value
            self.stdout.write(f"  {name.replace('_', ' '):<{width}}  {shown:>12}")
        self.stdout.write("")
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        rows = [("username", "role", "team")] + [
            (person.username, person.role, person.team) for person in DEMO_LOGINS
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for username, role, team in rows:
            self.stdout.write(f"  {username:<{widths[0]}}  {role:<{widths[1]}}  {team}")
