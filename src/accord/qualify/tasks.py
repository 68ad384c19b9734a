"""Background work of lead qualification, run by `accord worker`."""

from django.tasks import task

from accord.qualify import backtest, scoring


@task
def run_backtest(run_id: int) -> None:
    backtest.run(run_id)


@task
def score_pending() -> None:
    """Score the leads created or touched since the last run, under the active definition."""
    scoring.score_pending()
