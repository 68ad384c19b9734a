"""The customer journey both teams own (issue 22).

A Journey ("New-logo journey FY2026") has ordered Stages, each with an accountable team, a
role on that team (resolved to a person through `JourneyRole`, so a change of staff moves
the work), entry and exit criteria and the funnel step of the plan it is meant to move. A
stage has Deliverables: an owner (a role of the stage's team or a person) and a due date,
fixed or relative to an anchor (the journey's start, a campaign's launch, another
deliverable's completion, a plan month) in business days of the team's calendar.

The map is co-owned: each JourneyRevision is one version of it, signed by a marketing
leader and a sales leader (`JourneyApproval`, the sign-off of `people.signoff`). Editing a
proposed or signed map starts a new draft revision; the signed one stays in force (and in
the history) until the next is signed.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from accord.analytics.funnel import STEP_LABELS, STEPS
from accord.people.models import Team


class Journey(models.Model):
    name = models.CharField(max_length=120)
    segment = models.CharField(max_length=200, blank=True, help_text="Who it is for.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    # The escalation settings: at risk once this share of a deliverable's working days are
    # gone; stuck (and escalated) once late by more than this many business days.
    at_risk_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("0.99"))],
    )
    stuck_after_days = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_on", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("journey:board", args=[self.pk])

    @property
    def revision(self) -> "JourneyRevision":
        """The latest revision: the map as it is being discussed."""
        return self.revisions.order_by("-number").first()

    @property
    def in_force(self) -> "JourneyRevision | None":
        return self.revisions.filter(status=JourneyRevision.Status.SIGNED).first()


class JourneyRevision(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        SIGNED = "signed", "Signed"
        SUPERSEDED = "superseded", "Superseded"
        DECLINED = "declined", "Declined"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The map as it was proposed (stages, deliverables, owners, dates): what was signed.
    snapshot = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_comment = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["journey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "number"], name="journey_revision_number"),
            models.UniqueConstraint(
                fields=["journey"],
                condition=models.Q(status="signed"),
                name="journey_one_signed_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journey} v{self.number}"

    def get_absolute_url(self) -> str:
        return self.journey.get_absolute_url() + f"#v{self.number}"


class JourneyApproval(models.Model):
    """A leader's signature on one revision of the map."""

    class Side(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    revision = models.ForeignKey(
        JourneyRevision, on_delete=models.CASCADE, related_name="approvals"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "side"], name="journey_one_approval_per_side"
            ),
            models.UniqueConstraint(
                fields=["revision", "user"], name="journey_one_approval_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.revision} signed by {self.user} for {self.side}"


class JourneyRole(models.Model):
    """A named role on a team ("SDR manager" on Sales development) and who holds it now.
    Stages and deliverables name the role, not the person: changing the holder here moves
    every piece of work of that role to the new person."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="journey_roles")
    name = models.CharField(max_length=80)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="journey_role_once_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"


class Stage(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=80, help_text="A role of the team (see JourneyRole).")
    entry_criteria = models.TextField(blank=True, max_length=1000)
    exit_criteria = models.TextField(blank=True, max_length=1000)
    funnel_step = models.CharField(max_length=10, choices=[(s, STEP_LABELS[s]) for s in STEPS])

    class Meta:
        ordering = ["journey", "order", "id"]

    def __str__(self) -> str:
        return f"{self.journey}: {self.name}"


class Deliverable(models.Model):
    class Anchor(models.TextChoices):
        FIXED = "fixed", "A fixed date"
        JOURNEY_START = "journey_start", "The journey's start"
        CAMPAIGN = "campaign", "A campaign's launch"
        DELIVERABLE = "deliverable", "Another deliverable's completion"
        PLAN_MONTH = "plan_month", "A plan month"

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="deliverables")
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True, max_length=2000)
    # The owner: a person, else the role (of the stage's team), else the stage's role.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_role = models.CharField(max_length=80, blank=True)
    anchor = models.CharField(max_length=14, choices=Anchor.choices, default=Anchor.FIXED)
    fixed_on = models.DateField(null=True, blank=True)
    anchor_campaign = models.ForeignKey(
        "crm.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    anchor_deliverable = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependents"
    )
    anchor_month = models.DateField(null=True, blank=True, help_text="The first of the month.")
    offset_days = models.SmallIntegerField(
        default=0, help_text="Business days after the anchor (negative: before it)."
    )
    work_days = models.PositiveSmallIntegerField(
        default=5, help_text="Business days of work before it is due."
    )
    due_on = models.DateField(help_text="Worked out from the anchor; kept for lists and feeds.")
    asset = models.ForeignKey(
        "content.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calculator = models.ForeignKey(
        "calculators.Calculator", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        "crm.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["stage", "due_on", "id"]
        indexes = [models.Index(fields=["due_on"]), models.Index(fields=["owner", "due_on"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("journey:board", args=[self.stage.journey_id]) + f"#d{self.pk}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def anchor_text(self) -> str:
        """What the due date hangs on, in words: "10 business days before the launch of…"."""
        if self.anchor == self.Anchor.FIXED:
            return "A fixed date"
        anchor = {
            self.Anchor.JOURNEY_START: "the journey's start",
            self.Anchor.CAMPAIGN: f"the launch of {self.anchor_campaign}"
            + (f" ({self.anchor_campaign.starts_on:%-d %b})" if self.anchor_campaign else ""),
            self.Anchor.DELIVERABLE: f"{self.anchor_deliverable} is done",
            self.Anchor.PLAN_MONTH: f"the start of {self.anchor_month:%B %Y}"
            if self.anchor_month
            else "a plan month",
        }[self.anchor]
        days = abs(self.offset_days)
        if not days:
            return (
                f"On the day of {anchor}"
                if self.anchor != self.Anchor.DELIVERABLE
                else (f"The day {anchor}")
            )
        unit = "business day" if days == 1 else "business days"
        return f"{days} {unit} {'before' if self.offset_days < 0 else 'after'} {anchor}"


class DeliverableAlert(models.Model):
    """An escalation already sent: unique, so each is sent once for a due date."""

    class Level(models.TextChoices):
        AT_RISK = "at_risk", "At risk"
        LATE = "late", "Late"
        STUCK = "stuck", "Stuck: the owner's manager"
        ESCALATED = "escalated", "Stuck: the accountable team's leader"

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(max_length=10, choices=Level.choices)
    due_on = models.DateField()
    raised_at = models.DateTimeField()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deliverable", "level", "due_on"], name="journey_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deliverable_id} {self.level} ({self.due_on})"


class CalendarFeed(models.Model):
    """A person's secret address for their deliverables as iCalendar: calendar apps cannot
    sign in, so the address is the key. Only its SHA-256 is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journey_feed"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Deliverables feed of {self.user}"


class GoalMeasure(models.Model):
    """How a plan goal (a stage of a plan, with an owner and a due date) is measured: by the
    stage's number reaching the plan's figure by the due date, or by a deliverable of a
    journey being done by then. Kept per plan and stage, not per revision, so a new revision
    of the plan keeps the measure of the goal it carries over; it lives on the journey's side
    because the plan (a lower floor) knows nothing of deliverables."""

    class Kind(models.TextChoices):
        FUNNEL = "funnel", "The stage's number reaches the plan by the due date"
        DELIVERABLE = "deliverable", "A journey deliverable is done by the due date"

    plan = models.ForeignKey("plan.Plan", on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=12)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    deliverable = models.ForeignKey(
        Deliverable, null=True, blank=True, on_delete=models.PROTECT, related_name="goal_measures"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "stage"], name="journey_goal_measure_once"),
            models.CheckConstraint(
                condition=models.Q(kind="funnel", deliverable__isnull=True)
                | models.Q(kind="deliverable", deliverable__isnull=False),
                name="journey_goal_measure_deliverable_iff_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.stage} goal by {self.kind}"
