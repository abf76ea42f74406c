"""Wall clocks for the worker: the legal day is the day in Paris, whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    """Which legal day it is, and how long until the next one starts."""

    def today(self) -> date: ...

    def seconds_until(self, day: date) -> float:
        """Seconds from now until `day` begins (0 when it has begun)."""
        ...


class SystemClock:
    """The machine's clock read in Europe/Paris time, so a day starts at midnight in France."""

    def __init__(self, zone: ZoneInfo = PARIS) -> None:
        self.zone = zone

    def now(self) -> datetime:
        return datetime.now(self.zone)

    def today(self) -> date:
        return self.now().date()

    def seconds_until(self, day: date) -> float:
        # Through UTC: the difference of two aware datetimes in one zone ignores a DST change.
        start = datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)
        return max(0.0, (start - datetime.now(UTC)).total_seconds())


class FixedClock:
    """A clock that says what it is told (tests, replays, `permis worker --today`)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def today(self) -> date:
        return self.day

    def seconds_until(self, day: date) -> float:
        return max(0.0, (day - self.day) / timedelta(seconds=1))

    def advance(self, days: int = 1) -> None:
        self.day += timedelta(days=days)
