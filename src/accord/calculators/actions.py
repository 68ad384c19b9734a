"""Verbs that change value calculators. Each runs in one transaction and is audited.

A version's lifecycle is draft -> proposed -> published (-> retired when the next one is
published), or proposed -> declined. Only a draft changes; saving over anything else starts
a new draft copied from it. Every save is checked in full (`checks.clean`): a refusal names
each problem and stores nothing. The assumptions table is what both teams sign: one
marketing leader and one sales leader (never the proposer), through `people.signoff`.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from accord.calculators import checks
from accord.calculators.models import Calculator, CalculatorVersion
from accord.people import audit, signoff
from accord.people.permissions import can_build_calculator, require

BUILD_DENIED = "Only admins, leaders and marketing managers can build value calculators."
Status = CalculatorVersion.Status


# Public addresses under /c/ that are not calculators: no calculator may take their slug.
RESERVED_SLUGS = frozenset({"forget", "case", "embed"})


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "calculator"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Calculator.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_calculator(actor, *, name: str, kind: str, description: str = "") -> Calculator:
    """A new calculator with an empty draft v1 to build."""
    require(can_build_calculator(actor), BUILD_DENIED)
    name = (name or "").strip()
    problems = {}
    if not name or len(name) > 120:
        problems["name"] = ["Give the calculator a name (at most 120 characters)."]
    if kind not in Calculator.Kind.values:
        problems["kind"] = [f"The kind is ROI or TCO, not {kind!r}."]
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    calculator = Calculator.objects.create(
        name=name,
        slug=_unique_slug(name),
        kind=kind,
        description=(description or "").strip()[:2000],
        owner=actor,
        created_at=now,
        updated_at=now,
    )
    CalculatorVersion.objects.create(
        calculator=calculator, number=1, created_by=actor, created_at=now
    )
    audit.record(
        actor,
        "calculator.created",
        calculator,
        after={"name": name, "kind": kind},
        summary=f"Created the {calculator.get_kind_display()} calculator {name}",
    )
    return calculator


def _next_number(calculator: Calculator) -> int:
    return (calculator.versions.aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def save_draft(
    actor, version: CalculatorVersion, content: dict, note: str = ""
) -> CalculatorVersion:
    """Save the parts onto a draft; over any other version, into a new draft based on it."""
    require(can_build_calculator(actor), BUILD_DENIED)
    version = CalculatorVersion.objects.select_for_update().get(pk=version.pk)
    cleaned = checks.clean(content)
    calculator = Calculator.objects.select_for_update().get(pk=version.calculator_id)
    now = timezone.now()
    if version.status != Status.DRAFT:
        based_on = version
        version = CalculatorVersion(
            calculator=calculator,
            number=_next_number(calculator),
            based_on=based_on,
            created_by=actor,
            created_at=now,
        )
        before, action = based_on.content(), "calculator.drafted"
        summary = f"Drafted v{version.number} of {calculator.name} from v{based_on.number}"
    else:
        before, action = version.content(), "calculator.changed"
        summary = f"Changed draft v{version.number} of {calculator.name}"
    for part in checks.PARTS:
        setattr(version, part, cleaned[part])
    version.note = (note or version.note or "").strip()[:300]
    version.save()
    calculator.updated_at = now
    calculator.save(update_fields=["updated_at"])
    if action == "calculator.drafted" or version.content() != before:
        audit.record(
            actor, action, version, before=before, after=version.content(), summary=summary
        )
    return version


@transaction.atomic
def propose(actor, version: CalculatorVersion) -> CalculatorVersion:
    require(can_build_calculator(actor), BUILD_DENIED)
    version = CalculatorVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.DRAFT:
        raise ValidationError(
            f"v{version.number} is {version.get_status_display().lower()}; "
            "only a draft can be proposed."
        )
    checks.clean(version.content())
    if not version.inputs or not version.outputs:
        raise ValidationError(
            "A calculator needs at least one input and one output before it is proposed."
        )
    version.status = Status.PROPOSED
    version.proposed_by = actor
    version.proposed_at = timezone.now()
    version.save(update_fields=["status", "proposed_by", "proposed_at"])
    name = f"{version.calculator.name} v{version.number}"
    audit.record(
        actor,
        "calculator.proposed",
        version,
        after={"assumptions": version.assumptions},
        summary=f"Proposed {name} for sign-off by marketing and sales",
    )
    signoff.ask_to_sign(
        version.approvals,
        proposer=actor,
        title=f"Please sign the assumptions of {name}",
        body=f"{actor.display_name} proposed {name}. Buyers will see it once a marketing "
        f"leader and a sales leader have signed its {len(version.assumptions)} assumptions.",
        url=version.get_absolute_url(),
        key=f"calculator:{version.pk}:asked:{version.proposed_at.isoformat()}",
    )
    return version


def _not_proposed(version: CalculatorVersion, doing: str) -> str:
    if version.status != Status.PROPOSED:
        return (
            f"v{version.number} is {version.get_status_display().lower()}; "
            f"only a proposed version can be {doing}."
        )
    return ""


def approval_blocker(actor, version: CalculatorVersion) -> Exception | None:
    """Why `actor` may not sign `version` now (the error `approve` raises), or None."""
    return signoff.blocker(
        actor,
        version.approvals,
        kind="a calculator's assumptions",
        this="this version",
        name=f"v{version.number}",
        not_ready=_not_proposed(version, "signed"),
        proposed_by_id=version.proposed_by_id,
    )


def decline_blocker(actor, version: CalculatorVersion, comment: str | None = None):
    return signoff.decline_blocker(
        actor,
        kind="a calculator's assumptions",
        not_ready=_not_proposed(version, "declined"),
        comment=comment,
    )


@transaction.atomic
def approve(actor, version: CalculatorVersion) -> CalculatorVersion:
    """Sign the assumptions; the second side's signature publishes the version and retires
    the one published before it."""
    version = CalculatorVersion.objects.select_for_update().get(pk=version.pk)
    if (blocker := approval_blocker(actor, version)) is not None:
        raise blocker
    side, complete, now = signoff.sign(actor, version.approvals)
    name = f"{version.calculator.name} v{version.number}"
    previous = None
    if complete:
        previous = (
            CalculatorVersion.objects.select_for_update()
            .filter(calculator_id=version.calculator_id, status=Status.PUBLISHED)
            .first()
        )
        if previous is not None:
            previous.status = Status.RETIRED
            previous.retired_at = now
            previous.save(update_fields=["status", "retired_at"])
            audit.record(
                actor,
                "calculator.retired",
                previous,
                summary=f"Retired v{previous.number}: v{version.number} was published",
            )
        version.status = Status.PUBLISHED
        version.published_at = now
        version.save(update_fields=["status", "published_at"])
    audit.record(
        actor,
        "calculator.approved",
        version,
        after={"side": side, "published": complete},
        summary=f"Signed the assumptions of {name} for {side}"
        + ("; published" if complete else "; waiting for the other side"),
    )
    signoff.tell_approval(
        version.proposed_by,
        actor,
        side,
        complete,
        name=f"Calculator {name}",
        signed="is published",
        after="buyers now see this version"
        + (f" in place of v{previous.number}." if previous else "."),
        url=version.get_absolute_url(),
        key=f"calculator:{version.pk}:approved:{actor.pk}:{version.proposed_at.isoformat()}",
    )
    return version


@transaction.atomic
def decline(actor, version: CalculatorVersion, comment: str) -> CalculatorVersion:
    """Decline a proposed version, saying why; it stays in the history, the published one
    stays published, and a change starts a new draft."""
    version = CalculatorVersion.objects.select_for_update().get(pk=version.pk)
    if (blocker := decline_blocker(actor, version, comment)) is not None:
        raise blocker
    name = f"{version.calculator.name} v{version.number}"
    signoff.record_decline(
        version, actor, comment,
        status=Status.DECLINED,
        action="calculator.declined",
        summary=f"Declined {name}",
        proposer=version.proposed_by,
        title=f"{actor.display_name} declined {name}",
        url=version.get_absolute_url(),
        key=f"calculator:{version.pk}:declined",
    )  # fmt: skip
    return version


# --- The public page's settings -------------------------------------------------------------

# An origin a site embeds from: https with a host (and a port), or a local http one for
# trying the embed out. No path, no wildcard: the list goes into the CSP frame-ancestors.
_ORIGIN = re.compile(
    r"(?:https://(?P<host>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}"
    r"[a-z0-9])?)+)|http://(?:localhost|127\.0\.0\.1))(?::(?P<port>[0-9]{1,5}))?"
)
MAX_ORIGINS = 50


def parse_origins(text: str) -> list[str]:
    """The origins allowed to embed the public page, one a line; raises ValidationError
    naming the first bad line. Blank lines are skipped, case and a trailing slash aside."""
    origins: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        origin = line.strip().lower().removesuffix("/")
        if not origin:
            continue
        match = _ORIGIN.fullmatch(origin)
        port = match and match["port"]
        if match is None or (port and not 0 < int(port) < 65536):
            raise ValidationError(
                {
                    "allowed_origins": [
                        f"Line {number}: “{line.strip()[:100]}” is not an origin. Write "
                        "https://host or https://host:port (no path), or http://localhost:port "
                        "to try the embed on your own machine."
                    ]
                }
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise ValidationError(
            {"allowed_origins": [f"At most {MAX_ORIGINS} origins ({len(origins)} given)."]}
        )
    return origins


def _public_settings(calculator: Calculator) -> dict:
    return {
        "gate": calculator.gate,
        "allowed_origins": calculator.allowed_origins,
        "consent_text": calculator.consent_text,
        "privacy_url": calculator.privacy_url,
    }


@transaction.atomic
def set_public_page(
    actor,
    calculator: Calculator,
    *,
    gate: str,
    allowed_origins: str = "",
    consent_text: str = "",
    privacy_url: str = "",
) -> Calculator:
    """The public page's lead-capture gate, the sites that may embed it, and the consent
    text and privacy link beside its email field. Every problem is named; nothing is stored
    unless all is well."""
    require(can_build_calculator(actor), BUILD_DENIED)
    calculator = Calculator.objects.select_for_update().get(pk=calculator.pk)
    problems: dict[str, list[str]] = {}
    if gate not in Calculator.Gate.values:
        problems["gate"] = ["Choose results first or email first."]
    try:
        origins = parse_origins(allowed_origins)
    except ValidationError as error:
        problems.update(error.message_dict)
        origins = []
    consent_text = " ".join((consent_text or "").split())
    if len(consent_text) > 600:
        problems["consent_text"] = ["At most 600 characters."]
    privacy_url = (privacy_url or "").strip()
    if privacy_url:
        try:
            URLValidator(schemes=["https", "http"])(privacy_url)
        except ValidationError:
            problems["privacy_url"] = [f"“{privacy_url[:100]}” is not a web address."]
    if problems:
        raise ValidationError(problems)
    before = _public_settings(calculator)
    calculator.gate = gate
    calculator.allowed_origins = "\n".join(origins)
    calculator.consent_text = consent_text
    calculator.privacy_url = privacy_url
    after = _public_settings(calculator)
    if after != before:
        calculator.updated_at = timezone.now()
        calculator.save(update_fields=[*after, "updated_at"])
        audit.record(
            actor,
            "calculator.public_page",
            calculator,
            before=before,
            after=after,
            summary=f"Changed the public page of {calculator.name}",
        )
    return calculator
