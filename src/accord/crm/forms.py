from django import forms
from django.utils import timezone

from accord.crm.actions import MANUAL_STATUSES
from accord.crm.models import Activity, Lead
from accord.people import permissions


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, Lead.Status(s).label) for s in MANUAL_STATUSES])
    reason = forms.CharField(
        required=False,
        max_length=200,
        help_text="Required when rejecting or disqualifying a lead.",
    )


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = permissions.assignable_owners(actor)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices)
    occurred_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In your time zone; not in the future.",
    )
    outcome = forms.CharField(required=False, max_length=120)
    notes = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        # Read in the viewer's zone (people.zones activates it), so say which one.
        zone = timezone.get_current_timezone_name()
        self.fields["occurred_at"].help_text = f"In {zone}, your time zone; not in the future."
