from django import forms

from accord.calculators.models import Calculator, CalculatorVersion

AREA = {"rows": 7, "spellcheck": "false", "class": "mono"}


class CalculatorForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=Calculator.Kind.choices)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea({"rows": 3})
    )


def input_field(item: dict) -> forms.Field:
    """One input of a version as text, typed as `compute.read_inputs` reads it. The form only
    carries the text: the verb checks it (a choice too), naming the input."""
    kind = item["type"]
    unit = " (%)" if kind == "percent" else (f" ({item['unit']})" if item.get("unit") else "")
    widget = forms.TextInput({"inputmode": "decimal"})
    if kind == "choice":
        widget = forms.Select(choices=[(c["value"], c["label"]) for c in item["choices"]])
    elif kind == "yesno":
        widget = forms.Select(choices=[("yes", "Yes"), ("no", "No")])
    return forms.CharField(
        label=item["label"] + unit, required=False, help_text=item.get("help", ""), widget=widget
    )


class CaseForm(forms.Form):
    """A business case's inputs on the deal (one `in_<key>` field per input of the version,
    so no input can be taken for the note or the token) and why it changed."""

    PREFIX = "in_"

    note = forms.CharField(
        required=False,
        label="What changed and why",
        widget=forms.TextInput({"placeholder": "e.g. Sized for the 35 analysts in the EU team"}),
    )

    def __init__(self, data=None, *, version: CalculatorVersion, note_required: bool, **kwargs):
        super().__init__(data, **kwargs)
        self.version = version
        if note_required:  # the verb refuses a change without one; the browser says so first
            self.fields["note"].widget.attrs["required"] = True
            self.fields["note"].help_text = "Required: everybody on the deal reads it."
        else:
            self.fields["note"].label = "Note"
            self.fields["note"].widget.attrs["placeholder"] = "e.g. First numbers from discovery"
        for item in version.inputs:
            self.fields[self.PREFIX + item["key"]] = input_field(item)
        self.order_fields([self.PREFIX + item["key"] for item in version.inputs] + ["note"])

    def raw_inputs(self) -> dict:
        """The inputs as typed, by the version's keys (only those: nothing else is read)."""
        return {
            item["key"]: self.data.get(self.PREFIX + item["key"], "")
            for item in self.version.inputs
        }

    def field_names(self) -> dict[str, str]:
        """A verb's error keys (input keys) to this form's field names."""
        return {item["key"]: self.PREFIX + item["key"] for item in self.version.inputs}

    def input_fields(self):
        return [self[self.PREFIX + item["key"]] for item in self.version.inputs]


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
