"""Whose clock a time is read on: every time on a page, in a form and in an email is in the
reader's time zone, and says which.

A user's zone is their own choice, else their team's business-hours calendar's, else the
company calendar's, else TIME_ZONE. The calendars belong to the service levels, a floor
above this one, so that app tells us how to read a user's calendar zone
(`default_zone_from`) instead of being imported here. It is read in the query that loads
the signed-in user (`ZoneAwareBackend`): a page costs no query more.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import CharField, Expression, QuerySet, Value
from django.utils import timezone

from accord.people.models import User

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


class ZoneAwareBackend(ModelBackend):
    """Django's model backend, loading the signed-in user with their calendar's zone, so a
    page learns whose clock to use without a query of its own."""

    def get_user(self, user_id):
        try:
            user = with_calendar_zone(User._default_manager).get(pk=user_id)
        except User.DoesNotExist:
            return None
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
