"""How long the web import keeps its files: the upload and its rejected rows.

An import's files are deleted `IMPORT_FILES_KEEP_DAYS` after it ends (done, failed or
interrupted); an upload nobody started, a day after it arrived. The job's record stays,
with `files_deleted_at`, so its page can say what became of them. A file in the imports
folder that no job knows (a request that died between streaming the file and recording
the job) goes after a day too. `accord imports clean` runs this, and the worker daily.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.crm.models import ImportJob
from accord.imports.jobs import progress_path
from accord.imports.uploads import upload_dir

ABANDONED_AFTER = timedelta(days=1)
ENDED = (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.INTERRUPTED)


@dataclass
class Cleaned:
    jobs: int = 0  # imports whose files went
    files: int = 0  # files deleted, strays included
    strays: int = 0  # files no import knew
    bytes: int = 0

    def add(self, path: Path, *, dry_run: bool) -> bool:
        try:
            size = path.stat().st_size
            if not dry_run:
                path.unlink()
        except FileNotFoundError:
            return False
        self.files += 1
        self.bytes += size
        return True


def _files_of(job: ImportJob) -> list[Path]:
    files = [Path(job.path), progress_path(job)]
    if rejects := (job.report or {}).get("rejects_file"):
        files.append(Path(rejects))
    return files


def expired(now: datetime) -> QuerySet:
    """The jobs whose files are due for deletion at `now`."""
    keep = timedelta(days=settings.IMPORT_FILES_KEEP_DAYS)
    return ImportJob.objects.filter(files_deleted_at=None).filter(
        Q(status__in=ENDED, finished_at__lt=now - keep)
        | Q(status=ImportJob.Status.UPLOADED, created_at__lt=now - ABANDONED_AFTER)
    )


def clean(*, now: datetime | None = None, dry_run: bool = False) -> Cleaned:
    """Delete the files that are due (see the module docstring); what was (or would be) freed."""
    now = now or timezone.now()
    cleaned = Cleaned()
    for job in expired(now).only("pk", "path", "report"):
        for path in _files_of(job):
            cleaned.add(path, dry_run=dry_run)
        cleaned.jobs += 1
        if not dry_run:
            ImportJob.objects.filter(pk=job.pk).update(files_deleted_at=now)
    kept = {
        path.resolve()
        for job in ImportJob.objects.filter(files_deleted_at=None).only("pk", "path", "report")
        for path in _files_of(job)
    }
    old = (now - ABANDONED_AFTER).timestamp()
    for path in upload_dir().iterdir():
        if path.is_file() and path.resolve() not in kept and path.stat().st_mtime < old:
            cleaned.strays += cleaned.add(path, dry_run=dry_run)
    return cleaned
