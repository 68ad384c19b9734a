"""Background work of attribution, run by `accord worker`: runs asked for, and the refresh
that recomputes when the data changed."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.analytics.attribution.economics import Inputs
from accord.attribution import actions, compute
from accord.attribution.models import AttributionRun, UnitEconomics
from accord.core import recurring

REFRESH_EVERY = timedelta(minutes=10)


@task
def compute_run(run_id: int) -> None:
    """Run every model of the run's basis and period and its economics; store them."""
    run = AttributionRun.objects.get(pk=run_id)
    AttributionRun.objects.filter(pk=run_id).update(status=AttributionRun.Status.RUNNING)
    try:
        version = actions.data_version()  # before reading: a later change makes it stale
        row = UnitEconomics.current()
        first = min(compute.trend_start(run.period_end), run.period_start.replace(day=1))
        result = compute.run_all(
            basis=run.basis,
            start=run.period_start,
            end=run.period_end,
            lookback_days=run.lookback_days,
            inputs=Inputs(gross_margin=row.gross_margin, annual_churn=row.annual_churn),
            spend=actions.spend_lines(first, run.period_end),
        )
    except Exception as error:  # the page must say it failed, whatever the cause
        AttributionRun.objects.filter(pk=run_id).update(
            status=AttributionRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    AttributionRun.objects.filter(pk=run_id).update(
        status=AttributionRun.Status.DONE,
        result=result,
        data_version=version,
        finished_at=timezone.now(),
    )


@task
def refresh() -> None:
    """Recompute what the data changed under, then come back in ten minutes."""
    try:
        actions.refresh()
    finally:
        schedule_refresh(timezone.now() + REFRESH_EVERY)


def schedule_refresh(at=None) -> bool:
    return recurring.schedule(refresh, at)
