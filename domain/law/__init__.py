"""The law as dated data (R-9.3): offences and legal parameters, each value with its `from` date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from domain.errors import LawNotInForce, UnknownOffence


@dataclass(frozen=True)
class Dated:
    """One value of a parameter and the date from which it is in force."""

    starts_on: date
    value: int
    source: str


def _dated(raw: list[dict[str, Any]], source: str = "") -> tuple[Dated, ...]:
    values = [
        Dated(date.fromisoformat(v["from"]), int(v["value"]), v.get("source", source)) for v in raw
    ]
    return tuple(sorted(values, key=lambda d: d.starts_on))


def _in_force(values: tuple[Dated, ...], on: date) -> Dated | None:
    current = None
    for value in values:
        if value.starts_on <= on:
            current = value
    return current


@dataclass(frozen=True)
class Offence:
    """An offence of the catalogue with its class and dated points (offences.md)."""

    key: str
    label: str
    offence_class: str
    points: tuple[Dated, ...]
    source: str
    simultaneous_cap: tuple[Dated, ...] = ()

    def points_on(self, committed_on: date) -> int:
        """Points in force on the day the offence was committed (R-2.3)."""
        value = _in_force(self.points, committed_on)
        return value.value if value else self.points[0].value

    def cap_on(self, committed_on: date) -> int | None:
        """A derogation to the simultaneous cap, when one is in force (R-2.4, R-10.1)."""
        value = _in_force(self.simultaneous_cap, committed_on)
        return value.value if value else None


@dataclass(frozen=True)
class Law:
    """The dated legal parameters and the offence catalogue."""

    parameters: dict[str, tuple[Dated, ...]]
    offences: dict[str, Offence]

    def value(self, name: str, on: date) -> int:
        """The value of parameter `name` in force on `on` (R-9.3)."""
        values = self.parameters[name]
        value = _in_force(values, on)
        if value is None:
            first = values[0].starts_on.isoformat() if values else None
            raise LawNotInForce(name, on.isoformat(), first)
        return value.value

    def value_or_none(self, name: str, on: date) -> int | None:
        """The value in force on `on`, or None before the parameter existed."""
        value = _in_force(self.parameters[name], on)
        return value.value if value else None

    def offence(self, key: str) -> Offence:
        """The catalogue entry of `key`."""
        try:
            return self.offences[key]
        except KeyError:
            raise UnknownOffence(key) from None


def _load_json(name: str) -> Any:
    return json.loads(resources.files("domain.law").joinpath(name).read_text(encoding="utf-8"))


@cache
def current_law() -> Law:
    """The law shipped with this version of the engine."""
    params = _load_json("parameters.json")["parameters"]
    offences = _load_json("offences.json")["offences"]
    return Law(
        parameters={name: _dated(p["values"]) for name, p in params.items()},
        offences={
            o["key"]: Offence(
                key=o["key"],
                label=o["label"],
                offence_class=o["class"],
                points=_dated(o["points"], o["source"]),
                source=o["source"],
                simultaneous_cap=_dated(o.get("simultaneous_cap", []), o["source"]),
            )
            for o in offences
        },
    )
