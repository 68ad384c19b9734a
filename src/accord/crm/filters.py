"""List filters: one form per list, each declaring what it searches, filters and sorts.

A filter form validates the query string like any form, so a bad value (an unknown
status, a date like 31/02) is reported next to the field and simply not applied.

Date ranges are whole days in the configured time zone, both ends included: the
scoreboard links here with a month's first and last day and must get the same rows it
counted.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accord.core.forms import RowChoiceField
from accord.core.periods import validate_day
from accord.crm import search
from accord.crm.models import Account, Campaign, Channel, Lead, LeadStatusChange, Opportunity
from accord.people.models import User


def first_reached(status: str) -> Subquery:
    """When a lead first reached `status` or a later lifecycle status; None if never."""
    return Subquery(
        LeadStatusChange.objects.filter(
            lead=OuterRef("pk"), to_status__in=Lead.statuses_from(status)
        )
        .order_by("changed_at", "id")
        .values("changed_at")[:1]
    )


def first_reaches(status: str) -> QuerySet:
    """The status changes that are each lead's first to `status` or a later lifecycle status:
    one row per lead that ever reached it, dated as `first_reached` dates it (the earliest
    change, the lower id of two at the same moment).

    Counting these by month reads the changes in the months asked for, each against its
    lead's earlier changes by index; annotating every lead with `first_reached` and filtering
    on it reads every lead in history, once per stage."""
    statuses = Lead.statuses_from(status)
    earlier = LeadStatusChange.objects.filter(
        Q(changed_at__lt=OuterRef("changed_at"))
        | Q(changed_at=OuterRef("changed_at"), id__lt=OuterRef("id")),
        lead=OuterRef("lead"),
        to_status__in=statuses,
    )
    return LeadStatusChange.objects.filter(to_status__in=statuses).filter(~Exists(earlier))


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Local midnight at the start of `start` and at the end of `end` (None stays None)."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz) if end else None
    return since, until


def _date_field(label: str) -> forms.DateField:
    # A day outside the years Accord accepts is refused: a day's bounds would overflow.
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_day],
    )


class ListFilterForm(forms.Form):
    search_fields: tuple[str, ...] = ()
    date_field: str = ""
    # (from, to) pairs of date fields whose order is checked.
    date_pairs: tuple[tuple[str, str], ...] = (("date_from", "date_to"),)
    # key -> (label, ordering); the first entry is the default.
    sorts: dict[str, tuple[str, tuple[str, ...]]] = {}

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        error_messages={
            "max_length": "Search for at most %(limit_value)d characters; this search has "
            "%(show_value)d, so it was not run."
        },
    )
    date_from = _date_field("From")
    date_to = _date_field("To")
    sort = forms.ChoiceField(required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)
        self.fields["sort"].choices = [(k, label) for k, (label, _) in self.sorts.items()]
        if not self.date_field:
            del self.fields["date_from"]
            del self.fields["date_to"]

    def clean(self):
        cleaned = super().clean()
        for first, last in self.date_pairs:
            start, end = cleaned.get(first), cleaned.get(last)
            if start and end and start > end:
                self.add_error(last, "The end date is before the start date.")
        return cleaned

    def _valid(self, name: str):
        """A cleaned value, or None when it is empty or was reported as an error."""
        self.is_valid()
        value = self.cleaned_data.get(name)
        return None if value in (None, "") else value

    def _days(self, queryset: QuerySet, field: str, first: str, last: str) -> QuerySet:
        """Filter a datetime `field` to the days from the `first` to the `last` field."""
        since, until = day_bounds(self._valid(first), self._valid(last))
        if since:
            queryset = queryset.filter(**{f"{field}__gte": since})
        if until:
            queryset = queryset.filter(**{f"{field}__lt": until})
        return queryset

    def filters(self) -> dict:
        """Field lookups for the choice filters a subclass declares."""
        return {}

    def search(self, text: str) -> Q:
        """The rows whose `search_fields` hold `text` (a list with an index of its own, the
        leads and the accounts, says so: accord.crm.search)."""
        match = Q()
        for field in self.search_fields:
            match |= Q(**{f"{field}__icontains": text})
        return match

    def apply(self, queryset: QuerySet) -> QuerySet:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if text := data.get("q", "").strip():
            queryset = queryset.filter(self.search(text))
        if self.date_field:
            queryset = self._days(queryset, self.date_field, "date_from", "date_to")
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

    owner = RowChoiceField(queryset=_owners(), required=False, empty_label="Any owner")
    status = forms.ChoiceField(choices=[("", "Any status"), *Lead.Status.choices], required=False)
    source = RowChoiceField(
        queryset=Channel.objects.all(),
        required=False,
        empty_label="Any source",
        to_field_name="key",
    )
    source_group = forms.ChoiceField(
        choices=[("", "Any source group"), *Channel.Group.choices],
        required=False,
        label="Source group",
    )
    reached = forms.ChoiceField(
        choices=[("", "Any stage reached"), *[(s.value, s.label) for s in Lead.LIFECYCLE[1:]]],
        required=False,
        label="Reached",
        help_text="Leads that got to this stage or further, first doing so between the dates.",
    )
    reached_from = _date_field("Reached from")
    reached_to = _date_field("Reached to")

    date_pairs = (("date_from", "date_to"), ("reached_from", "reached_to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()
        self.fields["date_from"].label, self.fields["date_to"].label = "Created from", "Created to"

    def clean(self):
        cleaned = super().clean()
        dated = cleaned.get("reached_from") or cleaned.get("reached_to")
        if dated and not cleaned.get("reached") and "reached" not in self.errors:
            self.add_error("reached", "Choose the stage the reached dates are about.")
        return cleaned

    def search(self, text: str) -> Q:
        return search.leads_q(text)

    def filters(self):
        return {
            "owner": "owner",
            "status": "status",
            "source": "source",
            "source_group": "source__group",
        }

    def apply(self, queryset):
        queryset = super().apply(queryset)
        if stage := self._valid("reached"):
            queryset = queryset.annotate(first_reached=first_reached(stage)).filter(
                first_reached__isnull=False
            )
            queryset = self._days(queryset, "first_reached", "reached_from", "reached_to")
        return queryset


class AccountFilterForm(ListFilterForm):
    search_fields = ("name", "domain")

    def search(self, text: str) -> Q:
        return search.accounts_q(text)

    date_field = "created_at"
    sorts = {
        "name": ("Name", ("name", "id")),
        "newest": ("Newest first", ("-created_at", "-id")),
        "employees": ("Largest first", ("-employees", "id")),
    }

    industry = forms.ChoiceField(required=False)
    country = forms.CharField(required=False, max_length=2)
    owner = RowChoiceField(queryset=_owners(), required=False, empty_label="Any owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each industry once, from the index on it (not every account's: 60,000 at scale 10).
        industries = (
            Account.objects.exclude(industry="")
            .order_by("industry")
            .values_list("industry", flat=True)
            .distinct()
        )
        self.fields["industry"].choices = [("", "Any industry")] + [(i, i) for i in industries]
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

    owner = RowChoiceField(queryset=_owners(), required=False, empty_label="Any owner")
    stage = forms.ChoiceField(
        choices=[("", "Any stage"), ("open", "Open (not closed)"), *Opportunity.Stage.choices],
        required=False,
    )
    source = RowChoiceField(
        queryset=Channel.objects.all(),
        required=False,
        empty_label="Any source",
        to_field_name="key",
    )
    source_group = forms.ChoiceField(
        choices=[("", "Any source group"), *Channel.Group.choices],
        required=False,
        label="Source group",
    )
    closed_from = _date_field("Closed from")
    closed_to = _date_field("Closed to")
    closes_from = _date_field("Expected close from")
    closes_to = _date_field("Expected close to")

    date_pairs = (
        ("date_from", "date_to"),
        ("closed_from", "closed_to"),
        ("closes_from", "closes_to"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()
        self.fields["date_from"].label, self.fields["date_to"].label = "Created from", "Created to"

    def filters(self):
        return {
            "owner": "owner",
            "stage": "stage",
            "source": "source",
            "source_group": "source__group",
        }

    def apply(self, queryset):
        if self.is_valid() and self.cleaned_data.get("stage") == "open":
            queryset = queryset.exclude(stage__in=Opportunity.CLOSED_STAGES)
            self.cleaned_data["stage"] = ""
        queryset = super().apply(queryset)
        queryset = self._days(queryset, "closed_at", "closed_from", "closed_to")
        if start := self._valid("closes_from"):
            queryset = queryset.filter(close_date__gte=start)
        if end := self._valid("closes_to"):
            queryset = queryset.filter(close_date__lte=end)
        return queryset


class CampaignFilterForm(ListFilterForm):
    search_fields = ("name",)
    date_field = ""
    sorts = {
        "newest": ("Newest first", ("-starts_on", "name")),
        "name": ("Name", ("name", "id")),
    }

    channel = RowChoiceField(
        queryset=Channel.objects.all(),
        required=False,
        empty_label="Any channel",
        to_field_name="key",
    )
    kind = forms.ChoiceField(choices=[("", "Any type"), *Campaign.Kind.choices], required=False)

    def filters(self):
        return {"channel": "channel", "kind": "kind"}
