"""Revenue plan pages: list, create, change, approve, and the plan itself."""

import math

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accord.analytics.funnel import STAGES, STEPS
from accord.core import figures
from accord.core.forms import errors_onto
from accord.people import permissions
from accord.plan import actions, queries
from accord.plan.forms import PlanForm
from accord.plan.models import Plan, PlanRevision


def plan_list(request):
    plans = Plan.objects.prefetch_related("revisions")
    rows = []
    for plan in plans:
        revisions = sorted(plan.revisions.all(), key=lambda r: -r.number)
        current = revisions[0] if revisions else None
        in_force = next((r for r in revisions if r.status == PlanRevision.Status.APPROVED), None)
        deals = math.ceil(current.target / current.asp) if current else None
        rows.append({"plan": plan, "current": current, "in_force": in_force, "deals": deals})
    return render(
        request,
        "plan/plan_list.html",
        {"rows": rows, "can_edit": permissions.can_edit_plan(request.user)},
    )


# The verb names a rate by its step; the form's field is rate_<step>.
# A verb's field names, as the form calls them.
RATE_FIELDS = {step: f"rate_{step}" for step in STEPS} | {
    actions.goal_field(stage): f"due_{stage}" for stage in STAGES
}


def plan_new(request):
    permissions.require(permissions.can_edit_plan(request.user), actions.EDIT_DENIED)
    months = _months_param(request)
    observed = queries.observed_rates(months)
    form = PlanForm(request.POST or None, creating=True, observed=observed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = actions.create_plan(
                request.user,
                name=data["name"],
                fiscal_year=data["fiscal_year"],
                first_month=data["first_month"],
                values=form.values(),
            )
        except ValidationError as error:
            errors_onto(form, error, RATE_FIELDS)
        else:
            messages.success(
                request,
                "Plan created as a draft: it needs a marketing leader's and a sales "
                "leader's approval.",
            )
            return redirect(plan)
    return render(
        request,
        "plan/plan_form.html",
        {
            "form": form,
            "title": "New revenue plan",
            "observed_months": months,
            "observed_window": queries.observed_window(months),
            "plan": None,
        },
    )


def _months_param(request) -> int:
    try:
        months = int(
            request.POST.get("observed_months") or request.GET.get("observed_months") or 12
        )
    except ValueError:
        return 12
    return min(max(months, 1), 36)


def plan_edit(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    permissions.require(permissions.can_edit_plan(request.user), actions.EDIT_DENIED)
    current = plan.current
    months = (
        _months_param(request)
        if request.method == "POST" or "observed_months" in request.GET
        else current.observed_months
    )
    # The observed figures the revision was planned on stay, so that changing only the
    # target does not quietly move rates based on them; the planner asks to re-read them.
    data = request.POST if request.method == "POST" else request.GET
    reread = (
        bool(data.get("reread_observed"))
        or months != current.observed_months
        or not current.observed
    )
    observed = queries.observed_rates(months) if reread else current.observed
    form = PlanForm(
        request.POST or None,
        creating=False,
        observed=observed,
        initial=PlanForm.initial_from(current),
        first_month=plan.first_month,
    )
    if request.method == "POST" and form.is_valid():
        try:
            revision = actions.change_plan(
                request.user, plan, form.values(), note=form.cleaned_data.get("note", "")
            )
        except ValidationError as error:
            errors_onto(form, error, RATE_FIELDS)
        else:
            if revision.number != current.number:
                messages.success(
                    request,
                    f"Saved as revision {revision.number}: it needs both approvals again. "
                    + (
                        f"Revision {plan.in_force.number} stays in force until then."
                        if plan.in_force
                        else ""
                    ),
                )
            else:
                messages.success(request, "Plan saved.")
            return redirect(plan)
    return render(
        request,
        "plan/plan_form.html",
        {
            "form": form,
            "title": f"Change {plan.name}",
            "plan": plan,
            "current": current,
            "observed_months": months,
            "observed_window": queries.observed_window(months),
            "observed_kept": not reread,
        },
    )


@figures.in_company_time
def plan_detail(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    revisions = list(plan.revisions.select_related("created_by").order_by("-number"))
    if not revisions:
        raise Http404("This plan has no revisions.")
    shown = revisions[0]
    if request.GET.get("revision"):
        shown = next((r for r in revisions if str(r.number) == request.GET["revision"]), None)
        if shown is None:
            raise Http404("No such revision.")
    previous = next((r for r in revisions if r.number < shown.number), None)
    approvals = list(shown.approvals.select_related("user"))
    side = permissions.approval_side(request.user)
    signed_sides = {a.side for a in approvals}
    can_approve = actions.approval_blocker(request.user, shown) is None
    can_decline = actions.decline_blocker(request.user, shown) is None
    context = {
        "plan": plan,
        "revision": shown,
        "revisions": revisions,
        "is_current": shown.pk == revisions[0].pk,
        "in_force": next((r for r in revisions if r.status == PlanRevision.Status.APPROVED), None),
        "approvals": approvals,
        "missing_sides": [s for s in ("marketing", "sales") if s not in signed_sides],
        "can_approve": can_approve,
        "can_decline": can_decline,
        "approval_side": side,
        "can_edit": permissions.can_edit_plan(request.user),
        "diff": queries.revision_diff(previous, shown) if previous else None,
        "previous": previous,
        **queries.plan_page(shown),
    }
    return render(request, "plan/plan_detail.html", context)


@require_POST
def plan_approve(request, pk: int, number: int):
    revision = get_object_or_404(PlanRevision, plan_id=pk, number=number)
    try:
        actions.approve(request.user, revision)
    except PermissionDenied:
        raise
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        revision.refresh_from_db()
        if revision.status == PlanRevision.Status.APPROVED:
            messages.success(
                request, f"Approved. Revision {revision.number} is now the plan both teams signed."
            )
        else:
            messages.success(request, "Approved. The plan now needs the other side's approval.")
    return redirect(revision.plan)


@require_POST
def plan_decline(request, pk: int, number: int):
    revision = get_object_or_404(PlanRevision, plan_id=pk, number=number)
    try:
        actions.decline(request.user, revision, request.POST.get("comment", ""))
    except PermissionDenied:
        raise
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            f"Declined revision {revision.number}. Its author is told why; a change starts a "
            "new draft.",
        )
    return redirect(revision.plan)
