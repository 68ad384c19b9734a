"""Imports started from the web: upload, preview and map, then run by the task worker.

An import stores its rows batch by batch, each batch in a short transaction of its own
that also saves where the import stands (`ImportJob.resume`), so a large file never keeps
logins and other writes waiting (SQLite has one writer at a time) and an import that stops
goes on from its last stored batch: no row is stored twice and no file stays half
imported. A strict import ("nothing if any row is bad") stays one transaction.

Progress is written to a small file beside the upload, not to the database. The same
file is the job's heartbeat: the worker touches it every few seconds while the job runs,
so a job whose file has gone quiet has lost its worker (killed, or the server stopped)
and is marked interrupted (`mark_interrupted`, run by the worker every half minute and by
the job's page); `retry` goes on with it. A worker asked to stop mid-import (a second
TERM, Ctrl-C) rolls back the batch it was writing and puts the job back in the queue, for
the next worker to go on with.
"""

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone

from accord.core.bulk import refresh_statistics
from accord.crm.kinds import Kind
from accord.crm.models import Channel, ImportJob, ImportMapping, Lead, Opportunity
from accord.imports import csv_import, reading
from accord.imports.formats import (
    FIELDS,
    KEEP_STAGE,
    Format,
    Mapping,
    mapping_for,
    normalise,
)
from accord.imports.items import CREATE, PLACEHOLDER, REJECT, UNASSIGN
from accord.imports.resolver import (
    CHANNEL_CHOICE,
    USER_CHOICE,
    channel_key,
    find_channel,
    find_user,
    known_channels,
    owner_key,
)
from accord.imports.uploads import StoredUpload, new_upload_path, too_large_message
from accord.imports.values import DateOrder
from accord.people import permissions
from accord.people.models import User

VALUE_CODES = {
    "status": Lead.Status.values,
    "lead_status": Lead.Status.values,
    "stage": Opportunity.Stage.values,
}
# Fields naming a person or a channel: values Accord does not know are listed in the
# preview, and the person chooses what each becomes (see `reference_choices`).
PEOPLE_FIELDS = ("owner", "user")
CHANNEL_FIELDS = ("source", "channel")
REFERENCE_FIELDS = PEOPLE_FIELDS + CHANNEL_FIELDS
MAX_REFERENCES = 200
SAMPLE_ROWS = 10
DISTINCT_SCAN_ROWS = 5000
# A running job's worker touches its progress file this often (seconds); a file quiet for
# STALE_AFTER means the worker is gone. With the check every CHECK_EVERY (imports/tasks.py)
# an interrupted job is marked within STALE_AFTER + CHECK_EVERY, under a minute.
HEARTBEAT_EVERY = 5
STALE_AFTER = 20

IMPORT_DENIED = "Admins, sales & marketing operations, leaders and managers import; ask operations."


def _store(upload) -> Path:
    """The upload's path in the imports folder: streamed there already by the page's upload
    handler, or copied there now (refused, and nothing kept, past the size limit)."""
    limit = settings.IMPORT_MAX_MEGABYTES * 1024 * 1024
    if isinstance(upload, StoredUpload):
        upload.close()
        if upload.size > limit:
            upload.discard()
            raise ValidationError(too_large_message())
        return upload.stored_path
    if upload.size is not None and upload.size > limit:
        raise ValidationError(too_large_message())
    path, written = new_upload_path(), 0
    with open(path, "xb") as out:
        for chunk in upload.chunks():
            written += len(chunk)
            if written > limit:
                break
            out.write(chunk)
    if written > limit:
        path.unlink()
        raise ValidationError(too_large_message())
    return path


