"""Business hours: the clock behind follow-up service levels.

No Django imports here. A team's `Calendar` is an IANA time zone, weekly working hours,
the public holidays of a country (and optional subdivision, from the `holidays` package) and
the company's own days off. Service-level clocks run only while the calendar is open:
"first response within 4 business hours" is `add(start, timedelta(hours=4))`, "3 attempts
within 2 business days" is `add_days(start, 2)`, and `elapsed` says how much of the clock a
follow-up used.

Instants. Every datetime in and out is time-zone aware (naive ones raise ValueError) and
results are in UTC. Arithmetic is done on UTC datetimes only: subtracting two datetimes that
share a ZoneInfo gives their wall-clock difference, which is wrong across a DST change.

Wall-clock times on DST-change days. A working time "HH:MM" on a local date starts (or ends)
at the first instant the local clock reads that time or later:
- a time the clock skips (02:30 on a spring-forward day in New York) is the instant the
  clock jumps, so 01:30-02:30 is half an hour and 02:00-03:00 is no time at all;
- a time the clock shows twice (01:30 on a fall-back day) is its first occurrence (fold=0),
  so 01:00-02:00 on that day in New York is two hours.
The mapping never goes backwards in time, so no interval has negative length and the
intervals of consecutive days never overlap. "24:00" ends at the next day's first instant,
which makes a 00:00-24:00 day 23 hours long in spring and 25 in autumn.

Days. A working day is a local date with working time left after the rules above: hours on
its weekday, not a public holiday, not a day off. Each day's intervals are computed once per
calendar and cached, so `elapsed` and `add` walk days, not minutes.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

DEFAULT_WEEK = {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}

# Midnight as the end of an interval means 24:00: no interval may end at or before its start.
END_OF_DAY = time(0)

# A search for working time gives up after this many closed days in a row.
SEARCH_DAYS = 3 * 366

Span = tuple[datetime, datetime]
Week = tuple[tuple[tuple[time, time], ...], ...]

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_CLOCK = re.compile(r"([0-9][0-9]):([0-9][0-9])")


class CalendarError(ValueError):
    """A calendar setting that cannot work; the message is meant for the person who set it."""


def parse_week(week: dict[str, list[list[str]]]) -> Week:
    """{"mon": [["09:00", "17:00"]], ...} -> 7 tuples of (start, end) times, Monday first.

    Missing days are closed. "24:00" may end an interval and becomes `END_OF_DAY` (00:00).
    Intervals come back sorted by start; intervals that touch (09:00-12:00, 12:00-17:00) are
    allowed, overlapping ones are not.
    """
    if not isinstance(week, dict):
        raise CalendarError("Working hours must list intervals by day, like {'mon': [...]}.")
    for key in week:
        if key not in WEEKDAYS:
            raise CalendarError(
                f"Unknown day {key!r} in the working hours; use mon, tue, wed, thu, fri, "
                "sat or sun."
            )
    parsed = tuple(
        _parse_day(DAY_NAMES[index], week.get(key) or []) for index, key in enumerate(WEEKDAYS)
    )
    if not any(parsed):
        raise CalendarError("The working week has no working hours; open at least one day.")
    return parsed


def _parse_day(day_name: str, intervals: list[list[str]]) -> tuple[tuple[time, time], ...]:
    if not isinstance(intervals, list | tuple):
        raise CalendarError(f"{day_name}: working hours must be a list of intervals.")
    spans = []
    for interval in intervals:
        if not isinstance(interval, list | tuple) or len(interval) != 2:
            raise CalendarError(
                f"{day_name}: each interval needs a start and an end, like ['09:00', '17:00']."
            )
        start = _parse_clock(day_name, interval[0], is_end=False)
        end = _parse_clock(day_name, interval[1], is_end=True)
        if end != END_OF_DAY and end <= start:
            raise CalendarError(
                f"{day_name}: the interval {interval[0]}-{interval[1]} ends at or before it "
                "starts (split hours that cross midnight at 24:00)."
            )
        spans.append((start, end))
    spans.sort()
    for first, second in zip(spans, spans[1:], strict=False):
        if first[1] == END_OF_DAY or second[0] < first[1]:
            raise CalendarError(
                f"{day_name}: the intervals {_show(first)} and {_show(second)} overlap."
            )
    return tuple(spans)


def _show(interval: tuple[time, time]) -> str:
    start, end = interval
    return f"{start:%H:%M}-{'24:00' if end == END_OF_DAY else f'{end:%H:%M}'}"


def _parse_clock(day_name: str, text: object, *, is_end: bool) -> time:
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f"{day_name}: {text!r} is not a time of day in HH:MM form.")
    hour, minute = int(match[1]), int(match[2])
    if (hour, minute) == (24, 0):
        if not is_end:
            raise CalendarError(f"{day_name}: 24:00 can only end an interval.")
        return END_OF_DAY
    if hour > 23 or minute > 59:
        raise CalendarError(f"{day_name}: {text!r} is not a time of day in HH:MM form.")
    return time(hour, minute)


def check_time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, OSError, ValueError, TypeError):
        raise CalendarError(f"Unknown time zone {name!r}.") from None


def check_country(code: str, subdivision: str = "") -> None:
    """An uppercase ISO 3166 alpha-2 country known to `holidays`; "" means no public holidays."""
    if not code:
        if subdivision:
            raise CalendarError(f"Choose a country for the subdivision {subdivision!r}.")
        return
    countries = holidays.list_supported_countries(include_aliases=False)
    if code not in countries:
        raise CalendarError(
            f"Unknown country code {code!r}; use a two-letter ISO code such as 'US' or 'GB'."
        )
    if not subdivision or subdivision in countries[code]:
        return
    if not countries[code]:
        raise CalendarError(f"Country {code!r} has no subdivisions with their own holidays.")
    known = ", ".join(countries[code][:8]) + (", ..." if len(countries[code]) > 8 else "")
    raise CalendarError(f"Unknown subdivision {subdivision!r} for {code!r} (known: {known}).")


@functools.cache
def _public_holidays(country: str, subdivision: str) -> holidays.HolidayBase:
    # Years are added lazily on lookup, so one object serves every year.
    return holidays.country_holidays(country, subdiv=subdivision or None)


@functools.lru_cache(maxsize=256)
def _shared_day_cache(calendar: Calendar) -> dict[date, tuple[Span, ...]]:
    # Equal calendars (say, rebuilt from the same team for each clock) share their days.
    return {}


@dataclass(frozen=True)
class Calendar:
    time_zone: str
    week: Week
    country: str = ""
    subdivision: str = ""
    days_off: frozenset[date] = frozenset()

    @classmethod
    def build(
        cls,
        time_zone: str,
        week: dict[str, list[list[str]]],
        country: str = "",
        subdivision: str = "",
        days_off: Iterable[date | str] = (),
    ) -> Calendar:
        """A validated calendar; days off may be dates or ISO "YYYY-MM-DD" strings."""
        check_time_zone(time_zone)
        check_country(country, subdivision)
        return cls(time_zone, parse_week(week), country, subdivision, _parse_days_off(days_off))

    @functools.cached_property
    def zone(self) -> ZoneInfo:
        return check_time_zone(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        return bool(self._spans(day))

    def holiday_name(self, day: date) -> str | None:
        if self.country:
            name = _public_holidays(self.country, self.subdivision).get(day)
            if name:
                return name
        return "Day off" if day in self.days_off else None

    def intervals(self, day: date) -> list[Span]:
        """The local date's working intervals as UTC datetimes; [] on a closed day."""
        return list(self._spans(day))

    def is_open(self, moment: datetime) -> bool:
        moment = _utc(moment)
        return self._first_span(moment)[1] <= moment

    def next_open(self, moment: datetime) -> datetime:
        """`moment` (in UTC) if the calendar is open then, else the next opening."""
        moment = _utc(moment)
        return max(moment, self._first_span(moment)[1])

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); zero if end <= start."""
        start, end = _utc(start), _utc(end)
        total = _ZERO
        if end <= start:
            return total
        day, last = self._local_date(start), self._local_date(end) + _ONE_DAY
        while day <= last:
            for opens, closes in self._spans(day):
                if closes > start and opens < end:
                    total += min(closes, end) - max(opens, start)
            day += _ONE_DAY
        return total

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest moment by which `duration` of business time has passed since `start`.

        A duration that runs out exactly at a closing time ends at that closing time.
        """
        start = _utc(start)
        if duration < _ZERO:
            raise ValueError("A business-time duration cannot be negative.")
        if not duration:
            return start
        remaining = duration
        for _, spans in self._days_from(self._local_date(start)):
            for opens, closes in spans:
                if closes <= start:
                    continue
                opens = max(opens, start)
                if remaining <= closes - opens:
                    return opens + remaining
                remaining -= closes - opens
        raise AssertionError("unreachable: _days_from never ends")  # pragma: no cover

    def add_days(self, start: datetime, days: int) -> datetime:
        """The deadline of "within `days` business days" of `start`.

        From s = next_open(start) on working day d0, with e business time of d0 gone by s:
        if e > 0, the moment with e business time gone on the `days`-th working day after d0
        (that day's close if it is shorter); if e == 0, the close of the (days - 1)-th working
        day after d0, so a lead arriving before opening gets the whole of d0 as its first day.
        """
        if days < 1:
            raise ValueError("A number of business days must be at least 1.")
        start = _utc(start)
        d0, opening = self._first_span(start)
        opening = max(opening, start)
        gone = sum(
            (min(closes, opening) - opens for opens, closes in self._spans(d0) if opens < opening),
            _ZERO,
        )
        working_days = (spans for _, spans in self._days_from(d0) if spans)
        spans = next(itertools.islice(working_days, days if gone else days - 1, None))
        if not gone:
            return spans[-1][1]
        for opens, closes in spans:
            if gone <= closes - opens:
                return opens + gone
            gone -= closes - opens
        return spans[-1][1]

    def _first_span(self, moment: datetime) -> tuple[date, datetime]:
        """The day and opening of the first working interval that ends after `moment` (UTC)."""
        for day, spans in self._days_from(self._local_date(moment)):
            for opens, closes in spans:
                if closes > moment:
                    return day, opens
        raise AssertionError("unreachable: _days_from never ends")  # pragma: no cover

    def _days_from(self, day: date) -> Iterator[tuple[date, tuple[Span, ...]]]:
        """Consecutive local dates and their spans; gives up after SEARCH_DAYS closed days."""
        closed = 0
        while True:
            spans = self._spans(day)
            yield day, spans
            closed = 0 if spans else closed + 1
            if closed > SEARCH_DAYS:
                first_closed = day - (closed - 1) * _ONE_DAY
                raise CalendarError(
                    f"The calendar has no working time in the three years from {first_closed}."
                )
            day += _ONE_DAY

    def _local_date(self, moment: datetime) -> date:
        # Earlier days' intervals all end by the first instant of this date, so a walk from
        # here misses nothing.
        return moment.astimezone(self.zone).date()

    def _spans(self, day: date) -> tuple[Span, ...]:
        cache = self._day_cache
        spans = cache.get(day)
        if spans is None:
            spans = cache[day] = self._compute_spans(day)
        return spans

    @functools.cached_property
    def _day_cache(self) -> dict[date, tuple[Span, ...]]:
        return _shared_day_cache(self)

    def _compute_spans(self, day: date) -> tuple[Span, ...]:
        hours = self.week[day.weekday()]
        if not hours or day in self.days_off:
            return ()
        if self.country and day in _public_holidays(self.country, self.subdivision):
            return ()
        spans = []
        for start, end in hours:
            opens = _first_instant(day, start, self.zone)
            if end == END_OF_DAY:
                closes = _first_instant(day + _ONE_DAY, END_OF_DAY, self.zone)
            else:
                closes = _first_instant(day, end, self.zone)
            if closes > opens:
                spans.append((opens, closes))
        return tuple(spans)


def _parse_days_off(days_off: Iterable[date | str]) -> frozenset[date]:
    parsed = set()
    for day in days_off:
        if isinstance(day, datetime):
            raise CalendarError(f"A day off must be a date, not a moment: {day.isoformat()}.")
        if isinstance(day, date):
            parsed.add(day)
            continue
        try:
            parsed.add(date.fromisoformat(day))
        except (TypeError, ValueError):
            raise CalendarError(f"A day off must be a date like 2026-12-24, not {day!r}.") from None
    return frozenset(parsed)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"A time-zone aware datetime is required, not {moment.isoformat()}.")
    return moment.astimezone(UTC)


def _first_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock reads `day` `clock` or later."""
    local = datetime.combine(day, clock, tzinfo=zone)  # fold=0: the first of a repeated time
    instant = local.astimezone(UTC)
    wall = local.replace(tzinfo=None)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # The clock skips `wall`: find the jump between the instant read with the offset after
    # the change (before the jump) and the one read with the offset before it (after it).
    before = int(local.replace(fold=1).astimezone(UTC).timestamp())
    after = int(instant.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)
