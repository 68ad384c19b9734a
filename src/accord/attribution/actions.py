"""Verbs of attribution: ask for a run (the worker computes it)."""

from django.db import transaction
from django.utils import timezone

from accord.attribution.models import AttributionRun
from accord.people import permissions

DENIED = "Only admins, leaders and managers start an attribution run."


@transaction.atomic
def request_run(actor, basis: str, lookback_days: int = 365) -> AttributionRun:
    """Queue a run of every model on `basis`, unless one is already waiting or running."""
    permissions.require(permissions.can_run_attribution(actor), DENIED)
    if basis not in AttributionRun.Basis.values:
        raise ValueError(f"Unknown basis {basis!r}; choose pipeline or revenue.")
    busy = AttributionRun.objects.filter(
        basis=basis, status__in=(AttributionRun.Status.QUEUED, AttributionRun.Status.RUNNING)
    ).first()
    if busy is not None:
        return busy
    now = timezone.now()
    run = AttributionRun.objects.create(
        basis=basis, lookback_days=lookback_days, as_of=now, requested_by=actor, created_at=now
    )
    from accord.attribution.tasks import compute_run

    transaction.on_commit(lambda: compute_run.enqueue(run.pk))
    return run
