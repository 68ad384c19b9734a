"""Value calculators (ROI, TCO) that marketing builds and both teams stand behind.

A Calculator is the thing buyers will see; each CalculatorVersion is one set of inputs,
assumptions, tables and formulas. Only a draft changes; editing anything else starts a new
draft copied from it. A proposed version is published once a marketing leader and a sales
leader have signed its assumptions (`AssumptionApproval`, the sign-off of `people.signoff`);
the version published before it is then retired. At most one version is published.

The parts are plain JSON, checked by `calculators.checks` and `analytics.formulas` on every
save. Numbers are stored as strings of Decimals; percentages as fractions (0.15 for 15%).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Calculator(models.Model):
    class Kind(models.TextChoices):
        ROI = "roi", "ROI"
        TCO = "tco", "TCO"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=3, choices=Kind.choices, default=Kind.ROI)
    description = models.TextField(blank=True, max_length=2000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("calculators:detail", args=[self.pk])


class CalculatorVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"
        DECLINED = "declined", "Declined"

    class Horizon(models.IntegerChoices):
        ONE_YEAR = 12, "12 months"
        TWO_YEARS = 24, "24 months"
        THREE_YEARS = 36, "36 months"

    calculator = models.ForeignKey(Calculator, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    horizon_months = models.PositiveSmallIntegerField(
        choices=Horizon.choices, default=Horizon.THREE_YEARS
    )
    # [{key, label, type, help, unit, default, min, max, required, choices: [{label, value}]}]
    inputs = models.JSONField(default=list)
    # [{key, label, value, source}]
    assumptions = models.JSONField(default=list)
    # {name: [[key, value1, ...], ...]} (formulas.py's LOOKUP shape, numbers as strings)
    tables = models.JSONField(default=dict)
    # [{key, label, formula, is_output, format, explain}], in the builder's order
    values = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_comment = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["calculator", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["calculator", "number"], name="calculators_one_number_per_version"
            ),
            models.UniqueConstraint(
                fields=["calculator"],
                condition=models.Q(status="published"),
                name="calculators_one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.calculator} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("calculators:detail", args=[self.calculator_id]) + f"#v{self.number}"

    def get_edit_url(self) -> str:
        return reverse("calculators:edit", args=[self.calculator_id, self.number])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def outputs(self) -> list[dict]:
        return [value for value in self.values if value.get("is_output")]

    def content(self) -> dict:
        """The version's parts as plain data: what the verbs check and the audit log keeps."""
        return {
            "horizon_months": self.horizon_months,
            "inputs": list(self.inputs),
            "assumptions": list(self.assumptions),
            "tables": dict(self.tables),
            "values": list(self.values),
        }


class AssumptionApproval(models.Model):
    """A leader's signature on a version's assumptions (and so on the version)."""

    class Side(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    version = models.ForeignKey(
        CalculatorVersion, on_delete=models.CASCADE, related_name="approvals"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "side"], name="calculators_one_approval_per_side"
            ),
            models.UniqueConstraint(
                fields=["version", "user"], name="calculators_one_approval_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} signed by {self.user} for {self.side}"
