"""Business hours: the clock arithmetic behind follow-up service levels.

Hand-worked cases pin the rules on 2026 dates (weekends, public holidays, days off, DST
changes in New York and London, business days); hypothesis then checks that `add` and
`elapsed` agree with each other, and with a wall-clock reading of the calendar, anywhere
in 2026.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.analytics.business_hours import (
    DEFAULT_WEEK,
    END_OF_DAY,
    WEEKDAYS,
    Calendar,
    CalendarError,
    check_country,
    check_time_zone,
    parse_week,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
ALL_DAY = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
LUNCH_BREAK = {day: [["09:00", "12:30"], ["13:30", "17:00"]] for day in WEEKDAYS[:5]}


def ny(*args):
    return datetime(*args, tzinfo=NEW_YORK)


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def office():
    """New York, 9 to 5 on weekdays, no public holidays."""
    return Calendar.build("America/New_York", DEFAULT_WEEK)


# Working weeks


def test_parse_week_lists_days_monday_first_and_closes_missing_days():
    week = parse_week({"tue": [["13:00", "17:00"], ["08:30", "12:00"]], "sat": []})

    assert len(week) == 7
    assert week[0] == ()
    assert week[1] == ((time(8, 30), time(12)), (time(13), time(17)))
    assert week[5] == week[6] == ()


def test_parse_week_reads_24_00_as_the_end_of_the_day():
    week = parse_week({"sun": [["22:00", "24:00"]], "mon": [["00:00", "24:00"]]})

    assert week[6] == ((time(22), END_OF_DAY),)
    assert week[0] == ((time(0), END_OF_DAY),)


def test_parse_week_allows_intervals_that_touch():
    week = parse_week({"mon": [["09:00", "12:00"], ["12:00", "17:00"]]})

    assert week[0] == ((time(9), time(12)), (time(12), time(17)))


def test_the_default_week_is_nine_to_five_on_weekdays():
    week = parse_week(DEFAULT_WEEK)

    assert week[:5] == (((time(9), time(17)),),) * 5
    assert week[5:] == ((), ())


@pytest.mark.parametrize(
    ("week", "message"),
    [
        (
            {"monday": [["09:00", "17:00"]]},
            "Unknown day 'monday' in the working hours; use mon, tue, wed, thu, fri, sat or sun.",
        ),
        ({"mon": [["9:00", "17:00"]]}, "Monday: '9:00' is not a time of day in HH:MM form."),
        ({"tue": [["09:00", "25:00"]]}, "Tuesday: '25:00' is not a time of day in HH:MM form."),
        ({"wed": [["09:60", "17:00"]]}, "Wednesday: '09:60' is not a time of day in HH:MM form."),
        ({"thu": [[900, "17:00"]]}, "Thursday: 900 is not a time of day in HH:MM form."),
        ({"fri": [["24:00", "24:00"]]}, "Friday: 24:00 can only end an interval."),
        (
            {"sat": [["09:00"]]},
            "Saturday: each interval needs a start and an end, like ['09:00', '17:00'].",
        ),
        ({"sun": "09:00-17:00"}, "Sunday: working hours must be a list of intervals."),
        (
            {"mon": [["17:00", "09:00"]]},
            "Monday: the interval 17:00-09:00 ends at or before it starts "
            "(split hours that cross midnight at 24:00).",
        ),
        (
            {"tue": [["09:00", "09:00"]]},
            "Tuesday: the interval 09:00-09:00 ends at or before it starts "
            "(split hours that cross midnight at 24:00).",
        ),
        (
            {"wed": [["12:00", "17:00"], ["09:00", "13:00"]]},
            "Wednesday: the intervals 09:00-13:00 and 12:00-17:00 overlap.",
        ),
        (
            {"thu": [["08:00", "24:00"], ["20:00", "22:00"]]},
            "Thursday: the intervals 08:00-24:00 and 20:00-22:00 overlap.",
        ),
        ({}, "The working week has no working hours; open at least one day."),
        ({"mon": [], "sat": []}, "The working week has no working hours; open at least one day."),
        ([["09:00", "17:00"]], "Working hours must list intervals by day, like {'mon': [...]}."),
    ],
)
def test_parse_week_explains_what_is_wrong(week, message):
    with pytest.raises(CalendarError, match=f"^{re.escape(message)}$"):
        parse_week(week)


# Time zones and countries


def test_check_time_zone_returns_the_zone():
    assert check_time_zone("Europe/London") == LONDON


@pytest.mark.parametrize("name", ["Europe/Londn", "Europe", "", "../etc/passwd"])
def test_check_time_zone_rejects_unknown_zones(name):
    with pytest.raises(CalendarError, match=f"^{re.escape(f'Unknown time zone {name!r}.')}$"):
        check_time_zone(name)


@pytest.mark.parametrize(
    ("country", "subdivision"), [("", ""), ("US", ""), ("US", "CA"), ("GB", "SCT")]
)
def test_check_country_accepts_known_countries_and_subdivisions(country, subdivision):
    check_country(country, subdivision)


@pytest.mark.parametrize(
    ("country", "subdivision", "message"),
    [
        ("XX", "", "Unknown country code 'XX'; use a two-letter ISO code such as 'US' or 'GB'."),
        ("us", "", "Unknown country code 'us'; use a two-letter ISO code such as 'US' or 'GB'."),
        ("USA", "", "Unknown country code 'USA'; use a two-letter ISO code such as 'US' or 'GB'."),
        ("GB", "XYZ", "Unknown subdivision 'XYZ' for 'GB' (known: ENG, NIR, SCT, WLS)."),
        (
            "US",
            "ZZ",
            "Unknown subdivision 'ZZ' for 'US' (known: AK, AL, AR, AS, AZ, CA, CO, CT, ...).",
        ),
        ("AF", "KAB", "Country 'AF' has no subdivisions with their own holidays."),
        ("", "ENG", "Choose a country for the subdivision 'ENG'."),
    ],
)
def test_check_country_explains_what_is_wrong(country, subdivision, message):
    with pytest.raises(CalendarError, match=f"^{re.escape(message)}$"):
        check_country(country, subdivision)


def test_build_validates_every_setting():
    with pytest.raises(CalendarError, match="Unknown time zone"):
        Calendar.build("Mars/Olympus_Mons", DEFAULT_WEEK)
    with pytest.raises(CalendarError, match="Unknown country code"):
        Calendar.build("UTC", DEFAULT_WEEK, country="XX")
    with pytest.raises(CalendarError, match="no working hours"):
        Calendar.build("UTC", {})
    with pytest.raises(
        CalendarError, match="^A day off must be a date like 2026-12-24, not '24/12'.$"
    ):
        Calendar.build("UTC", DEFAULT_WEEK, days_off=["24/12"])
    with pytest.raises(CalendarError, match="^A day off must be a date, not a moment"):
        Calendar.build("UTC", DEFAULT_WEEK, days_off=[datetime(2026, 12, 24, tzinfo=UTC)])


def test_build_reads_days_off_as_dates_or_iso_strings():
    calendar = Calendar.build("UTC", DEFAULT_WEEK, days_off=["2026-12-24", date(2026, 12, 31)])

    assert calendar.days_off == frozenset({date(2026, 12, 24), date(2026, 12, 31)})


def test_equal_calendars_are_equal_and_hashable():
    one = Calendar.build("Europe/London", DEFAULT_WEEK, "GB", "ENG", ["2026-08-14"])
    two = Calendar.build("Europe/London", DEFAULT_WEEK, "GB", "ENG", [date(2026, 8, 14)])

    assert one == two
    assert {one: "team"}[two] == "team"


# Working days and intervals


def test_weekends_are_closed(office):
    assert office.is_working_day(date(2026, 6, 5))
    assert not office.is_working_day(date(2026, 6, 6))
    assert not office.is_working_day(date(2026, 6, 7))
    assert office.intervals(date(2026, 6, 6)) == []
    assert office.holiday_name(date(2026, 6, 6)) is None


def test_intervals_are_the_local_hours_in_utc(office):
    assert office.intervals(date(2026, 6, 5)) == [
        (datetime(2026, 6, 5, 13, tzinfo=UTC), datetime(2026, 6, 5, 21, tzinfo=UTC))
    ]
    assert office.intervals(date(2026, 1, 5)) == [
        (datetime(2026, 1, 5, 14, tzinfo=UTC), datetime(2026, 1, 5, 22, tzinfo=UTC))
    ]


def test_a_us_public_holiday_is_closed():
    calendar = Calendar.build("America/New_York", DEFAULT_WEEK, "US")

    assert not calendar.is_working_day(date(2026, 7, 3))
    assert calendar.holiday_name(date(2026, 7, 3)) == "Independence Day (observed)"
    assert calendar.intervals(date(2026, 7, 3)) == []
    # Thursday 16:00 plus two business hours skips the holiday and the weekend.
    assert calendar.add(ny(2026, 7, 2, 16), 2 * HOUR) == ny(2026, 7, 6, 10)
    assert calendar.elapsed(ny(2026, 7, 2, 12), ny(2026, 7, 6, 12)) == 8 * HOUR


def test_christmas_in_england_closes_friday_and_the_observed_boxing_day():
    calendar = Calendar.build("Europe/London", DEFAULT_WEEK, "GB", "ENG")

    assert calendar.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert calendar.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert calendar.add(london(2026, 12, 24, 16), 2 * HOUR) == london(2026, 12, 29, 10)


def test_a_company_day_off_is_closed():
    calendar = Calendar.build("America/New_York", DEFAULT_WEEK, days_off=[date(2026, 6, 8)])

    assert not calendar.is_working_day(date(2026, 6, 8))
    assert calendar.holiday_name(date(2026, 6, 8)) == "Day off"
    assert calendar.add(ny(2026, 6, 5, 16), 2 * HOUR) == ny(2026, 6, 9, 10)


def test_a_public_holiday_name_wins_over_a_day_off():
    calendar = Calendar.build("America/New_York", DEFAULT_WEEK, "US", days_off=["2026-07-03"])

    assert calendar.holiday_name(date(2026, 7, 3)) == "Independence Day (observed)"


def test_a_calendar_that_never_opens_gives_up_after_three_years():
    mondays = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(4 * 53)]
    calendar = Calendar.build("UTC", {"mon": [["09:00", "17:00"]]}, days_off=mondays)
    message = "^The calendar has no working time in the three years from 2026-01-01.$"

    with pytest.raises(CalendarError, match=message):
        calendar.next_open(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(CalendarError, match="no working time"):
        calendar.add(datetime(2026, 1, 1, tzinfo=UTC), HOUR)
    # A bounded question still has an answer.
    assert calendar.elapsed(datetime(2026, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)) == (
        timedelta(0)
    )


# Open or closed


def test_is_open_counts_the_opening_in_and_the_closing_out(office):
    assert not office.is_open(ny(2026, 6, 5, 8, 59))
    assert office.is_open(ny(2026, 6, 5, 9))
    assert office.is_open(ny(2026, 6, 5, 16, 59, 59))
    assert not office.is_open(ny(2026, 6, 5, 17))
    assert not office.is_open(ny(2026, 6, 6, 12))


def test_next_open_is_the_moment_itself_or_the_next_opening(office):
    assert office.next_open(ny(2026, 6, 5, 10, 15)) == ny(2026, 6, 5, 10, 15)
    assert office.next_open(ny(2026, 6, 5, 7)) == ny(2026, 6, 5, 9)
    assert office.next_open(ny(2026, 6, 5, 17)) == ny(2026, 6, 8, 9)
    assert office.next_open(ny(2026, 6, 5, 17)).tzinfo is UTC


def test_a_lunch_break_is_closed():
    calendar = Calendar.build("America/New_York", LUNCH_BREAK)

    assert not calendar.is_open(ny(2026, 6, 5, 13))
    assert calendar.next_open(ny(2026, 6, 5, 12, 45)) == ny(2026, 6, 5, 13, 30)
    assert calendar.elapsed(ny(2026, 6, 5, 12), ny(2026, 6, 5, 14)) == HOUR
    assert calendar.add(ny(2026, 6, 5, 12), HOUR) == ny(2026, 6, 5, 14)


def test_moments_in_any_zone_mean_the_same_instant(office):
    berlin = datetime(2026, 6, 5, 22, 59, tzinfo=ZoneInfo("Europe/Berlin"))  # 16:59 in New York

    assert office.add(berlin, HOUR) == office.add(ny(2026, 6, 5, 16, 59), HOUR)


def test_naive_datetimes_are_rejected(office):
    naive = datetime(2026, 6, 5, 10)
    aware = ny(2026, 6, 5, 10)

    for call in (
        lambda: office.is_open(naive),
        lambda: office.next_open(naive),
        lambda: office.elapsed(naive, aware),
        lambda: office.elapsed(aware, naive),
        lambda: office.add(naive, HOUR),
        lambda: office.add_days(naive, 1),
    ):
        with pytest.raises(ValueError, match="time-zone aware"):
            call()


# Elapsed and add


def test_elapsed_is_zero_when_the_end_is_not_after_the_start(office):
    assert office.elapsed(ny(2026, 6, 5, 12), ny(2026, 6, 5, 10)) == timedelta(0)
    assert office.elapsed(ny(2026, 6, 5, 12), ny(2026, 6, 5, 12)) == timedelta(0)


def test_elapsed_pauses_overnight_and_over_the_weekend(office):
    assert office.elapsed(ny(2026, 6, 5, 16), ny(2026, 6, 8, 10)) == 2 * HOUR
    assert office.elapsed(ny(2026, 6, 1, 0), ny(2026, 6, 8, 0)) == 40 * HOUR


def test_a_lead_at_16_59_on_friday_with_24_business_hours_is_due_wednesday_at_16_59(office):
    # One minute on Friday, 8 hours on Monday and Tuesday, 7 h 59 min on Wednesday.
    due = office.add(ny(2026, 6, 5, 16, 59), 24 * HOUR)

    assert due == ny(2026, 6, 10, 16, 59)
    assert due.tzinfo is UTC


def test_add_from_a_closed_moment_starts_at_the_next_opening(office):
    assert office.add(ny(2026, 6, 6, 11), HOUR) == ny(2026, 6, 8, 10)


def test_add_ending_at_a_closing_time_returns_the_closing_time(office):
    assert office.add(ny(2026, 6, 5, 16), HOUR) == ny(2026, 6, 5, 17)
    assert office.add(ny(2026, 6, 5, 9), 8 * HOUR) == ny(2026, 6, 5, 17)


def test_add_nothing_returns_the_start_even_when_closed(office):
    assert office.add(ny(2026, 6, 6, 11), timedelta(0)) == ny(2026, 6, 6, 11)


def test_add_refuses_a_negative_duration(office):
    with pytest.raises(ValueError, match="cannot be negative"):
        office.add(ny(2026, 6, 5, 10), -HOUR)


# Daylight saving time


def test_new_york_office_hours_follow_the_spring_change(office):
    # Friday 9-17 EST is 14:00-22:00 UTC; Monday after the change is 13:00-21:00 UTC.
    assert office.add(ny(2026, 3, 6, 16), 2 * HOUR) == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert office.elapsed(ny(2026, 3, 6, 17), ny(2026, 3, 9, 9)) == timedelta(0)
    assert office.elapsed(ny(2026, 3, 6, 9), ny(2026, 3, 9, 17)) == 16 * HOUR


def test_new_york_office_hours_follow_the_autumn_change(office):
    assert office.add(ny(2026, 10, 30, 16), 2 * HOUR) == datetime(2026, 11, 2, 15, tzinfo=UTC)
    assert office.elapsed(ny(2026, 10, 30, 9), ny(2026, 11, 2, 17)) == 16 * HOUR


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
        ("Europe/London", date(2026, 3, 29), date(2026, 10, 25)),
    ],
)
def test_a_whole_day_lasts_23_hours_in_spring_and_25_in_autumn(zone, spring, autumn):
    calendar = Calendar.build(zone, ALL_DAY)
    local = ZoneInfo(zone)

    def length(day):
        return sum((end - start for start, end in calendar.intervals(day)), timedelta(0))

    assert length(spring) == 23 * HOUR
    assert length(autumn) == 25 * HOUR
    assert length(spring - timedelta(days=1)) == 24 * HOUR
    midnight = datetime.combine(spring, time(0), tzinfo=local)
    assert calendar.elapsed(midnight, midnight + timedelta(days=1)) == 23 * HOUR
    midnight = datetime.combine(autumn, time(0), tzinfo=local)
    assert calendar.elapsed(midnight, midnight + timedelta(days=1)) == 25 * HOUR


def test_a_day_of_business_hours_across_the_london_spring_change_ends_an_hour_later_on_the_clock():
    calendar = Calendar.build("Europe/London", ALL_DAY)

    assert calendar.add(london(2026, 3, 28, 12), 24 * HOUR) == london(2026, 3, 29, 13)
    assert calendar.add(london(2026, 10, 24, 12), 24 * HOUR) == london(2026, 10, 25, 11)


def test_hours_the_clock_skips_are_not_worked():
    # New York jumps from 02:00 to 03:00 on 2026-03-08: 02:30 starts at the jump.
    calendar = Calendar.build("America/New_York", {"sun": [["01:30", "02:30"], ["02:45", "04:00"]]})

    assert calendar.intervals(date(2026, 3, 8)) == [
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 7, tzinfo=UTC)),
        (datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 3, 8, 8, tzinfo=UTC)),
    ]
    gap_only = Calendar.build("America/New_York", {"sun": [["02:00", "03:00"]]})
    assert gap_only.intervals(date(2026, 3, 8)) == []
    assert not gap_only.is_working_day(date(2026, 3, 8))
    assert gap_only.next_open(ny(2026, 3, 7, 12)) == ny(2026, 3, 15, 2)


def test_hours_the_clock_shows_twice_start_at_their_first_showing():
    # New York goes back from 02:00 EDT to 01:00 EST on 2026-11-01.
    calendar = Calendar.build("America/New_York", {"sun": [["01:00", "02:00"]]})
    late = Calendar.build("America/New_York", {"sun": [["01:30", "03:00"]]})

    assert calendar.intervals(date(2026, 11, 1)) == [
        (datetime(2026, 11, 1, 5, tzinfo=UTC), datetime(2026, 11, 1, 7, tzinfo=UTC))
    ]
    assert late.intervals(date(2026, 11, 1)) == [
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 8, tzinfo=UTC))
    ]


# Business days


def test_add_days_from_inside_hours_keeps_the_time_of_day(office):
    assert office.add_days(ny(2026, 6, 8, 10), 1) == ny(2026, 6, 9, 10)
    assert office.add_days(ny(2026, 6, 8, 10), 10) == ny(2026, 6, 22, 10)
    assert office.add_days(ny(2026, 6, 5, 16, 59), 1) == ny(2026, 6, 8, 16, 59)


def test_add_days_from_an_opening_ends_at_a_close(office):
    assert office.add_days(ny(2026, 6, 8, 9), 1) == ny(2026, 6, 8, 17)
    assert office.add_days(ny(2026, 6, 8, 9), 10) == ny(2026, 6, 19, 17)


def test_add_days_from_outside_hours_counts_from_the_next_opening(office):
    assert office.add_days(ny(2026, 6, 8, 7), 1) == ny(2026, 6, 8, 17)
    assert office.add_days(ny(2026, 6, 8, 18), 1) == ny(2026, 6, 9, 17)
    assert office.add_days(ny(2026, 6, 6, 12), 1) == ny(2026, 6, 8, 17)
    assert office.add_days(ny(2026, 6, 6, 12), 10) == ny(2026, 6, 19, 17)


def test_add_days_skips_holidays_and_days_off():
    calendar = Calendar.build("America/New_York", DEFAULT_WEEK, "US", days_off=["2026-07-06"])

    assert calendar.add_days(ny(2026, 7, 2, 11), 1) == ny(2026, 7, 7, 11)
    assert calendar.add_days(ny(2026, 7, 2, 9), 2) == ny(2026, 7, 7, 17)


def test_add_days_stops_at_the_close_of_a_shorter_day():
    week = {**DEFAULT_WEEK, "fri": [["09:00", "13:00"]]}
    calendar = Calendar.build("America/New_York", week)

    assert calendar.add_days(ny(2026, 6, 4, 15), 1) == ny(2026, 6, 5, 13)
    assert calendar.add_days(ny(2026, 6, 4, 11), 1) == ny(2026, 6, 5, 11)


def test_add_days_counts_business_time_across_a_lunch_break():
    calendar = Calendar.build("America/New_York", LUNCH_BREAK)

    # From lunch, 3.5 hours of Monday are gone: Tuesday at the start of lunch.
    assert calendar.add_days(ny(2026, 6, 8, 12, 45), 1) == ny(2026, 6, 9, 12, 30)
    assert calendar.add_days(ny(2026, 6, 8, 15), 1) == ny(2026, 6, 9, 15)


def test_add_days_across_a_dst_change_keeps_the_local_time(office):
    assert office.add_days(ny(2026, 3, 6, 10), 1) == ny(2026, 3, 9, 10)


def test_add_days_needs_at_least_one_day(office):
    with pytest.raises(ValueError, match="at least 1"):
        office.add_days(ny(2026, 6, 8, 10), 0)


# Properties, anywhere in 2026, on a calendar with DST, holidays, days off and a lunch break

BUSY = Calendar.build(
    "America/New_York",
    {**LUNCH_BREAK, "sat": [["10:00", "13:00"]]},
    "US",
    days_off=["2026-04-03", "2026-12-24"],
)
starts = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59),
    timezones=st.sampled_from([UTC, NEW_YORK]),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))


def open_on_the_wall_clock(moment):
    """An independent reading of BUSY: the local clock and the weekly hours."""
    local = moment.astimezone(NEW_YORK)
    day = local.date()
    if BUSY.holiday_name(day):
        return False
    return any(start <= local.time() < end for start, end in BUSY.week[day.weekday()])


@settings(deadline=None, database=None)
@given(start=starts, duration=durations)
def test_elapsed_undoes_add(start, duration):
    assert BUSY.elapsed(start, BUSY.add(start, duration)) == duration


@settings(deadline=None, database=None)
@given(start=starts, one=durations, other=durations)
def test_add_never_goes_back_for_a_longer_duration(start, one, other):
    shorter, longer = sorted([one, other])

    assert BUSY.add(start, shorter) <= BUSY.add(start, longer)


@settings(deadline=None, database=None)
@given(start=starts, middle=durations, end=durations)
def test_elapsed_adds_up_over_consecutive_spans(start, middle, end):
    start = start.astimezone(UTC)  # so that adding a timedelta moves real time
    middle, end = start + min(middle, end), start + max(middle, end)

    assert BUSY.elapsed(start, end) == BUSY.elapsed(start, middle) + BUSY.elapsed(middle, end)


@settings(deadline=None, database=None)
@given(start=starts, minutes=st.integers(min_value=0, max_value=3 * 24 * 60))
def test_elapsed_matches_the_wall_clock_minute_by_minute(start, minutes):
    start = start.astimezone(UTC).replace(second=0, microsecond=0)
    opened = sum(
        open_on_the_wall_clock(start + timedelta(minutes=minute)) for minute in range(minutes)
    )

    assert BUSY.elapsed(start, start + timedelta(minutes=minutes)) == timedelta(minutes=opened)


@settings(deadline=None, database=None)
@given(start=starts, days=st.integers(min_value=1, max_value=15))
def test_add_days_lands_on_the_right_working_day(start, days):
    opening = BUSY.next_open(start)
    deadline = BUSY.add_days(start, days)
    first = opening.astimezone(NEW_YORK).date()
    last = deadline.astimezone(NEW_YORK).date()
    working = [first + timedelta(n) for n in range((last - first).days + 1)]
    working = [day for day in working if BUSY.is_working_day(day)]

    assert deadline > opening
    assert BUSY.elapsed(opening, deadline) <= days * 8 * HOUR
    assert len(working) in (days, days + 1)
