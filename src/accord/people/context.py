"""What the signed-in user may do, and what waits for them, for every page's template."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accord.people import notify, permissions


def abilities(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_import": permissions.can_import(user),
        "can_manage_people": permissions.can_manage_people(user),
        "can_manage_webhooks": permissions.can_manage_webhooks(user),
        "works_follow_up_queue": permissions.works_a_follow_up_queue(user),
    }


def notifications(request) -> dict:
    """The header's unread count: read with the signed-in user (`zones.ZoneAwareBackend`),
    else one COUNT, and only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    read = getattr(user, "unread_notifications", None)
    if read is not None:
        return {"unread_notifications": read}
    return {"unread_notifications": SimpleLazyObject(lambda: notify.unread_count(user))}


def viewer_zone(request) -> dict:
    """The reader's zone, for base.html to render every time in, also on a page whose
    figures were computed in the company's zone."""
    return {"viewer_zone": getattr(request, "viewer_zone", None) or timezone.get_current_timezone()}
