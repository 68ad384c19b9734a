"""Calendar months, the one place month arithmetic is done. Pure: no Django.

A month is named by its first day (`date(2026, 3, 1)` is March 2026). Ranges of months
come in two shapes: `between(first, last)` with both ends included, and `touching(start,
end)`, every month with a day in the half-open span [start, end).
"""

import calendar
from datetime import date, timedelta


def first_of(day: date) -> date:
    """The month `day` falls in."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after `month`'s."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def last_day(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or that month's last day if it is shorter:
    Jan 31 + 1 month is Feb 28 (29 in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_apart(earlier: date, later: date) -> int:
    """How many months `later`'s month is after `earlier`'s (negative if before)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def starting(month: date, count: int) -> list[date]:
    """`count` months from `month`'s on."""
    first = first_of(month)
    return [add_months(first, i) for i in range(count)]


def between(first: date, last: date) -> list[date]:
    """The months from `first`'s to `last`'s, both included (none if `last` is earlier)."""
    return starting(first, months_apart(first, last) + 1) if last >= first else []


def touching(start: date, end: date) -> list[date]:
    """The months with a day in [start, end)."""
    return between(start, end - timedelta(days=1)) if end > start else []
