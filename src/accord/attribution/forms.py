"""Forms of the attribution pages: which run to show, spend lines, unit-economics inputs.
Percentages are typed and shown; fractions are stored."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accord.attribution import compute
from accord.attribution.models import AttributionRun, Spend
from accord.core.forms import PercentField, as_percent
from accord.crm.models import Channel


class PeriodForm(forms.Form):
    """The run to show or compute: basis and period (GET); both dates or neither."""

    basis = forms.ChoiceField(choices=AttributionRun.Basis.choices, required=False)
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args, default_basis: str = AttributionRun.Basis.PIPELINE, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_basis = default_basis

    def clean(self):
        data = super().clean()
        data["basis"] = data.get("basis") or self.default_basis
        # Without either day the page shows the newest run, so nothing is filled in here.
        try:
            compute.requested_period(data.get("start"), data.get("end"), timezone.now().date())
        except ValueError as error:
            raise ValidationError(str(error)) from None
        return data


class SpendForm(forms.ModelForm):
    month = forms.DateField(
        help_text="Any day of the month; the line counts for the whole month.",
        widget=forms.DateInput({"type": "date"}),
    )
    channel = forms.ModelChoiceField(
        Channel.objects.all(),
        required=False,
        to_field_name="key",
        empty_label="— none: counts toward CAC only —",
        help_text="Program spend on a channel outside any campaign (an SEO agency) also counts "
        "toward that channel's return on spend.",
    )
    amount = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, help_text="Dollars, e.g. 12500.00"
    )

    confirm_large = forms.BooleanField(
        required=False,
        label="The amount is right",
        help_text="Needed for an amount over 10× the largest month so far.",
    )

    class Meta:
        model = Spend
        fields = ["month", "side", "channel", "label", "amount"]

    def changes(self) -> tuple[dict, bool]:
        """The line's fields for `actions.save_spend`, and whether a large amount was
        confirmed."""
        data = dict(self.cleaned_data)
        return data, bool(data.pop("confirm_large", False))

    def clean_month(self):
        return self.cleaned_data["month"].replace(day=1)

    def validate_unique(self):
        # The unique line (month, side, channel, label) is a database constraint on an
        # expression, which Django checks here too; say it in words.
        try:
            self.instance.validate_constraints(exclude=self._get_validation_exclusions())
        except ValidationError:
            self.add_error(
                "label", "There is already a line with this month, side, channel and label."
            )


class SpendImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns month (2026-03), side (marketing or sales), channel (key or name; "
        "empty for none), amount (dollars); label optional.",
    )
    confirm_large = forms.BooleanField(
        required=False,
        label="Amounts over 10× the largest month so far are right",
        help_text="Without it such rows are refused and reported.",
    )


class UnitEconomicsForm(forms.Form):
    gross_margin = PercentField(
        label="Gross margin (%)",
        min_value=Decimal("0.01"),
        max_digits=None,
        decimal_places=2,
        widget=None,
        help_text="Revenue left after the cost of serving it, e.g. 78.",
    )
    annual_churn = PercentField(
        label="Annual revenue churn (%)",
        min_value=Decimal("0.01"),
        max_digits=None,
        decimal_places=2,
        widget=None,
        help_text="The share of customers' revenue lost in a year, e.g. 12. Accord has no "
        "renewal data to observe it, so it is yours to set.",
    )

    @classmethod
    def showing(cls, row) -> "UnitEconomicsForm":
        """The form filled in with the stored fractions, as percentages."""
        return cls(
            initial={
                "gross_margin": as_percent(row.gross_margin),
                "annual_churn": as_percent(row.annual_churn),
            }
        )

    def fractions(self) -> tuple[Decimal, Decimal]:
        """The fractions to store: (gross margin, churn)."""
        return self.cleaned_data["gross_margin"], self.cleaned_data["annual_churn"]
