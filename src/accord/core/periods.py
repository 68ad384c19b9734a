"""The reporting period a page or an API call asks for, checked once for every door."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError

DEFAULT_DAYS = 90
A_YEAR = 366  # days: the longest period a page that caps it shows


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
    the names the asker gave the two days (the API's are "from" and "to")."""
    first, last = fields
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end > today:
        raise ValidationError({last: "The period cannot end after today."})
    if start > end:
        raise ValidationError({last: "The end date is before the start date."})
    if at_most_a_year and (end - start).days >= A_YEAR:
        raise ValidationError({first: "Choose a period of at most a year."})
    return start, end
