"""The library's forms: they parse what a person typed; the verbs in `actions` decide."""

from datetime import datetime, time
from decimal import Decimal

from django import forms
from django.utils import timezone

from accord.content.models import STAGES, Asset, Persona, Suggestion
from accord.core.forms import PercentField, as_percent, plain_number
from accord.people.models import Team, User


class AssetForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Asset.Kind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        label="Owner team",
        help_text="Answers for the asset if its owner leaves.",
    )
    stages = forms.MultipleChoiceField(
        choices=STAGES, required=False, widget=forms.CheckboxSelectMultiple, label="Buying stages"
    )
    personas = forms.MultipleChoiceField(
        choices=Persona.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    industry = forms.CharField(max_length=80, required=False)
    product = forms.CharField(max_length=80, required=False)
    tags = forms.CharField(
        max_length=400, required=False, help_text="Separated by commas: pricing, emea"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).exclude(
            role=User.Role.VIEWER
        )

    def clean_tags(self):
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    @staticmethod
    def initial_from(asset: Asset) -> dict:
        return {
            "title": asset.title,
            "kind": asset.kind,
            "description": asset.description,
            "owner": asset.owner_id,
            "owner_team": asset.owner_team_id,
            "stages": asset.stages,
            "personas": asset.personas,
            "industry": asset.industry,
            "product": asset.product,
            "tags": ", ".join(asset.tags),
        }


class VersionForm(forms.Form):
    """A file or a link (the verb refuses both or neither), with a note on what changed."""

    file = forms.FileField(required=False, help_text="PDF, PPTX, DOCX, PNG, JPEG or MP4")
    url = forms.URLField(required=False, max_length=500, label="Or a link", assume_scheme="https")
    note = forms.CharField(max_length=300, required=False, help_text="What changed")

    def version(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("file", "url", "note")}


class SuggestionForm(forms.Form):
    """A rep's suggestion on an asset; what a new asset is for only when one is needed."""

    kind = forms.ChoiceField(choices=Suggestion.Kind.choices, initial=Suggestion.Kind.UPDATE)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What should change, or what is missing",
    )
    stage = forms.ChoiceField(
        choices=[("", "—"), *STAGES], required=False, label="For the stage",
        help_text="New asset needed: a stage, a persona or an objection",
    )  # fmt: skip
    persona = forms.ChoiceField(
        choices=[("", "—"), *Persona.choices], required=False, label="For the persona"
    )
    objection = forms.CharField(max_length=200, required=False, label="For the objection")


