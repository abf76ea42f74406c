"""The one date module: every legal date computation of the rule book goes through here (R-0)."""

from __future__ import annotations

from calendar import isleap
from datetime import date, timedelta
from functools import lru_cache

from dateutil.easter import easter

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _last_day(year: int, month: int) -> int:
    """The number of days of that month (what `calendar.monthrange` gives, without a weekday)."""
    return 29 if month == 2 and isleap(year) else _DAYS_IN_MONTH[month - 1]


def add_months(start: date, months: int) -> date:
    """Same day number `months` later, or the last day of that month when it has none (R-0.2)."""
    # What dateutil's relativedelta(months=...) gives, in plain arithmetic: it is 5 times faster,
    # and the rules engine adds months on every fold.
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, _last_day(year, month)))


def add_years(start: date, years: int) -> date:
    """Same day `years` later; 29 February becomes 28 February (R-0.2)."""
    year = start.year + years
    return date(year, start.month, min(start.day, _last_day(year, start.month)))


def add_days(start: date, days: int) -> date:
    """`days` calendar days later: "within N days of X" ends on X + N, inclusive (R-0.3)."""
    return start + timedelta(days=days)


@lru_cache(maxsize=256)
def _public_holidays(year: int) -> frozenset[date]:
    # The national list only: Alsace-Moselle's extra days are a subdivision, not asked for.
    # Imported here: the package loads every country's calendar, and most commands need none.
    import holidays

    national = set(holidays.country_holidays("FR", years=year))
    # Whit Monday stayed in the list of public holidays (Code du travail L3133-1) when it became
    # the default journée de solidarité in 2005-2007, the years the package leaves it out.
    national.add(easter(year) + timedelta(days=50))
    return frozenset(national)


def is_public_holiday(day: date) -> bool:
    """A French national public holiday, Whit Monday included (R-0.4)."""
    return day in _public_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Neither a Saturday, a Sunday nor a national public holiday (R-0.4)."""
    return day.weekday() < 5 and not is_public_holiday(day)


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it (R-0.4)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def jours_francs_deadline(received_on: date, days: int) -> date:
    """Last day of a delay of `days` jours francs: neither the first nor the last day counts (R-0.4)."""
    return next_working_day(add_days(received_on, days + 1))
