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

    # The public page: whether the visitor gives an email before or after seeing results,
    # which sites may embed it (one origin a line, e.g. https://www.example.com), and the
    # consent text and privacy link shown by the email field.
    class Gate(models.TextChoices):
        RESULTS_FIRST = "results_first", "Show results, then ask for email for the business case"
        EMAIL_FIRST = "email_first", "Ask for email before showing results"

    gate = models.CharField(max_length=16, choices=Gate.choices, default=Gate.RESULTS_FIRST)
    allowed_origins = models.TextField(blank=True, max_length=4000)
    consent_text = models.CharField(max_length=600, blank=True)
    privacy_url = models.URLField(blank=True)
    # The campaign submissions are touches of (channel "Value calculators"), made on first
    # capture, so every attribution model credits the calculator.
    campaign = models.ForeignKey(
        "crm.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

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


class Visit(models.Model):
    """One visitor's time on the public page: viewed, started (first input changed), the last
    input they touched, completed (a submission). Views, starts and drop-off count these."""

    calculator = models.ForeignKey(Calculator, on_delete=models.CASCADE, related_name="visits")
    version = models.ForeignKey(
        CalculatorVersion, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=43, unique=True)
    viewed_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    last_input = models.CharField(max_length=40, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    embedded_from = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["calculator", "viewed_at"])]

    def __str__(self) -> str:
        return f"{self.calculator} visit {self.viewed_at:%Y-%m-%d %H:%M}"


class Submission(models.Model):
    """One set of inputs and the results the server computed from them with one version.

    A visitor's submission on the public page (`PUBLIC`) or a rep's adjusted copy on the deal
    (`SALES`, `based_on` the one it changed). Inputs and results are stored as strings of
    Decimals, keyed as the version names them; results are always the server's."""

    class Source(models.TextChoices):
        PUBLIC = "public", "Visitor on the public page"
        SALES = "sales", "Sales on the deal"

    calculator = models.ForeignKey(Calculator, on_delete=models.PROTECT, related_name="submissions")
    version = models.ForeignKey(
        CalculatorVersion, on_delete=models.PROTECT, related_name="submissions"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PUBLIC)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="adjustments"
    )
    email = models.CharField(max_length=254, blank=True)  # normalised (lower case)
    lead = models.ForeignKey(
        "crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    account = models.ForeignKey(
        "crm.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    touchpoint = models.ForeignKey(
        "crm.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    # The page's one-time key: a replayed post finds its submission instead of a second one.
    request_key = models.CharField(max_length=64, null=True, blank=True)
    lead_was_new = models.BooleanField(default=False)
    # What the visitor typed beside the email, for the lead the worker makes of a public
    # submission (`capture.attach_lead`; `lead` and `touchpoint` stay empty until it has).
    visitor_name = models.CharField(max_length=160, blank=True)
    visitor_company = models.CharField(max_length=200, blank=True)
    inputs = models.JSONField(default=dict)
    results = models.JSONField(default=dict)
    note = models.CharField(max_length=300, blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["calculator", "request_key"], name="calculators_submission_once"
            )
        ]
        indexes = [
            models.Index(fields=["calculator", "created_at"]),
            models.Index(fields=["lead", "created_at"]),
            models.Index(fields=["opportunity", "created_at"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self) -> str:
        return f"{self.calculator} submission {self.pk}"


class Realisation(models.Model):
    """The value a won deal actually delivered, recorded by sales against the business case
    it was sold on, so the calculator page shows promised beside realised."""

    opportunity = models.OneToOneField(
        "crm.Opportunity", on_delete=models.CASCADE, related_name="+"
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="realisations"
    )
    realised_value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=600, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Realised {self.realised_value} on opportunity {self.opportunity_id}"


class DeletionRequest(models.Model):
    """A visitor asking for what they entered to be deleted. Confirmed by a signed link sent
    to the address (so nobody deletes another's data), the same answer whether or not the
    address is known."""

    email = models.CharField(max_length=254)
    requested_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    submissions_deleted = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Deletion asked {self.requested_at:%Y-%m-%d}"
