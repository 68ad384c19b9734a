"""Who may try a password now: failed logins counted per account and per client address.

An account is locked after LOGIN_FAILURE_LIMIT failures in a row, wherever they come from,
so that guessing one account's password stops; a login clears its count. A client address
is refused after LOGIN_ADDRESS_FAILURE_LIMIT failures within LOGIN_ADDRESS_WINDOW_SECONDS,
whichever accounts they were for, so that one client cannot try a few passwords on every
account; a login does not clear it, or one known password would reset the guessing.

Both are counted under one spelling: the username's normal form, and for IPv6 the client's
/64 network (a single client chooses freely among its 2**64 addresses).
"""

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.people import audit
from accord.people.models import LoginThrottle, User, normal_username

ACCOUNT, ADDRESS = LoginThrottle.Kind.ACCOUNT, LoginThrottle.Kind.ADDRESS


def client_address(request) -> str | None:
    """The address failures are counted under: REMOTE_ADDR, or behind a proxy
    (ACCORD_BEHIND_PROXY) the address that proxy saw, the last in X-Forwarded-For; earlier
    entries are whatever the client claimed."""
    raw = request.META.get("REMOTE_ADDR", "")
    if settings.ACCORD_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        raw = forwarded[-1].strip() or raw
    return normal_address(raw)


def normal_address(raw: str) -> str | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def account_locked_until(username: str) -> datetime | None:
    return _locked_until(ACCOUNT, normal_username(username))


def address_locked_until(address: str | None) -> datetime | None:
    return _locked_until(ADDRESS, address) if address else None


def record_failure(username: str, address: str | None) -> None:
    now = timezone.now()
    _count_failure(
        ACCOUNT,
        normal_username(username),
        now,
        limit=settings.LOGIN_FAILURE_LIMIT,
        window=None,
        lockout=timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS),
    )
    if address:
        window = timedelta(seconds=settings.LOGIN_ADDRESS_WINDOW_SECONDS)
        _count_failure(
            ADDRESS, address, now, limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT, window=window
        )


def clear_account(username: str) -> None:
    LoginThrottle.objects.filter(kind=ACCOUNT, key=normal_username(username)).delete()


def locked_accounts() -> dict[str, datetime]:
    """Username -> until when, for the accounts locked now (the People page)."""
    return dict(
        LoginThrottle.objects.filter(kind=ACCOUNT, locked_until__gt=timezone.now()).values_list(
            "key", "locked_until"
        )
    )


@transaction.atomic
def unlock(*, username: str = "", address: str = "", actor=None) -> list[str]:
    """Clear an account's or an address's failures (`accord unlock`, or an admin's Unlock on
    the People page); what was cleared."""
    cleared = []
    if username:
        name = normal_username(username)
        deleted, _ = LoginThrottle.objects.filter(kind=ACCOUNT, key=name).delete()
        user = User.objects.filter(username=name).first()
        if user and deleted:
            audit.record(actor, "user.unlocked", user, summary=f"Unlocked {name}'s logins")
        if deleted or user:
            cleared.append(name)
    if address:
        key = normal_address(address)
        if key and LoginThrottle.objects.filter(kind=ADDRESS, key=key).delete()[0]:
            cleared.append(key)
    return cleared


def _locked_until(kind: str, key: str) -> datetime | None:
    throttle = LoginThrottle.objects.filter(kind=kind, key=key).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


def _count_failure(kind, key, now, *, limit, window=None, lockout=None) -> None:
    """One more failure for the key. With a window, failures older than it are forgotten and
    a lock lasts until the window ends; without one, they count until a lock runs out."""
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.get_or_create(
            kind=kind, key=key, defaults={"window_started_at": now}
        )
        lock_over = throttle.locked_until and throttle.locked_until <= now
        started = throttle.window_started_at or now
        window_over = window is not None and started + window <= now
        if lock_over or window_over:
            throttle.failures = 0
            throttle.locked_until = None
            throttle.window_started_at = started = now
            throttle.save()
        LoginThrottle.objects.filter(pk=throttle.pk).update(
            failures=F("failures") + 1, last_failure_at=now
        )
        throttle.refresh_from_db()
        if throttle.failures >= limit:
            throttle.locked_until = started + window if window is not None else now + lockout
            throttle.save(update_fields=["locked_until"])
