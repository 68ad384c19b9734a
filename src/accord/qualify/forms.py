"""The lead definition editor: a header form and two rule formsets (fit, engagement)."""

from django import forms

from accord.analytics import scoring
from accord.analytics.scoring import FIELDS, GRADES, MAX_RULES, OPS, DefinitionError
from accord.crm.models import Campaign, Channel, Touchpoint
from accord.qualify.models import LeadDefinition
from accord.qualify.queries import CATEGORICAL_FIELDS

EXTRA_ROWS = 3


class DefinitionForm(forms.Form):
    name = forms.CharField(max_length=120)
    note = forms.CharField(
        max_length=300, required=False, help_text="What this version changes and why."
    )
    grade_a = forms.IntegerField(label="Grade A from", help_text="fit points")
    grade_b = forms.IntegerField(label="Grade B from")
    grade_c = forms.IntegerField(label="Grade C from", help_text="below C is D")
    mql_grades = forms.MultipleChoiceField(
        label="MQL when the grade is",
        choices=[(g, g) for g in GRADES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    mql_min_score = forms.IntegerField(label="and the score is at least", min_value=0)


def _between(text: str):
    """'200-10000', '200 to 10000', '200..', '..5000' -> [low, high] (None for open)."""
    text = (text or "").strip()
    for separator in ("..", " to ", "-", "–"):
        if separator in text:
            low, high = text.split(separator, 1)
            return [low.strip() or None, high.strip() or None]
    return [text or None, None]


class FitRuleForm(forms.Form):
    field = forms.ChoiceField(choices=[("", "—")] + list(FIELDS.items()), required=False)
    op = forms.ChoiceField(label="test", choices=[("", "—")] + list(OPS.items()), required=False)
    value = forms.CharField(
        max_length=500,
        required=False,
        help_text="several values: comma-separated; a range: 200-10000, 200.. or ..5000",
    )
    points = forms.IntegerField(required=False)
    label = forms.CharField(max_length=120, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Without JavaScript the value box still suggests the values of the row's field
        # (the page's datalists; static/accord/rules.js follows a changed field).
        field = self.data.get(self.add_prefix("field")) if self.is_bound else None
        field = field or self.initial.get("field")
        if field in CATEGORICAL_FIELDS:
            self.fields["value"].widget.attrs["list"] = f"rule-values-{field}"

    def rule(self) -> dict | None:
        data = self.cleaned_data
        if not any(data.get(k) not in (None, "") for k in ("field", "op", "value", "points")):
            return None
        value: object = data.get("value") or ""
        if data.get("op") == "between":
            value = _between(value)
        elif data.get("op") == "one_of":
            value = [v.strip() for v in str(value).split(",") if v.strip()]
        return {
            "type": "fit",
            "field": data.get("field"),
            "op": data.get("op"),
            "value": value,
            "points": data.get("points"),
            "label": data.get("label") or "",
        }

    @staticmethod
    def initial_from(rule: dict) -> dict:
        value = rule.get("value")
        if rule.get("op") == "between" and isinstance(value, list):
            value = _range_text(*(value + [None, None])[:2])
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return {k: rule.get(k) for k in ("field", "op", "points", "label")} | {"value": value}


def _range_text(low, high) -> str:
    def show(v):
        return "" if v in (None, "") else f"{float(v):g}"

    return f"{show(low)}..{show(high)}"


class EngagementRuleForm(forms.Form):
    touch_kind = forms.ChoiceField(label="kind", required=False)
    channel = forms.ChoiceField(required=False)
    campaign = forms.ChoiceField(required=False)
    points = forms.IntegerField(required=False, help_text="per touch")
    cap = forms.IntegerField(required=False, min_value=1, help_text="most in all")
    half_life_days = forms.DecimalField(
        label="half-life (days)", required=False, max_digits=7, decimal_places=2
    )
    label = forms.CharField(max_length=120, required=False)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or {}
        self.fields["touch_kind"].choices = [("", "any kind")] + list(Touchpoint.Kind.choices)
        self.fields["channel"].choices = [("", "any channel")] + choices.get("channels", [])
        self.fields["campaign"].choices = [("", "any campaign")] + choices.get("campaigns", [])

    def rule(self) -> dict | None:
        data = self.cleaned_data
        keys = ("touch_kind", "channel", "campaign", "points", "cap", "half_life_days")
        if not any(data.get(k) not in (None, "") for k in keys):
            return None
        half_life = data.get("half_life_days")
        return {
            "type": "engagement",
            "touch_kind": data.get("touch_kind") or "",
            "channel": data.get("channel") or "",
            "campaign": int(data["campaign"]) if data.get("campaign") else None,
            "points": data.get("points"),
            "cap": data.get("cap"),
            "half_life_days": float(half_life) if half_life is not None else None,
            "label": data.get("label") or "",
        }

    @staticmethod
    def initial_from(rule: dict) -> dict:
        keys = ("touch_kind", "channel", "points", "cap", "half_life_days", "label")
        initial = {k: rule.get(k) for k in keys}
        initial["campaign"] = str(rule["campaign"]) if rule.get("campaign") else ""
        return initial


# A definition holds at most MAX_RULES rules in all; a post with more rows than that is
# refused before any row is read (absolute_max also bounds the work a hostile post causes).
_ROWS = {"max_num": MAX_RULES, "validate_max": True, "absolute_max": MAX_RULES}
FitRuleFormSet = forms.formset_factory(FitRuleForm, extra=EXTRA_ROWS, can_delete=True, **_ROWS)
EngagementRuleFormSet = forms.formset_factory(
    EngagementRuleForm, extra=EXTRA_ROWS, can_delete=True, **_ROWS
)


def engagement_choices() -> dict:
    return {
        "channels": list(Channel.objects.values_list("key", "name")),
        "campaigns": [(str(pk), name) for pk, name in Campaign.objects.values_list("id", "name")],
    }


class DefinitionEditor:
    """The three forms together: bound to POST data, or filled from a definition."""

    def __init__(self, data=None, definition: LeadDefinition | None = None):
        choices = engagement_choices()
        initial, fit_initial, engagement_initial = {}, [], []
        if definition is not None:
            t = definition.grade_thresholds
            initial = {
                "name": definition.name,
                "note": "" if data is None and definition.status != "draft" else definition.note,
                "grade_a": t.get("A"),
                "grade_b": t.get("B"),
                "grade_c": t.get("C"),
                "mql_grades": definition.mql_grades,
                "mql_min_score": definition.mql_min_score,
            }
            for rule in definition.rules:
                if rule.get("type") == "fit":
                    fit_initial.append(FitRuleForm.initial_from(rule))
                else:
                    engagement_initial.append(EngagementRuleForm.initial_from(rule))
        else:
            initial = {"grade_a": 60, "grade_b": 40, "grade_c": 20, "mql_grades": ["A", "B"],
                       "mql_min_score": 40}  # fmt: skip
        self.form = DefinitionForm(data, initial=initial)
        self.fit = FitRuleFormSet(data, prefix="fit", initial=fit_initial)
        self.engagement = EngagementRuleFormSet(
            data,
            prefix="engagement",
            initial=engagement_initial,
            form_kwargs={"choices": choices},
        )

    def _kept(self, formset) -> list:
        return [
            (form, rule)
            for form in formset.forms
            if not form.cleaned_data.get("DELETE") and (rule := form.rule()) is not None
        ]

    def content(self) -> dict | None:
        """The definition's content, or None with errors placed on the right rows."""
        valid = self.form.is_valid() & self.fit.is_valid() & self.engagement.is_valid()
        if not valid:
            return None
        data = self.form.cleaned_data
        fit, engagement = self._kept(self.fit), self._kept(self.engagement)
        rows = fit + engagement
        content = {
            "name": data["name"],
            "note": data["note"],
            "rules": [rule for _, rule in rows],
            "grade_thresholds": {"A": data["grade_a"], "B": data["grade_b"], "C": data["grade_c"]},
            "mql_grades": data["mql_grades"],
            "mql_min_score": data["mql_min_score"],
        }
        from accord.qualify.scoring import known_values

        try:
            scoring.parse(
                content["rules"],
                content["grade_thresholds"],
                content["mql_grades"],
                content["mql_min_score"],
                known=known_values(),
            )
        except DefinitionError as error:
            for where, message in error.problems:
                if where.startswith("rule ") and where[5:].isdigit():
                    form, _ = rows[int(where[5:]) - 1]
                    form.add_error(None, message)
                elif where == "grades" or where.startswith("grade "):
                    self.form.add_error("grade_a", message)
                elif where == "MQL condition":
                    self.form.add_error("mql_min_score", message)
                else:
                    self.form.add_error(None, message)
            return None
        return content

    @property
    def errors_count(self) -> int:
        count = len(self.form.errors)
        for formset in (self.fit, self.engagement):
            count += sum(len(f.errors) for f in formset.forms) + len(formset.non_form_errors())
        return count
