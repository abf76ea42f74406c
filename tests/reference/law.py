"""Dates (R-0) and dated law values (R-9.3) for the reference, written apart from domain/calendar.py.

The French public holidays are computed here (Easter by the anonymous Gregorian algorithm) rather
than taken from the `holidays` package the engine uses, so that a mistake in one does not hide in
the other.
"""

from __future__ import annotations

import calendar
import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path

LAW = Path(__file__).resolve().parents[2] / "domain" / "law"
DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """R-0.2: same day number, else the last day of the target month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * ell) // 433
    month = (h + ell - 7 * m + 90) // 25
    return date(year, month, (h + ell - 7 * m + 33 * month + 19) % 32)


@cache
def holidays(year: int) -> frozenset[date]:
    """The national list (R-0.4), Whit Monday included, not the Alsace-Moselle days."""
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    sunday = easter(year)
    movable = [sunday + timedelta(days=n) for n in (1, 39, 50)]
    return frozenset([date(year, m, d) for m, d in fixed] + movable)


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def jours_francs(received: date, days: int) -> date:
    """R-0.4: receipt + days + 1, moved to the next working day."""
    due = received + timedelta(days=days + 1)
    while not working(due):
        due += DAY
    return due


@cache
def _parameters() -> dict[str, list[tuple[date, int]]]:
    raw = json.loads((LAW / "parameters.json").read_text(encoding="utf-8"))["parameters"]
    return {
        name: sorted((date.fromisoformat(v["from"]), v["value"]) for v in spec["values"])
        for name, spec in raw.items()
    }


def param(name: str, on: date) -> int | None:
    """The value in force on `on` (R-9.3), None before the first one."""
    found = None
    for start, value in _parameters()[name]:
        if start <= on:
            found = value
    return found


@cache
def _offences() -> dict[str, tuple[str, list[tuple[date, int]]]]:
    raw = json.loads((LAW / "offences.json").read_text(encoding="utf-8"))["offences"]
    return {
        o["key"]: (
            o["class"],
            sorted((date.fromisoformat(p["from"]), p["value"]) for p in o["points"]),
        )
        for o in raw
    }


def offence_keys() -> list[str]:
    return sorted(_offences())


def offence(key: str, committed: date) -> tuple[str, int] | None:
    """Class and points of a catalogue offence on its committed_on (R-2.3)."""
    if key not in _offences():
        return None
    cls, values = _offences()[key]
    points = values[0][1]
    for start, value in values:
        if start <= committed:
            points = value
    return cls, points
