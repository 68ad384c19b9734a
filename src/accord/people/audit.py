"""Writing to the append-only audit log, from inside the action that made the change."""

from django.utils import timezone

from accord.people.models import AuditLog


def record(actor, action: str, obj, *, before=None, after=None, summary: str = "") -> AuditLog:
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300],
        before=before,
        after=after,
        at=timezone.now(),
    )
