"""The library's filters, shared by the list page and the API (one form, two doors)."""

from datetime import date

from django import forms
from django.db.models import F, QuerySet
from django.utils import timezone

from accord.content import influence, queries
from accord.content.models import STAGES, Asset, Persona, Suggestion
from accord.core.forms import RowChoiceField
from accord.crm.filters import ListFilterForm
from accord.people.models import User


class AssetFilterForm(ListFilterForm):
    search_fields = ("title", "description", "industry", "product", "tags")
    sorts = {
        "title": ("Title", ("title", "id")),
        "updated": ("Recently updated", ("-updated_at", "-id")),
        "review": ("Review date", ("review_by", "title", "id")),
        "rating": ("Best rated", (F("rating").desc(nulls_last=True), "title", "id")),
        "rating_low": ("Lowest rated", (F("rating").asc(nulls_last=True), "title", "id")),
        "usage": ("Most used (90 days)", ("-recent_uses", "title", "id")),
        # Credit under the default model on pipeline (`influence`), largest first.
        "influence": ("Influence (W-shaped pipeline)", ("-influence_cents", "title", "id")),
    }

    kind = forms.ChoiceField(choices=[("", "Any kind"), *Asset.Kind.choices], required=False)
    stage = forms.ChoiceField(choices=[("", "Any stage"), *STAGES], required=False)
    persona = forms.ChoiceField(choices=[("", "Any persona"), *Persona.choices], required=False)
    owner = RowChoiceField(queryset=User.objects.none(), required=False, empty_label="Any owner")
    status = forms.ChoiceField(choices=[("", "Any status"), *Asset.Status.choices], required=False)
    review = forms.ChoiceField(
        choices=[("", "Any review date"), ("overdue", "Review overdue")],
        required=False,
        label="Review",
        help_text="overdue: published and past its review-by date",
    )
    usage = forms.ChoiceField(
        choices=[("", "Any usage"), ("unused", "Unused for 90 days")],
        required=False,
        label="Usage",
        help_text="unused: nobody sent it or used it on a deal in the last 90 days",
    )

    rated = forms.ChoiceField(
        choices=[("", "Any rating"), ("below3", "Rated below 3")],
        required=False,
        label="Rating",
        help_text="below3: overall score under 3 under the active rubric",
    )

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["owner"].queryset = User.objects.filter(
            pk__in=Asset.objects.exclude(owner=None).values("owner")
        ).order_by("first_name", "last_name")

    def filters(self):
        return {"kind": "kind", "owner": "owner", "status": "status"}

    def apply(self, queryset: QuerySet) -> QuerySet:
        # Sends and uses in 90 days: the "Most used" sort, and a column of the list.
        queryset = queries.with_recent_uses(queryset, self.today)
        if self.is_valid() and self.cleaned_data.get("sort") == "influence":
            queryset = queryset.annotate(influence_cents=influence.credit_cents_expression())
        queryset = super().apply(queryset)
        if self._valid("usage") == "unused":
            queryset = queries.unused_since(queryset, self.today)
        # Stages and personas are short JSON lists: an element matches with its quotes.
        if stage := self._valid("stage"):
            queryset = queryset.filter(stages__icontains=f'"{stage}"')
        if persona := self._valid("persona"):
            queryset = queryset.filter(personas__icontains=f'"{persona}"')
        if self._valid("review") == "overdue":
            queryset = queryset.filter(status=Asset.Status.PUBLISHED, review_by__lt=self.today)
        if self._valid("rated") == "below3":
            # `rating` is the mean weighted score under the active rubric (queries.assets).
            queryset = queryset.filter(rating__lt=3)
        return queryset


class SuggestionFilterForm(ListFilterForm):
    """The suggestions list and the API's: whose (to answer by me, filed by me), status,
    owner, asset, and the deadline (open ones overdue)."""

    search_fields = ("comment", "objection", "asset__title")
    sorts = {
        "filed": ("Newest first", ("-filed_at", "-id")),
        "deadline": ("Deadline", ("due_at", "id")),
    }
    SHOW = [
        ("", "All"),
        ("mine", "To answer by me"),
        ("filed", "Filed by me"),
        ("open", "Open"),
        ("overdue", "Overdue"),
    ]

    show = forms.ChoiceField(choices=SHOW, required=False, label="Show")
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Suggestion.Status.choices], required=False
    )
    owner = RowChoiceField(
        queryset=User.objects.all(), required=False, empty_label="Anybody",
        help_text="Who must answer (user id)",
    )  # fmt: skip
    asset = RowChoiceField(
        queryset=Asset.objects.all(), required=False, empty_label="Any asset",
        help_text="Asset id",
    )  # fmt: skip

    def __init__(self, *args, user=None, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.now = user, now or timezone.now()
        self.fields["owner"].queryset = User.objects.filter(
            pk__in=Suggestion.objects.values("owner")
        ).order_by("first_name", "last_name")
        self.fields["asset"].queryset = Asset.objects.filter(
            pk__in=Suggestion.objects.values("asset")
        ).order_by("title")

    def filters(self):
        return {"status": "status", "owner": "owner", "asset": "asset"}

    def apply(self, queryset: QuerySet) -> QuerySet:
        queryset = super().apply(queryset)
        show = self._valid("show")
        if show == "mine" and self.user is not None:
            queryset = queryset.filter(
                owner=self.user, status__in=(Suggestion.Status.OPEN, Suggestion.Status.ACCEPTED)
            )
        elif show == "filed" and self.user is not None:
            queryset = queryset.filter(filed_by=self.user)
        elif show == "open":
            queryset = queryset.filter(status=Suggestion.Status.OPEN)
        elif show == "overdue":
            queryset = queryset.filter(status=Suggestion.Status.OPEN, due_at__lte=self.now)
        return queryset
