"""The content library: assets sales uses with buyers, each with its versions (a file or a link).

An asset keeps its identity (and, later, its ratings and links) across versions: a new file
is a new `AssetVersion`, never a new asset.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty

from accord.crm.models import Lead
from accord.people.models import Team

REVIEW_EVERY = timedelta(days=90)
# An asset whose review is this late is shown to reps as stale.
STALE_AFTER = timedelta(days=14)

# The stages of the lead lifecycle a rep works a lead in (not the end states).
STAGES = [(s.value, s.label) for s in Lead.LIFECYCLE]


class Persona(models.TextChoices):
    EXECUTIVE = "executive", "Executive sponsor"
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    CHAMPION = "champion", "Champion"
    TECHNICAL = "technical", "Technical evaluator"
    END_USER = "end_user", "End user"
    PROCUREMENT = "procurement", "Procurement"


class _ContentStorage(LazyObject):
    """Where version files live: the `content` storage (local disk under var/ by default,
    S3-compatible when the environment configures it: settings.STORAGES), looked up when
    first used, so that a change of STORAGES (in tests) is followed."""

    def _setup(self):
        self._wrapped = storages["content"]


_storage = _ContentStorage()


@receiver(setting_changed)
def _storages_changed(setting, **kwargs):
    if setting == "STORAGES":
        _storage._wrapped = empty


def content_storage():
    return _storage


def version_path(version: "AssetVersion", filename: str) -> str:
    return f"content/{version.asset_id}/{version.number}/{filename}"


def preview_path(version: "AssetVersion", filename: str) -> str:
    return f"content/{version.asset_id}/{version.number}/preview/{filename}"


class Asset(models.Model):
    class Kind(models.TextChoices):
        CASE_STUDY = "case_study", "Case study"
        ONE_PAGER = "one_pager", "One-pager"
        DECK = "deck", "Deck"
        BATTLECARD = "battlecard", "Battlecard"
        ROI_CALCULATOR = "roi_calculator", "ROI calculator link"
        VIDEO = "video", "Video"
        WHITEPAPER = "whitepaper", "Whitepaper"
        EMAIL_TEMPLATE = "email_template", "Email template"
        PRICING_SHEET = "pricing_sheet", "Pricing sheet"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        EXPIRED = "expired", "Expired"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_assets",
    )
    # Who answers for the asset when its owner has left (deactivated or deleted).
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    stages = models.JSONField(default=list, blank=True, help_text="Lead lifecycle stages")
    personas = models.JSONField(default=list, blank=True)
    industry = models.CharField(max_length=80, blank=True)
    product = models.CharField(max_length=80, blank=True)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    review_by = models.DateField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["status", "review_by"]),
            models.Index(fields=["-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:asset", args=[self.pk])

    def is_review_overdue(self, today) -> bool:
        return (
            self.status == self.Status.PUBLISHED and bool(self.review_by) and self.review_by < today
        )

    def is_stale(self, today) -> bool:
        """Published, and not reviewed 14 days after its review-by date: reps are warned."""
        return (
            self.status == self.Status.PUBLISHED
            and self.review_by is not None
            and today > self.review_by + STALE_AFTER
        )

    def stage_labels(self) -> list[str]:
        labels = dict(STAGES)
        return [labels.get(s, s) for s in self.stages]

    def persona_labels(self) -> list[str]:
        labels = dict(Persona.choices)
        return [labels.get(p, p) for p in self.personas]


class AssetVersion(models.Model):
    """One version of an asset: an uploaded file (checked by `uploads.check_upload`) or a URL."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(
        upload_to=version_path, storage=content_storage, max_length=300, blank=True
    )
    url = models.URLField(max_length=500, blank=True)
    file_name = models.CharField(max_length=200, blank=True, help_text="As uploaded")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=120, blank=True, help_text="Detected")
    # A small PNG of the file (content.previews): a PDF's first page, an image scaled down.
    preview = models.FileField(
        upload_to=preview_path, storage=content_storage, max_length=300, blank=True
    )
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["asset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "number"], name="asset_version_number_once"),
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url=""))
                | (~models.Q(file="") & models.Q(url="")),
                name="asset_version_file_or_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset} v{self.number}"

    def get_download_url(self) -> str:
        return reverse("content:download", args=[self.asset_id, self.number])

    def get_preview_url(self) -> str:
        return reverse("content:preview", args=[self.asset_id, self.number]) if self.preview else ""

    @property
    def is_file(self) -> bool:
        return bool(self.file)


