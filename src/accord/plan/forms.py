"""The plan form: percentages shown and typed, fractions stored."""

import calendar
from decimal import Decimal

from django import forms
from django.utils import timezone

from accord.analytics.funnel import SOURCES, STAGE_LABELS, STAGES, STEP_LABELS, STEPS
from accord.core.forms import PercentField, as_percent, plain_number
from accord.people.models import User
from accord.plan.actions import PlanValues
from accord.plan.models import PlanRevision

DEFAULT_RATES = {
    "lead_mql": "10",
    "mql_sal": "70",
    "sal_sql": "60",
    "sql_opp": "80",
    "opp_won": "25",
}
DEFAULT_LAGS = {"lead_mql": 14, "mql_sal": 2, "sal_sql": 7, "sql_opp": 7, "opp_won": 75}
DEFAULT_SHARES = {"marketing": "60", "sales": "30", "partner": "10"}
SOURCE_LABELS = {
    "marketing": "Marketing-sourced",
    "sales": "Sales-sourced (outbound)",
    "partner": "Partner",
}


class PlanForm(forms.Form):
    """Create (with name and year) or change a plan. Rates are typed as percentages."""

    name = forms.CharField(max_length=120)
    fiscal_year = forms.IntegerField(min_value=2000, max_value=2100)
    first_month = forms.TypedChoiceField(
        coerce=int,
        choices=[(i, calendar.month_name[i]) for i in range(1, 13)],
        initial=1,
        help_text="The month the fiscal year starts.",
    )
    target = forms.DecimalField(
        label="New-business revenue target ($)",
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "class": "num"}),
    )
    asp = forms.DecimalField(
        label="Average selling price ($)",
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "class": "num"}),
    )
    observed_months = forms.IntegerField(
        label="Observe the last … months",
        min_value=1,
        max_value=36,
        initial=12,
        help_text="The history that observed rates and lags are computed from.",
    )
    note = forms.CharField(
        required=False, max_length=300, help_text="What changed and why (kept with the revision)."
    )
    reread_observed = forms.BooleanField(
        required=False,
        label="Re-read the observed rates and lags from the data now",
        help_text="Otherwise the figures this revision was planned on are kept, and the steps "
        "based on them keep their rates.",
    )
    growth = PercentField(
        label="Growth for next year (%)",
        min_value=-100,
        max_value=1000,
        initial="0",
        required=False,
        help_text="Next year's first months, until its plan is signed: this year's same month "
        "plus this growth. The last months create pipeline for them.",
    )
    coverage = forms.DecimalField(
        label="Next quarter's pipeline coverage (×)",
        min_value=Decimal("0.01"),
        max_value=Decimal(20),
        max_digits=5,
        decimal_places=2,
        initial=3,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "class": "num"}),
        help_text="Open pipeline due next quarter, as a multiple of the bookings it needs.",
    )

    def __init__(
        self, *args, creating: bool, observed: dict | None = None, first_month: int = 1, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.first_month = first_month
        self.observed = observed or {}
        if not creating:
            del self.fields["name"], self.fields["fiscal_year"], self.fields["first_month"]
        else:
            del self.fields["note"], self.fields["reread_observed"]
            self.fields["fiscal_year"].initial = timezone.localdate().year + 1
        for step in STEPS:
            self.fields[f"rate_{step}"] = PercentField(
                label=f"{STEP_LABELS[step]} (%)", required=False, initial=DEFAULT_RATES[step]
            )
            self.fields[f"lag_{step}"] = forms.IntegerField(
                label=f"{STEP_LABELS[step]} lag (days)",
                min_value=0,
                max_value=730,
                initial=DEFAULT_LAGS[step],
                required=False,
                # In the table of steps, where no <label> stands beside it.
                widget=forms.NumberInput(
                    attrs={"class": "num", "aria-label": f"{STEP_LABELS[step]} lag (days)"}
                ),
            )
            self.fields[f"rate_{step}"].widget.attrs["aria-label"] = f"{STEP_LABELS[step]} (%)"
            self.fields[f"basis_{step}"] = forms.ChoiceField(
                choices=PlanRevision.Basis.choices, initial=PlanRevision.Basis.ASSUMED
            )
        for source in SOURCES:
            self.fields[f"share_{source}"] = PercentField(
                label=f"{SOURCE_LABELS[source]} (%)", initial=DEFAULT_SHARES[source]
            )
        for i in range(12):
            self.fields[f"season_{i}"] = forms.DecimalField(
                min_value=Decimal(0),
                max_digits=8,
                decimal_places=3,
                initial=1,
                widget=forms.NumberInput(attrs={"step": "any", "class": "num season"}),
            )
        owners = User.objects.filter(is_active=True).exclude(role=User.Role.VIEWER)
        for stage in STAGES:
            self.fields[f"owner_{stage}"] = forms.ModelChoiceField(
                queryset=owners,
                required=False,
                empty_label="Nobody",
                label=f"{STAGE_LABELS[stage]}: owner",
            )
            self.fields[f"due_{stage}"] = forms.DateField(
                required=False,
                label=f"{STAGE_LABELS[stage]}: due",
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    @classmethod
    def initial_from(cls, revision: PlanRevision) -> dict:
        initial = {
            "target": plain_number(revision.target),
            "asp": plain_number(revision.asp),
            "observed_months": revision.observed_months,
            "growth": as_percent(revision.growth),
            "coverage": plain_number(revision.coverage),
        }
        for step in STEPS:
            initial[f"rate_{step}"] = as_percent(revision.rates[step])
            initial[f"lag_{step}"] = revision.lags.get(step, 0)
            initial[f"basis_{step}"] = revision.basis.get(step, PlanRevision.Basis.ASSUMED)
        for source in SOURCES:
            initial[f"share_{source}"] = as_percent(revision.shares.get(source, "0"))
        for i, weight in enumerate(revision.seasonality or ["1"] * 12):
            initial[f"season_{i}"] = plain_number(weight)
        for goal in revision.goals.all():
            initial[f"owner_{goal.stage}"] = goal.owner_id
            initial[f"due_{goal.stage}"] = goal.due_on
        return initial

    def rows(self):
        """The step rows of the form with the observed figures beside them."""
        for step in STEPS:
            yield {
                "step": step,
                "label": STEP_LABELS[step],
                "rate": self[f"rate_{step}"],
                "lag": self[f"lag_{step}"],
                "basis": self[f"basis_{step}"],
                "observed": self.observed.get(step),
            }

    def season_fields(self):
        """(month label, field) in fiscal order, from the plan's first month."""
        first = self.first_month
        if self.creating:
            try:
                first = int(self.data.get("first_month") or self.fields["first_month"].initial)
            except ValueError:
                first = 1
        return [
            (calendar.month_abbr[(first - 1 + i) % 12 + 1], self[f"season_{i}"]) for i in range(12)
        ]

    def share_fields(self):
        return [self[f"share_{s}"] for s in SOURCES]

    def goal_rows(self):
        for stage in STAGES:
            yield STAGE_LABELS[stage], self[f"owner_{stage}"], self[f"due_{stage}"]

    def clean(self):
        data = super().clean()
        for step in STEPS:
            observed = self.observed.get(step) or {}
            if data.get(f"basis_{step}") == PlanRevision.Basis.OBSERVED:
                if not observed.get("denominator") or observed.get("rate") is None:
                    self.add_error(
                        f"basis_{step}",
                        f"There is no history for {STEP_LABELS[step]} in the last "
                        f"{data.get('observed_months') or 12} months; type an assumed rate.",
                    )
                    continue
                data[f"rate_{step}"] = Decimal(str(observed["rate"]))
                if observed.get("lag_days") is not None:
                    data[f"lag_{step}"] = round(observed["lag_days"])
            rate = data.get(f"rate_{step}")
            if rate is None:
                if f"rate_{step}" not in self.errors:
                    self.add_error(f"rate_{step}", "Give a rate above 0% and at most 100%.")
            elif rate <= 0:
                self.add_error(f"rate_{step}", "A conversion rate must be above 0%.")
            if data.get(f"lag_{step}") is None and f"lag_{step}" not in self.errors:
                data[f"lag_{step}"] = 0
        shares = [data.get(f"share_{s}") for s in SOURCES]
        if all(s is not None for s in shares) and sum(shares) != 1:
            self.add_error(
                "share_marketing",
                "The source shares must add up to 100%; "
                f"they add up to {as_percent(sum(shares))}%.",
            )
        weights = [data.get(f"season_{i}") for i in range(12)]
        if all(w is not None for w in weights) and not any(weights):
            self.add_error("season_0", "At least one month needs a seasonality weight above 0.")
        for name in ("target", "asp"):
            if data.get(name) is not None and data[name] <= 0:
                self.add_error(name, "Must be more than zero.")
        return data

    def values(self) -> PlanValues:
        data = self.cleaned_data
        return PlanValues(
            target=data["target"],
            asp=data["asp"],
            rates={s: data[f"rate_{s}"] for s in STEPS},
            lags={s: data[f"lag_{s}"] for s in STEPS},
            basis={s: data[f"basis_{s}"] for s in STEPS},
            shares={s: data[f"share_{s}"] for s in SOURCES},
            seasonality=[data[f"season_{i}"] for i in range(12)],
            observed_months=data["observed_months"],
            observed=self.observed,
            goals={s: (data[f"owner_{s}"], data[f"due_{s}"]) for s in STAGES},
            # Left empty: no growth, and the customary 3× coverage.
            growth=data["growth"] if data.get("growth") is not None else Decimal(0),
            coverage=data["coverage"] if data.get("coverage") is not None else Decimal(3),
        )
