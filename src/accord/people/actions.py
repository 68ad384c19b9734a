"""Verbs that change people, teams and roles. Each runs in one transaction and is audited."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accord.people import audit, logins, zones
from accord.people.models import Team, User


def _user_snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "title": user.title,
        "role": user.role,
        "is_active": user.is_active,
        "teams": sorted(user.teams.values_list("name", flat=True)),
        "time_zone": user.time_zone,
    }


@transaction.atomic
def create_user(actor, *, password: str, teams=(), **fields) -> User:
    user = User(**fields)
    _ensure_the_name_is_free(user)
    _ensure_a_known_zone(user)
    user.set_password(password)
    user.save()
    user.teams.set(teams)
    audit.record(
        actor,
        "user.created",
        user,
        after=_user_snapshot(user),
        summary=f"Created {user.username} as {user.get_role_display()}",
    )
    return user


@transaction.atomic
def update_user(actor, user: User, *, teams=None, password: str = "", **fields) -> User:
    """Change a user; `user` must be fresh from the database so the audit shows the change."""
    before = _user_snapshot(user)
    for name, value in fields.items():
        setattr(user, name, value)
    _ensure_the_name_is_free(user)
    _ensure_a_known_zone(user)
    _ensure_an_admin_remains(user)
    if password:
        user.set_password(password)
        # The lock message tells a locked-out person to ask an admin for a new password.
        logins.clear_account(user.username)
    user.save()
    if teams is not None:
        user.teams.set(teams)
    after = _user_snapshot(user)
    if password:
        after["password"] = "changed"  # noqa: S105 - a marker in the audit, never the password
    if after != before:
        changed = ", ".join(k for k in after if after[k] != before.get(k))
        audit.record(
            actor,
            "user.changed",
            user,
            before=before,
            after=after,
            summary=f"Changed {user.username}: {changed}",
        )
    return user


def _ensure_the_name_is_free(user: User) -> None:
    """Another spelling of a taken name (`ＡＤＡ` beside `ada`) is the same name."""
    user.username = User.normalize_username(user.username)
    if User.objects.filter(username=user.username).exclude(pk=user.pk).exists():
        raise ValidationError({"username": f"A user named {user.username!r} already exists."})


def _ensure_a_known_zone(user: User) -> None:
    user.time_zone = _known_zone(user.time_zone)


def _known_zone(zone: str) -> str:
    """Blank follows the calendar's zone; anything else must be an IANA zone."""
    zone = (zone or "").strip()
    if not zone:
        return ""
    try:
        return zones.check_zone(zone)
    except ValidationError as error:
        raise ValidationError({"time_zone": error.messages}) from None


@transaction.atomic
def set_time_zone(user: User, zone: str) -> User:
    """The user's own choice of zone for every time they read; blank follows their calendar."""
    zone = _known_zone(zone)
    if zone != user.time_zone:
        user.time_zone = zone
        user.save(update_fields=["time_zone"])
    return user


def _ensure_an_admin_remains(user: User) -> None:
    if user.role == User.Role.ADMIN and user.is_active:
        return
    others = User.objects.filter(role=User.Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise ValidationError(
            "This is the last active admin: make someone else an admin first, "
            "or nobody could manage users any more."
        )


def _team_snapshot(team: Team) -> dict:
    return {"name": team.name, "kind": team.kind, "time_zone": team.time_zone}


@transaction.atomic
def save_team(actor, team: Team) -> Team:
    """Create or update a team (a bound ModelForm's instance, already validated)."""
    creating = team.pk is None
    before = None if creating else _team_snapshot(Team.objects.get(pk=team.pk))
    team.save()
    after = _team_snapshot(team)
    if creating or before != after:
        audit.record(
            actor,
            "team.created" if creating else "team.changed",
            team,
            before=before,
            after=after,
            summary=f"{'Created' if creating else 'Changed'} team {team}",
        )
    return team
