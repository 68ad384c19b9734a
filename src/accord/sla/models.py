"""Service levels: business calendars, follow-up policies, and the alerts already sent."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce

from accord.analytics import business_hours
from accord.crm.models import Lead
from accord.people.models import Team


def default_week() -> dict:
    return {
        day: [list(hours) for hours in spans] for day, spans in business_hours.DEFAULT_WEEK.items()
    }


class BusinessCalendar(models.Model):
    """A team's working hours: its clocks run only inside them.

    The calendar with no team is the company's default, used for leads whose owner's teams
    have none and for unassigned leads.
    """

    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    week = models.JSONField(default=default_week, help_text='{"mon": [["09:00", "17:00"]], ...}')
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 alpha-2 code for public holidays; blank: none"
    )
    subdivision = models.CharField(max_length=10, blank=True, help_text="e.g. NY, or blank")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team__name", "id"]
        constraints = [
            # One calendar per team (the one-to-one) and one company default: no team.
            models.UniqueConstraint(Coalesce("team", 0), name="sla_one_calendar_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.team.name if self.team_id else 'Company'} hours ({self.time_zone})"

    @property
    def name(self) -> str:
        return self.team.name if self.team_id else "Company default"


class DayOff(models.Model):
    """A company-specific closed day (beyond the country's public holidays)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="days_off"
    )
    date = models.DateField()
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_day_off_once")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


# How far back from the MQL time a policy's touchpoint condition looks, unless it says.
DEFAULT_TOUCH_WINDOW_DAYS, MAX_TOUCH_WINDOW_DAYS = 30, 365


class FollowUpPolicy(models.Model):
    """Sales' commitment for a segment of MQLs: respond within H business hours, and make at
    least N attempts within D business days. The lowest priority number wins when segments
    overlap."""

    name = models.CharField(max_length=120)
    priority = models.PositiveIntegerField(
        unique=True, help_text="Lower numbers win when a lead matches several policies."
    )
    active = models.BooleanField(default=True)
    grades = models.JSONField(default=list, blank=True, help_text="Fit grades; empty: any")
    sources = models.JSONField(default=list, blank=True, help_text="Channel keys; empty: any")
    touch_kind = models.CharField(
        max_length=20, blank=True, help_text="Only leads with a touchpoint of this kind"
    )
    touch_window_days = models.PositiveSmallIntegerField(
        default=DEFAULT_TOUCH_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TOUCH_WINDOW_DAYS)],
        help_text="How many days before the lead became MQL that touchpoint may be",
    )
    first_response_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1000"))],
    )
    attempts = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    attempt_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    attempt_kinds = models.JSONField(default=list)
    at_risk_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("0.99"))],
        help_text="A clock is at risk once this fraction of its time is used.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority"]
        verbose_name_plural = "follow-up policies"

    def __str__(self) -> str:
        return self.name


class SlaAlert(models.Model):
    """An alert already raised: a clock of one MQL spell that turned at risk or breached.
    Unique, so the same alert is never raised twice."""

    class Clock(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        ATTEMPTS = "attempts", "Attempts"

    class Level(models.TextChoices):
        AT_RISK = "at_risk", "At risk"
        BREACHED = "breached", "Breached"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="sla_alerts")
    started_at = models.DateTimeField(help_text="When the MQL spell (and its clocks) started.")
    clock = models.CharField(max_length=16, choices=Clock.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(help_text="When the clock crossed the line.")
    raised_at = models.DateTimeField()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "started_at", "clock", "level"], name="sla_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.clock} {self.level}"


class TickState(models.Model):
    """When `accord sla tick` last looked: it alerts on lines crossed since then."""

    last_tick_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"last tick at {self.last_tick_at:%Y-%m-%d %H:%M}"


class LeadClocks(models.Model):
    """A lead's MQL spells with their clocks as last evaluated (`accord.sla.kept`): what the
    lists and the lead page show, kept so that a page of leads reads one row per lead instead
    of replaying each lead's history.

    A row holds while the lead's own inputs are unchanged (`stamp` equals the lead's count in
    `LeadClockStamp`, which database triggers raise on every write to them), the shared ones
    are (`shared`: the write counts of policies, calendars, people and channels) and
    `turns_at` has not come (a running clock turning at risk or due, or a dated row of the
    lead's coming into view). Otherwise the clocks are evaluated again and the row rewritten.
    """

    lead_id = models.BigIntegerField(primary_key=True)  # no foreign key: a kept copy
    stamp = models.BigIntegerField()
    shared = models.CharField(max_length=40)
    turns_at = models.DateTimeField(null=True)
    evaluated_at = models.DateTimeField()
    spells = models.BinaryField()  # pickled list of analytics.sla.Evaluation, newest first

    def __str__(self) -> str:
        return f"clocks of lead {self.lead_id} as of {self.evaluated_at:%Y-%m-%d %H:%M:%S}"


class LeadClockStamp(models.Model):
    """How many writes reached a lead's clock inputs: raised by database triggers on the
    lead and on its status and owner changes, follow-ups, reviews, qualifications and
    touchpoints, whatever door wrote them."""

    lead_id = models.BigIntegerField(primary_key=True)
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.n} writes"
