"""The journey's forms: they parse what was typed; the verbs in `journey.actions` decide."""

from django import forms

from accord.analytics.funnel import STEP_LABELS, STEPS
from accord.calculators.models import Calculator
from accord.content.models import Asset
from accord.core.forms import PercentField
from accord.crm.models import Campaign
from accord.journey.models import Deliverable
from accord.people.models import Team, User


class JourneyForm(forms.Form):
    name = forms.CharField(max_length=120)
    segment = forms.CharField(max_length=200, required=False)
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at_risk_share = PercentField(
        label="At risk after (% of the work window gone)", initial="75", min_value=5, max_value=99
    )
    stuck_after_days = forms.IntegerField(
        label="Stuck after (business days late)", min_value=1, max_value=60, initial=5
    )


class CopyForm(forms.Form):
    name = forms.CharField(max_length=120)
    segment = forms.CharField(max_length=200, required=False)
    starts_on = forms.DateField(label="New start", widget=forms.DateInput(attrs={"type": "date"}))


class StageForm(forms.Form):
    name = forms.CharField(max_length=80)
    team = forms.ModelChoiceField(Team.objects.all(), label="Accountable team")
    role = forms.CharField(max_length=80, help_text="A role of that team, e.g. SDR manager")
    funnel_step = forms.ChoiceField(
        choices=[(s, STEP_LABELS[s]) for s in STEPS], label="Funnel step it moves"
    )
    entry_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    exit_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class StageEditForm(StageForm):
    order = forms.IntegerField(min_value=1, max_value=50, label="Place (1 is first)")


class DeliverableForm(forms.Form):
    title = forms.CharField(max_length=160)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = forms.ModelChoiceField(
        User.objects.filter(is_active=True), required=False,
        help_text="A person; leave empty to give it to a role",
    )  # fmt: skip
    owner_role = forms.CharField(
        max_length=80, required=False, help_text="A role of the stage's team; empty: the stage's"
    )
    anchor = forms.ChoiceField(choices=Deliverable.Anchor.choices, label="Due date hangs on")
    fixed_on = forms.DateField(
        required=False, label="Fixed date", widget=forms.DateInput(attrs={"type": "date"})
    )
    anchor_campaign = forms.ModelChoiceField(
        Campaign.objects.all(), required=False, label="Campaign"
    )
    anchor_deliverable = forms.ModelChoiceField(
        Deliverable.objects.none(), required=False, label="Deliverable"
    )
    anchor_month = forms.DateField(
        required=False, label="Plan month", widget=forms.DateInput(attrs={"type": "month"}),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )  # fmt: skip
    offset_days = forms.IntegerField(
        initial=0, label="Business days after it (negative: before)", min_value=-250,
        max_value=250,
    )  # fmt: skip
    work_days = forms.IntegerField(
        initial=5, min_value=1, max_value=120, label="Business days of work"
    )
    asset = forms.ModelChoiceField(Asset.objects.all(), required=False, label="Linked asset")
    calculator = forms.ModelChoiceField(
        Calculator.objects.all(), required=False, label="Linked calculator"
    )
    campaign = forms.ModelChoiceField(
        Campaign.objects.all(), required=False, label="Linked campaign"
    )

    def __init__(self, *args, journey=None, exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        if journey is not None:
            others = Deliverable.objects.filter(stage__journey=journey)
            if exclude is not None:
                others = others.exclude(pk=exclude.pk)
            self.fields["anchor_deliverable"].queryset = others


class RoleForm(forms.Form):
    team = forms.ModelChoiceField(Team.objects.all())
    name = forms.CharField(max_length=80, label="Role")
    holder = forms.ModelChoiceField(
        User.objects.filter(is_active=True), required=False, label="Held by"
    )


class LaunchForm(forms.Form):
    campaign = forms.ModelChoiceField(Campaign.objects.all())
    starts_on = forms.DateField(label="Launches on", widget=forms.DateInput(attrs={"type": "date"}))


class GoalMeasureForm(forms.Form):
    """How one plan goal is measured (the goal's owner and due date are set on the plan)."""

    goal = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label="Measured by",
        required=False,
        choices=[
            ("", "No measure"),
            ("funnel", "The stage's number"),
            ("deliverable", "A deliverable"),
        ],
    )
    deliverable = forms.ModelChoiceField(
        queryset=Deliverable.objects.select_related("stage__journey").order_by("due_on"),
        required=False,
        empty_label="None",
    )

    def __init__(self, *args, deliverables=None, **kwargs):
        super().__init__(*args, **kwargs)
        if deliverables is not None:
            self.fields["deliverable"].queryset = deliverables
        self.fields["deliverable"].label_from_instance = lambda d: (
            f"{d.title} ({d.stage.journey.name}, due {d.due_on:%-d %b %Y})"
        )
