"""Who may do what. Every role check in Accord goes through this module, whichever door the
request comes through: a page, a form, the API, the bulk API, a CSV import, a command.

Everybody signed in may read everything (transparency is the point). Changes:
- admin: everything, including users, teams and roles;
- leader: every lead and opportunity;
- manager: the leads and opportunities owned by people in their teams (and unowned ones);
- member: only the leads and opportunities they own;
- viewer: nothing.
Sales & marketing operations (anybody but a viewer in a team of that kind) keep the CRM in
sync: with admins, they may import and bulk-write anything. Anybody else who may import
writes in bulk only what their own pages would let them change (`ItemRights`).
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, StringAgg, Subquery, Value

from accord.people.models import Team, User

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


def with_team_kinds(users: QuerySet) -> QuerySet:
    """Users with the kinds of their teams read in the same query (see `in_team_of_kind`):
    the signed-in user is loaded so (`zones.ZoneAwareBackend`), and every page's navigation
    asks it without a query of its own."""
    kinds = (
        Team.objects.filter(members=OuterRef("pk"))
        .order_by()
        .values("members")
        .annotate(kinds=StringAgg("kind", Value(",")))
        .values("kinds")
    )
    return users.annotate(team_kinds_read=Subquery(kinds))


def in_team_of_kind(user, *kinds: str) -> bool:
    """Whether `user` is in a team of one of these kinds. Read with the user when it was
    loaded by `with_team_kinds` (the signed-in user), else asked of the database now."""
    read = getattr(user, "team_kinds_read", False)
    if read is False:
        return user.teams.filter(kind__in=kinds).exists()
    return not set((read or "").split(",")).isdisjoint(kinds)


def is_operations(user) -> bool:
    """Sales & marketing operations: anybody but a viewer in a team of that kind."""
    return can_change_anything(user) and in_team_of_kind(user, "sales_ops")


def can_import(user) -> bool:
    """May open the imports and use the bulk API at all: admins, sales & marketing
    operations, leaders and managers. What each item may change is `ItemRights`' answer."""
    if not can_change_anything(user):
        return False
    return user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER) or is_operations(user)


def can_import_everything(user) -> bool:
    """Admins and sales & marketing operations keep the CRM in sync: any record, any owner,
    any status or stage the source system says (a rejection still needs its reason)."""
    return is_admin(user) or is_operations(user)


def _may_change_owned(user, owner_id: int | None, team: Callable[[], set[int]]) -> bool:
    """The one rule for a record somebody owns (a lead, an opportunity): leaders and admins
    change all of them, a manager their team's and unowned ones, a member their own."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER) or owner_id == user.id:
        return True
    if user.role == Role.MANAGER:
        return owner_id is None or owner_id in team()
    return False


def _may_route(user) -> bool:
    """Members work their own records but may not hand them out; managers route their team's."""
    return user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER)


def can_change_lead(user, lead) -> bool:
    return _may_change_owned(user, lead.owner_id, lambda: team_member_ids(user))


def can_reassign_lead(user, lead) -> bool:
    return can_change_lead(user, lead) and _may_route(user)


def can_move_lead_back(user) -> bool:
    """Moving a lead back down the funnel (an MQL to new, an SQL to accepted...) stops its
    follow-up clocks: managers, leaders and admins may, with a reason; a member hands a lead
    back through Sales review instead. Which leads is `can_change_lead`'s answer."""
    return can_change_anything(user) and user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER)


def works_a_follow_up_queue(user) -> bool:
    """Sales and SDR members: reps whose day starts with their follow-ups (their landing
    page); everybody else lands on the overview."""
    return (
        can_change_anything(user)
        and user.role == Role.MEMBER
        and in_team_of_kind(user, "sales", "sdr")
    )


def _may_see_queue(user, rep_id: int, team: Callable[[], set[int]]) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.pk == rep_id or user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role == Role.MANAGER and rep_id in team()


def can_see_follow_up_queue(user, rep) -> bool:
    """A rep's follow-up queue: their own; their managers' (the managers of a team they are
    in); any for leaders and admins. It lists what they must do, not what everybody reads."""
    return _may_see_queue(user, rep.pk, lambda: team_member_ids(user))


