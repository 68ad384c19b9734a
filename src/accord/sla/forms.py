"""Forms for the service-level settings: they parse what was typed, the verbs decide.

Choices are offered as checkboxes and selects, but any value posted is let through to
`accord.sla.actions`, which says clearly why an unknown one won't do. The at-risk share is
typed as a percentage and handed over as a fraction.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accord.analytics import business_hours
from accord.core.forms import PercentField, as_percent, plain_number
from accord.crm.models import Activity, Channel, Touchpoint
from accord.sla import actions
from accord.sla.models import DEFAULT_TOUCH_WINDOW_DAYS, BusinessCalendar, FollowUpPolicy


class OpenMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose posted values all reach the verb, known or not."""

    widget = forms.CheckboxSelectMultiple

    def valid_value(self, value) -> bool:
        return True


class OpenChoiceField(forms.ChoiceField):
    def valid_value(self, value) -> bool:
        return True


class PolicyForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text="What the commitment is, e.g. “Demo requests: call back fast”.",
    )
    priority = forms.IntegerField(
        help_text="A whole number, unique to this policy. When a lead matches several "
        "policies, the lowest number wins.",
        widget=forms.NumberInput(attrs={"class": "num", "step": 1}),
    )
    active = forms.BooleanField(
        required=False,
        label="Active",
        help_text="A paused policy covers no lead: its leads fall to the next policy that "
        "matches, if any.",
    )
    grades = OpenMultipleChoiceField(
        required=False,
        label="Fit grades",
        choices=[(grade, grade) for grade in actions.GRADES],
        help_text="Leads of these fit grades; none ticked: any grade.",
    )
    sources = OpenMultipleChoiceField(
        required=False,
        help_text="Leads from these channels; none ticked: any source.",
    )
    touch_kind = OpenChoiceField(
        required=False,
        label="Touchpoint",
        choices=[("", "Any lead")] + list(Touchpoint.Kind.choices),
        help_text="Only leads with a touchpoint of this kind shortly before they became MQL; "
        "“Any lead”: no condition.",
    )
    touch_window_days = forms.IntegerField(
        required=False,
        label="Touchpoint within (days)",
        help_text="How far back from the MQL time the touchpoint counts, 1 to 365 days "
        "(blank: 30): a demo asked for last year does not make today's MQL a demo request.",
        widget=forms.NumberInput(attrs={"class": "num", "step": 1}),
    )
    first_response_hours = forms.DecimalField(
        label="First response within",
        decimal_places=2,
        help_text="Business hours, more than 0 and at most 1,000 (e.g. 8, or 1.5).",
        widget=forms.NumberInput(attrs={"class": "num", "step": "any"}),
    )
    attempts = forms.IntegerField(
        label="Attempts",
        help_text="Follow-ups to make, from 1 to 50.",
        widget=forms.NumberInput(attrs={"class": "num", "step": 1}),
    )
    attempt_days = forms.IntegerField(
        label="Within",
        help_text="Business days for those attempts, from 1 to 60.",
        widget=forms.NumberInput(attrs={"class": "num", "step": 1}),
    )
    attempt_kinds = OpenMultipleChoiceField(
        required=False,
        label="What counts as an attempt",
        choices=[(k, label) for k, label in Activity.Kind.choices if k != Activity.Kind.NOTE],
        help_text="Tick at least one kind of follow-up; notes never count.",
    )
    at_risk_share = PercentField(
        label="At risk at (%)",
        min_value=None,  # the verb says why a share outside 5-99% will not do
        max_value=None,
        max_digits=None,
        decimal_places=1,
        help_text="A percentage from 5 to 99: the clock turns at risk, and the owner is "
        "warned, once this much of its time is used.",
        widget=forms.NumberInput(attrs={"class": "num", "step": "any"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        channels = list(Channel.objects.values_list("key", "name"))
        known = {key for key, _ in channels}
        # A channel removed since the policy was saved still shows, so nobody drops it unseen.
        kept = [(key, f"{key} (no such channel)") for key in self.initial.get("sources", [])]
        self.fields["sources"].choices = channels + [c for c in kept if c[0] not in known]

    @property
    def sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """The form in the order a person thinks about it: title, note, fields."""
        return [
            ("The policy", "", [self[f] for f in ("name", "priority", "active")]),
            (
                "Which MQLs it covers",
                "A lead must meet every condition set here; leave one empty to ignore it.",
                [self[f] for f in ("grades", "sources", "touch_kind", "touch_window_days")],
            ),
            (
                "What sales commits to",
                "Clocks start when the lead becomes an MQL and run only in its owner's "
                "business hours.",
                [
                    self[f]
                    for f in (
                        "first_response_hours",
                        "attempts",
                        "attempt_days",
                        "attempt_kinds",
                        "at_risk_share",
                    )
                ],  # fmt: skip
            ),
        ]

    @staticmethod
    def initial_from(policy: FollowUpPolicy | None) -> dict:
        if policy is None:
            return {
                "active": True,
                "at_risk_share": "75",
                "attempt_kinds": ["call", "email"],
                "touch_window_days": DEFAULT_TOUCH_WINDOW_DAYS,
            }
        return {
            **{field: getattr(policy, field) for field in actions.POLICY_FIELDS},
            "first_response_hours": plain_number(policy.first_response_hours),
            "at_risk_share": as_percent(policy.at_risk_share),
        }

    def values(self) -> dict:
        """The cleaned data as `actions.save_policy` takes it (the share as a fraction)."""
        return dict(self.cleaned_data)


class CalendarForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64,
        help_text="An IANA time zone such as America/New_York or Europe/London.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    country = forms.CharField(
        required=False,
        max_length=2,
        help_text="Two-letter ISO code whose public holidays close the calendar, e.g. US "
        "or GB; blank: no public holidays.",
        widget=forms.TextInput(attrs={"size": 3}),
    )
    subdivision = forms.CharField(
        required=False,
        max_length=10,
        help_text="A state or region with its own holidays, e.g. NY; blank: the whole country.",
        widget=forms.TextInput(attrs={"size": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, day in zip(business_hours.WEEKDAYS, business_hours.DAY_NAMES, strict=True):
            self.fields[key] = forms.CharField(
                required=False,
                max_length=200,
                label=day,
                help_text="e.g. 09:00-17:00 or 09:00-12:00, 13:00-17:00; blank: closed.",
                widget=forms.TextInput(attrs={"placeholder": "closed"}),
            )

    @property
    def days(self) -> list[forms.BoundField]:
        return [self[key] for key in business_hours.WEEKDAYS]

    @property
    def place(self) -> list[forms.BoundField]:
        return [self["time_zone"], self["country"], self["subdivision"]]

    @staticmethod
    def initial_from(calendar: BusinessCalendar) -> dict:
        return {
            "time_zone": calendar.time_zone,
            "country": calendar.country,
            "subdivision": calendar.subdivision,
            **actions.week_text(calendar.week or {}),
        }

    def clean(self):
        cleaned = super().clean()
        for key in business_hours.WEEKDAYS:
            if key in cleaned:
                try:
                    cleaned[key] = actions.parse_hours(cleaned[key])
                except ValidationError as error:
                    self.add_error(key, error)
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "time_zone": data["time_zone"],
            "country": data["country"],
            "subdivision": data["subdivision"],
            "week": {key: data[key] for key in business_hours.WEEKDAYS if data[key]},
        }


class DayOffForm(forms.Form):
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="The day the team is closed."
    )
    name = forms.CharField(
        required=False,
        max_length=80,
        label="What for",
        help_text="e.g. Company offsite; shown on the hours page.",
    )


class QuickFollowUpForm(forms.Form):
    """One click from a row of the follow-up queue: a call or an email, made just now."""

    kind = forms.ChoiceField(
        choices=[(k, label) for k, label in Activity.Kind.choices if k in ("call", "email")]
    )
    outcome = forms.CharField(required=False, max_length=120)

    def clean(self):
        data = super().clean()
        data["occurred_at"] = timezone.now()
        return data
