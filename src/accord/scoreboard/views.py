"""The scoreboard: plan against actual, pacing and forecast. Everybody signed in reads it."""

from django.shortcuts import render
from django.utils import timezone

from accord.analytics.pacing import PeriodError, default_period, period_named
from accord.people.permissions import can_edit_plan
from accord.plan import queries as plan_queries
from accord.plan.models import Plan
from accord.scoreboard import queries


def _plan_from(value: str) -> Plan | None:
    try:
        return Plan.objects.get(pk=int(value))
    except (ValueError, OverflowError, Plan.DoesNotExist):
        return None


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
