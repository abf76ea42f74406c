"""Typed errors of the domain: each carries the reason an operator reads and the rule it cites."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the domain's errors."""


class CommandRefused(DomainError):
    """A command the rules refuse: nothing changes, the reason is reported (CONTRACT §3)."""

    def __init__(self, reason: str, rule: str = "") -> None:
        super().__init__(f"{reason} ({rule})" if rule else reason)
        self.reason = reason
        self.rule = rule


class UnknownOffence(DomainError):
    """An offence key that is not in the catalogue (offences.md)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"offence {key!r} is not in the catalogue")
        self.key = key


class LawNotInForce(CommandRefused):
    """A date before the first value of a legal parameter: the engine knows no law for it (R-9.3).

    A command that needs it is refused like any other; a view on such a date is a usage error.
    """

    def __init__(self, name: str, on: str, first: str | None) -> None:
        since = f" (the engine's law starts on {first})" if first else ""
        super().__init__(f"no value of {name} in force on {on}{since}", "R-9.3")
        self.name = name
