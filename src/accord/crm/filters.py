"""List filters: one form per list, each declaring what it searches, filters and sorts.

A filter form validates the query string like any form, so a bad value (an unknown
status, a date like 31/02) is reported next to the field and simply not applied.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.crm.models import Account, Campaign, Channel, Lead, Opportunity
from accord.people.models import User


class ListFilterForm(forms.Form):
    search_fields: tuple[str, ...] = ()
    date_field: str = ""
    # key -> (label, ordering); the first entry is the default.
    sorts: dict[str, tuple[str, tuple[str, ...]]] = {}

    q = forms.CharField(required=False, max_length=200, label="Search")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)
        self.fields["sort"].choices = [(k, label) for k, (label, _) in self.sorts.items()]
        if not self.date_field:
            del self.fields["date_from"]
            del self.fields["date_to"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict:
        """Field lookups for the choice filters a subclass declares."""
        return {}

    def apply(self, queryset: QuerySet) -> QuerySet:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if text := data.get("q", "").strip():
            match = Q()
            for field in self.search_fields:
                match |= Q(**{f"{field}__icontains": text})
            queryset = queryset.filter(match)
        if self.date_field:
            tz = timezone.get_current_timezone()
            if start := data.get("date_from"):
                since = datetime.combine(start, time.min, tzinfo=tz)
                queryset = queryset.filter(**{f"{self.date_field}__gte": since})
            if end := data.get("date_to"):
                until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
                queryset = queryset.filter(**{f"{self.date_field}__lt": until})
        for name, lookup in self.filters().items():
            if name in data:
                value = data[name]
                queryset = queryset.filter(**{lookup: getattr(value, "pk", value)})
        default = next(iter(self.sorts))
        _, ordering = self.sorts[data.get("sort") or default]
        return queryset.order_by(*ordering)

    @property
    def active_filters(self) -> int:
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(
            1 for k, v in self.cleaned_data.items() if k not in ("sort",) and v not in (None, "")
        )


def _owners():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


class LeadFilterForm(ListFilterForm):
    search_fields = ("email", "first_name", "last_name", "account__name", "title")
    date_field = "created_at"
    sorts = {
        "newest": ("Newest first", ("-created_at", "-id")),
        "oldest": ("Oldest first", ("created_at", "id")),
        "name": ("Name", ("last_name", "first_name", "id")),
        "score": ("Engagement score", ("-engagement_score", "-id")),
        "status_changed": ("Status changed", ("-status_changed_at", "-id")),
    }

    owner = forms.ModelChoiceField(queryset=_owners(), required=False, empty_label="Any owner")
    status = forms.ChoiceField(choices=[("", "Any status"), *Lead.Status.choices], required=False)
    source = forms.ModelChoiceField(
        queryset=Channel.objects.all(),
        required=False,
        empty_label="Any source",
        to_field_name="key",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()

    def filters(self):
        return {"owner": "owner", "status": "status", "source": "source"}


class AccountFilterForm(ListFilterForm):
    search_fields = ("name", "domain")
    date_field = "created_at"
    sorts = {
        "name": ("Name", ("name", "id")),
        "newest": ("Newest first", ("-created_at", "-id")),
        "employees": ("Largest first", ("-employees", "id")),
    }

    industry = forms.ChoiceField(required=False)
    country = forms.CharField(required=False, max_length=2)
    owner = forms.ModelChoiceField(queryset=_owners(), required=False, empty_label="Any owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        industries = Account.objects.exclude(industry="").values_list("industry", flat=True)
        self.fields["industry"].choices = [("", "Any industry")] + [
            (i, i) for i in sorted(set(industries))
        ]
        self.fields["owner"].queryset = _owners()

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()

    def filters(self):
        return {"industry": "industry", "country": "country", "owner": "owner"}


class OpportunityFilterForm(ListFilterForm):
    search_fields = ("name", "account__name")
    date_field = "created_at"
    sorts = {
        "newest": ("Newest first", ("-created_at", "-id")),
        "amount": ("Largest first", ("-amount", "-id")),
        "close_date": ("Close date", ("close_date", "id")),
    }

    owner = forms.ModelChoiceField(queryset=_owners(), required=False, empty_label="Any owner")
    stage = forms.ChoiceField(
        choices=[("", "Any stage"), ("open", "Open (not closed)"), *Opportunity.Stage.choices],
        required=False,
    )
    source = forms.ModelChoiceField(
        queryset=Channel.objects.all(),
        required=False,
        empty_label="Any source",
        to_field_name="key",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()

    def filters(self):
        return {"owner": "owner", "stage": "stage", "source": "source"}

    def apply(self, queryset):
        if self.is_valid() and self.cleaned_data.get("stage") == "open":
            queryset = queryset.exclude(stage__in=Opportunity.CLOSED_STAGES)
            self.cleaned_data["stage"] = ""
        return super().apply(queryset)


class CampaignFilterForm(ListFilterForm):
    search_fields = ("name",)
    date_field = ""
    sorts = {
        "newest": ("Newest first", ("-starts_on", "name")),
        "name": ("Name", ("name", "id")),
    }

    channel = forms.ModelChoiceField(
        queryset=Channel.objects.all(),
        required=False,
        empty_label="Any channel",
        to_field_name="key",
    )
    kind = forms.ChoiceField(choices=[("", "Any type"), *Campaign.Kind.choices], required=False)

    def filters(self):
        return {"channel": "channel", "kind": "kind"}
