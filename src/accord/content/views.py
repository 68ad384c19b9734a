"""The content library's pages. Views parse input and call one verb in `actions`; a refusal
lands on the form (`errors_onto`) or in a message; a PermissionDenied is the 403 page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from accord.content import actions, queries, scorecard, suggestions
from accord.content.filters import AssetFilterForm, SuggestionFilterForm
from accord.content.forms import (
    AnswerForm,
    AssetForm,
    SuggestionForm,
    SuggestionSettingsForm,
    VersionForm,
)
from accord.content.models import Asset, AssetVersion, Suggestion, SuggestionSettings
from accord.core.forms import errors_onto
from accord.people import permissions
from accord.people.models import User

PAGE_SIZE = 25
# The asset page shows the latest suggestions; the suggestions page has them all.
SUGGESTIONS_SHOWN = 20


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


def asset_detail(request, pk: int, version_form=None, suggestion_form=None, status=200):
    asset = get_object_or_404(queries.assets(), pk=pk)
    today = timezone.localdate()
    can_edit = permissions.can_edit_asset(request.user, asset)
    can_suggest = permissions.can_file_suggestion(request.user)
    filed = queries.with_deadline_states(
        queries.suggestions().filter(asset=asset)[:SUGGESTIONS_SHOWN], timezone.now()
    )
    _mark_answerable(request.user, filed)
    context = {
        "asset": asset,
        "versions": asset.versions.select_related("created_by"),
        "history": queries.history(asset)[:50],
        "review_state": queries.review_state(asset, today),
        "can_edit": can_edit,
        "version_form": version_form or (VersionForm() if can_edit else None),
        "responsible": actions.responsible_people(asset),
        "suggestions": filed,
        "suggestion_count": asset.suggestions.count(),
        "suggestion_form": suggestion_form or (SuggestionForm() if can_suggest else None),
        "answer_form": AnswerForm(),
        "answerer": suggestions.answerer(asset),
        "rules": SuggestionSettings.current(),
        "today": today,
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


@require_safe
def preview(request, pk: int, number: int):
    """A version's preview image (a PNG Accord drew itself, never the uploaded bytes)."""
    version = get_object_or_404(AssetVersion, asset_id=pk, number=number)
    if not version.preview:
        raise Http404("This version has no preview.")
    try:
        handle = version.preview.open("rb")
    except FileNotFoundError:
        raise Http404("The preview of this version is missing from storage.") from None
    return FileResponse(handle, content_type="image/png")


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


@require_safe
def owners(request):
    """Every asset owner side by side: what managers compare."""
    today = timezone.localdate()
    return render(
        request,
        "content/owners.html",
        {"rows": scorecard.table(today), "today": today, "title": "Content owners"},
    )


@require_safe
def owner(request, pk: int):
    """One owner's scorecard, with a chart per measure over the last twelve months."""
    person = get_object_or_404(User, pk=pk)
    today = timezone.localdate()
    row = scorecard.table(today, [person])[0]
    assets = queries.assets().filter(owner=person).exclude(status=Asset.Status.ARCHIVED)
    for asset in assets:
        asset.review_state = queries.review_state(asset, today)
    context = {
        "person": person,
        "row": row,
        "assets": assets,
        "charts": scorecard.charts(person, today),
        "today": today,
    }
    return render(request, "content/owner.html", context)


# Suggestions.


def suggestion_list(request):
    now = timezone.now()
    form = SuggestionFilterForm(request.GET, user=request.user, now=now)
    page = Paginator(form.apply(queries.suggestions()), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = queries.with_deadline_states(page.object_list, now)
    _mark_answerable(request.user, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "title": "Suggestions",
        "answer_form": AnswerForm(),
        "today": timezone.localdate(),
        "can_edit_settings": permissions.can_edit_suggestion_settings(request.user),
        "rules": SuggestionSettings.current(),
    }
    template = "content/suggestions.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


@require_POST
def suggestion_new(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    permissions.require(permissions.can_file_suggestion(request.user), suggestions.DENIED_FILE)
    form = SuggestionForm(request.POST)
    if form.is_valid():
        try:
            suggestions.file_suggestion(request.user, asset, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, "Filed: the owner has been told and must answer in time.")
            return redirect(asset)
    return asset_detail(request, pk, suggestion_form=form, status=400)


@require_POST
def suggestion_answer(request, pk: int):
    suggestion = get_object_or_404(Suggestion.objects.select_related("asset"), pk=pk)
    permissions.require(
        permissions.can_answer_suggestion(request.user, suggestion), suggestions.DENIED_ANSWER
    )
    form = AnswerForm(request.POST)
    target = redirect(_back(request, suggestion))
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label or field}: {error}")
        return target
    try:
        suggestions.answer(request.user, suggestion, **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        verb = {"accept": "Accepted", "decline": "Declined", "done": "Marked done"}
        messages.success(request, f"{verb[form.cleaned_data['action']]}: the rep has been told.")
    return target


def _back(request, suggestion) -> str:
    """Back to the list the answer came from, else to the asset's suggestions."""
    back = request.POST.get("next", "")
    if back.startswith("/content/suggestions/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return back
    return suggestion.get_absolute_url()


def _mark_answerable(user, rows) -> None:
    for row in rows:
        row.can_answer = not row.is_closed and permissions.can_answer_suggestion(user, row)


def suggestion_settings(request):
    permissions.require(
        permissions.can_edit_suggestion_settings(request.user), suggestions.DENIED_SETTINGS
    )
    rules = SuggestionSettings.current()
    form = SuggestionSettingsForm(
        request.POST or None, initial=SuggestionSettingsForm.initial_from(rules)
    )
    if request.method == "POST" and form.is_valid():
        try:
            suggestions.save_settings(request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, "Saved the suggestion deadline.")
            return redirect("content:suggestions")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "rules": rules, "title": "Suggestion deadline"}
    return render(request, "content/suggestion_settings.html", context, status=status)
