from django import forms

from accord.calculators.models import Calculator, CalculatorVersion

AREA = {"rows": 7, "spellcheck": "false", "class": "mono"}


class CalculatorForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=Calculator.Kind.choices)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea({"rows": 3})
    )


class VersionEditor(forms.Form):
    """The draft editor: one text per part, in the line format of `calculators.lines`."""

    horizon_months = forms.TypedChoiceField(
        choices=CalculatorVersion.Horizon.choices, coerce=int, label="Horizon"
    )
    inputs = forms.CharField(
        required=False,
        widget=forms.Textarea(AREA),
        help_text="key | label | type | min | max | default | unit | help. Types: number, "
        "money, percent (written as percentages), whole, yesno, choice: Small=1, Large=3. "
        "A key ending in ? is optional.",
    )
    assumptions = forms.CharField(
        required=False,
        widget=forms.Textarea(AREA),
        help_text="key | label | value | source. Both teams' leaders sign this table.",
    )
    tables = forms.CharField(
        required=False,
        widget=forms.Textarea({**AREA, "rows": 3}),
        help_text="name: key, value1, value2 (one row a line, keys ascending) for LOOKUP.",
    )
    values = forms.CharField(
        required=False,
        widget=forms.Textarea({**AREA, "rows": 12}),
        help_text="key | label | formula, and for a result the buyer sees, on the next line: "
        "output: money|percent|number|months | how we computed this.",
    )
    note = forms.CharField(required=False, max_length=300, label="What changed and why")
