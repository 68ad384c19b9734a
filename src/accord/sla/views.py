"""The follow-up board and the two-way page: everybody signed in sees the same numbers. And
each rep's follow-up queue: theirs, and their managers' to look into."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accord.core.forms import PeriodForm
from accord.crm import actions as crm_actions
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


def board(request):
    form = BoardForm(request.GET or None, timezone.localdate())
    start, end = form.period()
    team = form.cleaned_data["team"] if form.is_bound and form.is_valid() else None
    owners = list(team.members.values_list("pk", flat=True)) if team else None
    data = queries.board(start, end, owner_ids=owners)
    queues = permissions.follow_up_queues_seen(
        request.user, [row["user_id"] for row in data["reps"] if row["user_id"]]
    )
    return render(
        request,
        "sla/board.html",
        {"form": form, "board": data, "team": team, "tab": "board", "queues": queues},
    )


def two_way(request):
    data = queries.two_way(timezone.now())
    return render(request, "sla/two_way.html", {"page": data, "tab": "two_way"})


@require_safe
def queue(request, user_id: int | None = None):
    """A rep's follow-ups, breached first, then by the next deadline."""
    rep = request.user if user_id is None else get_object_or_404(User, pk=user_id)
    permissions.require(
        permissions.can_see_follow_up_queue(request.user, rep),
        "Only the rep, their managers and leaders open a rep's follow-up queue.",
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
            "breached": sum(1 for item in items if item.evaluation.status == "breached"),
            "form": QuickFollowUpForm(),
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
