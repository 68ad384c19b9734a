"""The attribution pages: models side by side, return on spend and unit economics, spend."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accord.attribution import actions, compute, forms, queries, tables
from accord.attribution import spend_import as spend_import_rows
from accord.attribution.compute import MODELS
from accord.attribution.models import AttributionRun, Spend, UnitEconomics
from accord.core import figures
from accord.core.forms import errors_onto
from accord.crm import exports
from accord.people import notify, permissions

SPEND_PAGE = 50
MODEL_CHOICES = ("a", "b", "model")
# The tables that export, with the basis each page shows by default.
EXPORTS = {
    "models": AttributionRun.Basis.PIPELINE,
    "channels": AttributionRun.Basis.REVENUE,
    "campaigns": AttributionRun.Basis.REVENUE,
    "quarters": AttributionRun.Basis.REVENUE,
}  # the compared pair, the model of return on spend


def _context(request, default_basis: str = AttributionRun.Basis.PIPELINE) -> dict:
    """The basis, period and runs every attribution page starts from. Without a period the
    newest run of the basis is shown, with its dates in the form."""
    form = forms.PeriodForm(request.GET or None, default_basis=default_basis)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    # A bad period keeps the basis asked for (its field was valid), beside the error.
    asked = form.cleaned_data.get("basis") if form.is_bound else None
    basis = data.get("basis") or asked or default_basis
    start, end = data.get("start"), data.get("end")
    done, pending = queries.latest(basis, start, end)
    if start is None:
        if done is not None:
            shown = (done.period_start, done.period_end)
        elif pending is not None:
            shown = (pending.period_start, pending.period_end)
        else:
            shown = compute.default_period(timezone.now().date())
    else:
        shown = (start, end)
    query = {"start": shown[0].isoformat(), "end": shown[1].isoformat()}
    typed = {"start": query["start"], "end": query["end"]}
    if request.GET.get("basis"):
        # Chosen, it follows to the other tabs; else each tab opens on its own default.
        query = {"basis": basis} | query
    if form.is_bound and form.errors:  # keep what was typed, beside the error
        typed = {name: request.GET.get(name, "") for name in typed}
    return {
        "form": form,
        "basis": basis,
        "start": start,
        "end": end,
        "shown": typed,
        "query": urlencode(query),
        "done": done,
        "pending": pending,
        "can_run": permissions.can_run_attribution(request.user),
        "model_choices": queries.model_choices(),
    }


def _status(request, context, template):
    """The polling partial: a refresh once the run being waited for has finished."""
    if context["pending"] is None:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, f"{template}#status", context)


@figures.in_company_time
def home(request):
    context = _context(request)
    a, b = queries.pair(request.GET.get("a"), request.GET.get("b"))
    context |= {"a": a, "b": b}
    context["query"] += "&" + urlencode({"a": a, "b": b})
    if context["done"]:
        context["view"] = queries.side_by_side(context["done"], a, b)
    if request.htmx and request.GET.get("status"):
        return _status(request, context, "attribution/home.html")
    return render(request, "attribution/home.html", context)


@figures.in_company_time
def money(request):
    # Return on spend is a revenue question first; pipeline per dollar is one choice away.
    context = _context(request, default_basis=AttributionRun.Basis.REVENUE)
    model, _ = queries.pair(request.GET.get("model"), None)
    context["model"] = model
    context["query"] += "&" + urlencode({"model": model})
    if context["done"]:
        context["roi"] = queries.return_on_spend(context["done"], model)
        context["economics"] = queries.unit_economics(context["done"])
    if request.htmx and request.GET.get("status"):
        return _status(request, context, "attribution/money.html")
    return render(request, "attribution/money.html", context)


@require_POST
@figures.in_company_time
def recompute(request):
    form = forms.PeriodForm(request.POST)
    back = request.POST.get("next", "")
    if not notify.is_in_app_path(back):
        back = reverse("attribution:home")
    if not form.is_valid():
        messages.error(request, next(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    try:
        run = actions.request_run(request.user, data["basis"], data["start"], data["end"])
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(back)
    if run.status == AttributionRun.Status.DONE:
        messages.success(request, "Attribution recomputed.")
    else:
        messages.info(request, "Attribution is being computed; this page updates by itself.")
    query = {"basis": run.basis, "start": run.period_start, "end": run.period_end}
    # The models the page was showing stay chosen.
    query |= {key: request.POST[key] for key in MODEL_CHOICES if request.POST.get(key) in MODELS}
    return redirect(back.split("?", 1)[0] + "?" + urlencode(query))


def spend(request):
    """Spend lines, newest month first, with a form to add one; the unit-economics inputs."""
    can_edit = permissions.can_edit_spend(request.user)
    row = UnitEconomics.current()
    economics_form = forms.UnitEconomicsForm.showing(row)
    spend_form = forms.SpendForm()
    if request.method == "POST":
        permissions.require(can_edit, actions.SPEND_DENIED)
        if "gross_margin" in request.POST:
            economics_form = forms.UnitEconomicsForm(request.POST)
            if economics_form.is_valid():
                actions.save_unit_economics(request.user, *economics_form.fractions())
                messages.success(request, "Saved. The next attribution run uses these inputs.")
                return redirect("attribution:spend")
        else:
            spend_form = forms.SpendForm(request.POST)
            if spend_form.is_valid():
                changes, confirmed = spend_form.changes()
                try:
                    line = actions.save_spend(
                        request.user, Spend(), changes, confirm_large=confirmed
                    )
                except ValidationError as error:
                    errors_onto(spend_form, error)
                else:
                    messages.success(request, f"Added {line}.")
                    return redirect("attribution:spend")
    lines = Spend.objects.select_related("channel")
    page = Paginator(lines, SPEND_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "attribution/spend.html",
        {
            "page": page,
            "can_edit": can_edit,
            "spend_form": spend_form,
            "economics_form": economics_form,
            "inputs": row,
            "by_month": queries.spend_by_month(timezone.now().date()),
        },
    )


def spend_edit(request, pk: int):
    line = get_object_or_404(Spend.objects.select_related("channel"), pk=pk)
    can_edit = permissions.can_edit_spend(request.user)
    permissions.require(can_edit, actions.SPEND_DENIED)
    form = forms.SpendForm(instance=line)
    if request.method == "POST":
        if "delete" in request.POST:
            actions.delete_spend(request.user, line)
            messages.success(request, "Spend line deleted.")
            return redirect("attribution:spend")
        form = forms.SpendForm(request.POST, instance=line)
        if form.is_valid():
            # The form has written the new values into `line`; the verb wants it as stored.
            changes, confirmed = form.changes()
            try:
                line = actions.save_spend(
                    request.user, Spend.objects.get(pk=pk), changes, confirm_large=confirmed
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, f"Saved {line}.")
                return redirect("attribution:spend")
    return render(request, "attribution/spend_edit.html", {"form": form, "line": line})


def spend_import(request):
    """Spend lines from a CSV file: the good rows kept, each bad one reported."""
    permissions.require(permissions.can_edit_spend(request.user), actions.SPEND_DENIED)
    form = forms.SpendImportForm()
    report = None
    if request.method == "POST":
        form = forms.SpendImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = spend_import_rows.import_spend(
                    request.user,
                    form.cleaned_data["file"].read(),
                    confirm_large=form.cleaned_data["confirm_large"],
                )
            except spend_import_rows.SpendFileError as error:
                form.add_error("file", str(error))
    return render(request, "attribution/spend_import.html", {"form": form, "report": report})


@require_safe
@figures.in_company_time
def export(request, table: str):
    """One table of the attribution pages as CSV, for the run and models the page shows."""
    if table not in EXPORTS:
        raise Http404("No such table.")
    context = _context(request, default_basis=EXPORTS[table])
    run = context["done"]
    if run is None:  # the page's empty state, in the file
        columns = (exports.Column("Message", ("message",)),)
        records = [(f"No {context['basis']} attribution has been computed for this period.",)]
        name = f"accord-attribution-{table}.csv"
    elif table == "models":
        columns, records = tables.models_table(run)
    elif table == "quarters":
        columns, records = tables.quarters_table(queries.unit_economics(run))
    else:
        model, _ = queries.pair(request.GET.get("model"), None)
        roi = queries.return_on_spend(run, model)
        columns, records = (
            tables.channels_table(roi) if table == "channels" else tables.campaigns_table(roi)
        )
    if run is not None:
        name = f"accord-attribution-{table}-{run.basis}-{run.period_start}-{run.period_end}.csv"
    response = StreamingHttpResponse(
        exports.csv_chunks(columns, records), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
