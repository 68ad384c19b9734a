"""Attribution's recurring work: the refresh that recomputes when the data changed. (A run
somebody asks for is `compute.compute_run`, beside the work it does.)"""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.attribution import actions
from accord.core import recurring

REFRESH_EVERY = timedelta(minutes=10)


@task
def refresh() -> None:
    """Recompute what the data changed under, then come back in ten minutes."""
    try:
        actions.refresh()
    finally:
        schedule_refresh(timezone.now() + REFRESH_EVERY)


@recurring.entry_point
def schedule_refresh(at=None) -> bool:
    return recurring.schedule(refresh, at)
