"""`accord backup FILE`: a backup of the whole database while the app keeps serving."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.core.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back the whole database up to FILE (SQLite: online backup; PostgreSQL: pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            backup(file)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up to {file} ({file.stat().st_size:,} bytes).")
