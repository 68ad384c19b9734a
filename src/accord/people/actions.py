"""Verbs that change people, teams and roles. Each runs in one transaction and is audited."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.people import audit
from accord.people.models import LoginThrottle, Team, User


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
    }


@transaction.atomic
def create_user(actor, *, password: str, teams=(), **fields) -> User:
    user = User(**fields)
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
    _ensure_an_admin_remains(user)
    if password:
        user.set_password(password)
    user.save()
    if teams is not None:
        user.teams.set(teams)
    after = _user_snapshot(user)
    if password:
        after["password"] = "changed"  # noqa: S105 - a marker in the audit, never the password
    if after != before:
        changed = ", ".join(k for k in after if after[k] != before[k])
        audit.record(
            actor,
            "user.changed",
            user,
            before=before,
            after=after,
            summary=f"Changed {user.username}: {changed}",
        )
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


# Login throttling. The lock is per username so that a password-guessing run against one
# account stops, whatever address it comes from.


def login_locked_until(username: str):
    throttle = LoginThrottle.objects.filter(username=username.lower()).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


def record_login_failure(username: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.get_or_create(username=username.lower())
        # An expired lock starts a fresh count.
        if throttle.locked_until and throttle.locked_until <= now:
            throttle.failures = 0
            throttle.locked_until = None
            throttle.save()
        LoginThrottle.objects.filter(pk=throttle.pk).update(
            failures=F("failures") + 1, last_failure_at=now
        )
        throttle.refresh_from_db()
        if throttle.failures >= settings.LOGIN_FAILURE_LIMIT:
            throttle.locked_until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
            throttle.save(update_fields=["locked_until"])


def record_login_success(username: str) -> None:
    LoginThrottle.objects.filter(username=username.lower()).delete()
