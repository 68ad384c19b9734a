"""Select boxes are drawn in Python (accord.core.forms.FormRenderer): the markup must be
exactly what Django's Jinja2 widget templates write, for every kind of select the app has."""

import pytest
from django import forms
from django.forms import renderers

from accord.core.forms import FormRenderer
from accord.crm.filters import LeadFilterForm
from accord.crm.forms import ReassignForm
from accord.people.models import User


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "A & B"), ("<x>", 'Say "hi"'), ("", "Nothing")])
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("other", "Other")]
    )
    many = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two"), (3, "It's three")])
    maybe = forms.NullBooleanField()
    flagged = forms.ChoiceField(
        choices=[("x", "X")],
        widget=forms.Select(attrs={"class": "pick", "disabled": True, "hidden": False}),
    )


class WithoutSelectTemplates(FormRenderer):
    """Ours, failing if it reaches for a select's templates: the boxes below are drawn in
    Python, not handed back to Django's templates."""

    def get_template(self, template_name):
        assert template_name not in (
            "django/forms/widgets/select.html",
            "django/forms/widgets/select_option.html",
        ), template_name
        return super().get_template(template_name)


def _both(form, ours=None) -> list[tuple[str, str]]:
    ours, django = ours or WithoutSelectTemplates(), renderers.Jinja2()
    names = [name for name, field in form.fields.items() if isinstance(field.widget, forms.Select)]

    def draw(renderer):
        form.renderer = renderer
        return [str(form[name].as_widget()) for name in names]

    return list(zip(draw(ours), draw(django), strict=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "<x>", "grouped": "pear", "many": ["1", "3"], "maybe": "true"},
        {"plain": "nope", "grouped": "other", "maybe": "false"},
    ],
)
def test_every_kind_of_select_is_drawn_as_djangos_templates_draw_it(data):
    User.objects.create_user(username="o'neil", first_name="Pat <b>", last_name="O'Neil")
    forms_ = [
        Everything(data or None),
        LeadFilterForm(data),
        ReassignForm(actor=User.objects.get(username="o'neil")),
    ]
    drawn = [pair for form in forms_ for pair in _both(form)]
    assert len(drawn) >= 8
    for ours, django in drawn:
        assert ours == django
    if data.get("plain") == "<x>":
        assert '<option value="&lt;x&gt;" selected>Say &#34;hi&#34;</option>' in drawn[0][0]


def test_a_select_with_its_own_option_template_is_left_to_the_templates():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    class CustomForm(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "A")], widget=Custom)

    ours, django = _both(CustomForm(), FormRenderer())[0]
    assert ours == django and "<option" not in ours
