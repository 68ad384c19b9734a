"""Whose clock a time is read on: every time on a page, in a form and in an email is in the
reader's time zone, and says which.

A user's zone is their own choice, else their team's business-hours calendar's, else the
company calendar's, else TIME_ZONE. The calendars belong to the service levels, a floor
above this one, so that app tells us how to read a user's calendar zone
(`default_zone_from`) instead of being imported here. It is read in the query that loads
the signed-in user (`ZoneAwareBackend`): a page costs no query more. So are the other two
things every page's header asks of its reader: the kinds of their teams (which links the
navigation offers) and how many notifications wait for them.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Count, Expression, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.people import permissions
from accord.people.models import Notification, User

_calendar_zone: list[Callable[[], Expression]] = []


def default_zone_from(expression: Callable[[], Expression]) -> None:
    """Register how to read a user's calendar zone: an expression over a User queryset (its
    row is OuterRef("pk")) that is the zone name, or NULL when no calendar applies."""
    _calendar_zone[:] = [expression]


def with_calendar_zone(users: QuerySet) -> QuerySet:
    """Users with their calendar's zone read in the same query (`calendar_zone`)."""
    if not _calendar_zone:
        return users.annotate(calendar_zone=Value(None, output_field=CharField()))
    return users.annotate(calendar_zone=_calendar_zone[0]())


def default_zone_name(user: User) -> str:
    """The zone a user has unless they choose one: their calendar's, else TIME_ZONE."""
    if not hasattr(user, "calendar_zone"):
        found = with_calendar_zone(User.objects.filter(pk=user.pk))
        user.calendar_zone = found.values_list("calendar_zone", flat=True).first()
    return user.calendar_zone or settings.TIME_ZONE


def with_unread_count(users: QuerySet) -> QuerySet:
    """Users with the number of their unread notifications (`unread_notifications`)."""
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at=None)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return users.annotate(unread_notifications=Coalesce(Subquery(unread), 0))


def signed_in(users: QuerySet) -> QuerySet:
    """Users as the signed-in user is loaded: with their calendar's zone, the kinds of their
    teams and their unread count."""
    return with_unread_count(permissions.with_team_kinds(with_calendar_zone(users)))


_ANY_ID = -73_190_417  # stands for the user's id while the statement is compiled


@cache
def _signed_in_statement(vendor: str) -> tuple[str, tuple, tuple[int, ...]]:
    """The statement loading one user `signed_in`, compiled once per process: building it
    through the ORM (three subqueries) cost more than running it, on every page. Which of
    its parameters is the user's id."""
    sql, params = signed_in(User._default_manager.filter(pk=_ANY_ID)).query.sql_with_params()
    return sql, tuple(params), tuple(i for i, p in enumerate(params) if p == _ANY_ID)


class ZoneAwareBackend(ModelBackend):
    """Django's model backend, loading the signed-in user with their calendar's zone, the
    kinds of their teams and their unread count, in one statement: a page learns whose clock
    to use, which links its navigation shows and the header's count without a query of its
    own (two of every page's queries, before)."""

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        sql, params, at = _signed_in_statement(connection.vendor)
        params = tuple(user_id if i in at else p for i, p in enumerate(params))
        found = list(User._default_manager.raw(sql, params))
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None


def zone_name(user: User) -> str:
    return user.time_zone or default_zone_name(user)


def zone_of(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(zone_name(user))
    except (ValueError, OSError):
        # A zone the tz database no longer knows: fall back rather than fail every page.
        return ZoneInfo(settings.TIME_ZONE)


@cache
def known_zones() -> tuple[str, ...]:
    """The IANA zone names, sorted (the list offered beside a zone field)."""
    return tuple(sorted(available_timezones()))


def check_zone(name: str) -> str:
    """An IANA zone name, trimmed; a clear refusal for anything else."""
    name = (name or "").strip()
    if name not in known_zones():
        raise ValidationError(
            f"“{name}” is not a known time zone; use a name like America/New_York.",
            code="unknown_zone",
        )
    return name


@contextmanager
def reading_as(user: User) -> Iterator[ZoneInfo]:
    """Render times for `user` (an email, a notification) in their zone."""
    zone = zone_of(user)
    with timezone.override(zone):
        yield zone


class ViewerZoneMiddleware:
    """Activate the signed-in user's zone for the request: pages show times in it and form
    datetimes are read in it. The API keeps the server's zone, whoever asks: its times
    carry offsets and its whole days are documented as the server's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return self.get_response(request)
        # Kept on the request too: a page of shared figures computes in the company's zone
        # (core.figures.in_company_time) and still renders its times in this one.
        request.viewer_zone = zone_of(user)
        with timezone.override(request.viewer_zone):
            return self.get_response(request)