def accept_upload(actor, upload, *, kind: str, source_system: str = "", fmt: str = "") -> ImportJob:
    """Keep an uploaded file and detect what it is; refuses files that are too large or not
    CSV text, keeping nothing of them."""
    if not permissions.can_import(actor):
        if isinstance(upload, StoredUpload):
            upload.discard()
        permissions.require(False, IMPORT_DENIED)
    path = _store(upload)
    try:
        layout, rows = csv_import.inspect_and_count(path)
    except csv_import.ImportProblem as problem:
        path.unlink(missing_ok=True)
        raise ValidationError(str(problem)) from None
    kind = Kind(kind)
    detected = mapping_for(kind, layout.header, Format(fmt) if fmt else None)
    source = (source_system or detected.format.value).strip()[:40]
    columns = {name: layout.header[i] for name, i in detected.columns.items()}
    values = {k: dict(v) for k, v in detected.values.items()}
    remembered = ImportMapping.objects.filter(source_system=source, kind=kind).first()
    if remembered:
        columns.update({f: h for f, h in remembered.columns.items() if h in layout.header})
        for name, seen in remembered.values.items():
            values.setdefault(name, {}).update(seen)
    job = ImportJob.objects.create(
        created_by=actor,
        kind=kind,
        original_name=upload.name[:255],
        path=str(path),
        size=path.stat().st_size,
        rows_total=rows,
        format=detected.format,
        source_system=source,
        columns=columns,
        values=values,
    )
    return job


def discard_unclaimed(paths: list[Path]) -> None:
    """Delete the uploaded files no import took (its form or CSRF check refused it)."""
    claimed = set(ImportJob.objects.filter(path__in=map(str, paths)).values_list("path", flat=True))
    for path in paths:
        if str(path) not in claimed:
            path.unlink(missing_ok=True)


def mapping_of(job: ImportJob, header: tuple[str, ...]) -> Mapping:
    columns = {f: header.index(h) for f, h in job.columns.items() if h in header}
    return Mapping(Format(job.format), columns, job.values)


def preview(job: ImportJob) -> dict:
    path = Path(job.path)
    layout = csv_import.inspect_file(path)
    sample, distinct = [], {name: set() for name in VALUE_CODES if name in job.columns}
    references = {name: {} for name in REFERENCE_FIELDS if job.columns.get(name) in layout.header}
    for number, cells in reading.rows(path, layout):
        if len(sample) < SAMPLE_ROWS:
            sample.append(cells)
        for name in distinct:
            i = layout.header.index(job.columns[name])
            if i < len(cells) and cells[i].strip() and len(distinct[name]) < 50:
                distinct[name].add(cells[i].strip())
        for name, seen in references.items():
            i = layout.header.index(job.columns[name])
            if i < len(cells) and (value := cells[i].strip()) and len(seen) < MAX_REFERENCES:
                seen.setdefault(_reference_key(name, value), value)
        if number >= DISTINCT_SCAN_ROWS:
            break
    date_problem = ""
    if not job.date_order:
        try:
            csv_import.detect_date_order(path, layout, mapping_of(job, layout.header))
        except csv_import.ImportProblem as problem:
            date_problem = str(problem)
    return {
        "layout": layout,
        "sample": sample,
        "fields": FIELDS[Kind(job.kind)],
        "distinct": {
            name: [_translation(job, name, seen) for seen in sorted(found)]
            for name, found in distinct.items()
            if found
        },
        "date_problem": date_problem,
        "unknown": _unknown_references(job, references),
    }


def _reference_key(name: str, value: str) -> str:
    return owner_key(value) if name in PEOPLE_FIELDS else channel_key(value)


def _unknown_references(job: ImportJob, references: dict[str, dict[str, str]]) -> dict:
    """{field: [(value seen, its key, the choice made so far or "")]} for the owners and
    sources the import would not find in Accord (or only as a deactivated user)."""
    channels = known_channels() if any(n in CHANNEL_FIELDS for n in references) else {}
    unknown = {}
    for name, seen in references.items():
        if name in PEOPLE_FIELDS:
            # A deactivated user is alerted of nothing: asked about like a stranger.
            found = {k: find_user(v) for k, v in seen.items()}
            missing = [(k, v) for k, v in seen.items() if not (found[k] and found[k].is_active)]
        else:
            missing = [(k, v) for k, v in seen.items() if find_channel(v, channels) is None]
        chosen = job.values.get(name, {})
        if missing:
            unknown[name] = [(value, key, chosen.get(key, "")) for key, value in sorted(missing)]
    return unknown


