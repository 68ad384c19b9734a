"""`accord imports clean`: delete the web import's files that are no longer kept."""

from django.conf import settings
from django.core.management.base import BaseCommand

from accord.imports import retention


class Command(BaseCommand):
    help = "Look after the web import's files."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        clean = actions.add_parser(
            "clean",
            help=(
                "Delete the files of imports that ended more than IMPORT_FILES_KEEP_DAYS "
                "ago, of uploads nobody started within a day, and stray files (the worker "
                "does this daily)."
            ),
        )
        clean.add_argument(
            "--dry-run", action="store_true", help="Say what would be deleted; delete nothing"
        )

    def handle(self, *args, action, **options):
        if action == "clean":
            self.clean(dry_run=options["dry_run"])

    def clean(self, *, dry_run: bool) -> None:
        cleaned = retention.clean(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {cleaned.files} files ({cleaned.bytes / 1024**2:.1f} MB): those of "
            f"{cleaned.jobs} imports and {cleaned.strays} that no import knew. Files are kept "
            f"{settings.IMPORT_FILES_KEEP_DAYS} days after their import ends, a day if it "
            "never starts."
        )
