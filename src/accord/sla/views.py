"""The follow-up board and the two-way page: everybody signed in sees the same numbers."""

from django import forms
from django.shortcuts import render
from django.utils import timezone

from accord.core import figures
from accord.core.forms import PeriodForm
from accord.people.models import Team
from accord.sla import queries


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


@figures.in_company_time
def board(request):
    form = BoardForm(request.GET or None, timezone.localdate())
    start, end = form.period()
    team = form.cleaned_data["team"] if form.is_bound and form.is_valid() else None
    owners = list(team.members.values_list("pk", flat=True)) if team else None
    data = queries.board(start, end, owner_ids=owners)
    return render(
        request,
        "sla/board.html",
        {"form": form, "board": data, "team": team, "tab": "board"},
    )


@figures.in_company_time
def two_way(request):
    data = queries.two_way(timezone.now())
    return render(request, "sla/two_way.html", {"page": data, "tab": "two_way"})