def follow_up_queues_seen(user, rep_ids) -> set[int]:
    """Of these reps, those whose queue `user` may open (by the rule above; the team read once)."""
    team: set[int] | None = None

    def once() -> set[int]:
        nonlocal team
        team = team_member_ids(user) if team is None else team
        return team

    return {rep_id for rep_id in rep_ids if _may_see_queue(user, rep_id, once)}


def can_change_opportunity(user, opportunity) -> bool:
    """A deal's amount, stage (won, lost) and owner: by the same rule as a lead's."""
    return _may_change_owned(user, opportunity.owner_id, lambda: team_member_ids(user))


class ItemRights:
    """What one person may write through the CSV import and the bulk API, item by item: the
    same rules as their pages, with their team read once for a whole import. `None` as the
    actor is the server's operator (`accord import` on the command line): everything."""

    def __init__(self, user) -> None:
        self.user = user
        self.everything = user is None or can_import_everything(user)
        # Even a sync moves a lead back only by somebody with that right (and a reason).
        self.may_move_back = user is None or can_move_lead_back(user)
        self._team: set[int] | None = None
        self._assignable: set[int] | None = None

    def team(self) -> set[int]:
        if self._team is None:
            self._team = team_member_ids(self.user)
        return self._team

    def may_change(self, owner_id: int | None) -> bool:
        """A record owned by `owner_id` (a lead, an opportunity, a lead's follow-ups)."""
        return self.everything or _may_change_owned(self.user, owner_id, self.team)

    def may_hand_over(self, owner_id: int | None, to_owner_id: int | None) -> bool:
        """Reassigning a record owned by `owner_id` to `to_owner_id` (None: nobody)."""
        if self.everything:
            return True
        if not (self.may_change(owner_id) and _may_route(self.user)):
            return False
        if to_owner_id is None:
            return True
        if self._assignable is None:
            self._assignable = set(assignable_owners(self.user).values_list("id", flat=True))
        return to_owner_id in self._assignable


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
    return user.role == Role.MANAGER and in_team_of_kind(user, "sales_ops")


def can_run_attribution(user) -> bool:
    """Attribution runs cost minutes of the engine: admins, leaders, managers and the
    analysts of sales & marketing operations start them; everybody reads the results."""
    if not can_change_anything(user):
        return False
    return user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER) or is_operations(user)


def can_edit_spend(user) -> bool:
    """Spend and the unit-economics inputs move CAC, LTV and ROI: admins, leaders, and the
    managers of marketing or operations keep them; everybody reads them."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role == Role.MANAGER and in_team_of_kind(user, "marketing", "sales_ops")


def can_manage_webhooks(user) -> bool:
    """Webhook subscriptions send Accord's events out of the company, signed with secrets:
    admins and sales & marketing operations, who keep the integrations, manage them (all of
    them, whoever created one); nobody else sees them."""
    return is_admin(user) or is_operations(user)


def is_content_manager(user) -> bool:
    """A manager of a content or marketing team: keeps the whole content library."""
    return (
        can_change_anything(user)
        and user.role == Role.MANAGER
        and in_team_of_kind(user, "content", "marketing")
    )


def can_create_asset(user) -> bool:
    """Adding to the content library: admins, leaders, managers, and the members of a content
    or marketing team (who own what they add). Everybody signed in reads the library."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER, Role.MANAGER):
        return True
    return in_team_of_kind(user, "content", "marketing")


def can_edit_asset(user, asset) -> bool:
    """An asset's details, versions, publishing and reviews: its owner, their managers (the
    managers of a team the owner is in; of the owner team when the owner has left), content
    managers, leaders and admins. Members read it; viewers only read."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER) or is_content_manager(user):
        return True
    if asset.owner_id is not None and asset.owner_id == user.id:
        return True
    if user.role != Role.MANAGER:
        return False
    mine = user.teams.all()
    if asset.owner_id is not None and asset.owner.is_active:
        return asset.owner.teams.filter(pk__in=mine).exists()
    return asset.owner_team_id is not None and mine.filter(pk=asset.owner_team_id).exists()


def can_file_suggestion(user) -> bool:
    """A suggestion on an asset (update it, fix it, a new one is needed): anybody but a viewer."""
    return can_change_anything(user)


def can_answer_suggestion(user, suggestion) -> bool:
    """Accepting, declining or closing a suggestion: the person it went to, their managers
    (the managers of a team they are in), content managers, leaders and admins."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER) or is_content_manager(user):
        return True
    if suggestion.owner_id is not None and suggestion.owner_id == user.id:
        return True
    return (
        user.role == Role.MANAGER
        and suggestion.owner_id is not None
        and user.teams.filter(members=suggestion.owner_id).exists()
    )


