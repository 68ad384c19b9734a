"""The follow-up board and the two-way page: everybody signed in sees the same numbers. And
each rep's follow-up queue: theirs, and their managers' to look into."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accord.analytics import sla
from accord.core import figures
from accord.core.forms import PeriodForm
from accord.crm import actions as crm_actions
from accord.crm.export_views import csv_download
from accord.crm.exports import Cell, Column
from accord.crm.models import Lead
from accord.crm.views import run_lead_form
from accord.people import permissions
from accord.people.models import Team, User
from accord.sla import queries
from accord.sla.forms import QuickFollowUpForm

QUEUE_PAGE_SIZE = 25


class BoardForm(PeriodForm):
    at_most_a_year = True

    date_from = forms.DateField(
        required=False,
        label="MQL from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leads that became MQL from this day",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.filter(kind__in=(Team.Kind.SALES, Team.Kind.SDR)),
        required=False,
        empty_label="All reps",
    )


def _board(request) -> tuple[BoardForm, Team | None, dict]:
    form = BoardForm(request.GET or None, timezone.localdate())
    start, end = form.period()
    team = form.cleaned_data["team"] if form.is_bound and form.is_valid() else None
    owners = list(team.members.values_list("pk", flat=True)) if team else None
    return form, team, queries.board(start, end, owner_ids=owners)


@figures.in_company_time
def board(request):
    form, team, data = _board(request)
    queues = permissions.follow_up_queues_seen(
        request.user, [row["user_id"] for row in data["reps"] if row["user_id"]]
    )
    query = request.GET.urlencode()
    return render(
        request,
        "sla/board.html",
        {
            "form": form,
            "board": data,
            "team": team,
            "tab": "board",
            "queues": queues,
            "query": query,
        },
    )


BOARD_COLUMNS = (
    Column("name", ("name",), label="Rep"),
    Column("rep", ("rep",), label="Username"),
    Column("due", ("due",), Cell.INTEGER),
    Column("met", ("met",), Cell.INTEGER),
    Column("breached", ("breached",), Cell.INTEGER),
    Column("compliance", ("compliance",), Cell.PERCENT, "Compliance %"),
    Column("first_compliance", ("first_compliance",), Cell.PERCENT, "First response met %"),
    Column("attempts_compliance", ("attempts_compliance",), Cell.PERCENT, "Attempts met %"),
    Column(
        "median_first_touch_hours",
        ("median_first_touch_hours",),
        Cell.NUMBER,
        "Median first touch (business hours)",
    ),
    Column("attempts_per_lead", ("attempts_per_lead",), Cell.NUMBER),
    Column("never_followed_up", ("never_followed_up",), Cell.INTEGER),
    Column(
        "never_followed_up_share", ("never_followed_up_share",), Cell.PERCENT, "Never followed up %"
    ),
    Column("at_risk", ("at_risk",), Cell.INTEGER, "At risk now"),
    Column("on_track", ("on_track",), Cell.INTEGER, "On track now"),
)


@require_safe
@figures.in_company_time
def board_csv(request):
    """The board's rows by rep, then the team's, for the same period and team as the page."""
    _, _, data = _board(request)
    rows = [*data["reps"], data["total"] | {"rep": ""}]
    records = (tuple(row[c.name] for c in BOARD_COLUMNS) for row in rows)
    name = f"accord-follow-up-board-{data['from']:%Y-%m-%d}-to-{data['to']:%Y-%m-%d}.csv"
    return csv_download(name, BOARD_COLUMNS, records)


@figures.in_company_time
def two_way(request):
    data = queries.two_way(timezone.now())
    return render(request, "sla/two_way.html", {"page": data, "tab": "two_way"})


@require_safe
def queue(request, user_id: int | None = None):
    """A rep's follow-ups, breached first, then by the next deadline."""
    rep = request.user if user_id is None else get_object_or_404(User, pk=user_id)
    permissions.require(
        permissions.can_see_follow_up_queue(request.user, rep), queries.QUEUE_DENIED
    )
    items = queries.follow_up_queue(rep)
    page = Paginator(items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    own = rep.pk == request.user.pk
    template = "sla/queue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(
        request,
        template,
        {
            "rep": rep,
            "own": own,
            "page": page,
            "query": "",
            "breached": sum(1 for item in items if item.evaluation.status == sla.BREACHED),
            "tab": "queue" if own else "board",
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


@require_POST
def queue_log(request, pk: int):
    """Log a call or an email on a lead of one's queue, in one step, and go back to it."""
    lead = get_object_or_404(Lead, pk=pk)
    permissions.require(permissions.can_change_lead(request.user, lead))
    back = reverse("sla:queue")
    if (number := request.POST.get("page", "")).isdigit():
        back += f"?page={number}"

    def act(lead, data):
        activity = crm_actions.record_follow_up(lead, actor=request.user, **data)
        return f"Logged {activity.get_kind_display().lower()} with {lead.name}."

    return run_lead_form(request, lead, QuickFollowUpForm(request.POST), act, back=back)
