"""`accord restore FILE [--replace]`: replace the whole database with a backup."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.core.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by `accord backup`. Stop `accord serve` "
        "first; run `accord migrate` after restoring a backup of an older version."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="Replace a database that holds data."
        )

    def handle(self, *args, file: Path, replace: bool, **options):
        try:
            restore(file, replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored the database from {file}.")
