"""What every app's forms share: percentages typed and shown while fractions are stored, the
reporting-period form, and a verb's refusal laid onto the form that asked for it."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import renderers
from markupsafe import escape

from accord.core.periods import reporting_period

HUNDRED = Decimal(100)


def plain_number(value) -> str:
    """A Decimal as a person types it: 8, 1.5, 75 (no exponent, no trailing zeros)."""
    return format(Decimal(value).normalize(), "f")


def as_percent(fraction) -> str:
    """A stored fraction as the percentage a form shows: 0.755 -> '75.5'."""
    return plain_number(Decimal(str(fraction)) * HUNDRED)


class PercentField(forms.DecimalField):
    """A share typed as a percentage and cleaned to the fraction stored: 75 -> 0.75.

    `min_value` and `max_value` are percentages, as the person types them (0 and 100 unless
    given; None for no limit). Fill the form's initial values with `as_percent`."""

    def __init__(
        self, *, min_value=0, max_value=100, max_digits=7, decimal_places=3, **kwargs
    ) -> None:
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any", "class": "num"}))
        super().__init__(
            min_value=None if min_value is None else Decimal(min_value),
            max_value=None if max_value is None else Decimal(max_value),
            max_digits=max_digits,
            decimal_places=decimal_places,
            **kwargs,
        )

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else percent / HUNDRED


def errors_onto(form: forms.Form, error: ValidationError, fields: dict[str, str] | None = None):
    """A verb's refusal shown where it belongs: each message beside the field it names (a
    verb's field name that the form calls otherwise is mapped through `fields`), the rest
    above the form."""
    fields = fields or {}
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, errors in error.error_dict.items():
        target = fields.get(field, field)
        form.add_error(target if target in form.fields else None, errors)


class PeriodForm(forms.Form):
    """The days a report covers (GET): by default the 90 up to today (`reporting_period`)."""

    at_most_a_year = False  # a page whose report must not run longer sets this

    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, today: date, **kwargs) -> None:
        start, end = reporting_period(None, None, today)
        super().__init__(data, initial={"date_from": start, "date_to": end}, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self._period(cleaned)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def period(self) -> tuple[date, date]:
        """The days asked for if they are valid, else the default days."""
        return self._period(self.cleaned_data if self.is_bound and self.is_valid() else {})

    def _period(self, data: dict) -> tuple[date, date]:
        start, end = data.get("date_from"), data.get("date_to")
        return reporting_period(start, end, self.today, at_most_a_year=self.at_most_a_year)


class _ReadAtOnce(forms.models.ModelChoiceIterator):
    """A choice list read in one query. Django reads a ModelChoiceField's rows through
    `iterator()`, which on PostgreSQL declares, fetches from and closes a server-side cursor:
    three round trips for a list of thirty people, on every filter bar."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class RowChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose choices are read in one query (a short list: people, sources)."""

    iterator = _ReadAtOnce


# --- Select boxes ------------------------------------------------------------------------------

_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """A widget's attributes as Django's attrs.html writes them: True alone, False left out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(widget: dict) -> str:
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
            f"{escape(option['label'])}</option>"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(renderers.Jinja2):
    """Django's Jinja2 widget templates (compiled, several times faster than Django's engine),
    with one exception: a select box is drawn here, to the same markup (a test compares
    them). Through the templates, each option was a template of its own, with its own
    context: a filter bar's owner and source lists cost a tenth of a list page."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if template_name == _SELECT else None
        if widget is not None and all(
            option["template_name"] == _OPTION
            for _, options, _ in widget["optgroups"]
            for option in options
        ):
            return _select(widget)
        return super().render(template_name, context, request)
