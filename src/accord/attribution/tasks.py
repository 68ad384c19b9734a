"""Background work of attribution, run by `accord worker`."""

from django.tasks import task
from django.utils import timezone

from accord.attribution import engine
from accord.attribution.models import AttributionRun


@task
def compute_run(run_id: int) -> None:
    """Run every model of the run's basis on the analytics engine and store the credits."""
    run = AttributionRun.objects.get(pk=run_id)
    AttributionRun.objects.filter(pk=run_id).update(status=AttributionRun.Status.RUNNING)
    try:
        models = {
            model: engine.run(
                model, basis=run.basis, lookback_days=run.lookback_days, as_of=run.as_of
            )
            for model in engine.DATA_DRIVEN
        }
    except Exception as error:  # the page must say it failed, whatever the cause
        AttributionRun.objects.filter(pk=run_id).update(
            status=AttributionRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    AttributionRun.objects.filter(pk=run_id).update(
        status=AttributionRun.Status.DONE,
        result={"models": models},
        finished_at=timezone.now(),
    )