def _person(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


def reference_choices(name: str, actor) -> list[tuple[str, str]]:
    """What an unknown owner or source may become, as (choice, label): for a person, an
    active user, nobody, or (for who may create them) an inactive placeholder; for a source,
    an existing channel or (for who may create them) a new one."""
    may_create = permissions.can_import_everything(actor)
    if name in PEOPLE_FIELDS:
        users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        return [
            (UNASSIGN, "Leave unassigned"),
            *([(PLACEHOLDER, "Create an inactive placeholder user")] if may_create else []),
            *[(f"{USER_CHOICE}{u.pk}", _person(u)) for u in users],
        ]
    channels = Channel.objects.order_by("name")
    return [
        *([(CREATE, "Create it as a new channel")] if may_create else []),
        *[(f"{CHANNEL_CHOICE}{c.key}", c.name) for c in channels],
    ]


def _translation(job: ImportJob, name: str, seen: str) -> tuple[str, str, str]:
    """(value seen, the Accord code it maps to, what the import will do with its rows:
    "mapped", "kept" (a lead status that keeps the stage) or "rejected"), as `Parser.choice`
    and the lead handler read it."""
    mapped = job.values.get(name, {})
    key = normalise(seen)
    code = next(
        (mapped[k] for k in (key, key.replace(" ", ""), key.replace(" ", "_")) if k in mapped),
        "",
    )
    codes = {normalise(c): c for c in VALUE_CODES[name]}
    if code == KEEP_STAGE:
        return seen, code, "kept"
    if code or key in codes:
        return seen, code or codes[key], "mapped"
    if name == "lead_status" and mapped:
        return seen, KEEP_STAGE, "kept"  # a value the map does not know keeps the stage
    return seen, code, "rejected"


def rejection_reasons(report: dict) -> list[tuple[str, str, int]]:
    """(column, reason, rows) for a finished import, most common first."""
    counts = Counter((e["column"], e["message"]) for e in report.get("errors", []))
    return [(column, message, n) for (column, message), n in counts.most_common(20)]


def missing_columns(job: ImportJob, columns: dict) -> str:
    """What the mapping lacks to import this kind at all ("" if nothing)."""
    missing = [s.name for s in FIELDS[Kind(job.kind)] if s.required and not columns.get(s.name)]
    return f"Choose a column for: {', '.join(missing)}." if missing else ""


@transaction.atomic
def start(job: ImportJob, actor, *, columns: dict, values: dict, date_order: str, strict: bool):
    """Save the person's mapping (and remember it for this source), then queue the import."""
    permissions.require(permissions.can_import(actor), IMPORT_DENIED)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.UPLOADED:
        raise ValidationError("This import has already been started.")
    if problem := missing_columns(job, columns):
        raise ValidationError(problem)
    if date_order and date_order not in (DateOrder.DMY, DateOrder.MDY):
        raise ValidationError("Date order must be day/month or month/day.")
    job.columns = {k: v for k, v in columns.items() if v}
    job.values = values
    job.date_order = date_order
    job.strict = strict
    job.status = ImportJob.Status.QUEUED
    job.save()
    ImportMapping.objects.update_or_create(
        source_system=job.source_system,
        kind=job.kind,
        defaults={"columns": job.columns, "values": values},
    )
    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def can_retry(job: ImportJob) -> bool:
    """An interrupted import whose file is still kept can be started over."""
    return (
        job.status == ImportJob.Status.INTERRUPTED
        and job.files_deleted_at is None
        and Path(job.path).is_file()
    )


@transaction.atomic
def retry(job: ImportJob, actor) -> ImportJob:
    """Queue an interrupted import again: it goes on after its last stored batch (from the
    start if it stored none)."""
    permissions.require(permissions.can_import(actor), IMPORT_DENIED)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.INTERRUPTED:
        raise ValidationError("Only an interrupted import can be started again.")
    if not can_retry(job):
        raise ValidationError("The file of this import has been deleted; upload it again.")
    job.status = ImportJob.Status.QUEUED
    job.started_at = job.finished_at = None
    job.error = ""
    job.save()
    progress_path(job).unlink(missing_ok=True)
    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def progress_path(job: ImportJob) -> Path:
    """The job's progress file and heartbeat, beside its upload (where web and worker agree)."""
    return Path(job.path).with_name(f"job-{job.pk}.progress")


def progress(job: ImportJob) -> dict:
    done = 0
    try:
        done = json.loads(progress_path(job).read_text())["done"]
    except (OSError, ValueError, KeyError):
        pass
    if job.status == ImportJob.Status.DONE:
        done = job.rows_total
    total = max(job.rows_total, 1)
    return {"done": done, "total": job.rows_total, "fraction": min(done / total, 1.0)}


def _last_heartbeat(job: ImportJob) -> float:
    """When the job's worker last showed it was alive (seconds since the epoch)."""
    try:
        return progress_path(job).stat().st_mtime
    except OSError:
        return job.started_at.timestamp() if job.started_at else 0.0


def mark_interrupted(jobs: QuerySet | None = None) -> list[int]:
    """Mark the running imports (of `jobs`, or all) whose worker has gone quiet as
    interrupted; their ids."""
    jobs = ImportJob.objects.all() if jobs is None else jobs
    now = time.time()
    running = jobs.filter(status=ImportJob.Status.RUNNING).only("pk", "path", "started_at")
    quiet = [job.pk for job in running if now - _last_heartbeat(job) > STALE_AFTER]
    if quiet:
        ImportJob.objects.filter(pk__in=quiet, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.INTERRUPTED, finished_at=timezone.now()
        )
    return quiet


@contextmanager
def _heartbeat(path: Path, done: int = 0) -> Iterator[None]:
    """Touch `path` every HEARTBEAT_EVERY seconds while the block runs, from a thread: the
    import's own progress can pause for long (reading a large file before the first row)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_EVERY):
            with suppress(OSError):
                path.touch()

    path.write_text(json.dumps({"done": done}))
    thread = threading.Thread(target=beat, name=f"heartbeat {path.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _release(job_id: int) -> None:
    """Put a job the worker gave up on (it is stopping) back in the queue, for the next one."""
    with transaction.atomic():
        released = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.QUEUED, started_at=None
        )
        if released:
            transaction.on_commit(lambda: run_import_job.enqueue(job_id))


def run(job_id: int) -> None:
    """The task body: import the job's file and store the report."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return  # already running or done: a task delivered twice must not import twice
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    progress_file = progress_path(job)

    def report_progress(done: int) -> None:
        progress_file.write_text(json.dumps({"done": done}))

    def checkpoint(state: dict) -> None:
        ImportJob.objects.filter(pk=job.pk).update(resume=state)

    path = Path(job.path)
    resume = csv_import.Resume.of(job.resume)
    try:
        with _heartbeat(progress_file, sum(resume.counts.values()) if resume else 0):
            layout = csv_import.inspect_file(path)
            report = csv_import.run_import(
                job.kind,
                path,
                mapping=mapping_of(job, layout.header),
                source_system=job.source_system,
                date_order=DateOrder(job.date_order) if job.date_order else None,
                strict=job.strict,
                actor=job.created_by,
                progress=report_progress,
                checkpoint=checkpoint,
                resume=resume,
                name=job.original_name,
                # The preview asked about every owner and source it found; one it did not
                # see (past the rows it reads) is refused with its row, never guessed.
                unknown_owners=REJECT,
                unknown_sources=REJECT,
            )
    except csv_import.ImportProblem as problem:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, error=str(problem), finished_at=timezone.now()
        )
        return
    except Exception as error:
        # The batch being written rolled back; the person may go on from the last stored one.
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.INTERRUPTED,
            error=f"The import stopped on an unexpected error ({type(error).__name__}).",
            finished_at=timezone.now(),
        )
        raise
    except BaseException:
        # The worker is stopping (`accord serve` asks twice, or Ctrl-C): the batch being
        # written rolled back; the next worker goes on from the last stored one.
        _release(job.pk)
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        report=json.loads(json.dumps(report.as_json(), default=str)),
        resume=None,
        finished_at=timezone.now(),
    )
    refresh_statistics()


@task
def run_import_job(job_id: int) -> None:
    """Queued by `start`, run by `accord worker`."""
    run(job_id)
