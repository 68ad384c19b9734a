from django import forms
from django.utils import timezone

from accord.core.forms import RowChoiceField
from accord.crm.actions import settable_statuses
from accord.crm.models import Activity, Lead
from accord.people import permissions


class StatusField(forms.ChoiceField):
    """Offers the moves the user may make; any other status posted reaches the verb, which
    says why it won't do (rather than a bare "Select a valid choice")."""

    def valid_value(self, value) -> bool:
        return value in Lead.Status.values


class StatusForm(forms.Form):
    status = StatusField(label="New status")
    reason = forms.CharField(
        required=False,
        max_length=200,
        help_text="Required when rejecting or disqualifying a lead, or moving it back.",
    )

    def __init__(self, *args, lead: Lead, actor, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = settable_statuses(
            lead.status, may_move_back=permissions.can_move_lead_back(actor)
        )
        self.fields["status"].choices = [("", "Choose…")] + [
            (status, Lead.Status(status).label) for status in allowed
        ]

    @property
    def has_choices(self) -> bool:
        return len(self.fields["status"].choices) > 1


class ReassignForm(forms.Form):
    owner = RowChoiceField(queryset=None, required=False, empty_label="Nobody")

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
