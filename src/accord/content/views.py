"""The content library's pages. Views parse input and call one verb in `actions`; a refusal
lands on the form (`errors_onto`) or in a message; a PermissionDenied is the 403 page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST, require_safe

from accord.content import (
    actions,
    influence,
    queries,
    ratings,
    scorecard,
    send_views,
    sending,
    suggestions,
    tasks,
)
from accord.content.filters import AssetFilterForm, SuggestionFilterForm
from accord.content.forms import (
    AnswerForm,
    AssetForm,
    RateForm,
    RubricForm,
    SuggestionForm,
    SuggestionSettingsForm,
    VersionForm,
)
from accord.content.models import Asset, AssetVersion, Rubric, Suggestion, SuggestionSettings
from accord.core.engine import EngineError
from accord.core.forms import errors_onto
from accord.core.paging import IdsFirstPaginator
from accord.crm.models import Lead
from accord.people import permissions
from accord.people.models import User

PAGE_SIZE = 25
# The asset page shows the latest suggestions; the suggestions page has them all.
SUGGESTIONS_SHOWN = 20


def asset_list(request):
    today = timezone.localdate()
    form = AssetFilterForm(request.GET, today=today)
    # The page's ids first (sorted and filtered by whatever the form asks), then its rows with
    # their figures (ratings, uses in 90 days) for those rows alone.
    rows = queries.with_recent_uses(queries.assets(), today)
    page = IdsFirstPaginator(form.apply(queries.assets()), PAGE_SIZE, rows=rows).get_page(
        request.GET.get("page")
    )
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


# The asset page's tabs: the overview holds what a rep or an owner decides by (suggestions,
# versions, the rating figures with the form, the usage counts); each long list, and the
# influence of the ten attribution models (read from the stored credits), has a tab of its
# own, so that a view reads and draws one of them, not all.
TABS = {
    "overview": "Overview",
    "ratings": "Ratings",
    "usage": "Usage",
    "influence": "Influence on revenue",
    "history": "History",
}
# A list's page parameter names its tab (links from before the tabs, and the lists' pages).
PAGE_TABS = {"ratings_page": "ratings", "usage_page": "usage", "links_page": "usage"}


def _tab(request) -> str:
    asked = request.GET.get("tab")
    if asked in TABS:
        return asked
    return next((tab for name, tab in PAGE_TABS.items() if name in request.GET), "overview")


def asset_detail(
    request,
    pk: int,
    version_form=None,
    suggestion_form=None,
    status=200,
    rate_form=None,
    tab: str | None = None,
):
    asset = get_object_or_404(queries.assets(), pk=pk)
    today = timezone.localdate()
    tab = tab or _tab(request)
    can_edit = permissions.can_edit_asset(request.user, asset)
    context = {
        "asset": asset,
        "tab": tab,
        "tabs": TABS,
        "versions": asset.versions.select_related("created_by"),
        "review_state": queries.review_state(asset, today),
        "can_edit": can_edit,
        "responsible": actions.responsible_people(asset),
        "today": today,
    }
    if tab == "overview":
        can_suggest = permissions.can_file_suggestion(request.user)
        filed = queries.with_deadline_states(
            queries.suggestions().filter(asset=asset)[:SUGGESTIONS_SHOWN], timezone.now()
        )
        _mark_answerable(request.user, filed)
        kept_usage = queries.kept_usage_counts(asset)
        context |= {
            "version_form": version_form or (VersionForm() if can_edit else None),
            "suggestions": filed,
            "suggestion_count": asset.suggestions.count(),
            "suggestion_form": suggestion_form or (SuggestionForm() if can_suggest else None),
            "answer_form": AnswerForm(),
            "answerer": suggestions.answerer(asset),
            "rules": SuggestionSettings.current(),
            **_ratings_context(request, asset, rate_form, every_rating=False),
            "usage": kept_usage.value,
            "kept_usage": kept_usage,
        }
    elif tab == "ratings":
        context |= _ratings_context(request, asset, rate_form)
    elif tab == "usage":
        context |= send_views.usage_context(request, asset)
    elif tab == "influence":
        context["influence"] = _asset_influence(asset)
    else:
        context["history"] = queries.history(asset)[:50]
    if request.method == "GET":
        sending.record_visit(request.user, asset)
    return render(request, "content/detail.html", context, status=status)


RATINGS_PAGE_SIZE = 20


def _ratings_context(request, asset: Asset, rate_form=None, every_rating=True) -> dict:
    """The rating figures and the form; with `every_rating`, a page of the ratings too."""
    kept = queries.kept_rating_figures(asset)
    figures = kept.value
    page = None
    if every_rating:
        # The page's ids first: the joins are made for its twenty ratings, not for every one.
        page = IdsFirstPaginator(
            asset.ratings.order_by("-created_at", "-id"),
            RATINGS_PAGE_SIZE,
            rows=queries.ratings(asset),
        ).get_page(request.GET.get("ratings_page"))
        for rating in page.object_list:
            rating.rows = queries.scored(rating)
    blocker = ratings.rate_blocker(request.user, asset)
    if rate_form is None and blocker is None:
        deals = ratings.deals_to_rate(request.user, asset)
        if deals:
            rate_form = RateForm(rubric=figures.rubric, deals=deals)
    return {
        "figures": figures,
        "kept_ratings": kept,
        "ratings_page": page,
        "every_rating": every_rating,
        "rate_form": rate_form,
        # Why there is no form: a viewer, no rubric yet (a member with nothing to rate is
        # told so by the template).
        "rate_refusal": " ".join(getattr(blocker, "messages", [str(blocker)])) if blocker else "",
    }


@require_POST
def rate(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    if (blocker := ratings.rate_blocker(request.user, asset)) is not None:
        if isinstance(blocker, PermissionDenied):
            raise blocker
        messages.error(request, blocker.messages[0])
        return redirect(asset)
    rubric = ratings.active_rubric()
    form = RateForm(request.POST, rubric=rubric, deals=ratings.deals_to_rate(request.user, asset))
    if form.is_valid():
        lead_id = form.cleaned_data["lead"]
        lead = Lead.objects.filter(pk=lead_id).first() if lead_id else None
        try:
            rating = ratings.rate(
                request.user, asset, lead, form.scores(), form.cleaned_data["comment"]
            )
        except ValidationError as error:
            errors_onto(form, error, form.field_names())
        else:
            messages.success(
                request,
                f"Rated v{rating.version.number} on {rating.lead}: {rating.score:.1f} of 5.",
            )
            return redirect(f"{asset.get_absolute_url()}?tab=ratings#ratings")
    return asset_detail(request, pk, status=400, rate_form=form, tab="ratings")


# The rating rubric.


def rubric_page(request):
    """The active rubric, every version of it (the history) and the drafts waiting."""
    rubrics = list(
        Rubric.objects.select_related("created_by", "proposed_by", "declined_by").prefetch_related(
            "approvals__user"
        )
    )
    active = next((r for r in rubrics if r.status == Rubric.Status.ACTIVE), None)
    context = {
        "active": active,
        "rubrics": rubrics,
        "can_edit": permissions.can_edit_rubric(request.user),
        "title": "Rating rubric",
    }
    return render(request, "content/rubric_list.html", context)


def rubric_detail(request, pk: int):
    rubric = get_object_or_404(
        Rubric.objects.select_related("created_by", "proposed_by", "declined_by", "based_on"),
        pk=pk,
    )
    approvals = list(rubric.approvals.select_related("user"))
    signed = {a.side for a in approvals}
    context = {
        "rubric": rubric,
        "approvals": approvals,
        "missing_sides": [s for s in ("marketing", "sales") if s not in signed],
        "can_edit": permissions.can_edit_rubric(request.user),
        "can_approve": ratings.approval_blocker(request.user, rubric) is None,
        "can_decline": ratings.decline_blocker(request.user, rubric) is None,
        "approval_side": permissions.approval_side(request.user),
        "history": queries.history(rubric)[:50],
        "rating_count": rubric.ratings.count(),
    }
    return render(request, "content/rubric_detail.html", context)


def _rubric_form_page(request, rubric: Rubric | None):
    permissions.require(permissions.can_edit_rubric(request.user), ratings.EDIT_DENIED)
    initial = RubricForm.initial_from(rubric) if rubric else {}
    form = RubricForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        content = {
            "name": form.cleaned_data["name"],
            "criteria": form.criteria(),
            "note": form.cleaned_data["note"],
        }
        try:
            if rubric is None:
                saved = ratings.create_rubric(request.user, **content)
            else:
                saved = ratings.change_rubric(request.user, rubric, **content)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Saved draft v{saved.number}.")
            return redirect(saved)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "content/rubric_form.html", {"form": form, "rubric": rubric}, status=status
    )


def rubric_new(request):
    return _rubric_form_page(request, None)


def rubric_edit(request, pk: int):
    return _rubric_form_page(request, get_object_or_404(Rubric, pk=pk))


RUBRIC_VERBS = {
    "propose": "Proposed: it now needs a marketing leader and a sales leader.",
    "approve": None,
    "decline": "Declined. Its proposer is told why; the active rubric stays.",
}


@require_POST
def rubric_act(request, pk: int, verb: str):
    if verb not in RUBRIC_VERBS:
        raise Http404("No such action.")
    rubric = get_object_or_404(Rubric, pk=pk)
    try:
        if verb == "propose":
            result = ratings.propose(request.user, rubric)
        elif verb == "approve":
            result = ratings.approve(request.user, rubric)
        else:
            result = ratings.decline(request.user, rubric, request.POST.get("comment", ""))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(rubric)
    success = RUBRIC_VERBS[verb] or (
        f"Approved: v{result.number} is now the active rubric."
        if result.status == Rubric.Status.ACTIVE
        else "Approved. It now needs the other side's approval."
    )
    messages.success(request, success)
    return redirect(rubric)


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
    return asset_detail(request, pk, version_form=form, status=400, tab="overview")


@require_GET
def download(request, pk: int, number: int):
    """A version's file, always as an attachment, with the type detected at upload (the
    browser is told not to guess another: SECURE_CONTENT_TYPE_NOSNIFF)."""
    version = get_object_or_404(AssetVersion, asset_id=pk, number=number)
    if not version.file:
        sending.record_download(request.user, version)
        return redirect(version.url)
    try:
        handle = version.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this version is missing from storage.") from None
    sending.record_download(request.user, version)
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
    kept = scorecard.kept_table(today)
    context = {
        "rows": kept.value[0],
        "kept": kept,
        "today": today,
        "title": "Content owners",
        "model_label": influence.LABELS[influence.DEFAULT_MODEL],
    }
    return render(request, "content/owners.html", context)


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
        "model_label": influence.LABELS[influence.DEFAULT_MODEL],
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
    return asset_detail(request, pk, suggestion_form=form, status=400, tab="overview")


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


def _asset_influence(asset: Asset) -> dict:
    """The asset page's influence card: every model on both bases, by version, as stored.
    Nothing stored yet: the card says so and the worker is asked to refresh (never here)."""
    try:
        found = influence.of_asset(asset)
    except EngineError as error:
        return {"error": str(error)}
    if found["computed_at"] is None:
        found["requested_at"] = tasks.request_influence()
    return found


def influence_page(request):
    """Every asset's stored influence under one model and basis: by asset, owner and kind."""
    model = request.GET.get("model") or influence.DEFAULT_MODEL
    basis = request.GET.get("basis") or "pipeline"
    status, error, rows, found, requested_at = 200, "", [], None, None
    try:
        influence.check(model, basis)
        found = influence.figures(basis, (model,))
        if found is None:
            requested_at = tasks.request_influence()
        else:
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
        "never": found is None and not error,
        "requested_at": requested_at,
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
