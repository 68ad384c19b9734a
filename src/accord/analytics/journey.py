"""The customer journey's clock: due dates in business days and where a deliverable stands.

No Django imports here. Dates are local dates of the accountable team's business calendar
(`business_hours.Calendar`); a deliverable is due by the end of its due date.

- `shift(calendar, day, n)`: `n` working days after `day` (before it when `n` is negative);
  0 is the day itself when it is a working day, else the next working day. "10 business days
  before launch" is `shift(calendar, launch, -10)`.
- `status(...)`: not started before its work window opens (`work_days` working days before
  the due date), on track inside it, at risk from the working day by whose end at least
  `at_risk_share` of the window's working days are gone (the service levels' idea, on
  days), late after the due date, stuck once it
  is late by more than `stuck_after` working days, done once completed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from accord.analytics.business_hours import SEARCH_DAYS, Calendar, CalendarError

NOT_STARTED, ON_TRACK, AT_RISK, LATE, STUCK, DONE = (
    "not_started",
    "on_track",
    "at_risk",
    "late",
    "stuck",
    "done",
)
STATUSES = (NOT_STARTED, ON_TRACK, AT_RISK, LATE, STUCK, DONE)
STATUS_LABELS = {
    NOT_STARTED: "Not started",
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    LATE: "Late",
    STUCK: "Stuck",
    DONE: "Done",
}
OPEN_LATE = (LATE, STUCK)

_ONE_DAY = timedelta(days=1)


def shift(calendar: Calendar, day: date, n: int) -> date:
    """`n` working days from `day` (backwards when negative); see the module's docstring."""
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    if n == 0:
        return _next_working(calendar, day, step)
    remaining, closed = abs(n), 0
    while remaining:
        day += step
        if calendar.is_working_day(day):
            remaining, closed = remaining - 1, 0
        else:
            closed += 1
            if closed > SEARCH_DAYS:
                raise CalendarError(f"The calendar has no working day near {day}.")
    return day


def _next_working(calendar: Calendar, day: date, step: timedelta) -> date:
    for _ in range(SEARCH_DAYS):
        if calendar.is_working_day(day):
            return day
        day += step
    raise CalendarError(f"The calendar has no working day near {day}.")


def working_days_between(calendar: Calendar, start: date, end: date) -> int:
    """Working days in (start, end]: how many working days from `start` it takes to reach
    `end`; negative when `end` is before `start`."""
    if end < start:
        return -working_days_between(calendar, end, start)
    count, day = 0, start
    while day < end:
        day += _ONE_DAY
        count += calendar.is_working_day(day)
    return count


@dataclass(frozen=True)
class Standing:
    status: str
    starts_on: date  # the first day of its work window
    at_risk_on: date  # the first day it is at risk (if still open)
    due_on: date
    stuck_on: date  # the first day it is stuck (if still open)
    late_days: int  # working days past the due date (when done: how late it was done)


def standing(
    calendar: Calendar,
    *,
    due_on: date,
    work_days: int,
    today: date,
    completed_on: date | None = None,
    at_risk_share: float = 0.75,
    stuck_after: int = 5,
) -> Standing:
    """Where a deliverable due on `due_on`, with `work_days` working days of work before it,
    stands on `today` (or stood when it was completed on `completed_on`)."""
    if not 0 < at_risk_share < 1:
        raise ValueError("The at-risk share is a fraction between 0 and 1.")
    work_days = max(1, work_days)
    starts_on = shift(calendar, due_on, -(work_days - 1))
    # At risk from the day by whose end ceil(share × window) of its working days are gone.
    gone = min(work_days - 1, math.ceil(at_risk_share * work_days) - 1)
    at_risk_on = shift(calendar, starts_on, max(gone, 0))
    stuck_on = shift(calendar, due_on, stuck_after + 1)
    if completed_on is not None:
        late = max(0, working_days_between(calendar, due_on, completed_on))
        return Standing(DONE, starts_on, at_risk_on, due_on, stuck_on, late)
    late = max(0, working_days_between(calendar, due_on, today))
    if today > due_on:
        found = STUCK if today >= stuck_on else LATE
    elif today >= at_risk_on and work_days > 1:
        found = AT_RISK
    elif today >= starts_on:
        found = ON_TRACK
    else:
        found = NOT_STARTED
    return Standing(found, starts_on, at_risk_on, due_on, stuck_on, late)


def stage_progress(statuses: list[str]) -> str:
    """A stage from its deliverables: stuck if any is stuck, behind if any is late, done when
    all are done, else on track (a stage with none is on track)."""
    if STUCK in statuses:
        return "stuck"
    if LATE in statuses:
        return "behind"
    if statuses and all(s == DONE for s in statuses):
        return "done"
    return "on_track"


def anchor_cycle(start: int, anchor_of: Mapping[int, int | None] | Callable) -> list[int]:
    """The chain of deliverables from `start` back to itself through their anchors, if their
    anchors go round in a circle; [] otherwise. `anchor_of` maps a deliverable to the one its
    date hangs on (None: a date, a campaign or the journey's start)."""
    look = anchor_of if callable(anchor_of) else anchor_of.get
    chain, seen, current = [start], {start}, look(start)
    while current is not None:
        if current == start:
            return chain
        if current in seen:
            return []  # a circle further up; its own members report it
        chain.append(current)
        seen.add(current)
        current = look(current)
    return []


def median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
