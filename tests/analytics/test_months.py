"""Month arithmetic, done in one place (accord.analytics.months)."""

from datetime import date

from accord.analytics import months


def test_a_month_later_keeps_the_day_or_falls_back_to_the_months_last():
    assert months.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert months.add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)
    assert months.add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_ranges_include_both_months_or_every_month_touching_a_span():
    assert months.between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert months.between(date(2026, 2, 1), date(2026, 1, 31)) == []
    # [Mar 15, May 1) touches March and April, not May
    assert months.touching(date(2026, 3, 15), date(2026, 5, 1)) == [
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]
    assert months.starting(date(2026, 11, 20), 3) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


def test_a_months_edges():
    assert months.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert months.last_day(date(2026, 2, 1)) == date(2026, 2, 28)
    assert months.days_in(date(2028, 2, 1)) == 29
    assert months.months_apart(date(2025, 11, 30), date(2026, 2, 1)) == 3
