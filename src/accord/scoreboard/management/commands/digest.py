"""`accord digest send [--dry-run] [--week YYYY-Www]`: the weekly digest by hand."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accord.scoreboard import digest


class Command(BaseCommand):
    help = "The weekly scoreboard digest: send it now, or print it (--dry-run)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser(
            "send",
            help="Send this week's digest to everybody who has not had it (any day).",
        )
        send.add_argument("--week", default=None, help="an ISO week, e.g. 2026-W49")
        send.add_argument(
            "--dry-run", action="store_true", help="print it and who would get it; send nothing"
        )

    def handle(self, *args, action: str, week, dry_run, **options):
        try:
            found = digest.build(timezone.now(), week)
        except digest.DigestWeekError as error:
            raise CommandError(str(error)) from None
        if dry_run:
            waiting = digest.recipients().exclude(last_weekly_digest=found.week)
            self.stdout.write(f"Subject: {found.subject}\n")
            self.stdout.write(found.text())
            names = ", ".join(p.email for p in waiting) or "nobody (all had it this week)"
            self.stdout.write(f"\nWould go to: {names}")
            return
        sent = digest.send(timezone.now(), week=week, force=True)
        self.stdout.write(f"Sent the {found.week} digest to {sent} people.")
