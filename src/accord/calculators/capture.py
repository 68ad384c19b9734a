"""Leads captured by the public page, and what a visitor entered erased at their request.

`capture` answers the visitor: in one short transaction it stores the `Submission` with the
inputs as read and the results computed here (whatever results a client sends are never
read), marks the visit completed and queues `attach_lead`. The page's one-time key is stored
with it: the same post again finds that submission and writes nothing more.

`attach_lead` is the worker's part, a moment later: the lead is created, or found by its
normalised email, through `imports.actions.upsert_items`, exactly as an import writes one
(its history, scoring under the active lead definition, and so the MQL clock and the owner's
alerts); an existing lead only gains a touch: its owner, status and name stay as they are.
The touch (kind `calculator`, channel "Value calculators", the calculator's own campaign, at
the moment of the submission) goes through the same verb, so scoring and every attribution
model see it as they see an imported one. Making a lead runs the import's checks and writes
some thirty rows; kept out of the visitor's request, a submit costs a few writes, and a burst
of visitors queues for the worker instead of for the database's one writer (SQLite). It runs
once per submission whatever happens: a submission with its lead is skipped, and
`tasks.capture_pending` picks up any a stopped worker left behind. With the tests' immediate
task backend it runs inside the submit.

`request_erasure` and `erase` are the two halves of a visitor's deletion request: the first
mails a signed link to the address (and only if it submitted anything), the second, opened
from that mail, empties those submissions, removes their visits, records it and tells
operations.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from accord.calculators import compute
from accord.calculators.models import (
    Calculator,
    CalculatorVersion,
    DeletionRequest,
    Submission,
    Visit,
)
from accord.core.bulk import by_external_id
from accord.crm.kinds import Kind
from accord.crm.models import Campaign, Channel, Lead, Touchpoint
from accord.imports.actions import upsert_items
from accord.imports.items import CREATED, REJECTED, UNASSIGN, Options
from accord.people import audit, notify
from accord.people.models import User

logger = logging.getLogger(__name__)

# Where captured leads and their touches come from, as an import would name its source.
SOURCE_SYSTEM = "value-calculators"
CHANNEL_KEY = "value-calculators"
CHANNEL_NAME = "Value calculators"
# The fields of the public form that are not the calculator's inputs.
VISITOR_FIELDS = frozenset({"email", "name", "company"})
ERASURE_SALT = "accord.calculators.erasure"
ERASURE_MAX_AGE = 7 * 24 * 3600


@dataclass(frozen=True)
class Visitor:
    email: str  # normalised: trimmed, lower case
    name: str = ""
    company: str = ""


@dataclass(frozen=True)
class Captured:
    submission: Submission
    replayed: bool  # the same key was posted before: nothing new was stored


def normal_email(value) -> str:
    """An email as every door stores it (as `imports.items.Parser.email` reads one)."""
    return str(value or "").strip().lower()


def clean_visitor(email, name="", company="") -> Visitor:
    """The visitor's details as typed; raises ValidationError naming each bad field."""
    problems: dict[str, list[str]] = {}
    email = normal_email(email)
    if not email:
        problems["email"] = ["Give your email address."]
    elif len(email) > 254 or "\x00" in email:
        problems["email"] = ["That is not an email address."]
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems["email"] = ["That is not an email address."]
    name = " ".join(str(name or "").split())
    company = " ".join(str(company or "").split())
    if len(name) > 160 or "\x00" in name:
        problems["name"] = ["At most 160 characters."]
    if len(company) > 200 or "\x00" in company:
        problems["company"] = ["At most 200 characters."]
    if problems:
        raise ValidationError(problems)
    return Visitor(email=email, name=name, company=company)


def _submitted(calculator: Calculator, request_key: str) -> Submission | None:
    return (
        Submission.objects.filter(calculator=calculator, request_key=request_key).order_by().first()
    )


def capture(
    calculator: Calculator,
    version: CalculatorVersion,
    visitor: Visitor,
    raw_inputs: dict,
    *,
    request_key: str,
    visit_token: str = "",
    now: datetime | None = None,
) -> Captured:
    """Store one visitor's submission (see the module's docstring). Raises ValidationError
    naming each bad input before anything is written."""
    if not request_key or len(request_key) > 64:
        raise ValidationError("This form has expired; reload the page and submit again.")
    result = compute.compute(version, compute.read_inputs(version, raw_inputs))
    now = now or timezone.now()
    try:
        with transaction.atomic():
            submission = _store(calculator, version, visitor, result, request_key, visit_token, now)
    except IntegrityError:
        # The key was posted before (a replay, or two posts at the same moment): the first
        # one's submission is the answer, and this one's writes are rolled back. Found by
        # the unique key rather than looked up first: most posts are not replays.
        existing = _submitted(calculator, request_key)
        if existing is None:
            raise
        return Captured(existing, replayed=True)
    return Captured(submission, replayed=False)


