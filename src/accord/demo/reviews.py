"""Sales reviews for the demo company, read off the status history it already wrote.

The demo writes every verdict on an MQL as a LeadStatusChange: mql -> accepted by the rep,
or mql -> rejected / recycled / disqualified with a reason in words ("no budget"). Each
becomes a LeadReview: accepted by whoever changed the status (else the lead's owner), or
rejected with the RejectionReason whose label matches the words, ignoring case. A turn-down
whose reason matches no label (or has none: ops sweeping stale MQLs) is not a review.
"""

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce

from accord.crm.models import Lead, LeadStatusChange
from accord.qualify.models import LeadReview, RejectionReason

Status = Lead.Status
TURNED_DOWN = (Status.REJECTED, Status.RECYCLED, Status.DISQUALIFIED)
BATCH_SIZE = 2000


@transaction.atomic
def reviews_from_history() -> int:
    """Create the reviews the history implies and has not got yet; returns how many."""
    reasons = {
        label.lower(): pk for pk, label in RejectionReason.objects.values_list("pk", "label")
    }
    already = LeadReview.objects.filter(lead=OuterRef("lead"), at=OuterRef("changed_at"))
    changes = (
        LeadStatusChange.objects.filter(
            from_status=Status.MQL, to_status__in=(Status.ACCEPTED, *TURNED_DOWN)
        )
        .filter(~Exists(already))
        .annotate(reviewer=Coalesce(F("changed_by"), F("lead__owner")))
        .values_list("lead_id", "to_status", "changed_at", "reviewer", "reason")
        .order_by("changed_at", "id")
    )
    batch: list[LeadReview] = []
    created = 0
    for lead_id, to_status, at, reviewer, words in changes.iterator(chunk_size=BATCH_SIZE):
        if to_status == Status.ACCEPTED:
            review = LeadReview(
                lead_id=lead_id, reviewer_id=reviewer, decision=LeadReview.Decision.ACCEPTED, at=at
            )
        elif reason := reasons.get(words.strip().lower()):
            review = LeadReview(
                lead_id=lead_id,
                reviewer_id=reviewer,
                decision=LeadReview.Decision.REJECTED,
                reason_id=reason,
                at=at,
            )
        else:
            continue
        batch.append(review)
        if len(batch) == BATCH_SIZE:
            created += len(LeadReview.objects.bulk_create(batch))
            batch = []
    if batch:
        created += len(LeadReview.objects.bulk_create(batch))
    return created