class Usage(models.Model):
    """What people inside did with an asset: viewed or downloaded it in the library, sent it
    to a lead (a tracked link), or used it on a deal (shown in a meeting, attached to a
    proposal). The ledger internal usage is counted from; a rep may rate an asset on a deal
    only after sending or using it there (`lead` set, kind send or use)."""

    class Kind(models.TextChoices):
        VIEW = "view", "Viewed"
        DOWNLOAD = "download", "Downloaded"
        SEND = "send", "Sent"
        USE = "use", "Used on a deal"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="usages")
    version = models.ForeignKey(
        AssetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="usages"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The deal it was used on: the lead, and the opportunity when there is one.
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="content_usages"
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="content_usages",
    )
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["asset", "kind", "occurred_at"]),
            models.Index(fields=["lead", "asset"]),
            models.Index(fields=["user", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.asset}"


class TrackedLink(models.Model):
    """A send: the link a rep gave a lead to one version of an asset. The public viewer
    (no login) answers only to the link's unguessable token, and only with this version."""

    token = models.CharField(max_length=64, unique=True)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="links")
    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="links")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="content_links")
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="content_links",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    # The viewer asks for the visitor's email before it shows the asset.
    email_gate = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["asset", "sent_at"]),
            models.Index(fields=["lead", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.asset} to {self.lead}"


class LinkEvent(models.Model):
    """What happened on a tracked link's public page: opened, read for a while (seconds, the
    PDF pages seen), downloaded, or the email the gate asked for."""

    class Kind(models.TextChoices):
        OPEN = "open", "Opened"
        VIEW = "view", "Viewed for a while"
        DOWNLOAD = "download", "Downloaded"

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    seconds = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True, help_text="PDF pages seen")
    email = models.EmailField(blank=True, help_text="Given at the email gate")

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["link", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.link}"


class ContentTouch(models.Model):
    """Which asset (and version) a touchpoint was: a send, an open of a tracked link, a
    content view from an import. Attribution credits touchpoints; influence rolls them up
    by asset through this table (the touchpoint itself lives in crm, below content)."""

    touchpoint = models.OneToOneField(
        "crm.Touchpoint", on_delete=models.CASCADE, primary_key=True, related_name="content"
    )
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="touches")
    version = models.ForeignKey(
        AssetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="touches"
    )
    link = models.ForeignKey(
        TrackedLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="touches"
    )

    class Meta:
        indexes = [models.Index(fields=["asset"])]

    def __str__(self) -> str:
        return f"{self.asset} (touchpoint {self.touchpoint_id})"


