"""The library's forms: they parse what a person typed; the verbs in `actions` decide."""

from decimal import Decimal

from django import forms

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
