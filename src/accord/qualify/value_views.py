"""The lead value page: what each lead type is worth, and marketing's delivered value
against the plan. Everybody signed in reads it."""

from django import forms
from django.shortcuts import render
from django.utils import timezone

from accord.analytics.lead_value import (
    DEFAULT_GROUP_BY,
    DEFAULT_HORIZON_DAYS,
    GROUP_KEYS,
    MAX_HORIZON_DAYS,
)
from accord.core import figures
from accord.qualify import value

MAX_HORIZON_MONTHS = MAX_HORIZON_DAYS * 12 // 365


def horizon_days(months: int) -> int:
    """Whole days in `months` average months: 12 -> 365, 6 -> 182."""
    return months * 365 // 12


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        required=False, label=label, widget=forms.DateInput(attrs={"type": "date"})
    )


class LeadValueForm(forms.Form):
    group_by = forms.MultipleChoiceField(
        label="Group by",
        choices=list(GROUP_KEYS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    horizon = forms.IntegerField(
        label="Horizon (months)", min_value=1, max_value=MAX_HORIZON_MONTHS, required=False
    )
    cohort_from = _date_field("Leads created from")
    cohort_to = _date_field("until (not included)")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        months = data.get("horizon")
        try:
            self.options = value.choose_options(
                group_by=data.get("group_by") or [],
                horizon_days=horizon_days(months) if months else None,
                cohort_from=data.get("cohort_from"),
                cohort_to=data.get("cohort_to"),
            )
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return data


INITIAL = {"group_by": list(DEFAULT_GROUP_BY), "horizon": DEFAULT_HORIZON_DAYS * 12 // 365}


@figures.in_company_time
def home(request):
    form = LeadValueForm(request.GET or None, initial=INITIAL)
    context = {"form": form}
    if form.is_bound and not form.is_valid():
        return render(request, "qualify/lead_value.html", context)
    options = form.options if form.is_bound else value.choose_options()
    context.update(value.lead_value_page(options, timezone.now()))
    return render(request, "qualify/lead_value.html", context)
