"""The reporting period a page or an API call asks for, and the days Accord accepts at all,
checked once for every door."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError

DEFAULT_DAYS = 90
A_YEAR = 366  # days: the longest period a page that caps it shows
# The years a day Accord stores or reports on may fall in: any date a business record could
# carry, far enough from datetime's own limits (years 1 and 9999) that a time zone, a
# look-back or a month added to it never overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2999
OUT_OF_RANGE = f"Choose a day from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31."
# Time zones in use lie between UTC-12 and UTC+14; Python takes offsets up to a day, while
# PostgreSQL refuses those of 16 hours or more, so a larger one is refused at the door.
LARGEST_OFFSET = timedelta(hours=14)
BAD_OFFSET = "A time zone offset lies between -12:00 and +14:00."


def in_range(day: date) -> bool:
    """Whether a date (or a date and time) falls in the years Accord accepts."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def offset_in_use(moment: datetime) -> bool:
    """Whether an aware moment's offset is one a time zone has (naive moments pass)."""
    offset = moment.utcoffset()
    return offset is None or abs(offset) <= LARGEST_OFFSET


def validate_day(day: date | None) -> None:
    """A form field's validator: a day outside the years Accord accepts is refused."""
    if day is not None and not in_range(day):
        raise ValidationError(OUT_OF_RANGE, code="out_of_range")


def reporting_period(
    start: date | None,
    end: date | None,
    today: date,
    *,
    at_most_a_year: bool = False,
    fields: tuple[str, str] = ("date_from", "date_to"),
) -> tuple[date, date]:
    """The days to report on, both included: by default the `DEFAULT_DAYS` up to today
    (or up to `end`). A ValidationError names the field that is wrong: a period that ends
    after today, runs backwards or (where capped) is longer than a year; `fields` are
    the names the asker gave the two days (the API's are "from" and "to"). A day outside
    the years Accord accepts is refused too."""
    first, last = fields
    for name, day in ((first, start), (last, end)):
        if day is not None and not in_range(day):
            raise ValidationError({name: OUT_OF_RANGE})
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end > today:
        raise ValidationError({last: "The period cannot end after today."})
    if start > end:
        raise ValidationError({last: "The end date is before the start date."})
    if at_most_a_year and (end - start).days >= A_YEAR:
        raise ValidationError({first: "Choose a period of at most a year."})
    return start, end
