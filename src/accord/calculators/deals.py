"""Verbs of sales reuse on the deal: adjust a buyer's calculation, start one for an account,
record what a won deal realised. Each runs in one transaction and is audited.

A business case is a thread of submissions: the visitor's own (`PUBLIC`) or one a rep
started (`SALES`), and every adjusted copy `based_on` the one it changed. Nothing is edited
in place: an adjustment is a new submission, so the history keeps what the buyer typed, who
changed what and why. Results are always computed here, on the server, from the inputs
(`compute.read_inputs`, `compute.compute`); a result sent along with them is never read.

An adjustment keeps the version the case was made on, even when a newer one has been
published since: those are the assumptions the buyer saw, and changing them silently would
change the promise. The rep may instead ask to recompute on the published version
(`on_published`), which is said in the history as a change of version.

Who may act: `permissions.can_work_business_case` on the record the case hangs on (its
opportunity, else its lead, else its account).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.calculators import checks, compute, deal_queries
from accord.calculators.models import Calculator, CalculatorVersion, Realisation, Submission
from accord.crm.models import Account, Lead, Opportunity
from accord.people import audit
from accord.people.permissions import can_work_business_case, require

DENIED = (
    "Only whoever works this deal may change its business case: the owner of the lead or "
    "opportunity, their managers, leaders and admins."
)
NOTE_LIMIT = 300
REALISED_LIMIT = Decimal("1e12")  # the column holds 14 digits, 2 of them cents


def home(submission: Submission) -> Opportunity | Lead | Account | None:
    """The record a business case hangs on, the most specific first: whose workers may act."""
    return submission.opportunity or submission.lead or submission.account


def _note(note) -> str:
    # NUL: PostgreSQL refuses it in text, and no person types it.
    return note.replace("\x00", "").strip() if isinstance(note, str) else ""


def _read(version: CalculatorVersion, raw_inputs, problems: dict) -> compute.Result | None:
    """The server's results from the inputs as typed; each problem added to `problems`."""
    if not isinstance(raw_inputs, dict):
        problems.setdefault("inputs", []).append("Give the inputs as a set of key: value.")
        return None
    try:
        inputs = compute.read_inputs(version, raw_inputs)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            problems.setdefault(key, []).extend(messages)
        return None
    try:
        return compute.compute(version, inputs)
    except ValidationError as error:
        problems.setdefault("__all__", []).extend(error.messages)
        return None


def _fits(opportunity: Opportunity, submission: Submission) -> bool:
    """An opportunity a case may move onto: with the same account or the same person."""
    account_id = submission.account_id or (submission.lead.account_id if submission.lead else None)
    return (account_id is not None and opportunity.account_id == account_id) or (
        submission.lead_id is not None and opportunity.primary_lead_id == submission.lead_id
    )


def _snapshot(submission: Submission) -> dict:
    return {
        "submission": submission.pk,
        "version": submission.version.number,
        "inputs": submission.inputs,
        "results": submission.results,
    }


def _same(a: dict, b: dict) -> bool:
    return {k: Decimal(v) for k, v in a.items()} == {k: Decimal(v) for k, v in b.items()}


@transaction.atomic
def adjust(
    actor,
    submission: Submission,
    raw_inputs: dict,
    note: str,
    opportunity: Opportunity | None = None,
    *,
    on_published: bool = False,
) -> Submission:
    """A new version of the business case with the inputs as the rep and the buyer typed them,
    saying why (`note`, required). On the case's own version, or on the calculator's published
    one with `on_published`. With `opportunity`, the new version is filed on that deal (which
    must be with the same account or person)."""
    base = Submission.objects.select_related(
        "calculator", "version", "lead", "account", "opportunity__primary_lead"
    ).get(pk=submission.pk)
    require(can_work_business_case(actor, home(base)), DENIED)
    if opportunity is not None:
        require(can_work_business_case(actor, opportunity), DENIED)
    problems: dict[str, list[str]] = {}
    version = base.version
    if on_published:
        version = deal_queries.published(base.calculator)
        if version is None:
            raise ValidationError(
                f"{base.calculator.name} has no published version to recompute on; "
                f"adjust it on v{base.version.number}."
            )
    text = _note(note)
    if not text:
        problems["note"] = ["Say what changed and why: the history shows it to everybody."]
    elif len(text) > NOTE_LIMIT:
        problems["note"] = [f"At most {NOTE_LIMIT} characters (this one has {len(text)})."]
    if opportunity is not None and not _fits(opportunity, base):
        problems["opportunity"] = [
            f"{opportunity} is not a deal with this business case's account or person."
        ]
    result = _read(version, raw_inputs, problems)
    if problems:
        raise ValidationError(problems)
    if version.pk == base.version_id and _same(result.stored_inputs(), base.inputs):
        raise ValidationError(
            "Nothing changed: change an input (or recompute on the published version) first."
        )
    account = base.account or (base.lead.account if base.lead else None)
    made = Submission.objects.create(
        calculator=base.calculator,
        version=version,
        source=Submission.Source.SALES,
        based_on=base,
        email=base.email,
        lead=base.lead,
        account=account,
        opportunity=opportunity or base.opportunity,
        inputs=result.stored_inputs(),
        results=result.stored_values(),
        note=text,
        created_by=actor,
        created_at=timezone.now(),
    )
    changed = sorted(k for k in made.inputs if base.inputs.get(k) != made.inputs[k])
    what = f"v{base.version.number} to v{version.number}" if version.pk != base.version_id else ""
    summary = f"Adjusted the {base.calculator.name} business case for {home(made)}: " + (
        ", ".join(filter(None, [what, ", ".join(changed)])) or "recomputed"
    )
    audit.record(
        actor,
        "calculator.case_adjusted",
        made,
        before=_snapshot(base),
        after={**_snapshot(made), "note": text},
        summary=summary,
    )
    return made


