"""A person's deliverables as an iCalendar feed (the `icalendar` library), behind a secret
address: calendar apps cannot sign in, so the address is the key (`actions.issue_feed`
makes one; only its SHA-256 is stored, and a new one retires the old)."""

import hashlib
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from accord.analytics import journey as clock
from accord.journey import queries
from accord.journey.models import CalendarFeed
from accord.people.notify import absolute_url


def path(token: str) -> str:
    return reverse("journey:feed", args=[token])


def owner(token: str):
    """The active person whose address `token` is, or None."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = CalendarFeed.objects.select_related("user").filter(digest=digest).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


def ics(user) -> bytes:
    """Each of the person's deliverables as an all-day event on its due date."""
    calendar = Calendar()
    calendar.add("prodid", "-//Accord//Customer journey deliverables//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Deliverables of {user}")
    stamp = timezone.now()
    for row in queries.my_deliverables(user):
        d = row.deliverable
        event = Event()
        event.add("uid", f"deliverable-{d.pk}@accord")
        event.add("dtstamp", stamp)
        event.add("dtstart", d.due_on)
        event.add("dtend", d.due_on + timedelta(days=1))
        event.add("summary", f"{'✓ ' if row.status == clock.DONE else ''}{d.title}")
        event.add(
            "description",
            f"{d.stage.journey.name}, {d.stage.name}: {row.status_label}.\n{d.description}".strip(),
        )
        event.add("url", absolute_url(d.get_absolute_url()))
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
