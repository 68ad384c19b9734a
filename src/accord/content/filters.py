"""The library's filters, shared by the list page and the API (one form, two doors)."""

from datetime import date

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accord.content import influence
from accord.content.models import STAGES, Asset, Persona
from accord.crm.filters import ListFilterForm
from accord.people.models import User


class AssetFilterForm(ListFilterForm):
    search_fields = ("title", "description", "industry", "product", "tags")
    sorts = {
        "title": ("Title", ("title", "id")),
        "updated": ("Recently updated", ("-updated_at", "-id")),
        "review": ("Review date", ("review_by", "title", "id")),
        # Credit under the default model on pipeline (`influence`), largest first.
        "influence": ("Influence (W-shaped pipeline)", ("-influence_cents", "title", "id")),
    }

    kind = forms.ChoiceField(choices=[("", "Any kind"), *Asset.Kind.choices], required=False)
    stage = forms.ChoiceField(choices=[("", "Any stage"), *STAGES], required=False)
    persona = forms.ChoiceField(choices=[("", "Any persona"), *Persona.choices], required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Any owner"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Asset.Status.choices], required=False)
    review = forms.ChoiceField(
        choices=[("", "Any review date"), ("overdue", "Review overdue")],
        required=False,
        label="Review",
        help_text="overdue: published and past its review-by date",
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
        if self.is_valid() and self.cleaned_data.get("sort") == "influence":
            queryset = queryset.annotate(influence_cents=influence.credit_cents_expression())
        queryset = super().apply(queryset)
        # Stages and personas are short JSON lists: an element matches with its quotes.
        if stage := self._valid("stage"):
            queryset = queryset.filter(stages__icontains=f'"{stage}"')
        if persona := self._valid("persona"):
            queryset = queryset.filter(personas__icontains=f'"{persona}"')
        if self._valid("review") == "overdue":
            queryset = queryset.filter(status=Asset.Status.PUBLISHED, review_by__lt=self.today)
        return queryset
