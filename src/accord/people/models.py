"""Users, teams, roles and the append-only audit log."""

import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


def normal_username(value: str) -> str:
    """The one spelling of a username: compatibility characters (ｗ, 𝐰, ⓦ) folded by NFKC,
    then case-folded, then NFKC again, because case folding can leave a string that NFKC
    would still change. Stored names and names typed at login both go through it."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


class Team(models.Model):
    class Kind(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"
        SDR = "sdr", "Sales development"
        SALES_OPS = "sales_ops", "Sales & marketing operations"
        CONTENT = "content", "Content"
        LEADERSHIP = "leadership", "Leadership"

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        # Ordered from most to least power; see people.permissions for what each may do.
        ADMIN = "admin", "Admin"
        LEADER = "leader", "Leader"
        MANAGER = "manager", "Manager"
        MEMBER = "member", "Member"
        VIEWER = "viewer", "Viewer"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(max_length=120, blank=True)
    teams = models.ManyToManyField(Team, related_name="members", blank=True)
    email_digest = models.BooleanField(
        default=False,
        help_text="Email me one daily digest instead of an email per notification",
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)
    # The weekly scoreboard digest: None follows the default (leaders get it).
    weekly_digest = models.BooleanField(null=True, blank=True)
    last_weekly_digest = models.CharField(
        max_length=8, blank=True, help_text="The ISO week of the last weekly digest, 2026-W49"
    )
    # Blank follows their team's business calendar, else the company's (see people.zones).
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="An IANA time zone such as America/New_York"
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    @property
    def gets_weekly_digest(self) -> bool:
        """Whether the weekly scoreboard digest is for them: their choice, else leaders."""
        if self.weekly_digest is not None:
            return self.weekly_digest
        return self.role == self.Role.LEADER

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args, **kwargs):
        # Whichever door creates or renames a user (a form, a verb, a command, an import),
        # the name stored is the one spelling that login looks up.
        self.username = self.normalize_username(self.username)
        super().save(*args, **kwargs)

    @classmethod
    def normalize_username(cls, username):
        # Django's own hook, called by ModelForm validation and the manager's create_user.
        return normal_username(username) if isinstance(username, str) else username

    @property
    def display_name(self) -> str:
        return str(self)


class LoginThrottle(models.Model):
    """Failed logins per account and per client address (see people.logins)."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account"
        ADDRESS = "address", "Client address"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ACCOUNT)
    key = models.CharField(
        max_length=150, help_text="The username in normal form, or the client's address."
    )
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True)
    last_failure_at = models.DateTimeField(null=True)
    locked_until = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="login_throttle_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.failures} failures"


class AuditLog(models.Model):
    """Who changed what, when, from what to what. Rows are only ever added."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit log entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit log entries are append-only.")


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(max_length=80)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A fixed one-minute window for rate limiting, kept in the database so every
    # gunicorn process counts against the same budget.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_requests = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Notification(models.Model):
    """Something a user should know about, shown in the app and emailed (see people.notify)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, help_text="What happened, e.g. sla.breached.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True, help_text="An in-app path, e.g. /leads/42/.")
    key = models.CharField(
        max_length=200, blank=True, help_text="The same key is stored once per user."
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_created"),
            # The unread count is on every page; this index holds only the unread rows.
            models.Index(
                fields=["user"], condition=models.Q(read_at=None), name="notification_unread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~models.Q(key=""),
                name="notification_key_once_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
