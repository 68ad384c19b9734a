"""Outbound webhooks: who listens where (Subscription), each message to them (Delivery), and
each try to hand it over (Attempt)."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Subscription(models.Model):
    """An HTTPS endpoint that receives the events it subscribed to, signed with its secret."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(default=list, help_text="The event kinds it receives.")
    # The signing secrets (`whsec_` + base64). After a rotation the previous one keeps signing
    # beside the new one until `previous_secret_until`.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Since when every attempt has failed (None: the last one succeeded, or none was made).
    failing_since = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="webhook_subscriptions",
        help_text="Who is told when it is disabled.",
    )
    created_at = models.DateTimeField()
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell which one a receiver holds, never the whole of it."""
        return f"{self.secret[:10]}…"

    def signing_secrets(self, at) -> list[str]:
        """The secrets a message sent at `at` is signed with: the current one, and the previous
        one while its grace period runs."""
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_until and at < self.previous_secret_until:
            keys.append(self.previous_secret)
        return keys


class Delivery(models.Model):
    """One message to one subscription, with its retries. Its body is kept as sent, so a
    replay sends the same bytes under the same `webhook-id`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The core event it announces (None: a test)."
    )
    kind = models.CharField(max_length=40)
    message_id = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True, help_text="Why it was given up.")
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    # Who asked for it by hand (a test, or a send-again); None for an event's delivery.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["subscription", "-created_at", "-id"], name="webhook_delivery_log"
            ),
            # The sender reads only what is waiting.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} to {self.subscription_id}"


class Attempt(models.Model):
    """One POST of a delivery: what came back (a bounded excerpt), or why nothing did."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["delivery", "at"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M}: {self.status_code or self.error}"
