"""The library's forms: they parse what a person typed; the verbs in `actions` decide."""

from datetime import datetime, time

from django import forms
from django.utils import timezone

from accord.content.models import STAGES, Asset, Persona
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
