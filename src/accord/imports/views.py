"""Import pages: upload, check the detected mapping, watch the progress, read the result."""

from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accord.crm.kinds import Kind
from accord.crm.models import ImportJob, Lead, Opportunity
from accord.imports import csv_import, jobs
from accord.imports.formats import KEEP_STAGE, Format, normalise
from accord.imports.jobs import IMPORT_DENIED
from accord.imports.uploads import ImportUploadHandler
from accord.people import permissions

VALUE_CHOICES = {
    "status": Lead.Status.choices,
    "lead_status": [(KEEP_STAGE, "Keep the lifecycle stage"), *Lead.Status.choices],
    "stage": Opportunity.Stage.choices,
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k.value, k.value.title()) for k in Kind])
    file = forms.FileField(help_text="A CSV export: HubSpot, Salesforce or Accord's format.")
    source_system = forms.CharField(
        required=False,
        max_length=40,
        help_text="Where the ids come from; leave empty to use the format (hubspot, salesforce…).",
    )
    format = forms.ChoiceField(
        choices=[("", "Detect from the header"), *[(f.value, f.value.title()) for f in Format]],
        required=False,
    )


@csrf_exempt  # checked below, once the upload handler is in place (Django's docs' recipe)
def import_list(request):
    permissions.require(permissions.can_import(request.user), IMPORT_DENIED)
    handler = ImportUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        return _import_list(request, handler)
    finally:
        jobs.discard_unclaimed(handler.stored)  # a refused upload keeps nothing


@csrf_protect
def _import_list(request, handler: ImportUploadHandler):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = jobs.accept_upload(
                request.user,
                data["file"],
                kind=data["kind"],
                source_system=data["source_system"],
                fmt=data["format"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect(job)
    elif request.method == "POST" and handler.refused:
        form.errors["file"] = form.error_class([handler.refused])
    page = Paginator(ImportJob.objects.select_related("created_by"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "imports/list.html", {"form": form, "page": page, "query": ""})


def _job(request, pk) -> ImportJob:
    permissions.require(permissions.can_import(request.user), IMPORT_DENIED)
    return get_object_or_404(ImportJob, pk=pk)


def _status_context(job: ImportJob) -> dict:
    return {"job": job, "progress": jobs.progress(job), "can_retry": jobs.can_retry(job)}


def import_detail(request, pk):
    job = _job(request, pk)
    if jobs.mark_interrupted(ImportJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    if job.status != ImportJob.Status.UPLOADED or job.files_deleted_at:
        context = {**_status_context(job), "reasons": jobs.rejection_reasons(job.report or {})}
        return render(request, "imports/detail.html", context)
    preview = jobs.preview(job)
    header = preview["layout"].header
    errors = []
    if request.method == "POST":
        columns = {s.name: request.POST.get(f"column-{s.name}", "") for s in preview["fields"]}
        bad = [f for f, h in columns.items() if h and h not in header]
        values = {}
        for name, seen_values in preview["distinct"].items():
            allowed = {code for code, _ in VALUE_CHOICES[name]}
            chosen = {}
            for i, (seen, _, _) in enumerate(seen_values):
                code = request.POST.get(f"value-{name}-{i}", "")
                if code and code not in allowed:
                    bad.append(f"{name} value {seen}")
                elif code:
                    chosen[normalise(seen)] = code
            values[name] = {**job.values.get(name, {}), **chosen}
        unanswered = []
        for name, unknown in preview["unknown"].items():
            if columns.get(name) != job.columns.get(name):
                # Another column (or none) now: its unknown values are refused with their
                # rows, as any the preview did not see.
                values[name] = job.values.get(name, {})
                continue
            allowed = {choice for choice, _ in jobs.reference_choices(name, request.user)}
            chosen = {}
            for i, (seen, key, _) in enumerate(unknown):
                choice = request.POST.get(f"ref-{name}-{i}", "")
                if not choice:
                    unanswered.append(f"{name} “{seen}”")
                elif choice not in allowed:
                    bad.append(f"{name} {seen}")
                else:
                    chosen[key] = choice
            values[name] = {**job.values.get(name, {}), **chosen}
        if bad:
            errors.append(f"Unknown choices for: {', '.join(bad)}.")
        if unanswered:
            errors.append(f"Choose what becomes of {', '.join(unanswered)}.")
        if errors and (problem := jobs.missing_columns(job, columns)):
            errors.insert(0, problem)
        if not errors:
            try:
                jobs.start(
                    job,
                    request.user,
                    columns=columns,
                    values=values,
                    date_order=request.POST.get("date_order", ""),
                    strict=request.POST.get("strict") == "on",
                )
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                return redirect(job)
    context = {
        "job": job,
        "preview": preview,
        "header": header,
        "errors": errors,
        "value_choices": VALUE_CHOICES,
        "reference_choices": {
            name: jobs.reference_choices(name, request.user) for name in preview["unknown"]
        },
    }
    return render(request, "imports/preview.html", context, status=400 if errors else 200)


def import_progress(request, pk):
    job = _job(request, pk)
    if jobs.mark_interrupted(ImportJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    response = render(request, "imports/detail.html#status", _status_context(job))
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        response["HX-Refresh"] = "true"  # show the full summary once
    return response


@require_POST
def import_retry(request, pk):
    job = _job(request, pk)
    try:
        jobs.retry(job, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(job)


def import_rejects(request, pk):
    job = _job(request, pk)
    path = (job.report or {}).get("rejects_file")
    if not path or not Path(path).is_file():
        raise Http404("This import has no rejected rows.")
    name = f"{Path(job.original_name).stem}-rejects.csv"
    return StreamingHttpResponse(
        csv_import.inert_rejects(Path(path)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, name)},
    )
