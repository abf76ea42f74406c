"""The written forms of the contract's values (CONTRACT §1), checked the same at every boundary.

ASCII digits only: `\\d` and `str.isdigit` also take the digits of other scripts (Arabic-Indic,
fullwidth), and `date.fromisoformat` also takes 20260331 and 2026-W05-1 (Python 3.11).
"""

from __future__ import annotations

import re
from datetime import date

NEPH_PATTERN = r"^[0-9]{12}$"
"""A NEPH: exactly 12 digits."""

_NEPH = re.compile(NEPH_PATTERN)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class NotADate(ValueError):
    """A value that is not a date YYYY-MM-DD, or not one of the calendar (2026-02-30)."""


def is_neph(value: str) -> bool:
    """`value` is a NEPH: 12 ASCII digits, nothing before or after."""
    return _NEPH.fullmatch(value) is not None


def iso_date(value: object) -> date:
    """`value` as a date, if it is written YYYY-MM-DD and is a day of the calendar."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise NotADate(f"expected a date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotADate(f"{value!r} is not a calendar date") from None
