"""Calculator pages: the list, a new calculator, one calculator, the draft editor with its
preview, and the sign-off. Every change goes through `calculators.actions`."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accord.calculators import actions, lines, queries
from accord.calculators.forms import CalculatorForm, VersionEditor
from accord.calculators.models import CalculatorVersion
from accord.core.forms import errors_onto
from accord.people import permissions

Status = CalculatorVersion.Status


def calculator_list(request):
    rows = [queries.summary(c) for c in queries.calculators()]
    return render(
        request,
        "calculators/list.html",
        {"rows": rows, "can_build": permissions.can_build_calculator(request.user)},
    )


def calculator_new(request):
    permissions.require(permissions.can_build_calculator(request.user), actions.BUILD_DENIED)
    form = CalculatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            calculator = actions.create_calculator(request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return redirect("calculators:edit", calculator.pk, 1)
    return render(request, "calculators/new.html", {"form": form})


def calculator_detail(request, pk: int):
    calculator = get_object_or_404(queries.calculators(), pk=pk)
    versions = [
        {
            "version": v,
            "can_sign": actions.approval_blocker(request.user, v) is None,
            "can_decline": actions.decline_blocker(request.user, v) is None,
        }
        for v in calculator.versions.all()
    ]
    return render(
        request,
        "calculators/detail.html",
        {
            "calculator": calculator,
            "published": queries.published(calculator),
            "versions": versions,
            "can_build": permissions.can_build_calculator(request.user),
        },
    )


def _version(pk: int, number: int) -> CalculatorVersion:
    return get_object_or_404(
        CalculatorVersion.objects.select_related("calculator"), calculator_id=pk, number=number
    )


def _editor_texts(editor: VersionEditor) -> dict:
    data = editor.data
    texts = {part: data.get(part, "") for part in lines.PARTS}
    texts["horizon_months"] = data.get("horizon_months", "")
    return texts


def version_edit(request, pk: int, number: int):
    permissions.require(permissions.can_build_calculator(request.user), actions.BUILD_DENIED)
    version = _version(pk, number)
    initial = {**lines.render(version.content()), "horizon_months": version.horizon_months}
    editor = VersionEditor(request.POST or None, initial=initial)
    if request.method == "POST" and editor.is_valid():
        try:
            content = lines.parse(editor.cleaned_data)
            saved = actions.save_draft(
                request.user, version, content, note=editor.cleaned_data["note"]
            )
        except ValidationError as error:
            errors_onto(editor, error)
        else:
            messages.success(request, f"Saved draft v{saved.number}.")
            return redirect(saved.get_edit_url())
    texts = _editor_texts(editor) if editor.is_bound else {**initial}
    return render(
        request,
        "calculators/edit.html",
        {
            "calculator": version.calculator,
            "version": version,
            "editor": editor,
            "preview": _preview(texts, request.POST),
        },
    )


def _preview(texts: dict, data) -> dict:
    try:
        content = lines.parse(texts)
    except ValidationError as error:
        return {
            "problems": [f"{p}: {m}" for p, ms in error.message_dict.items() for m in ms],
            "inputs": [],
            "values": [],
            "error": "",
        }
    tests = {key[len("test_") :]: value for key, value in data.items() if key.startswith("test_")}
    return queries.preview(content, tests)


@require_POST
def preview(request, pk: int, number: int):
    permissions.require(permissions.can_build_calculator(request.user), actions.BUILD_DENIED)
    _version(pk, number)
    texts = {part: request.POST.get(part, "") for part in lines.PARTS}
    texts["horizon_months"] = request.POST.get("horizon_months", "")
    return render(request, "calculators/_preview.html", {"preview": _preview(texts, request.POST)})


VERBS = {
    "propose": lambda user, version, post: actions.propose(user, version),
    "approve": lambda user, version, post: actions.approve(user, version),
    "decline": lambda user, version, post: actions.decline(user, version, post.get("comment", "")),
}


@require_POST
def version_act(request, pk: int, number: int, verb: str):
    if verb not in VERBS:
        raise Http404("No such action.")
    version = _version(pk, number)
    try:
        result = VERBS[verb](request.user, version, request.POST)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(version.calculator)
    done = {
        "propose": "Proposed: it now needs a marketing and a sales leader's signatures.",
        "decline": "Declined; the proposer is told why.",
        "approve": f"Signed. v{result.number} is published."
        if result.status == Status.PUBLISHED
        else "Signed. It now needs the other side's signature.",
    }
    messages.success(request, done[verb])
    return redirect(version.calculator)
