"""The rules engine: one module per chapter of the rule book, each rule citing its id and article.

A rule reads a `LicenceState` (the pure fold of `domain.state`) and returns `Decision`s: the events
to record, with their legal date, rule and reason. Time-driven rules return `Effect`s instead: what
falls due on which date, decided on that date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple

from domain import events as ev
from domain.state import LicenceState

# Value objects made for every event: tuples, which build several times faster than frozen
# dataclasses and are just as immutable.


class Decision(NamedTuple):
    """An event to record: its class, legal date, rule, reason and own fields."""

    event: type[ev.LicenceEvent]
    effective_on: date
    rule: str
    reason: str
    fields: Mapping[str, Any] = MappingProxyType({})


Decide = Callable[[LicenceState], list[Decision]]


class Effect(NamedTuple):
    """A time-driven effect due on `due_on`; `decide` receives the state as of that date."""

    due_on: date
    rank: int  # order of effects due the same day: probation, restorations, then deadlines
    key: str
    decide: Decide
