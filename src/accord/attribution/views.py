"""The attribution page: every model's credit by channel, side by side."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.attribution import actions, queries
from accord.attribution.models import AttributionRun
from accord.people import permissions


def _basis(value: str | None) -> str:
    return value if value in AttributionRun.Basis.values else AttributionRun.Basis.PIPELINE


def home(request):
    basis = _basis(request.GET.get("basis"))
    done, pending = queries.latest(basis)
    context = {
        "basis": basis,
        "bases": AttributionRun.Basis.choices,
        "done": done,
        "pending": pending,
        "view": queries.side_by_side(done) if done else None,
        "can_run": permissions.can_run_attribution(request.user),
    }
    if request.htmx and request.GET.get("status"):
        if pending is None:  # finished while the page waited: show the results
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "attribution/home.html#status", context)
    return render(request, "attribution/home.html", context)


@require_POST
def recompute(request):
    basis = _basis(request.POST.get("basis"))
    permissions.require(permissions.can_run_attribution(request.user), actions.DENIED)
    run = actions.request_run(request.user, basis)
    if run.status == AttributionRun.Status.DONE:
        messages.success(request, "Attribution recomputed.")
    else:
        messages.info(request, "Attribution is being computed; this page updates by itself.")
    return redirect(run.get_absolute_url())
