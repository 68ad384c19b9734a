"""The CRM nouns: accounts, leads, campaigns, touchpoints, activities, opportunities.

Every imported row keeps `(source_system, external_id)`; rows created in Accord itself
have an empty external id, which the uniqueness constraint ignores.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Imported(models.Model):
    source_system = models.CharField(max_length=40, default="accord")
    external_id = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=~models.Q(external_id=""),
                name="%(app_label)s_%(class)s_unique_external_id",
            )
        ]


class Channel(models.Model):
    """A marketing or sales channel (paid search, webinar, outbound SDR...)."""

    class Group(models.TextChoices):
        MARKETING = "marketing", "Marketing-sourced"
        SALES = "sales", "Sales-sourced"
        PARTNER = "partner", "Partner"

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    group = models.CharField(max_length=12, choices=Group.choices, default=Group.MARKETING)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(Imported):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, db_index=True)
    industry = models.CharField(max_length=80, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta(Imported.Meta):
        ordering = ["name"]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["industry"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:account", args=[self.pk])


class Campaign(Imported):
    class Kind(models.TextChoices):
        ALWAYS_ON = "always_on", "Always on"
        LAUNCH = "launch", "Launch"
        EVENT = "event", "Event"
        WEBINAR = "webinar", "Webinar"
        NURTURE = "nurture", "Nurture"
        CONTENT = "content", "Content"
        OUTBOUND = "outbound", "Outbound"

    name = models.CharField(max_length=200)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="campaigns")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ALWAYS_ON)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )

    class Meta(Imported.Meta):
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:campaign", args=[self.pk])


class CampaignCost(models.Model):
    """What a campaign cost in one calendar month (`month` is its first day)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    month = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "month"], name="crm_cost_one_per_month"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="crm_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.month:%Y-%m}: {self.amount}"


