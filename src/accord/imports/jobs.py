"""Imports started from the web: upload, preview and map, then run by the task worker.

Progress is written to a small file beside the upload, not to the database: the import
itself runs in one transaction, and nothing it writes is visible before it commits.
"""

import json
import uuid
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from accord.crm.kinds import Kind
from accord.crm.models import ImportJob, ImportMapping, Lead, Opportunity
from accord.imports import csv_import, reading
from accord.imports.formats import (
    FIELDS,
    Format,
    Mapping,
    mapping_for,
    normalise,
)
from accord.imports.values import DateOrder
from accord.people import permissions

VALUE_CODES = {
    "status": Lead.Status.values,
    "lead_status": Lead.Status.values,
    "stage": Opportunity.Stage.values,
}
MAPPED_VALUE_FIELDS = set(VALUE_CODES)
SAMPLE_ROWS = 10
DISTINCT_SCAN_ROWS = 5000


def upload_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def accept_upload(actor, upload, *, kind: str, source_system: str = "", fmt: str = "") -> ImportJob:
    """Store an uploaded file and detect what it is; refuses files that are not CSV text."""
    permissions.require(permissions.can_import(actor), "Only managers, leaders and admins import.")
    limit = settings.IMPORT_MAX_MEGABYTES * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(f"The file is larger than {settings.IMPORT_MAX_MEGABYTES} MB.")
    path = upload_dir() / f"{uuid.uuid4().hex}.csv"
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        layout = csv_import.inspect_file(path)
        rows = sum(1 for _ in reading.rows(path, layout))
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
        size=upload.size,
        rows_total=rows,
        format=detected.format,
        source_system=source,
        columns=columns,
        values=values,
    )
    return job


def mapping_of(job: ImportJob, header: tuple[str, ...]) -> Mapping:
    columns = {f: header.index(h) for f, h in job.columns.items() if h in header}
    return Mapping(Format(job.format), columns, job.values)


def preview(job: ImportJob) -> dict:
    path = Path(job.path)
    layout = csv_import.inspect_file(path)
    sample, distinct = [], {name: set() for name in MAPPED_VALUE_FIELDS if name in job.columns}
    for number, cells in reading.rows(path, layout):
        if len(sample) < SAMPLE_ROWS:
            sample.append(cells)
        for name in distinct:
            i = layout.header.index(job.columns[name])
            if i < len(cells) and cells[i].strip() and len(distinct[name]) < 50:
                distinct[name].add(cells[i].strip())
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
    }


def _translation(job: ImportJob, name: str, seen: str) -> tuple[str, str, bool]:
    """(value seen, the Accord code it maps to, whether the import will understand it)."""
    code = job.values.get(name, {}).get(normalise(seen), "")
    codes = {normalise(c) for c in VALUE_CODES[name]}
    return seen, code, bool(code) or normalise(seen) in codes


def rejection_reasons(report: dict) -> list[tuple[str, str, int]]:
    """(column, reason, rows) for a finished import, most common first."""
    counts = Counter((e["column"], e["message"]) for e in report.get("errors", []))
    return [(column, message, n) for (column, message), n in counts.most_common(20)]


@transaction.atomic
def start(job: ImportJob, actor, *, columns: dict, values: dict, date_order: str, strict: bool):
    """Save the person's mapping (and remember it for this source), then queue the import."""
    permissions.require(permissions.can_import(actor), "Only managers, leaders and admins import.")
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.UPLOADED:
        raise ValidationError("This import has already been started.")
    missing = [s.name for s in FIELDS[Kind(job.kind)] if s.required and not columns.get(s.name)]
    if missing:
        raise ValidationError(f"Choose a column for: {', '.join(missing)}.")
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


def _progress_path(job_id: int) -> Path:
    return upload_dir() / f"job-{job_id}.progress"


def progress(job: ImportJob) -> dict:
    done = 0
    try:
        done = json.loads(_progress_path(job.pk).read_text())["done"]
    except (OSError, ValueError, KeyError):
        pass
    if job.status == ImportJob.Status.DONE:
        done = job.rows_total
    total = max(job.rows_total, 1)
    return {"done": done, "total": job.rows_total, "fraction": min(done / total, 1.0)}


def run(job_id: int) -> None:
    """The task body: import the job's file and store the report."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return  # already done: a task delivered twice must not import twice
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    progress_file = _progress_path(job.pk)

    def report_progress(done: int) -> None:
        progress_file.write_text(json.dumps({"done": done}))

    path = Path(job.path)
    try:
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
        )
    except csv_import.ImportProblem as problem:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, error=str(problem), finished_at=timezone.now()
        )
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        report=json.loads(json.dumps(report.as_json(), default=str)),
        finished_at=timezone.now(),
    )


@task
def run_import_job(job_id: int) -> None:
    """Queued by `start`, run by `accord worker`."""
    run(job_id)
