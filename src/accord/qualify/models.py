"""Lead definitions both teams sign, the scoring runs they cause, sales reviews of leads.

A LeadDefinition is one version: its rules, grade thresholds and MQL condition never
change once it has been proposed; editing an active (or approved, or proposed) definition
makes a new draft version. Exactly one version is active at a time; a proposal still
waiting when another version goes live is withdrawn (it was weighed against a version no
longer in force). The rules are plain JSON, read and checked by `accord.analytics.scoring`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class LeadDefinition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=120)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    rules = models.JSONField(default=list)
    grade_thresholds = models.JSONField(default=dict)  # {"A": 60, "B": 40, "C": 20} fit points
    mql_grades = models.JSONField(default=list)  # e.g. ["A", "B"]
    mql_min_score = models.IntegerField(default=60)
    note = models.CharField(max_length=300, blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_note = models.CharField(
        max_length=300, blank=True, help_text="Why it was withdrawn, for its proposer."
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="qualify_one_active_definition",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("qualify:definition", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def snapshot(self) -> dict:
        """The definition's content as plain data: for the audit log and comparisons."""
        return {
            "name": self.name,
            "rules": list(self.rules),
            "grade_thresholds": dict(self.grade_thresholds),
            "mql_grades": list(self.mql_grades),
            "mql_min_score": self.mql_min_score,
        }


class DefinitionApproval(models.Model):
    class Side(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    definition = models.ForeignKey(
        LeadDefinition, on_delete=models.CASCADE, related_name="approvals"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "side"], name="qualify_one_approval_per_side"
            ),
            models.UniqueConstraint(
                fields=["definition", "user"], name="qualify_one_approval_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} approved by {self.user} for {self.side}"


class ScoringRun(models.Model):
    """One pass of scoring: all leads when a definition goes live, or a few after a change."""

    class Trigger(models.TextChoices):
        ACTIVATION = "activation", "Definition activated"
        INCREMENTAL = "incremental", "New or changed leads and touchpoints"
        MANUAL = "manual", "Rescore requested"

    definition = models.ForeignKey(
        LeadDefinition, on_delete=models.PROTECT, related_name="scoring_runs"
    )
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    leads_scored = models.PositiveIntegerField(default=0)
    promoted = models.PositiveIntegerField(default=0, help_text="Leads that became MQL.")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} under {self.definition}"


class Qualification(models.Model):
    """A lead became MQL under a definition version: who, when, with what grade and score."""

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="qualifications")
    definition = models.ForeignKey(
        LeadDefinition, on_delete=models.PROTECT, related_name="qualifications"
    )
    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="qualifications")
    at = models.DateTimeField()
    fit_grade = models.CharField(max_length=1)
    score = models.IntegerField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"lead {self.lead_id} MQL under {self.definition} at {self.at:%Y-%m-%d}"


class RejectionReason(models.Model):
    """Why sales turned a lead down. The list is configurable; used reasons are kept."""

    key = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class LeadReview(models.Model):
    """A rep's verdict on a lead handed to sales: accepted (SAL) or rejected with a reason."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.ForeignKey(
        RejectionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    comment = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"]), models.Index(fields=["lead", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision="accepted") | models.Q(reason__isnull=False),
                name="qualify_rejection_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} {self.decision}"


class BacktestRun(models.Model):
    """A definition replayed on past leads, beside the definition that was active."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    definition = models.ForeignKey(
        LeadDefinition, on_delete=models.CASCADE, related_name="backtests"
    )
    compared_to = models.ForeignKey(
        LeadDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_from = models.DateField()
    window_to = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent done
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"backtest of {self.definition} on {self.window_from}..{self.window_to}"

    def get_absolute_url(self) -> str:
        return reverse("qualify:backtest", args=[self.pk])


class PendingScore(models.Model):
    """A lead whose data changed since it was last scored, waiting for the scoring task.

    Rows are written in the same transaction as the change, so a rolled-back write leaves
    none. One lead may be listed many times; the task takes all of a lead's rows at once and
    scores it once, so a burst of writes to the same leads costs one scoring pass.
    """

    lead_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"lead {self.lead_id} waits to be scored"
