"""Verbs of attribution: ask for a run (the worker computes it), keep spend and the
unit-economics inputs. Every change of spend or inputs is audited."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.analytics.attribution.rules import Options
from accord.analytics.months import add_months
from accord.attribution import compute, inputs
from accord.attribution.models import AttributionRun, Spend, UnitEconomics
from accord.people import audit, permissions

DENIED = "Only admins, leaders, managers and sales & marketing operations start an attribution run."
SPEND_DENIED = "Only admins, leaders and managers of marketing or operations change spend."
BUSY = (AttributionRun.Status.QUEUED, AttributionRun.Status.RUNNING)
LARGE = 10  # a line over this many times the largest month so far needs a confirmation


@transaction.atomic
def request_run(
    actor,
    basis: str,
    start: date | None = None,
    end: date | None = None,
    lookback_days: int = 365,
) -> AttributionRun:
    """Queue a run of every model on `basis` over `start`..`end` (default the 365 days up to
    today), unless the same run is already waiting or running. `actor` None: the refresh."""
    if actor is not None:
        permissions.require(permissions.can_run_attribution(actor), DENIED)
    if basis not in AttributionRun.Basis.values:
        raise ValueError(f"Unknown basis {basis!r}; choose pipeline or revenue.")
    Options(basis=basis, lookback_days=lookback_days)  # says what is wrong with the lookback
    start, end = compute.requested_period(start, end, timezone.now().date())
    same = AttributionRun.objects.filter(
        basis=basis, period_start=start, period_end=end, lookback_days=lookback_days
    )
    busy = same.filter(status__in=BUSY).first()
    if busy is not None:
        return busy
    now = timezone.now()
    run = AttributionRun.objects.create(
        basis=basis,
        lookback_days=lookback_days,
        period_start=start,
        period_end=end,
        requested_by=actor,
        created_at=now,
    )
    transaction.on_commit(lambda: compute.compute_run.enqueue(run.pk))
    return run


def refresh(today: date | None = None) -> list[AttributionRun]:
    """Queue a run for each basis whose newest run read other data than there is now: the
    same period, or, for a run over the 365 days up to the day it was made, the 365 days up
    to today. A basis nobody has computed yet stays so (the first run is asked for)."""
    today = today or timezone.now().date()
    version = inputs.data_version()
    queued = []
    for basis in AttributionRun.Basis.values:
        runs = AttributionRun.objects.filter(basis=basis)
        if runs.filter(status__in=BUSY).exists():
            continue
        newest = runs.filter(status=AttributionRun.Status.DONE).first()
        if newest is None or newest.data_version == version:
            continue
        start, end = newest.period_start, newest.period_end
        if newest.trailing:
            start, end = compute.default_period(today)
        queued.append(request_run(None, basis, start, end, newest.lookback_days))
    return queued


@transaction.atomic
def save_spend(actor, spend: Spend, changes: dict, *, confirm_large: bool = False) -> Spend:
    """Create or change one spend line (`changes`: month, side, channel, label, amount).

    Refused (a ValidationError naming the field, nothing stored): a month more than a year
    outside the company's data, and, unless `confirm_large`, an amount over `LARGE` times
    the largest month so far: a typo there turns CAC and payback into nonsense."""
    permissions.require(permissions.can_edit_spend(actor), SPEND_DENIED)
    before = _spend_state(spend) if spend.pk else None
    for field, value in changes.items():
        setattr(spend, field, value)
    spend.month = spend.month.replace(day=1)
    spend.amount = Decimal(spend.amount).quantize(Decimal("0.01"))
    problems = spend_problems(spend.month, spend.amount, confirm_large=confirm_large)
    twin = Spend.objects.filter(
        month=spend.month, side=spend.side, channel=spend.channel, label=spend.label
    ).exclude(pk=spend.pk)
    if twin.exists():
        problems["label"] = "There is already a line with this month, side, channel and label."
    if problems:
        raise ValidationError(problems)
    spend.save()
    audit.record(
        actor,
        "spend.changed" if before else "spend.created",
        spend,
        before=before,
        after=_spend_state(spend),
        summary=str(spend),
    )
    return spend


@transaction.atomic
def spend_problems(
    month: date, amount: Decimal, *, confirm_large: bool = False, today: date | None = None
) -> dict[str, str]:
    """What is wrong with a spend line's month and amount, by field (empty: nothing)."""
    problems = {}
    first, last = inputs.data_months(today or timezone.now().date())
    earliest, latest = add_months(first, -12), add_months(last, 12)
    if not earliest <= month <= latest:
        problems["month"] = (
            f"{month:%B %Y} is more than a year outside the company's data ({first:%b %Y} "
            f"to {last:%b %Y}); spend is kept for {earliest:%b %Y} to {latest:%b %Y}."
        )
    largest = inputs.largest_month_cost()
    if not confirm_large and largest and amount > LARGE * largest:
        problems["amount"] = (
            f"${amount:,.2f} is more than {LARGE}× the largest month so far "
            f"(${largest:,.2f} in all); check it, and confirm it if it is right."
        )
    return problems


@transaction.atomic
def delete_spend(actor, spend: Spend) -> None:
    permissions.require(permissions.can_edit_spend(actor), SPEND_DENIED)
    audit.record(actor, "spend.deleted", spend, before=_spend_state(spend), summary=str(spend))
    spend.delete()


@transaction.atomic
def save_unit_economics(actor, gross_margin: Decimal, annual_churn: Decimal) -> UnitEconomics:
    """Set the gross margin and annual churn (fractions in (0, 1])."""
    permissions.require(permissions.can_edit_spend(actor), SPEND_DENIED)
    for name, value in (("Gross margin", gross_margin), ("Annual churn", annual_churn)):
        if not 0 < value <= 1:
            raise ValueError(f"{name} must be above 0% and at most 100%.")
    row = UnitEconomics.current()
    before = {"gross_margin": str(row.gross_margin), "annual_churn": str(row.annual_churn)}
    row.gross_margin, row.annual_churn = gross_margin, annual_churn
    row.updated_by, row.updated_at = actor, timezone.now()
    row.save()
    audit.record(
        actor,
        "unit_economics.changed",
        row,
        before=before,
        after={"gross_margin": str(gross_margin), "annual_churn": str(annual_churn)},
        summary=f"gross margin {gross_margin:.2%}, annual churn {annual_churn:.2%}",
    )
    return row


def _spend_state(spend: Spend) -> dict:
    return {
        "month": spend.month.isoformat(),
        "side": spend.side,
        "channel": spend.channel.key if spend.channel_id else None,
        "label": spend.label,
        "amount": str(spend.amount),
    }