def can_edit_suggestion_settings(user) -> bool:
    """The owners' response deadline for suggestions: admins and sales & marketing operations."""
    return is_admin(user) or is_operations(user)


def can_edit_rubric(user) -> bool:
    """The content rating rubric (drafted here, signed by both teams' leaders): content
    managers, leaders and admins draft, change and propose it; everybody reads it."""
    if not can_change_anything(user):
        return False
    return user.role in (Role.ADMIN, Role.LEADER) or is_content_manager(user)


def can_rate_content(user) -> bool:
    """Rating an asset on a deal: anybody but a viewer (the verb also asks that they sent or
    used it on that deal)."""
    return can_change_anything(user)


def can_send_asset(user, lead) -> bool:
    """Sending an asset to a lead (a tracked link), or noting it was used on the lead's deal:
    whoever may work the lead (a rep their own leads, a manager their team's, leaders and
    admins all); viewers never."""
    return can_change_lead(user, lead)


def can_revoke_link(user, link) -> bool:
    """Stopping a tracked link: whoever sent it, their managers, leaders and admins (the rule
    of a record somebody owns, the sender being its owner)."""
    return _may_change_owned(user, link.sent_by_id, lambda: team_member_ids(user))


def can_work_business_case(user, record) -> bool:
    """Adjusting a buyer's value calculation on the deal, starting one, recording what a won
    deal realised: whoever follows the record up. `record` is a lead, an opportunity or an
    account (the most specific one the business case hangs on).

    A lead: whoever may work it (`can_change_lead`) and the owner of a deal it is the primary
    contact of (the account executive who took it over from the SDR). An opportunity: whoever
    may change it and whoever may work its primary lead. An account: its owner (and their
    managers), and whoever may work one of its leads or deals. Leaders and admins: all of
    them. Viewers: never."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    kind = record._meta.model_name
    if kind == "lead":
        return can_change_lead(user, record) or record.opportunities.filter(owner=user).exists()
    if kind == "opportunity":
        lead = record.primary_lead
        return can_change_opportunity(user, record) or (
            lead is not None and can_change_lead(user, lead)
        )
    if kind != "account":
        return False
    if record.owner_id == user.id:
        return True
    if user.role == Role.MANAGER:
        team = team_member_ids(user)
        if record.owner_id in team:
            return True
        worked = Q(owner__in=team) | Q(owner=None)
    else:
        worked = Q(owner=user)
    return record.leads.filter(worked).exists() or record.opportunities.filter(worked).exists()


def can_build_calculator(user) -> bool:
    """Value calculators (their inputs, assumptions and formulas): admins, leaders and the
    managers of a marketing team build and propose them; both teams' leaders sign them;
    everybody signed in reads them."""
    if not can_change_anything(user):
        return False
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role == Role.MANAGER and in_team_of_kind(user, "marketing")


def can_read_business_case(user, submission) -> bool:
    """A submission's business case with who sent it and their lead: whoever may see the lead,
    which is everybody signed in, viewers included (everybody inside reads everything). The
    buyer's own copy, without those, goes through a signed link instead."""
    return user.is_authenticated and user.is_active


def can_edit_journey(user) -> bool:
    """Customer journeys (stages, deliverables, roles, anchors) are mapped by admins, leaders
    and managers of either side; both sides' leaders sign them; everybody signed in reads."""
    return can_edit_plan(user)


def can_complete_deliverable(user, owner, team_id: int | None) -> bool:
    """A journey deliverable is marked done by its owner (the person it resolves to), the
    owner's manager (a manager of a team the owner is in), a leader of the stage's
    accountable team, or an admin."""
    if not can_change_anything(user):
        return False
    if user.role == Role.ADMIN:
        return True
    if owner is not None and owner.pk == user.pk:
        return True
    if user.role == Role.MANAGER and owner is not None:
        return owner.teams.filter(pk__in=user.teams.all()).exists()
    if user.role == Role.LEADER and team_id is not None:
        return user.teams.filter(pk=team_id).exists()
    return False
