"""The subscription form: where to send, and which events (the verb checks both)."""

from django import forms

from accord.core.events import Kind


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/accord"}),
        help_text="HTTPS, on a public address. Accord POSTs each event there as JSON.",
    )
    description = forms.CharField(
        required=False, max_length=200, help_text="What it feeds, e.g. “Slack #sales-alerts”."
    )
    kinds = forms.MultipleChoiceField(
        label="Events",
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,  # the verb says why none is not enough, beside the field
    )

    @classmethod
    def initial_from(cls, subscription) -> dict:
        return {
            "url": subscription.url,
            "description": subscription.description,
            "kinds": subscription.kinds,
        }
