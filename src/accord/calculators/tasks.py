"""The calculators' recurring work: every minute, public submissions still without their
lead (a worker stopped between the visitor's submit and `capture.attach_lead`) are given
one, so no visitor is ever left out of the CRM."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accord.calculators import capture
from accord.core import recurring

TICK_EVERY = timedelta(minutes=1)
# A submission this old without its lead was missed: its own task would have run by now.
MISSED_AFTER = timedelta(minutes=2)


@task
def capture_pending() -> None:
    try:
        missed = capture.waiting_for_lead().filter(created_at__lte=timezone.now() - MISSED_AFTER)
        for submission_id in missed.order_by("id").values_list("id", flat=True)[:500]:
            capture.attach_lead.call(submission_id)
    finally:
        schedule_capture_pending(timezone.now() + TICK_EVERY)


@recurring.entry_point
def schedule_capture_pending(at=None) -> bool:
    return recurring.schedule(capture_pending, at)