class AnswerForm(forms.Form):
    """The owner's answer: accept with a date, decline with a reason, or done with a version."""

    action = forms.ChoiceField(
        choices=[("accept", "Accept"), ("decline", "Decline"), ("done", "Done")]
    )
    due = forms.DateField(
        required=False, label="Done by", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(max_length=2000, required=False, label="Why not")
    version = forms.IntegerField(required=False, min_value=1, label="Version that answers it")


class SuggestionSettingsForm(forms.Form):
    response_hours = forms.DecimalField(
        min_value=Decimal("0.5"), max_value=Decimal("1000"), decimal_places=2,
        label="Answer within (business hours)",
        help_text="On the owner's business calendar; 16 is two days of 9 to 5.",
    )  # fmt: skip
    at_risk_share = PercentField(
        min_value=5, max_value=99, label="At risk after (% of the time)",
        help_text="The owner is warned once this share of the time has gone.",
    )  # fmt: skip

    @staticmethod
    def initial_from(row) -> dict:
        return {
            "response_hours": plain_number(row.response_hours),
            "at_risk_share": as_percent(row.at_risk_share),
        }


CRITERIA_SLOTS = 6


class RubricForm(forms.Form):
    """A rubric's name and up to six criteria (blank rows are left out): a name, a label for
    each point 1..5 and a weight. The verb checks the criteria (3 to 6, every label given)."""

    name = forms.CharField(max_length=120)
    note = forms.CharField(max_length=300, required=False, help_text="What changed and why")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for slot in range(CRITERIA_SLOTS):
            self.fields[f"c{slot}_name"] = forms.CharField(
                max_length=80, required=False, label="Criterion"
            )
            self.fields[f"c{slot}_weight"] = forms.DecimalField(
                required=False,
                min_value=0,
                max_digits=6,
                decimal_places=2,
                label="Weight",
                widget=forms.NumberInput(attrs={"step": "any", "class": "num"}),
            )
            for point in range(1, 6):
                self.fields[f"c{slot}_l{point}"] = forms.CharField(
                    max_length=80, required=False, label=str(point)
                )

    def slots(self):
        """The criterion rows, each (name field, weight field, the five label fields)."""
        return [
            (self[f"c{s}_name"], self[f"c{s}_weight"], [self[f"c{s}_l{p}"] for p in range(1, 6)])
            for s in range(CRITERIA_SLOTS)
        ]

    def criteria(self) -> list[dict]:
        rows = []
        for slot in range(CRITERIA_SLOTS):
            data = self.cleaned_data
            name = data.get(f"c{slot}_name", "").strip()
            labels = [data.get(f"c{slot}_l{p}", "") for p in range(1, 6)]
            if not name and not any(labels):
                continue
            weight = data.get(f"c{slot}_weight")
            rows.append({"name": name, "labels": labels, "weight": weight})
        return rows

    @staticmethod
    def initial_from(rubric) -> dict:
        initial = {"name": rubric.name, "note": rubric.note}
        for slot, criterion in enumerate(rubric.criteria):
            initial[f"c{slot}_name"] = criterion["name"]
            initial[f"c{slot}_weight"] = criterion.get("weight", 1)
            for point, label in enumerate(criterion["labels"], start=1):
                initial[f"c{slot}_l{point}"] = label
        return initial


class RateForm(forms.Form):
    """A rating: the deal (among the leads where the rep sent or used the asset), a score per
    criterion of the active rubric as radio buttons with its labels, a comment."""

    # A plain number: whether the rep may rate on that lead is the verb's answer, not the form's.
    lead = forms.IntegerField(label="Deal", widget=forms.Select, required=False)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )

    def __init__(self, *args, rubric, deals, **kwargs):
        # Its own ids: the asset page shows it beside the suggestion form, which has a
        # comment too, and a label must point at the field of its own form.
        kwargs.setdefault("auto_id", "id_rate_%s")
        super().__init__(*args, **kwargs)
        self.fields["lead"].widget.choices = [("", "Choose the deal")] + [
            (lead.pk, f"{lead} · {lead.account.name if lead.account else ''} (v{version.number})")
            for lead, version in deals
        ]
        self.criteria = rubric.criteria
        for criterion in rubric.criteria:
            # A plain number too: the verb names the criterion whose score is off the scale.
            self.fields[f"score_{criterion['key']}"] = forms.IntegerField(
                label=criterion["name"],
                widget=forms.RadioSelect(
                    choices=[(p, f"{p} {label}") for p, label in enumerate(criterion["labels"], 1)]
                ),
                required=False,
            )

    def score_fields(self):
        return [self[f"score_{c['key']}"] for c in self.criteria]

    def scores(self) -> dict:
        return {
            c["key"]: self.cleaned_data.get(f"score_{c['key']}")
            for c in self.criteria
            if self.cleaned_data.get(f"score_{c['key']}") not in (None, "")
        }

    def field_names(self) -> dict[str, str]:
        """The verb's field names -> this form's (for `errors_onto`)."""
        return {f"scores.{c['key']}": f"score_{c['key']}" for c in self.criteria}


class SendForm(forms.Form):
    """Send an asset to a lead: the lead (chosen on an account's page, fixed elsewhere), the
    deal it is for, an expiry day and the email gate. The verb decides what is allowed."""

    lead = forms.IntegerField(widget=forms.HiddenInput)
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput)
    expires_on = forms.DateField(
        required=False,
        label="Link expires",
        help_text="Optional: the link stops working after this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    email_gate = forms.BooleanField(
        required=False, label="Ask for the reader's email", help_text="Before showing the asset."
    )

    def expires_at(self):
        """The end of the expiry day on the sender's clock (the active time zone)."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))


class UseForm(forms.Form):
    lead = forms.IntegerField(widget=forms.HiddenInput)
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput)


class GateForm(forms.Form):
    """The public viewer's email gate."""

    email = forms.CharField(max_length=254, label="Your work email")
