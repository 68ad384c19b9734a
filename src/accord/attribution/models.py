"""Stored attribution results: computed by the worker, read by pages and the API."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class AttributionRun(models.Model):
    """Every model run on one basis at one moment; `result` holds each model's credits."""

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
    as_of = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(null=True, blank=True)
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
        return f"{self.basis} attribution as of {self.as_of:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("attribution:home") + f"?basis={self.basis}"

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