class Review(models.Model):
    """One review of a published asset: which review-by date it answered and when it was done.
    The owner scorecard's "reviewed on time" is the share of reviews done by their date."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="reviews")
    due = models.DateField(help_text="The review-by date this review answered")
    reviewed_on = models.DateField(help_text="In the company's zone")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who answered for the asset when it was due (the scorecard counts it against them).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [models.Index(fields=["owner", "due"])]

    def __str__(self) -> str:
        return f"{self.asset} reviewed {self.reviewed_on} (due {self.due})"

    @property
    def on_time(self) -> bool:
        return self.reviewed_on <= self.due


class SuggestionSettings(models.Model):
    """How long an asset's owner has to answer a suggestion, in business hours of their
    calendar, and when it turns at risk. One row (`current()`); changed by admins and
    operations through `suggestions.save_settings`, which audits it."""

    response_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("16"),
        help_text="Business hours the owner has to answer a suggestion.",
    )
    at_risk_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.75"),
        help_text="A suggestion is at risk once this fraction of its time is used.",
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    # When the alerts last looked: they raise what crossed a line since then.
    last_tick_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "suggestion settings"

    def __str__(self) -> str:
        return f"Answer suggestions within {self.response_hours} business hours"

    @classmethod
    def current(cls) -> "SuggestionSettings":
        row = cls.objects.order_by("pk").first()
        return row if row is not None else cls.objects.create()


class Suggestion(models.Model):
    """A rep's suggestion on an asset (update it, fix it, or a new asset is needed), which the
    asset's owner must answer within the business hours the settings say."""

    class Kind(models.TextChoices):
        UPDATE = "update", "Update"
        FIX = "fix", "Fix"
        NEW_ASSET = "new_asset", "New asset needed"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        DONE = "done", "Done"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # What a new asset is needed for (kind new_asset): a stage, a persona, an objection.
    stage = models.CharField(max_length=20, blank=True)
    persona = models.CharField(max_length=20, blank=True, choices=Persona.choices)
    objection = models.CharField(max_length=200, blank=True)
    comment = models.TextField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField()
    # Who must answer: `suggestions.answerer(asset)` at filing.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="suggestions_to_answer",
    )
    at_risk_at = models.DateTimeField()
    due_at = models.DateTimeField()
    # A business day past the deadline, unanswered: the owner's managers hear of it.
    escalates_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    due_on = models.DateField(null=True, blank=True, help_text="Accepted: done by this date")
    reason = models.TextField(blank=True, help_text="Declined: why")
    version = models.ForeignKey(
        AssetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The first answer (accept, decline or done): what the deadline is measured against.
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["asset", "filed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.asset}"

    def get_absolute_url(self) -> str:
        return reverse("content:asset", args=[self.asset_id]) + f"#suggestion-{self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DECLINED, self.Status.DONE)

    def for_label(self) -> str:
        """What a new asset is needed for, in words ('' for an update or a fix)."""
        parts = [
            dict(STAGES).get(self.stage, self.stage),
            self.get_persona_display() if self.persona else "",
            f"objection: {self.objection}" if self.objection else "",
        ]
        return " · ".join(p for p in parts if p)


class SuggestionAlert(models.Model):
    """An alert already raised on a suggestion: unique, so it is never raised twice."""

    class Level(models.TextChoices):
        AT_RISK = "at_risk", "At risk"
        BREACHED = "breached", "Breached"
        ESCALATED = "escalated", "Escalated"

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(max_length=10, choices=Level.choices)
    at = models.DateTimeField(help_text="When the suggestion crossed the line.")
    raised_at = models.DateTimeField()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "level"], name="suggestion_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.level}"


class Rubric(models.Model):
    """One version of the rating rubric: 3 to 6 criteria, each scored 1 to 5 with a label for
    every point, and an optional weight (checked by `accord.analytics.ratings.check_criteria`).
    Both teams sign it, as they sign a lead definition (`accord.people.signoff`): with a
    marketing and a sales leader's approval it goes live and the one before it retires.
    Its criteria never change once proposed; a change is a new draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"
        DECLINED = "declined", "Declined"

    number = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # [{"key": "accuracy", "name": "Accuracy", "labels": [5 labels, for 1..5], "weight": 1}]
    criteria = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True, help_text="What changed and why.")
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    active_from = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_comment = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="content_one_rubric"
            )
        ]

    def __str__(self) -> str:
        return f"Rubric v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("content:rubric", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def snapshot(self) -> dict:
        """The rubric's content as plain data, for the audit log."""
        return {"name": self.name, "criteria": list(self.criteria), "note": self.note}


class RubricApproval(models.Model):
    class Side(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "side"], name="content_rubric_one_per_side"),
            models.UniqueConstraint(fields=["rubric", "user"], name="content_rubric_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.rubric} approved by {self.user} for {self.side}"


class Rating(models.Model):
    """A rep's rating of the version of an asset they sent or used on a deal, under the rubric
    active then: one per rep, version and deal. `score` is the rating's weighted score over
    the rubric's criteria (kept so the library can filter and sort by it)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="ratings")
    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="ratings")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="ratings")
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="content_ratings")
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="content_ratings",
    )
    scores = models.JSONField(default=dict, help_text="Criterion key -> 1..5")
    score = models.DecimalField(max_digits=4, decimal_places=3, help_text="Weighted, 1..5")
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rater", "version", "lead"], name="content_rating_once_per_deal"
            )
        ]
        # With the score, the library's rating and count for each listed asset are read from
        # the index alone (about 190 ratings an asset at scale 10: 11 ms of the page, twice
        # over the table before).
        indexes = [
            models.Index(fields=["asset", "rubric", "score"], name="content_rating_asset_score")
        ]

    def __str__(self) -> str:
        return f"{self.rater} rated {self.version} on {self.lead}"


class InfluenceRun(models.Model):
    """One computation of content influence (both bases, every model): when it ran, over which
    period, and the generation of every table it read (`core.figures`), so a page can say
    whether the data has moved since. The worker's refresh replaces the previous one."""

    started_at = models.DateTimeField()
    computed_at = models.DateTimeField(help_text="When the credits were stored")
    period_start = models.DateField(help_text="Conversions from this day...")
    period_end = models.DateField(help_text="...to this day, inclusive")
    generations = models.JSONField(default=dict, help_text="Table -> generation, as read")
    seconds = models.FloatField(help_text="How long the computation took")
    # Every closed deal in the period (won or lost), the baseline of the win rates.
    closed = models.PositiveIntegerField(default=0)
    closed_won = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"Influence {self.period_start}..{self.period_end}, computed {self.computed_at}"


class ContentCredit(models.Model):
    """One content touch's credit in whole cents under one model and basis, as the run computed
    it: influence rolls these up by asset. The ids are a snapshot, not foreign keys, so that
    deleting a deal or a touch never waits on thousands of credit rows; the next run drops
    them."""

    run = models.ForeignKey(
        InfluenceRun, on_delete=models.CASCADE, related_name="credits", db_index=False
    )
    basis = models.CharField(max_length=10)
    model = models.CharField(max_length=20)
    touchpoint_id = models.BigIntegerField()
    opportunity_id = models.BigIntegerField()
    asset_id = models.BigIntegerField()
    version_id = models.BigIntegerField(null=True)
    cents = models.BigIntegerField()

    class Meta:
        # Every read filters on the run, basis and model, and groups or filters by asset.
        indexes = [models.Index(fields=["run", "basis", "model", "asset_id"])]

    def __str__(self) -> str:
        return f"{self.model} {self.basis}: touch {self.touchpoint_id} {self.cents} cents"


class ContentReach(models.Model):
    """Per asset and basis, as the run computed it: the opportunities with one of its content
    touches in their window, the won ones and their cents; and the closed deals (won or lost)
    that had it before they closed, and the won ones among them."""

    run = models.ForeignKey(InfluenceRun, on_delete=models.CASCADE, related_name="reach")
    basis = models.CharField(max_length=10)
    asset_id = models.BigIntegerField()
    opportunities = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    won_cents = models.BigIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_won = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "basis", "asset_id"])]

    def __str__(self) -> str:
        return f"Asset {self.asset_id} on {self.basis}: {self.opportunities} opportunities"