def _options() -> Options:
    # The server itself writes (no person): owners are never invented, an unknown one is
    # left unassigned, and times are read as UTC.
    return Options(
        source_system=SOURCE_SYSTEM,
        actor=None,
        via="value calculator",
        unknown_owners=UNASSIGN,
        tz=UTC,
    )


def _upsert_one(kind: Kind, item: dict) -> str:
    """One item through the import's verb; its status (created, updated, unchanged...)."""
    results = []
    upsert_items(kind, [(0, item)], _options(), each=lambda result, _: results.append(result))
    (result,) = results
    if result.status == REJECTED:
        # Nothing the visitor typed reaches this far unchecked: a rejection is our bug.
        raise RuntimeError(f"The {kind} item was rejected: {result.errors}")
    return result.status


def _channel() -> Channel:
    channel, _ = Channel.objects.get_or_create(
        key=CHANNEL_KEY, defaults={"name": CHANNEL_NAME, "group": Channel.Group.MARKETING}
    )
    return channel


def campaign_id(calculator: Calculator) -> str:
    """The external id of the calculator's own campaign (under SOURCE_SYSTEM)."""
    return f"calculator-{calculator.pk}"


def campaign_name(calculator: Calculator) -> str:
    return f"{calculator.name} (value calculator)"


def _campaign_ref(campaign: Campaign) -> str:
    """How the import verb finds the calculator's campaign: by the id capture gave it, or by
    its name when someone tied the calculator to a campaign of their own."""
    if campaign.source_system == SOURCE_SYSTEM and campaign.external_id:
        return campaign.external_id
    return campaign.name


def _campaign(calculator: Calculator, now: datetime) -> Campaign:
    """The calculator's campaign (and its channel), made through the import's verb on the
    calculator's first capture."""
    if calculator.campaign_id is not None:
        return calculator.campaign  # its channel exists too: it cannot be deleted before it
    _channel()
    calculator = Calculator.objects.select_for_update().get(pk=calculator.pk)
    if calculator.campaign_id is None:
        _upsert_one(
            Kind.CAMPAIGNS,
            {
                "external_id": campaign_id(calculator),
                "name": campaign_name(calculator),
                "channel": CHANNEL_KEY,
                "kind": Campaign.Kind.CONTENT,
                "starts_on": now.date().isoformat(),
            },
        )
        (calculator.campaign,) = by_external_id(Campaign, SOURCE_SYSTEM, [campaign_id(calculator)])
        calculator.save(update_fields=["campaign"])
    return calculator.campaign


def _store(calculator, version, visitor: Visitor, result, request_key, visit_token, now):
    visit = None
    if visit_token:
        visit = Visit.objects.filter(calculator=calculator, token=visit_token).first()
    if visit is not None:
        visit.started_at = visit.started_at or now
        visit.completed_at = now
        visit.save(update_fields=["started_at", "completed_at"])
    submission = Submission.objects.create(
        calculator=calculator,
        version=version,
        source=Submission.Source.PUBLIC,
        email=visitor.email,
        visitor_name=visitor.name,
        visitor_company=visitor.company,
        visit=visit,
        request_key=request_key,
        inputs=result.stored_inputs(),
        results=result.stored_values(),
        created_at=now,
    )
    # In the transaction: the queued task exists exactly when the submission does.
    attach_lead.enqueue(submission.pk)
    return submission


def waiting_for_lead():
    """Public submissions the worker has not yet made a lead and touch of."""
    return Submission.objects.filter(
        source=Submission.Source.PUBLIC, touchpoint__isnull=True, lead__isnull=True
    ).exclude(email="")


