"""Revenue plans: the shared contract from the revenue target down to leads per month.

A Plan is a fiscal year. Its numbers live in revisions: the latest revision is the plan's
current state. A revision is a draft until a marketing leader and a sales leader have both
approved it; changing an approved (or partly approved) revision makes a new revision, so
the numbers somebody signed are never changed under their signature.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from accord.analytics.funnel import SOURCES, STAGES, STEPS, FunnelInputs
from accord.analytics.months import starting


class Plan(models.Model):
    name = models.CharField(max_length=120)
    fiscal_year = models.PositiveSmallIntegerField(
        help_text="The calendar year in which the fiscal year starts."
    )
    first_month = models.PositiveSmallIntegerField(
        default=1, help_text="The fiscal year's first calendar month, 1-12."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-fiscal_year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_month__gte=1, first_month__lte=12),
                name="plan_first_month_1_12",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("plan:detail", args=[self.pk])

    @property
    def start(self) -> date:
        return date(self.fiscal_year, self.first_month, 1)

    @property
    def months(self):
        return starting(self.start, 12)

    @property
    def current(self) -> "PlanRevision":
        """The latest revision: what is being discussed."""
        return self.revisions.order_by("-number").first()

    @property
    def in_force(self) -> "PlanRevision | None":
        """The latest approved revision: the numbers both teams signed."""
        return self.revisions.filter(status="approved").order_by("-number").first()


class PlanRevision(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"
        DECLINED = "declined", "Declined"

    class Basis(models.TextChoices):
        ASSUMED = "assumed", "Assumed"
        OBSERVED = "observed", "Observed"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    target = models.DecimalField(max_digits=16, decimal_places=2)
    asp = models.DecimalField("average selling price", max_digits=14, decimal_places=2)
    # step -> rate as a decimal string ("0.25"), lag in days, and where the rate came from.
    rates = models.JSONField(default=dict)
    lags = models.JSONField(default=dict)
    basis = models.JSONField(default=dict)
    # The observed figures the planner saw when choosing (step -> {rate, sample, lag}).
    observed = models.JSONField(default=dict, blank=True)
    observed_months = models.PositiveSmallIntegerField(default=12)
    shares = models.JSONField(default=dict)  # source group -> share, decimal strings
    seasonality = models.JSONField(default=list)  # 12 weights, decimal strings
    # Next year's months, when no next plan is signed: this year's same month × (1 + growth).
    growth = models.DecimalField(
        "growth for next year", max_digits=7, decimal_places=4, default=Decimal(0)
    )
    # Next quarter's pipeline should be this many times what it needs to close.
    coverage = models.DecimalField(
        "pipeline coverage", max_digits=5, decimal_places=2, default=Decimal(3)
    )
    note = models.CharField(max_length=300, blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    # A leader who could sign may decline instead, saying why; a change starts a new draft.
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_comment = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_number"),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="plan_target_gt_0"),
            models.CheckConstraint(condition=models.Q(asp__gt=0), name="plan_asp_gt_0"),
            models.CheckConstraint(
                condition=models.Q(growth__gte=-1, growth__lte=10), name="plan_growth_range"
            ),
            models.CheckConstraint(condition=models.Q(coverage__gt=0), name="plan_coverage_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}, revision {self.number}"

    def funnel_inputs(self, carry_in=None, next_deals=()) -> FunnelInputs:
        """The funnel's inputs; `carry_in` (expected wins per month from records open at the
        start) and `next_deals` (the next signed plan's deals per month) come from the data
        (`plan.rolling`), not from the revision."""
        return FunnelInputs(
            target=self.target,
            asp=self.asp,
            rates={s: Decimal(self.rates[s]) for s in STEPS if s in self.rates},
            lags={s: int(self.lags.get(s, 0)) for s in STEPS},
            start=self.plan.start,
            months=12,
            seasonality=tuple(Decimal(w) for w in self.seasonality),
            shares={s: Decimal(v) for s, v in self.shares.items() if s in SOURCES},
            growth=self.growth,
            next_deals=tuple(next_deals),
            carry_in=dict(carry_in or {}),
        )

    def snapshot(self) -> dict:
        """The revision's inputs as plain data: for the audit log and revision diffs."""
        return {
            "target": str(self.target),
            "asp": str(self.asp),
            "rates": dict(self.rates),
            "lags": dict(self.lags),
            "basis": dict(self.basis),
            "observed_months": self.observed_months,
            "shares": dict(self.shares),
            "seasonality": list(self.seasonality),
            "growth": str(self.growth),
            "coverage": str(self.coverage),
            "goals": {
                g.stage: {
                    "owner": g.owner.username if g.owner else None,
                    "due": g.due_on.isoformat() if g.due_on else None,
                }
                for g in self.goals.select_related("owner")
            },
        }


class PlanApproval(models.Model):
    class Side(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "side"], name="plan_one_approval_per_side"),
            models.UniqueConstraint(fields=["revision", "user"], name="plan_one_approval_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.revision} approved by {self.user} for {self.side}"


class PlanGoal(models.Model):
    """A plan line with a person and a date: who answers for a stage's number, by when."""

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="goals")
    stage = models.CharField(max_length=12, choices=[(s, s) for s in STAGES])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "stage"], name="plan_goal_one_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.revision}: {self.stage}"
