"""Lead definition pages: list, edit, sign-off, activation, backtests, comparison."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accord.core.forms import errors_onto
from accord.people import permissions
from accord.qualify import actions, backtest, queries, scoring
from accord.qualify.forms import DefinitionEditor
from accord.qualify.models import BacktestRun, LeadDefinition

Status = LeadDefinition.Status


def definition_list(request):
    definitions = LeadDefinition.objects.select_related("created_by").prefetch_related(
        "approvals__user"
    )
    return render(
        request,
        "qualify/definition_list.html",
        {
            "definitions": definitions,
            "active": next((d for d in definitions if d.status == Status.ACTIVE), None),
            "can_edit": permissions.can_edit_definition(request.user),
        },
    )


def _editor_page(request, editor, *, title, source=None):
    return render(
        request,
        "qualify/definition_form.html",
        {
            "editor": editor,
            "title": title,
            "source": source,
            "suggestions": queries.value_suggestions(),
        },
    )


def _warn_about_values(request, definition: LeadDefinition) -> None:
    for warning in queries.value_warnings(definition.rules):
        messages.warning(request, f"v{definition.version} saved, but: {warning}")


def _save(request, editor, save):
    content = editor.content()
    if content is None:
        return None
    try:
        return save(content)
    except ValidationError as error:
        errors_onto(editor.form, error)
        return None


def definition_new(request):
    permissions.require(permissions.can_edit_definition(request.user), actions.EDIT_DENIED)
    source = None
    if request.GET.get("from"):
        if not request.GET["from"].isdigit():
            raise Http404("No such lead definition.")
        source = get_object_or_404(LeadDefinition, pk=request.GET["from"])
    else:
        source = scoring.active_definition()
    editor = DefinitionEditor(request.POST or None, definition=source)
    if request.method == "POST":
        definition = _save(
            request,
            editor,
            lambda content: actions.create_definition(request.user, content, based_on=source),
        )
        if definition:
            messages.success(request, f"Saved as draft v{definition.version}.")
            _warn_about_values(request, definition)
            return redirect(definition)
    return _editor_page(request, editor, title="New lead definition", source=source)


def definition_edit(request, pk: int):
    definition = get_object_or_404(LeadDefinition, pk=pk)
    permissions.require(permissions.can_edit_definition(request.user), actions.EDIT_DENIED)
    editor = DefinitionEditor(request.POST or None, definition=definition)
    if request.method == "POST":
        saved = _save(
            request,
            editor,
            lambda content: actions.change_definition(request.user, definition, content),
        )
        if saved:
            if saved.pk != definition.pk:
                messages.success(
                    request,
                    f"v{definition.version} is {definition.get_status_display().lower()} and "
                    f"stays as it was; your changes are the new draft v{saved.version}.",
                )
            else:
                messages.success(request, f"Draft v{saved.version} saved.")
            _warn_about_values(request, saved)
            return redirect(saved)
    title = (
        f"Change draft v{definition.version}"
        if definition.is_editable
        else f"New draft from v{definition.version}"
    )
    return _editor_page(request, editor, title=title, source=definition)


def definition_detail(request, pk: int):
    definition = get_object_or_404(
        LeadDefinition.objects.select_related(
            "created_by", "proposed_by", "activated_by", "based_on"
        ),
        pk=pk,
    )
    approvals = list(definition.approvals.select_related("user"))
    side = permissions.approval_side(request.user)
    signed = {a.side for a in approvals}
    can_edit = permissions.can_edit_definition(request.user)
    can_approve = actions.approval_blocker(request.user, definition) is None
    window_from, window_to = backtest.default_window()
    others = LeadDefinition.objects.exclude(pk=definition.pk).only("id", "version", "name")
    return render(
        request,
        "qualify/definition_detail.html",
        {
            "definition": definition,
            "rules": queries.rule_rows(definition),
            "value_warnings": queries.value_warnings(definition.rules),
            "approvals": approvals,
            "missing_sides": [s for s in ("marketing", "sales") if s not in signed],
            "can_edit": can_edit,
            "can_approve": can_approve,
            "approval_side": side,
            "backtests": definition.backtests.select_related("compared_to")[:10],
            "window_from": window_from,
            "window_to": window_to,
            "others": others,
            "history": queries.history(definition),
            "runs": definition.scoring_runs.all()[:5],
            # The version whose activation retired or withdrew this one.
            "successor": LeadDefinition.objects.filter(activated_at=replaced_at).first()
            if (replaced_at := definition.retired_at or definition.withdrawn_at)
            else None,
        },
    )


VERBS = {
    "propose": (actions.propose, "Proposed: it now needs a marketing and a sales leader."),
    "withdraw": (actions.withdraw, "Back to draft: change it and propose it again."),
    "approve": (actions.approve, None),
    "activate": (actions.activate, None),
}


@require_POST
def definition_act(request, pk: int, verb: str):
    if verb not in VERBS:
        raise Http404("No such action.")
    definition = get_object_or_404(LeadDefinition, pk=pk)
    act, success = VERBS[verb]
    try:
        result = act(request.user, definition)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(definition)
    if verb == "approve":
        success = (
            f"Approved. v{result.version} can now be activated."
            if result.status == Status.APPROVED
            else "Approved. It now needs the other side's approval."
        )
    elif verb == "activate":
        success = (
            f"v{definition.version} is live: {result.leads_scored:,} leads rescored, "
            f"{result.promoted:,} became MQL."
        )
    messages.success(request, success)
    return redirect(definition)


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name}: {value!r} is not a date (YYYY-MM-DD).") from None


@require_POST
def backtest_start(request, pk: int):
    definition = get_object_or_404(LeadDefinition, pk=pk)
    try:
        start = _date(request.POST.get("from"), "From")
        end = _date(request.POST.get("to"), "To")
        run = backtest.start(request.user, definition, start, end)
    except (ValidationError, ValueError) as error:
        messages.error(request, error.messages[0] if hasattr(error, "messages") else str(error))
        return redirect(definition)
    return redirect(run)


def backtest_detail(request, pk: int):
    run = get_object_or_404(
        BacktestRun.objects.select_related("definition", "compared_to", "created_by"), pk=pk
    )
    context = {
        "run": run,
        "charts": _backtest_charts(run) if run.result else None,
        "rule_hits": queries.hits_side_by_side(run.result["definitions"]) if run.result else [],
    }
    if request.htmx and not request.htmx.boosted:
        response = render(request, "qualify/backtest.html#status", context)
        if run.status in (BacktestRun.Status.DONE, BacktestRun.Status.FAILED):
            response["HX-Refresh"] = "true"  # load the whole page with the results
        return response
    return render(request, "qualify/backtest.html", context)


def _backtest_charts(run: BacktestRun) -> dict:
    results = run.result["definitions"]
    labels = [row["month"][:7] for row in results[0]["months"]]

    def series(key):
        return [
            {"label": f"v{d['version']}", "values": [row[key] for row in d["months"]]}
            for d in results
        ]

    return {
        "mqls": {"labels": labels, "datasets": series("mqls")},
        "won": {"labels": labels, "datasets": series("mql_won")},
    }


def compare(request):
    definitions = LeadDefinition.objects.all()
    try:
        a = definitions.get(pk=int(request.GET.get("a", "")))
        b = definitions.get(pk=int(request.GET.get("b", "")))
    except (ValueError, LeadDefinition.DoesNotExist):
        raise Http404("Choose two lead definitions to compare.") from None
    return render(
        request,
        "qualify/compare.html",
        {"a": a, "b": b, "diff": queries.compare(a, b), "definitions": definitions},
    )
