"""Business cases on the deal pages: the panel the lead, account and opportunity pages load
(crm sits below calculators, so its pages load this by URL), one thread's history, the
adjust and start forms, and the realised value of a won deal. Each form calls one verb in
`calculators.deals`; a refusal comes back beside the field it names."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accord.calculators import compute, deal_queries, deals, queries
from accord.calculators.forms import CaseForm
from accord.calculators.models import Calculator, Realisation, Submission
from accord.core.forms import errors_onto
from accord.crm.models import Account, Lead, Opportunity
from accord.people import permissions


def _may(request, record) -> bool:
    return record is not None and permissions.can_work_business_case(request.user, record)


def _startable() -> list[Calculator]:
    """The calculators a rep may start a case with: those with a published version."""
    return [s["calculator"] for s in map(queries.summary, queries.calculators()) if s["published"]]


def for_lead(request, pk: int):
    lead = get_object_or_404(Lead.objects.select_related("account"), pk=pk)
    return _panel(request, deal_queries.cases_for_lead(lead), lead, kind="lead")


def for_account(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    return _panel(request, deal_queries.cases_for_account(account), account, kind="account")


def for_opportunity(request, pk: int):
    opportunity = get_object_or_404(
        Opportunity.objects.select_related("primary_lead", "account"), pk=pk
    )
    latest = deal_queries.latest_case(opportunity)
    realisation = (
        Realisation.objects.filter(opportunity=opportunity).select_related("recorded_by").first()
    )
    extra = {
        "opportunity": opportunity,
        "latest": latest,
        "latest_outputs": deal_queries.outputs(latest) if latest else [],
        "latest_author": deal_queries.author(latest) if latest else "",
        "realisation": realisation,
        "promised": deal_queries.promised(latest) if latest else None,
    }
    return _panel(
        request,
        deal_queries.cases_on(opportunity),
        opportunity,
        kind="opportunity",
        extra=extra,
    )


def _panel(request, cases, record, *, kind: str, extra: dict | None = None):
    may = _may(request, record)
    context = {
        "record": record,
        "kind": kind,
        "threads": deal_queries.threads(cases),
        "can_work": may,
        "startable": _startable() if may else [],
        "opportunity": None,
        **(extra or {}),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "calculators/_deal_panel.html", context)
    return render(request, "calculators/deal_panel.html", context)


def _submission(pk: int) -> Submission:
    return get_object_or_404(
        Submission.objects.select_related(
            "calculator", "version", "lead", "account", "opportunity__primary_lead", "created_by"
        ),
        pk=pk,
    )


def history(request, pk: int):
    """One thread's history: each version, who made it and when, which inputs changed from
    what to what, and the results before and after."""
    submission = _submission(pk)
    versions = deal_queries.thread_of(submission)
    rows = [
        {
            "submission": v,
            "author": deal_queries.author(v),
            "changes": deal_queries.changes(v),
            "home": deals.home(v),
        }
        for v in reversed(versions)  # newest first
    ]
    latest = versions[-1]
    return render(
        request,
        "calculators/case_history.html",
        {
            "submission": submission,
            "rows": rows,
            "latest": latest,
            "home": deals.home(latest),
            "can_work": _may(request, deals.home(latest)),
        },
    )


def _opportunity_from(request) -> Opportunity | None:
    value = request.POST.get("opportunity") or request.GET.get("opportunity")
    if not value:
        return None
    if not str(value).isdigit():
        raise Http404("No such opportunity.")
    return get_object_or_404(Opportunity.objects.select_related("primary_lead"), pk=int(value))


def _typed_for(version, submission: Submission) -> dict:
    """The form's first values: the case's inputs as typed (the new version's defaults for
    an input the case's version did not have)."""
    kinds = {item["key"]: item["type"] for item in version.inputs}
    typed = compute.typed(version, submission.inputs)
    initial = {}
    for item in version.inputs:
        key = item["key"]
        value = typed.get(key, compute.typed(version, {key: item["default"]})[key])
        if kinds[key] == "yesno":
            value = "yes" if Decimal(value) else "no"
        initial[CaseForm.PREFIX + key] = value
    return initial


def adjust(request, pk: int):
    """Change a case's inputs with the buyer and save it as a new version (the verb computes
    the results). `?on_published=1` recomputes on the calculator's published version."""
    submission = _submission(pk)
    permissions.require(_may(request, deals.home(submission)), deals.DENIED)
    opportunity = _opportunity_from(request)
    live = deal_queries.published(submission.calculator)
    on_published = (
        (request.POST.get("on_published") or request.GET.get("on_published")) == "1"
        and live is not None
        and live.pk != submission.version_id
    )
    version = live if on_published else submission.version
    form = CaseForm(
        request.POST if request.method == "POST" else None,
        version=version,
        note_required=True,
        initial=_typed_for(version, submission),
    )
    if request.method == "POST":
        form.is_valid()  # the form carries text; the verb checks it
        try:
            made = deals.adjust(
                request.user,
                submission,
                form.raw_inputs(),
                request.POST.get("note", ""),
                opportunity,
                on_published=on_published,
            )
        except ValidationError as error:
            errors_onto(form, error, form.field_names())
        else:
            messages.success(
                request, f"Saved a new version of the {made.calculator.name} business case."
            )
            return redirect("calculators:history", made.pk)
    return render(
        request,
        "calculators/adjust.html",
        {
            "submission": submission,
            "version": version,
            "live": live,
            "on_published": on_published,
            "offer_published": live is not None and live.pk != submission.version_id,
            "form": form,
            "opportunity": opportunity,
            "outputs": deal_queries.outputs(submission),
            "preview": deal_queries.preview(version, _shown_inputs(form)),
            "home": deals.home(submission),
        },
    )


@require_POST
def adjust_preview(request, pk: int):
    """The adjust form's results as the inputs change (htmx), computed and not stored."""
    submission = _submission(pk)
    permissions.require(_may(request, deals.home(submission)), deals.DENIED)
    live = deal_queries.published(submission.calculator)
    on_published = request.POST.get("on_published") == "1" and live is not None
    version = live if on_published else submission.version
    form = CaseForm(request.POST, version=version, note_required=False)
    return render(
        request,
        "calculators/_case_preview.html",
        {"preview": deal_queries.preview(version, form.raw_inputs()), "version": version},
    )


def _shown_inputs(form: CaseForm) -> dict:
    """The inputs the form shows: as posted, else as it starts."""
    if form.is_bound:
        return form.raw_inputs()
    return {
        item["key"]: form.initial.get(CaseForm.PREFIX + item["key"], "")
        for item in form.version.inputs
    }


START_KINDS = {"lead": Lead, "account": Account, "opportunity": Opportunity}


def _start_record(request):
    for kind, model in START_KINDS.items():
        value = request.POST.get(kind) or request.GET.get(kind)
        if value:
            if not str(value).isdigit():
                raise Http404(f"No such {kind}.")
            return kind, get_object_or_404(model, pk=int(value))
    raise Http404("Start a business case from a lead, an account or an opportunity.")


def start(request):
    """A new business case for a lead, an account or a deal: choose a published calculator,
    then type the inputs with the buyer."""
    kind, record = _start_record(request)
    permissions.require(_may(request, record), deals.DENIED)
    startable = _startable()
    chosen = request.POST.get("calculator") or request.GET.get("calculator")
    calculator = next((c for c in startable if str(c.pk) == chosen), None)
    form = None
    if calculator is not None:
        version = deal_queries.published(calculator)
        initial = {
            CaseForm.PREFIX + k: v
            for k, v in compute.typed(
                version, {key: compute.plain(d) for key, d in compute.defaults(version).items()}
            ).items()
        }
        for item in version.inputs:
            if item["type"] == "yesno":
                key = CaseForm.PREFIX + item["key"]
                initial[key] = "yes" if Decimal(initial[key]) else "no"
        form = CaseForm(
            request.POST if request.method == "POST" else None,
            version=version,
            note_required=False,
            initial=initial,
        )
        if request.method == "POST":
            form.is_valid()
            try:
                made = deals.start(
                    request.user,
                    calculator,
                    record,
                    form.raw_inputs(),
                    request.POST.get("note", ""),
                )
            except ValidationError as error:
                errors_onto(form, error, form.field_names())
            else:
                messages.success(request, f"Started a {calculator.name} business case.")
                return redirect("calculators:history", made.pk)
    elif request.method == "POST":
        messages.error(request, "Choose a published calculator to start from.")
    return render(
        request,
        "calculators/start.html",
        {
            "kind": kind,
            "record": record,
            "startable": startable,
            "calculator": calculator,
            "form": form,
        },
    )


@require_POST
def realised(request, pk: int):
    """Record (or correct) what a won deal realised, against its business case."""
    opportunity = get_object_or_404(
        Opportunity.objects.select_related("primary_lead", "account"), pk=pk
    )
    permissions.require(_may(request, opportunity), deals.DENIED)
    submission = None
    chosen = request.POST.get("submission", "")
    if chosen:
        if not chosen.isdigit():
            raise Http404("No such business case.")
        submission = get_object_or_404(Submission, pk=int(chosen))
    try:
        realisation = deals.record_realised(
            request.user,
            opportunity,
            submission,
            request.POST.get("value", ""),
            request.POST.get("note", ""),
        )
    except ValidationError as error:
        for field, texts in error.message_dict.items():
            label = {"value": "Realised value", "note": "Note"}.get(field, "")
            for text in texts:
                messages.error(request, f"{label}: {text}" if label else text)
    else:
        messages.success(
            request, f"Recorded {realisation.realised_value:,} realised on {opportunity}."
        )
    return redirect(reverse("crm:opportunity", args=[opportunity.pk]) + "#business-cases")
