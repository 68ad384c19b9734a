"""Stored attribution results: computed by the worker, read by pages and the API."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse


class AttributionRun(models.Model):
    """Every model run on one basis over one period; `result` holds each model's credits and
    the period's economics. `requested_by` is empty for a run that data changes started."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Basis(models.TextChoices):
        PIPELINE = "pipeline", "Pipeline (at opportunity creation)"
        REVENUE = "revenue", "Revenue (at close, won deals)"

    basis = models.CharField(max_length=10, choices=Basis.choices)
    lookback_days = models.PositiveSmallIntegerField(default=365)
    period_start = models.DateField(help_text="Conversions from this day (UTC)...")
    period_end = models.DateField(help_text="...to this day, inclusive.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(null=True, blank=True)
    data_version = models.CharField(max_length=32, blank=True, help_text="What it read.")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["basis", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.basis} attribution {self.period_start} to {self.period_end}"

    def get_absolute_url(self) -> str:
        return reverse("attribution:home") + (
            f"?basis={self.basis}&start={self.period_start}&end={self.period_end}"
        )

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def trailing(self) -> bool:
        """Over the standard period: the 365 days up to the day it was made (the refresh
        rolls it forward), not a period someone chose."""
        return (
            self.period_end == self.created_at.date()
            and (self.period_end - self.period_start).days == 364
        )


class Spend(models.Model):
    """What marketing or sales spent in one month beyond campaigns: people, tools, agencies.

    Campaign costs live with their campaigns (`crm.CampaignCost`). A line with a channel is
    program spend on that channel outside any campaign (an SEO agency: organic search) and
    counts toward the channel's return on spend; every line counts toward acquisition cost.
    """

    class Side(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    month = models.DateField(help_text="The month's first day.")
    side = models.CharField(max_length=10, choices=Side.choices)
    channel = models.ForeignKey(
        "crm.Channel", null=True, blank=True, on_delete=models.PROTECT, related_name="spend_lines"
    )
    label = models.CharField(
        max_length=80, help_text="What it paid for: salaries, tools, an agency."
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["-month", "side", "label"]
        constraints = [
            models.UniqueConstraint(
                Coalesce("channel", 0), "month", "side", "label", name="attribution_spend_one_line"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="attribution_spend_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["month", "side"])]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.month:%Y-%m} {self.label}: ${self.amount:,.2f}"


class UnitEconomics(models.Model):
    """The company's inputs to lifetime value that its data cannot tell (one row)."""

    gross_margin = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0.75"), help_text="A fraction: 0.75"
    )
    annual_churn = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.15"),
        help_text="The share of customers' revenue lost in a year, a fraction: 0.15",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "unit economics"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gross_margin__gt=0, gross_margin__lte=1),
                name="attribution_margin_fraction",
            ),
            models.CheckConstraint(
                condition=models.Q(annual_churn__gt=0, annual_churn__lte=1),
                name="attribution_churn_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"margin {self.gross_margin}, churn {self.annual_churn}"

    @classmethod
    def current(cls) -> "UnitEconomics":
        row = cls.objects.order_by("pk").first()
        return row if row is not None else cls()