@task
def attach_lead(submission_id: int) -> None:
    """The worker's part of a capture (module docstring): the lead and its touch, once."""
    with transaction.atomic():
        submission = (
            waiting_for_lead()
            .select_for_update(of=("self",))
            .select_related("calculator")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None:
            return  # done already (a retry, the safety net), or erased
        calculator, now = submission.calculator, submission.created_at
        campaign = _campaign(calculator, now)
        lead_item = {"email": submission.email}
        if not Lead.objects.filter(email=submission.email).exists():
            # Only a new lead takes what the visitor typed: anybody may type anybody's email,
            # and an existing lead's name, company and source are not theirs to change.
            first, _, last = submission.visitor_name.partition(" ")
            lead_item.update(
                first_name=first[:80], last_name=last[:80], source=CHANNEL_KEY,
                company=submission.visitor_company or None,
            )  # fmt: skip
        lead_was_new = _upsert_one(Kind.LEADS, lead_item) == CREATED
        touch_id = f"{calculator.pk}-{submission.request_key or submission.pk}"
        _upsert_one(
            Kind.TOUCHPOINTS,
            {
                "external_id": touch_id,
                "lead": submission.email,
                "channel": CHANNEL_KEY,
                "campaign": _campaign_ref(campaign),
                "kind": Touchpoint.Kind.CALCULATOR,
                "occurred_at": now.astimezone(UTC).isoformat(),
            },
        )
        (touchpoint,) = by_external_id(Touchpoint, SOURCE_SYSTEM, [touch_id])
        submission.lead_id = touchpoint.lead_id
        submission.touchpoint = touchpoint
        submission.lead_was_new = lead_was_new
        submission.save(update_fields=["lead", "touchpoint", "lead_was_new"])


# --- Visits ----------------------------------------------------------------------------------


def open_visit(calculator: Calculator, version: CalculatorVersion, *, embedded_from: str = ""):
    """A visitor viewing the public page: the visit its live results and submit refer to."""
    return Visit.objects.create(
        calculator=calculator,
        version=version,
        token=secrets.token_urlsafe(32),
        viewed_at=timezone.now(),
        embedded_from=embedded_from[:200],
    )


def touch_visit(calculator: Calculator, token: str, input_key: str) -> None:
    """The visitor changed an input: the visit has started, and this was the last one."""
    if not token or len(token) > 43:
        return
    changes = {"started_at": Coalesce(F("started_at"), Value(timezone.now()))}
    if input_key:
        changes["last_input"] = input_key[:40]
    Visit.objects.filter(calculator=calculator, token=token, completed_at__isnull=True).update(
        **changes
    )


# --- Erasure ---------------------------------------------------------------------------------


def request_erasure(email: str, *, now: datetime | None = None) -> DeletionRequest | None:
    """A visitor asks us to delete what they entered: if any submission has this address, a
    signed link goes to it (opened, it erases them: so nobody erases another's). None when
    we hold nothing; the visitor's answer is the same either way."""
    email = normal_email(email)
    try:
        validate_email(email)
    except ValidationError:
        return None
    if not Submission.objects.filter(email=email).exists():
        return None
    with transaction.atomic():
        asked = DeletionRequest.objects.create(email=email, requested_at=now or timezone.now())
        token = signing.dumps({"r": asked.pk, "e": email}, salt=ERASURE_SALT)
        link = settings.ACCORD_BASE_URL + reverse("calculators:public_forget_confirm", args=[token])
        transaction.on_commit(partial(_mail_erasure_link, email, link), robust=True)
    return asked


def _mail_erasure_link(email: str, link: str) -> None:
    body = (
        "Somebody, probably you, asked us to delete what this address entered in our value "
        "calculators.\n\nTo delete it, open this link within 7 days and confirm:\n"
        f"{link}\n\nIf it was not you, ignore this email: nothing is deleted without it.\n"
    )
    try:
        EmailMessage("Delete what you entered in our calculators", body, to=[email]).send()
    except Exception:  # a mail server that fails must not fail the visitor's page
        logger.exception("The erasure link to a visitor could not be sent")


def erasure_request(token: str) -> DeletionRequest | None:
    """The deletion request a signed link names, or None (tampered, expired or unknown)."""
    try:
        data = signing.loads(token, salt=ERASURE_SALT, max_age=ERASURE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return DeletionRequest.objects.filter(pk=data.get("r"), email=data.get("e")).first()


@transaction.atomic
def erase(asked: DeletionRequest, *, now: datetime | None = None) -> DeletionRequest:
    """Empty the inputs and results of every submission made with the request's address,
    remove their visits, record how many, audit it and tell operations. Confirming twice
    changes nothing more."""
    asked = DeletionRequest.objects.select_for_update().get(pk=asked.pk)
    if asked.confirmed_at is not None:
        return asked
    now = now or timezone.now()
    submissions = Submission.objects.filter(email=asked.email)
    visit_ids = [pk for pk in submissions.values_list("visit_id", flat=True) if pk]
    count = submissions.update(
        inputs={}, results={}, visit=None, visitor_name="", visitor_company=""
    )
    Visit.objects.filter(pk__in=visit_ids).delete()
    asked.confirmed_at = now
    asked.submissions_deleted = count
    asked.save(update_fields=["confirmed_at", "submissions_deleted"])
    audit.record(
        None,
        "calculator.erased",
        asked,
        after={"submissions": count, "visits": len(visit_ids)},
        summary=f"A visitor's calculator inputs and results were erased at their request "
        f"({count} submission{'s' if count != 1 else ''})",
    )
    lead = Lead.objects.filter(email=asked.email).order_by("id").first()
    who = f"The lead {lead.email}" if lead else f"The visitor {asked.email}"
    notify.notify(
        operations_managers(),
        kind="calculator.erasure",
        title=f"{who} asked for their calculator data to be erased",
        body=f"{count} submission{'s' if count != 1 else ''} had their inputs and results "
        "deleted. Check whether other systems hold a copy (the CRM it syncs with, exports).",
        url=lead.get_absolute_url() if lead else reverse("calculators:list"),
        key=f"calculator:erasure:{asked.pk}",
        at=now,
    )
    return asked


def operations_managers():
    """Who hears of an erasure: the managers of sales & marketing operations, or the admins
    when there are none."""
    managers = User.objects.filter(
        is_active=True, role=User.Role.MANAGER, teams__kind="sales_ops"
    ).distinct()
    if managers.exists():
        return managers
    return User.objects.filter(is_active=True, role=User.Role.ADMIN)
