"""What the signed-in user may do, for templates that show or hide actions."""

from accord.people import permissions


def abilities(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_import": permissions.can_import(user),
        "can_manage_people": permissions.can_manage_people(user),
    }
