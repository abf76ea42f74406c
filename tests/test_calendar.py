"""Tests of domain/calendar.py, the one date module of the rule book (R-0).

Every expected date below was computed and checked by hand (weekdays included) before being
written down.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import (
    add_days,
    add_months,
    add_years,
    is_public_holiday,
    is_working_day,
    jours_francs_deadline,
    next_working_day,
)

# --- months and years ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2022, 10, 31), 4, date(2023, 2, 28)),  # no 31 Feb, not a leap year
        (date(2023, 10, 31), 4, date(2024, 2, 29)),  # no 31 Feb, leap year
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 8, 30), 6, date(2024, 2, 29)),
        (date(2024, 8, 30), 6, date(2025, 2, 28)),
        (date(2024, 1, 15), 1, date(2024, 2, 15)),  # the day exists: kept as is
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # across a year end
    ],
)
def test_r0_2_add_months_keeps_the_day_or_takes_the_month_end(
    start: date, months: int, expected: date
) -> None:
    """R-0.2: same day number N months later, else the last day of that month."""
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),  # a leap year again: 29 Feb exists
        (date(2023, 6, 15), 2, date(2025, 6, 15)),
    ],
)
def test_r0_2_add_years_from_29_february(start: date, years: int, expected: date) -> None:
    """R-0.2: same day N years later; 29 February becomes 28 February in a common year."""
    assert add_years(start, years) == expected


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    months=st.integers(min_value=-240, max_value=240),
)
def test_r0_2_add_months_property(start: date, months: int) -> None:
    """R-0.2: the result is in the target month, on min(start day, last day of that month)."""
    year, month_index = divmod(start.year * 12 + start.month - 1 + months, 12)
    month = month_index + 1
    result = add_months(start, months)
    assert (result.year, result.month) == (year, month)
    assert result.day == min(start.day, monthrange(year, month)[1])


# --- days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2024, 5, 10), 0, date(2024, 5, 10)),
        (date(2024, 5, 10), 15, date(2024, 5, 25)),  # a Saturday: calendar days, not moved
        (date(2024, 2, 20), 10, date(2024, 3, 1)),  # across 29 Feb 2024
        (date(2023, 2, 20), 10, date(2023, 3, 2)),  # across a common-year February
        (date(2024, 12, 25), 10, date(2025, 1, 4)),  # across a year end
    ],
)
def test_r0_3_add_days_counts_calendar_days(start: date, days: int, expected: date) -> None:
    """R-0.3: "within N days of X" ends on X + N calendar days, inclusive, never moved."""
    assert add_days(start, days) == expected


# --- public holidays, working days, jours francs ---------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 1, 1),  # New Year's Day
        date(2024, 5, 1),  # Labour Day
        date(2024, 5, 8),  # Victory in Europe Day
        date(2024, 5, 20),  # Whit Monday
        date(2024, 7, 14),  # Bastille Day (a Sunday: still a holiday)
        date(2024, 8, 15),  # Assumption
        date(2024, 11, 1),  # All Saints' Day
        date(2024, 11, 11),  # Armistice Day
        date(2024, 12, 25),  # Christmas
        date(2025, 4, 21),  # Easter Monday
        date(2025, 5, 29),  # Ascension
        date(2025, 6, 9),  # Whit Monday
        date(2025, 7, 14),  # Bastille Day (a Monday)
    ],
)
def test_r0_4_french_national_public_holidays(day: date) -> None:
    """R-0.4: the French national public holidays, Whit Monday included."""
    assert is_public_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 3, 29),  # Good Friday: Alsace-Moselle only
        date(2024, 12, 26),  # St Stephen's Day: Alsace-Moselle only
        date(2025, 4, 18),  # Good Friday: Alsace-Moselle only
    ],
)
def test_r0_4_no_alsace_moselle_holidays(day: date) -> None:
    """R-0.4: only the national list; Alsace-Moselle's extra days are ordinary working days."""
    assert not is_public_holiday(day)
    assert is_working_day(day)


@pytest.mark.parametrize("day", [date(2024, 5, 11), date(2024, 5, 12)])
def test_r0_4_weekends_are_not_working_days(day: date) -> None:
    """R-0.4: Saturdays and Sundays are not working days."""
    assert not is_public_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 5, 10), date(2024, 5, 10)),  # a working Friday: itself
        (date(2024, 5, 11), date(2024, 5, 13)),  # Saturday -> Monday
        (date(2024, 5, 12), date(2024, 5, 13)),  # Sunday -> Monday
        (date(2024, 5, 18), date(2024, 5, 21)),  # Saturday, Sunday, Whit Monday -> Tuesday
        (date(2024, 12, 25), date(2024, 12, 26)),  # Christmas -> 26 Dec (not a holiday)
        (date(2024, 11, 1), date(2024, 11, 4)),  # All Saints' Friday, weekend -> Monday
    ],
)
def test_r0_4_next_working_day(day: date, expected: date) -> None:
    """R-0.4: the day itself when it is a working day, else the next one."""
    assert next_working_day(day) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # Fri 10 May 2024: 11-20 May are the ten days, Tue 21 May the deadline.
        (date(2024, 5, 10), date(2024, 5, 21)),
        # Tue 4 June 2024: the deadline would be Sat 15 June -> Mon 17 June.
        (date(2024, 6, 4), date(2024, 6, 17)),
        # Wed 5 June 2024: the deadline would be Sun 16 June -> Mon 17 June.
        (date(2024, 6, 5), date(2024, 6, 17)),
        # Thu 31 Oct 2024: the deadline would be Mon 11 Nov (Armistice) -> Tue 12 Nov.
        (date(2024, 10, 31), date(2024, 11, 12)),
        # Mon 21 Oct 2024: the deadline would be Fri 1 Nov (All Saints) -> Mon 4 Nov.
        (date(2024, 10, 21), date(2024, 11, 4)),
        # Sun 18 May 2025: the deadline would be Thu 29 May (Ascension) -> Fri 30 May.
        (date(2025, 5, 18), date(2025, 5, 30)),
    ],
)
def test_r0_4_jours_francs_deadline_of_ten_days(received: date, expected: date) -> None:
    """R-0.4: jours francs: neither the day of receipt nor the last day counts, and a deadline
    landing on a Saturday, a Sunday or a public holiday moves to the next working day."""
    assert jours_francs_deadline(received, 10) == expected