@transaction.atomic
def start(
    actor,
    calculator: Calculator,
    record: Lead | Account | Opportunity,
    raw_inputs: dict,
    note: str = "",
) -> Submission:
    """A new business case for a lead, an account or an opportunity, made by sales on the
    calculator's published version (a first version of its own thread)."""
    require(can_work_business_case(actor, record), DENIED)
    version = deal_queries.published(calculator)
    if version is None:
        raise ValidationError(
            {"calculator": [f"{calculator.name} has no published version yet: nothing to start."]}
        )
    problems: dict[str, list[str]] = {}
    text = _note(note)
    if len(text) > NOTE_LIMIT:
        problems["note"] = [f"At most {NOTE_LIMIT} characters (this one has {len(text)})."]
    result = _read(version, raw_inputs, problems)
    if problems:
        raise ValidationError(problems)
    lead = opportunity = account = None
    if isinstance(record, Opportunity):
        opportunity, lead, account = record, record.primary_lead, record.account
    elif isinstance(record, Lead):
        lead, account = record, record.account
    else:
        account = record
    made = Submission.objects.create(
        calculator=calculator,
        version=version,
        source=Submission.Source.SALES,
        email=lead.email.lower() if lead else "",
        lead=lead,
        account=account,
        opportunity=opportunity,
        inputs=result.stored_inputs(),
        results=result.stored_values(),
        note=text or "Started on the deal",
        created_by=actor,
        created_at=timezone.now(),
    )
    audit.record(
        actor,
        "calculator.case_started",
        made,
        after=_snapshot(made),
        summary=f"Started a {calculator.name} business case for {record}",
    )
    return made


def _amount(value, problems: dict) -> Decimal | None:
    if isinstance(value, str):
        value = value.strip().lstrip("$€£").strip()
    amount = None if value in (None, "") else checks.number(value)
    if amount is None:
        problems["value"] = [f"{value!r} is not an amount of money." if value else "Required."]
    elif abs(amount) >= REALISED_LIMIT:
        problems["value"] = ["At most 999,999,999,999.99."]
    else:
        return amount.quantize(Decimal("0.01"))
    return None


@transaction.atomic
def record_realised(
    actor,
    opportunity: Opportunity,
    submission: Submission | None,
    value,
    note: str = "",
) -> Realisation:
    """What a won deal delivered, against the business case it was sold on (`submission`, by
    default the deal's latest). One a deal: recording again replaces it, the log keeping the
    value before."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    require(can_work_business_case(actor, opportunity), DENIED)
    if not opportunity.is_won:
        raise ValidationError(
            {
                "opportunity": [
                    f"{opportunity} is "
                    + ("closed lost" if opportunity.is_closed else "still open")
                    + f" ({opportunity.get_stage_display()}): a realised value is recorded "
                    "only on a won deal."
                ]
            }
        )
    problems: dict[str, list[str]] = {}
    if submission is None:
        submission = deal_queries.latest_case(opportunity)
        if submission is None:
            problems["submission"] = [
                "This deal has no business case to measure against: start one first."
            ]
    elif not deal_queries.cases_on(opportunity).filter(pk=submission.pk).exists():
        problems["submission"] = [f"Business case {submission.pk} is not one of this deal's."]
    amount = _amount(value, problems)
    text = _note(note)
    if len(text) > 600:
        problems["note"] = [f"At most 600 characters (this one has {len(text)})."]
    if problems:
        raise ValidationError(problems)
    found = Realisation.objects.select_for_update().filter(opportunity=opportunity).first()
    before = None
    if found is not None:
        before = {
            "submission": found.submission_id,
            "realised_value": str(found.realised_value),
            "note": found.note,
        }
    realisation = found or Realisation(opportunity=opportunity)
    realisation.submission = submission
    realisation.realised_value = amount
    realisation.note = text
    realisation.recorded_by = actor
    realisation.recorded_at = timezone.now()
    realisation.save()
    after = {"submission": submission.pk, "realised_value": str(amount), "note": text}
    audit.record(
        actor,
        "calculator.realised_changed" if found else "calculator.realised_recorded",
        realisation,
        before=before,
        after=after,
        summary=f"Recorded {amount:,} realised on {opportunity}"
        + (f" (was {Decimal(before['realised_value']):,})" if before else ""),
    )
    return realisation
