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


class PublicPageForm(forms.Form):
    """The public page's settings; `actions.set_public_page` checks them."""

    gate = forms.ChoiceField(
        choices=Calculator.Gate.choices, widget=forms.RadioSelect, label="Lead capture"
    )
    allowed_origins = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea({**AREA, "rows": 4}),
        label="Sites that may embed it",
        help_text="One origin a line, such as https://www.example.com (a port if needed, no "
        "path); http://localhost:8080 to try it on your machine. Empty: only the public address.",
    )
    consent_text = forms.CharField(
        required=False,
        max_length=600,
        widget=forms.Textarea({"rows": 2}),
        label="Consent text",
        help_text="Shown beside a checkbox the visitor must tick to submit; empty for none.",
    )
    privacy_url = forms.CharField(
        required=False, max_length=200, label="Privacy policy address", help_text="https://…"
    )
