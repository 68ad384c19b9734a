"""Background work of lead qualification, run by `accord worker`."""

from django.tasks import task

from accord.qualify import backtest, scoring
from accord.qualify.models import ScoringRun


@task
def run_backtest(run_id: int) -> None:
    backtest.run(run_id)


@task
def score_leads(lead_ids: list[int]) -> None:
    """Score leads that were just created or touched, under the active definition."""
    definition = scoring.active_definition()
    if definition is not None and lead_ids:
        scoring.rescore(definition, trigger=ScoringRun.Trigger.INCREMENTAL, lead_ids=lead_ids)
