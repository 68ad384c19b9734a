"""Who may do what. Every role check in Accord goes through this module.

Everybody signed in may read everything (transparency is the point). Changes:
- admin: everything, including users, teams and roles;
- leader: every lead and opportunity;
- manager: the leads owned by people in their teams (and unowned leads);
- member: only the leads they own;
- viewer: nothing.
"""

from django.core.exceptions import PermissionDenied

from accord.people.models import User

Role = User.Role


def is_admin(user) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ADMIN


def can_manage_people(user) -> bool:
    return is_admin(user)


def can_change_anything(user) -> bool:
    return user.is_authenticated and user.is_active and user.role != Role.VIEWER


def team_member_ids(user) -> set[int]:
    return set(
        User.objects.filter(teams__in=user.teams.all()).values_list("id", flat=True).distinct()
    )


def can_import(user) -> bool:
    """Bulk writes (CSV imports, the bulk API) are for managers, leaders and admins."""
    return can_change_anything(user) and user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER)


def can_change_lead(user, lead) -> bool:
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    if lead.owner_id == user.id:
        return True
    if user.role == Role.MANAGER:
        return lead.owner_id is None or lead.owner_id in team_member_ids(user)
    return False


def can_reassign_lead(user, lead) -> bool:
    """Members work their own leads but may not hand them out; managers route their team's."""
    return can_change_lead(user, lead) and user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER)


def assignable_owners(user):
    """The people a user may give a lead to."""
    active = User.objects.filter(is_active=True).exclude(role=Role.VIEWER)
    if user.role in (Role.ADMIN, Role.LEADER):
        return active
    if user.role == Role.MANAGER:
        return active.filter(id__in=team_member_ids(user) | {user.id})
    return active.none()


def require(allowed: bool, message: str = "You do not have permission to do that.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def can_edit_plan(user) -> bool:
    """Revenue plans are drafted by admins, leaders and managers; everybody reads them."""
    return can_change_anything(user) and user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER)


def approval_side(user) -> str | None:
    """'marketing' or 'sales' for a leader of a marketing or sales team, else None.

    What both teams sign (plans, lead definitions: `signoff.py`) needs one approval from
    each side. A leader in both kinds of team approves for
    marketing first, then (a different person being required for the other side) nobody
    can sign for both.
    """
    if not (user.is_authenticated and user.is_active and user.role == Role.LEADER):
        return None
    kinds = set(user.teams.values_list("kind", flat=True))
    if "marketing" in kinds:
        return "marketing"
    if "sales" in kinds:
        return "sales"
    return None


def can_edit_definition(user) -> bool:
    """Lead definitions are drafted by the same people as plans; everybody reads them."""
    return can_edit_plan(user)


def can_run_backtest(user) -> bool:
    """Backtests load the worker; they are run by the people who draft definitions."""
    return can_edit_definition(user)


def can_review_lead(user, lead) -> bool:
    """Accepting or rejecting a lead handed to sales: whoever may work the lead."""
    return can_change_lead(user, lead)


def can_manage_reasons(user) -> bool:
    """The list of rejection reasons is shared configuration: admins keep it."""
    return is_admin(user)


def can_edit_service_levels(user) -> bool:
    """Follow-up policies and business hours commit sales to marketing: admins, leaders, and
    the managers of sales ops keep them; everybody reads them and the boards."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role == Role.MANAGER and user.teams.filter(kind="sales_ops").exists()


def can_run_attribution(user) -> bool:
    """Attribution runs cost minutes of the engine: admins, leaders and managers start them;
    everybody reads the results."""
    return can_change_anything(user) and user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER)


def can_edit_spend(user) -> bool:
    """Spend and the unit-economics inputs move CAC, LTV and ROI: admins, leaders, and the
    managers of marketing or operations keep them; everybody reads them."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return (
        user.role == Role.MANAGER
        and user.teams.filter(kind__in=("marketing", "sales_ops")).exists()
    )
