"""Notifications: what other apps call to tell people something, in the app and by email.

A notification is stored once per user and key, and emailed after the caller's transaction
commits: one email each, or one digest a day for people who asked for that (send_digests()
is run by a scheduled job). Whoever sets `emailed_at` sends the email, so an email goes out
at most once; a mail server that fails is logged and never fails the caller.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accord.people import zones
from accord.people.models import Notification, User

logger = logging.getLogger(__name__)

TITLE_LENGTH = Notification._meta.get_field("title").max_length


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str | Callable[[User], str] = "",
    url: str = "",
    key: str = "",
    at: datetime | None = None,
) -> list[Notification]:
    """Tell each active user once; return only the notifications this call created.

    With a key, a user who already has a notification under that key is skipped, also when
    two processes notify at the same moment: the unique constraint decides who stores it.
    A body with times in it is a function of the recipient, called in their time zone, so
    each reads "due at 17:30 EST" on their own clock.
    """
    if url and not is_in_app_path(url):
        raise ValueError(f"A notification links to a path in Accord, not to {url!r}.")
    fields = {
        "kind": kind,
        "title": _clip(" ".join(title.split()), TITLE_LENGTH),
        "url": url,
        "key": key,
        "created_at": at or timezone.now(),
    }
    recipients = list(
        zones.with_calendar_zone(
            User.objects.filter(pk__in=[user.pk for user in users], is_active=True)
        )
    )
    with transaction.atomic():
        if key:
            told = set(
                Notification.objects.filter(key=key, user__in=recipients).values_list(
                    "user_id", flat=True
                )
            )
            created = [
                notification
                for user in recipients
                if user.pk not in told
                and (notification := _create_once(user, _written_for(user, fields, body)))
            ]
        else:
            created = Notification.objects.bulk_create(
                Notification(user=user, **_written_for(user, fields, body)) for user in recipients
            )
        if created:
            ids = [notification.pk for notification in created]
            transaction.on_commit(partial(_email_each, ids), robust=True)
    return created


def _written_for(user: User, fields: dict, body: str | Callable[[User], str]) -> dict:
    if not callable(body):
        return {**fields, "body": body}
    with zones.reading_as(user):
        return {**fields, "body": body(user)}


def _create_once(user: User, fields: dict) -> Notification | None:
    try:
        with transaction.atomic():
            return Notification.objects.create(user=user, **fields)
    except IntegrityError:
        # Another process stored this key for this user after we looked: theirs stands.
        return None


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (only those with these ids, if given)."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def set_email_digest(user: User, on: bool) -> None:
    user.email_digest = on
    user.save(update_fields=["email_digest"])


def set_weekly_digest(user: User, on: bool) -> None:
    """Their own choice from now on, whatever their role's default."""
    user.weekly_digest = on
    user.save(update_fields=["weekly_digest"])


def is_in_app_path(url: str) -> bool:
    """A path on this site: "/leads/42/" yes; "//evil.example", "/\\evil", "https://…" no."""
    return (
        url.startswith("/")
        and not url.startswith("//")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


def absolute_url(path: str) -> str:
    return settings.ACCORD_BASE_URL.rstrip("/") + path


# Emails, one at a time.


def _email_each(ids: list[int]) -> None:
    pending = (
        Notification.objects.filter(pk__in=ids, emailed_at=None, user__email_digest=False)
        .exclude(user__email="")
        .select_related("user")
    )
    for notification in pending:
        claim = Notification.objects.filter(pk=notification.pk, emailed_at=None)
        if not claim.update(emailed_at=timezone.now()):
            continue  # Somebody else sent it already.
        if not _send(_single_email(notification), "a notification"):
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)


def _single_email(notification: Notification) -> EmailMessage:
    lines = [notification.title, ""]
    if notification.body:
        lines += [notification.body, ""]
    lines += [
        f"Open it: {_link(notification)}",
        "",
        "--",
        f"All your notifications: {absolute_url(reverse('notifications'))}",
        f"One email a day instead: {absolute_url(reverse('profile'))}",
    ]
    return EmailMessage(
        subject=f"Accord: {notification.title}",
        body="\n".join(lines),
        to=[notification.user.email],
    )


# The daily digest.


def send_digests(now: datetime | None = None) -> int:
    """Send each digest reader one email with everything not yet emailed; return how many.

    Runs any number of times a day: nothing goes out before ACCORD_DIGEST_HOUR (local time,
    TIME_ZONE), and nobody gets a second digest on the same local day.
    """
    now = now or timezone.now()
    local = timezone.localtime(now, timezone.get_default_timezone())
    if local.hour < settings.ACCORD_DIGEST_HOUR:
        return 0
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    not_today = Q(last_digest_at=None) | Q(last_digest_at__lt=midnight)
    readers = (
        User.objects.filter(not_today, is_active=True, email_digest=True)
        .exclude(email="")
        .filter(notifications__emailed_at=None, notifications__created_at__lte=now)
        .distinct()
    )
    sent = 0
    for reader in readers:
        # Claim today's digest first: a second run, even a concurrent one, finds it taken.
        if not User.objects.filter(not_today, pk=reader.pk).update(last_digest_at=now):
            continue
        items = list(
            reader.notifications.filter(emailed_at=None, created_at__lte=now).order_by(
                "created_at", "id"
            )
        )
        claimed = Notification.objects.filter(pk__in=[item.pk for item in items])
        claimed.update(emailed_at=now)
        if _send(_digest_email(reader, items), "a digest"):
            sent += 1
        else:
            # Hand both claims back so that the next run tries again.
            User.objects.filter(pk=reader.pk).update(last_digest_at=reader.last_digest_at)
            claimed.update(emailed_at=None)
    return sent


def _digest_email(reader: User, items: list[Notification]) -> EmailMessage:
    count = len(items)
    noun = "notification" if count == 1 else "notifications"
    lines = [f"Your {count} new {noun} in Accord:", ""]
    for item in items:
        lines += [f"- {item.title}", f"  {_link(item)}"]
    lines += [
        "",
        "--",
        f"All your notifications: {absolute_url(reverse('notifications'))}",
        f"An email for each one instead: {absolute_url(reverse('profile'))}",
    ]
    return EmailMessage(
        subject=f"Accord: {count} new {noun}",
        body="\n".join(lines),
        to=[reader.email],
    )


def _link(notification: Notification) -> str:
    return absolute_url(notification.url or reverse("notifications"))


def _send(message: EmailMessage, what: str) -> bool:
    try:
        message.send(using="default")
    except Exception:
        # Any backend's failure (SMTP, a provider's API): the notification stays in the app.
        logger.exception("Could not email %s to %s", what, ", ".join(message.to))
        return False
    return True


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