class Lead(Imported):
    class Status(models.TextChoices):
        NEW = "new", "New"
        MQL = "mql", "MQL"
        ACCEPTED = "accepted", "Accepted (SAL)"
        SQL = "sql", "SQL"
        OPPORTUNITY = "opportunity", "Opportunity"
        CUSTOMER = "customer", "Customer"
        REJECTED = "rejected", "Rejected"
        RECYCLED = "recycled", "Recycled"
        DISQUALIFIED = "disqualified", "Disqualified"

    # The lifecycle in order. A lead has reached a status once it has been there or further
    # on (imports can skip stages: a lead created as SQL was an MQL too).
    LIFECYCLE = (
        Status.NEW,
        Status.MQL,
        Status.ACCEPTED,
        Status.SQL,
        Status.OPPORTUNITY,
        Status.CUSTOMER,
    )

    email = models.EmailField(max_length=254, db_index=True)
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    title = models.CharField(max_length=120, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    source = models.ForeignKey(
        Channel,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        help_text="The channel that first brought the lead in.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField()
    fit_grade = models.CharField(max_length=1, blank=True)
    engagement_score = models.IntegerField(default=0)
    scored_at = models.DateTimeField(
        null=True, blank=True, help_text="When the active lead definition last scored it."
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(Imported.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["source", "-created_at"]),
            models.Index(fields=["last_name", "first_name"]),
            # The lead list's sorts by score and by status change, with or without a status:
            # read in order from these instead of sorting every matching lead.
            models.Index(
                fields=["status", "-engagement_score", "-id"], name="crm_lead_status_score"
            ),
            models.Index(fields=["-engagement_score", "-id"], name="crm_lead_score"),
            models.Index(
                fields=["status", "-status_changed_at", "-id"], name="crm_lead_status_changed"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:lead", args=[self.pk])

    @classmethod
    def statuses_from(cls, status: str) -> tuple[str, ...]:
        """`status` and every lifecycle status after it."""
        return tuple(cls.LIFECYCLE[cls.LIFECYCLE.index(status) :])

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


class LeadAlias(models.Model):
    """Another id a source system knows a lead by. CRMs deduplicate on email, so a record
    arriving under a new id with a lead's email is merged into that lead; the alias lets a
    later import of that record find the lead again instead of creating a second one."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="aliases")
    source_system = models.CharField(max_length=40)
    external_id = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"], name="crm_leadalias_unique_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_system}:{self.external_id}"


class LeadStatusChange(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Lead.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Lead.Status.choices)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["lead", "changed_at"]),
            models.Index(fields=["to_status", "changed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_status or '-'} -> {self.to_status}"


class LeadOwnerChange(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="owner_changes")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["lead", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_owner_id} -> {self.to_owner_id}"


class LeadFieldChange(models.Model):
    """Fields of a lead changed by an import or the API: {field: [before, after]}."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="field_changes")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    via = models.CharField(max_length=80, help_text="e.g. import of hubspot leads.csv, or api")
    changes = models.JSONField()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["lead", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.lead_id}: {', '.join(self.changes)} via {self.via}"


class Touchpoint(Imported):
    class Kind(models.TextChoices):
        WEB_VISIT = "web_visit", "Web visit"
        FORM_FILL = "form_fill", "Form fill"
        EMAIL_OPEN = "email_open", "Email open"
        EMAIL_CLICK = "email_click", "Email click"
        AD_CLICK = "ad_click", "Ad click"
        EVENT = "event", "Event attended"
        WEBINAR = "webinar", "Webinar attended"
        CONTENT_VIEW = "content_view", "Content view"
        CALCULATOR = "calculator", "Value calculator"
        # An asset from the content library a rep sent, or the buyer opened (content.ContentTouch).
        CONTENT = "content", "Content from sales"
        DEMO_REQUEST = "demo_request", "Demo request"

    # No single-column indexes on the foreign keys: each leads an index below, and every
    # index is paid for on every insert (touchpoints arrive by the hundred thousand).
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="touchpoints", db_index=False
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    # When an import or the API last changed the touch (empty if never since it came in):
    # stored results that read touchpoints, such as attribution, notice the change by it.
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(Imported.Meta):
        ordering = ["occurred_at", "id"]
        indexes = [
            # A lead's timeline, and everything scoring reads of its touches: scoring a lead
            # reads this index alone, never the table (3x faster on SQLite).
            models.Index(
                fields=["lead", "occurred_at", "kind", "channel", "campaign"],
                name="crm_touch_lead_covering",
            ),
            models.Index(fields=["occurred_at"]),
            models.Index(fields=["channel", "occurred_at"]),
            models.Index(fields=["campaign", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} via {self.channel_id} at {self.occurred_at:%Y-%m-%d}"


class Activity(Imported):
    """A sales follow-up: something a person did about a lead."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        LINKEDIN = "linkedin", "LinkedIn message"
        NOTE = "note", "Note"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="activities"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    outcome = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True, max_length=4000)

    class Meta(Imported.Meta):
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["lead", "occurred_at"]),
            models.Index(fields=["user", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.lead_id} at {self.occurred_at:%Y-%m-%d}"


class Opportunity(Imported):
    class Stage(models.TextChoices):
        DISCOVERY = "discovery", "Discovery"
        DEMO = "demo", "Demo"
        PROPOSAL = "proposal", "Proposal"
        NEGOTIATION = "negotiation", "Negotiation"
        WON = "won", "Closed won"
        LOST = "lost", "Closed lost"

    CLOSED_STAGES = (Stage.WON, Stage.LOST)

    name = models.CharField(max_length=200)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="opportunities")
    primary_lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    source = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.DISCOVERY)
    created_at = models.DateTimeField()
    close_date = models.DateField(help_text="Expected close date, or actual once closed.")
    # When an import or the API last changed the deal (empty if never since it came in).
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(Imported.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        constraints = [
            *Imported.Meta.constraints,
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="crm_opp_amount_gte_0"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["stage", "close_date"]),
            models.Index(fields=["closed_at"]),
            models.Index(fields=["owner", "stage"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:opportunity", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.stage in self.CLOSED_STAGES

    @property
    def is_won(self) -> bool:
        return self.stage == self.Stage.WON


class OpportunityStageChange(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(max_length=12, choices=Opportunity.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Opportunity.Stage.choices)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["opportunity", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage or '-'} -> {self.to_stage}"


class ImportMapping(models.Model):
    """The column and value mapping last used for one source and kind, offered next time."""

    source_system = models.CharField(max_length=40)
    kind = models.CharField(max_length=20)
    columns = models.JSONField(default=dict, help_text="Accord field -> column header")
    values = models.JSONField(default=dict, help_text="field -> {value seen -> Accord code}")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "kind"], name="crm_one_mapping_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_system} {self.kind}"


class ImportJob(models.Model):
    """One uploaded file on its way in: previewed, mapped, then imported by the worker.

    Its files (the upload, the rejected rows) are deleted some days after it ends
    (`imports/retention.py`); the record stays, with `files_deleted_at`.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for you to check the mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        # The worker went away mid-import (killed, or the server stopped), or an unexpected
        # error stopped it: the person may go on with it (`resume` says from where).
        INTERRUPTED = "interrupted", "Interrupted"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)
    original_name = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField()
    rows_total = models.PositiveIntegerField(default=0)
    format = models.CharField(max_length=20)
    source_system = models.CharField(max_length=40)
    date_order = models.CharField(max_length=3, blank=True)
    strict = models.BooleanField(default=False)
    columns = models.JSONField(default=dict)
    values = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    report = models.JSONField(null=True, blank=True)
    # Where the import stands after its last stored batch (`csv_import.Resume`), saved in
    # that batch's transaction; None before the first batch is stored.
    resume = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    files_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} from {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def status_label(self) -> str:
        if self.status == self.Status.UPLOADED and self.files_deleted_at:
            return "Never started"  # and its file is gone: nobody is waiting any more
        return self.get_status_display()
