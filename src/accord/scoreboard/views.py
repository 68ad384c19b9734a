"""The scoreboard: plan against actual, pacing and forecast. Everybody signed in reads it."""

from django.shortcuts import render
from django.utils import timezone

from accord.analytics.pacing import PeriodError, default_period, period_named
from accord.core import figures
from accord.people.permissions import can_edit_plan
from accord.plan import queries as plan_queries
from accord.plan.models import Plan
from accord.scoreboard import digest, queries


def _plan_from(value: str) -> Plan | None:
    try:
        return Plan.objects.get(pk=int(value))
    except (ValueError, OverflowError, Plan.DoesNotExist):
        return None


@figures.in_company_time
def home(request):
    now = timezone.now()
    today = timezone.localdate(now)
    plans = list(Plan.objects.all())
    context = {"plans": plans, "can_edit_plan": can_edit_plan(request.user)}
    if not plans:
        return render(request, "scoreboard/home.html", context)

    chosen = request.GET.get("plan", "").strip()
    plan = _plan_from(chosen) if chosen else plan_queries.default_plan(today)
    if plan is None:
        context["plan_error"] = f"There is no plan “{chosen[:20]}”. Choose one of these:"
        return render(request, "scoreboard/home.html", context, status=404)
    revision = plan_queries.revision_shown(plan)

    months = plan.months
    period = default_period(months, today)
    if key := request.GET.get("period", "").strip():
        try:
            period = period_named(key, months)
        except PeriodError as error:
            context["period_error"] = f"{error} Showing {period.label} instead."
    context.update(queries.scoreboard(revision, period, now))
    context["chosen_by_default"] = not chosen
    return render(request, "scoreboard/home.html", context)


@figures.in_company_time
def digest_preview(request):
    """This week's digest (or `?week=2026-W49`'s) as anyone signed in would get it."""
    week = request.GET.get("week", "").strip()[:10]
    context = {
        "person": request.user,
        "week": week,
        "time_zone": timezone.get_current_timezone_name(),
    }
    try:
        found = digest.build(timezone.now(), week or None)
    except digest.DigestWeekError as error:
        context["error"] = str(error)
        return render(request, "scoreboard/digest.html", context, status=400)
    context["d"] = found
    context["columns"] = [("Marketing", found.marketing), ("Sales", found.sales)]
    return render(request, "scoreboard/digest.html", context)
