"""The content library's pages. Views parse input and call one verb in `actions`; a refusal
lands on the form (`errors_onto`) or in a message; a PermissionDenied is the 403 page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.content import actions, influence, queries
from accord.content.filters import AssetFilterForm
from accord.content.forms import AssetForm, VersionForm
from accord.content.models import Asset, AssetVersion
from accord.core.engine import EngineError
from accord.core.forms import errors_onto
from accord.people import permissions

PAGE_SIZE = 25


def asset_list(request):
    today = timezone.localdate()
    form = AssetFilterForm(request.GET, today=today)
    page = Paginator(form.apply(queries.assets()), PAGE_SIZE).get_page(request.GET.get("page"))
    for asset in page.object_list:
        asset.review_state = queries.review_state(asset, today)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "title": "Content library",
        "can_create": permissions.can_create_asset(request.user),
        "today": today,
    }
    template = "content/list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


def asset_new(request):
    permissions.require(permissions.can_create_asset(request.user), actions.DENIED_CREATE)
    form = AssetForm(request.POST or None, initial={"owner": request.user.pk})
    version = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and version.is_valid():
        given = version.version()
        try:
            asset = actions.create_asset(
                request.user,
                version=given if (given["file"] or given["url"]) else None,
                **form.cleaned_data,
            )
        except ValidationError as error:
            errors_onto(form, error)
            errors_onto(version, error)
        else:
            messages.success(request, f"Added {asset.title} as a draft.")
            return redirect(asset)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "version_form": version, "asset": None}
    return render(request, "content/form.html", context, status=status)


def asset_edit(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    permissions.require(permissions.can_edit_asset(request.user, asset), actions.DENIED_EDIT)
    form = AssetForm(request.POST or None, initial=AssetForm.initial_from(asset))
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_asset(request.user, asset, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(asset)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "asset": asset}
    return render(request, "content/form.html", context, status=status)


def asset_detail(request, pk: int, version_form=None, status=200):
    asset = get_object_or_404(queries.assets(), pk=pk)
    today = timezone.localdate()
    can_edit = permissions.can_edit_asset(request.user, asset)
    context = {
        "asset": asset,
        "versions": asset.versions.select_related("created_by"),
        "history": queries.history(asset)[:50],
        "review_state": queries.review_state(asset, today),
        "can_edit": can_edit,
        "version_form": version_form or (VersionForm() if can_edit else None),
        "responsible": actions.responsible_people(asset),
        "influence": _asset_influence(asset),
    }
    return render(request, "content/detail.html", context, status=status)


@require_POST
def version_new(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    permissions.require(permissions.can_edit_asset(request.user, asset), actions.DENIED_EDIT)
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = actions.add_version(request.user, asset, **form.version())
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Added version {version.number}.")
            return redirect(asset)
    return asset_detail(request, pk, version_form=form, status=400)


def download(request, pk: int, number: int):
    """A version's file, always as an attachment, with the type detected at upload (the
    browser is told not to guess another: SECURE_CONTENT_TYPE_NOSNIFF)."""
    version = get_object_or_404(AssetVersion, asset_id=pk, number=number)
    if not version.file:
        return redirect(version.url)
    try:
        handle = version.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this version is missing from storage.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=version.file_name,
        content_type=version.content_type or "application/octet-stream",
    )


def _verb(verb, success: str):
    @require_POST
    def view(request, pk: int):
        asset = get_object_or_404(Asset, pk=pk)
        try:
            verb(request.user, asset)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, success.format(title=asset.title))
        return redirect(asset)

    return view


publish = _verb(actions.publish, "Published {title}: reps can use it.")
expire = _verb(actions.expire, "Expired {title}: it is marked so for everybody.")
archive = _verb(actions.archive, "Archived {title}.")
review = _verb(actions.mark_reviewed, "Marked {title} reviewed: the next review is in 90 days.")


def _asset_influence(asset: Asset) -> dict | None:
    """The asset page's influence card: every model on the pipeline basis, by version."""
    try:
        return influence.of_asset(asset)
    except EngineError as error:
        return {"error": str(error)}


def influence_page(request):
    """Every asset's influence under one model and basis: by asset, owner and kind."""
    model = request.GET.get("model") or influence.DEFAULT_MODEL
    basis = request.GET.get("basis") or "pipeline"
    status, error, rows, found = 200, "", [], None
    try:
        influence.check(model, basis)
        found = influence.figures(basis)
        rows = influence.by_asset(found, model)
    except ValueError as refusal:
        status, error = 400, str(refusal)
    except EngineError as refusal:
        status, error = 503, str(refusal)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    used = [row for row in rows if row["credit"]]
    context = {
        "title": "Content influence",
        "models": [(key, influence.LABELS[key]) for key in influence.MODELS],
        "bases": influence.BASES,
        "model": model,
        "basis": basis,
        "label": influence.LABELS.get(model, model),
        "error": error,
        "found": found,
        "page": page,
        "query": query.urlencode(),
        "total": sum((row["credit"] for row in rows), 0),
        "top": used[:5],
        "bottom": [row for row in reversed(rows) if row["asset"].status == "published"][:5],
        "by_owner": influence.rolled_up(rows, "owner", "owner_name"),
        "by_kind": influence.rolled_up(rows, "kind", "kind_label"),
        "chart": {
            "labels": [row["title"] for row in used[:10]],
            "values": [float(row["credit"]) for row in used[:10]],
        },
    }
    return render(request, "content/influence.html", context, status=status)
