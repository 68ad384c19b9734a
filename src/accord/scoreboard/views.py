"""The scoreboard: plan against actual, pacing and forecast. Everybody signed in reads it."""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from accord.analytics.pacing import Period, PeriodError, default_period, period_named
from accord.content import queries as content_queries
from accord.core import figures
from accord.crm.export_views import csv_download
from accord.crm.exports import Cell, Column
from accord.journey import queries as journey_queries
from accord.people.permissions import can_edit_plan
from accord.plan import queries as plan_queries
from accord.plan.models import Plan
from accord.scoreboard import digest, queries


def _plan_from(value: str) -> Plan | None:
    try:
        return Plan.objects.get(pk=int(value))
    except (ValueError, OverflowError, Plan.DoesNotExist):
        return None


def _chosen(request, context: dict, today) -> tuple[Plan | None, Period | None]:
    """The plan and period asked for (or the defaults); errors go into `context`."""
    chosen = request.GET.get("plan", "").strip()
    plan = _plan_from(chosen) if chosen else plan_queries.default_plan(today)
    if plan is None:
        context["plan_error"] = f"There is no plan “{chosen[:20]}”. Choose one of these:"
        return None, None
    period = default_period(plan.months, today)
    if key := request.GET.get("period", "").strip():
        try:
            period = period_named(key, plan.months)
        except PeriodError as error:
            context["period_error"] = f"{error} Showing {period.label} instead."
    context["chosen_by_default"] = not chosen
    return plan, period


@figures.in_company_time
def home(request):
    now = timezone.now()
    today = timezone.localdate(now)
    plans = list(Plan.objects.all())
    context = {"plans": plans, "can_edit_plan": can_edit_plan(request.user)}
    if not plans:
        return render(request, "scoreboard/home.html", context)
    plan, period = _chosen(request, context, today)
    if plan is None:
        return render(request, "scoreboard/home.html", context, status=404)
    revision = plan_queries.revision_shown(plan)
    context.update(queries.scoreboard(revision, period, now))
    owed = content_queries.kept_owed(now).value
    context["content_owed"] = owed["reviews"]
    context["late_suggestions"] = owed["suggestions"]
    context["late_suggestion_count"] = owed["suggestion_count"]
    context["late_deliverables"] = journey_queries.kept_late_deliverables().value
    context["query"] = urlencode({"plan": plan.pk, "period": period.key})
    return render(request, "scoreboard/home.html", context)


PACING_COLUMNS = (
    Column("stage", ("stage",)),
    Column("unit", ("unit",), label="Counted in"),
    Column("month", ("month",), label="Month"),
    Column("plan", ("plan",), Cell.NUMBER),
    Column("actual", ("actual",), Cell.NUMBER),
    Column("pace", ("pace",), label="Pace"),
)


PACE_WORDS = {"behind": "Behind", "ahead": "Ahead", "": "On track"}


@require_safe
@figures.in_company_time
def pacing_csv(request):
    """The pacing table, one row per stage and month (money in the company's currency):
    the plan, and what happened in the months begun."""
    now = timezone.now()
    context: dict = {}
    plan, period = _chosen(request, context, timezone.localdate(now))
    if plan is None:
        raise Http404(context.get("plan_error", "There is no revenue plan yet."))
    found = queries.scoreboard(plan_queries.revision_shown(plan), period, now)
    records = [
        (
            row["metric"].label,
            "money" if row["metric"].money else "count",
            f"{cell['month']:%Y-%m}",
            cell["plan"],
            cell["actual"],
            PACE_WORDS[cell["state"]] if cell["actual"] is not None else "",
        )
        for row in found["rows"]
        for cell in row["cells"]
    ]
    name = f"accord-scoreboard-{slugify(plan.name)}-{period.key}.csv"
    return csv_download(name, PACING_COLUMNS, records)


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
