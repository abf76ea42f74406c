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
