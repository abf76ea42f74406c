"""The holder's details on a date: those the licence was issued with, then each change recorded
(`holder.update`: a new postal address, issue 14), as the letters of that date print them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain import events as ev


def holder_on(history: Sequence[ev.LicenceEvent], on: date | None = None) -> dict[str, Any]:
    """The holder's names, birth date and address as known on `on` (default: everything)."""
    holder: dict[str, Any] = {}
    for event in history:
        if isinstance(event, ev.LicenceIssued | ev.HolderUpdated) and (
            on is None or event.effective_on <= on or isinstance(event, ev.LicenceIssued)
        ):
            changes: dict[str, Any] = event.holder or {}
            holder.update(changes)
    return holder
