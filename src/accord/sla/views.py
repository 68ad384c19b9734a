"""The follow-up board and the two-way page: everybody signed in sees the same numbers."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone

from accord.people.models import Team
from accord.sla import queries


class BoardForm(forms.Form):
    date_from = forms.DateField(
        required=False,
        label="MQL from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leads that became MQL from this day",
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.filter(kind__in=(Team.Kind.SALES, Team.Kind.SDR)),
        required=False,
        empty_label="All reps",
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                queries.period(
                    cleaned.get("date_from"), cleaned.get("date_to"), timezone.localdate()
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


def board(request):
    today = timezone.localdate()
    start, end = queries.period(None, None, today)
    form = BoardForm(request.GET or None, initial={"date_from": start, "date_to": end})
    team = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        start, end = queries.period(data["date_from"], data["date_to"], today)
        team = data["team"]
    owners = list(team.members.values_list("pk", flat=True)) if team else None
    data = queries.board(start, end, owner_ids=owners)
    return render(
        request,
        "sla/board.html",
        {"form": form, "board": data, "team": team, "tab": "board"},
    )


def two_way(request):
    data = queries.two_way(timezone.now())
    return render(request, "sla/two_way.html", {"page": data, "tab": "two_way"})
