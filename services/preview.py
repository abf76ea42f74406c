"""What a journal line would do, decided before it is recorded (issue 14 item 3).

The line runs through the licence's own commands on a scratch copy (`domain.forecast.scratch_copy`,
as `domain.what_if` does for a hypothetical infraction): the effects due that day first (R-0.5),
then the line, then what it makes due that day, exactly as `permis import` applies it. The copy is
never saved. The answer is either the rules' refusal, or the effect: the events decided, the
balance before and after, the letters sent, the obligations opened or closed, the flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain import events as ev
from domain.errors import CommandRefused
from domain.forecast import decided, scratch_copy
from domain.licence import Context, Licence
from domain.state import LicenceState
from services import handlers
from services.journal import Command, IssueLicence
from services.licensing import Licensing, UnknownLicence


@dataclass(frozen=True)
class Change:
    """One obligation or flag that the line opens or closes (its key, kind and status)."""

    key: str
    kind: str
    before: str | None  # its status before the line, None when it did not exist
    after: str | None  # after it, None when it is gone
    due_on: date | None = None


@dataclass
class Preview:
    """The line's effect on its licence, on the day it is recorded."""

    decided_on: date
    new_licence: bool
    events: list[ev.LicenceEvent] = field(default_factory=list)
    refusal: CommandRefused | None = None
    balance_before: int | None = None
    balance_after: int | None = None
    ceiling_after: int | None = None
    status_before: str | None = None
    status_after: str | None = None
    letters: list[str] = field(default_factory=list)
    obligations: list[Change] = field(default_factory=list)
    flags: list[Change] = field(default_factory=list)

    @property
    def decisions(self) -> list[str]:
        """The names of the events the line decides (`labels.EVENT` gives them in French)."""
        return [type(e).__name__ for e in self.events]

    @property
    def points_withdrawn(self) -> int:
        return sum(
            e.points for e in self.events if isinstance(e, ev.PointsWithdrawn) and e.points > 0
        )

    @property
    def points_restored(self) -> int:
        adds = (ev.PointsRestored, ev.StageCredited, ev.YearlyGainCredited)
        return sum(e.points for e in self.events if isinstance(e, adds))


def _changes(before: dict[str, object], after: dict[str, object]) -> list[Change]:
    found = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        was_status = getattr(was, "status", None) if was is not None else None
        now_status = getattr(now, "status", None) if now is not None else None
        if was is None or now is None or was_status != now_status:
            item = now if now is not None else was
            found.append(
                Change(
                    key,
                    str(getattr(item, "kind", key)),
                    None if was is None else str(was_status or "raised"),
                    None if now is None else str(now_status or "raised"),
                    getattr(item, "due_on", None),
                )
            )
    return found


def _compare(preview: Preview, before: LicenceState | None, after: LicenceState) -> None:
    preview.balance_after, preview.ceiling_after = after.balance, after.ceiling
    preview.status_after = str(after.shown_status)
    if before is not None and before.issued:
        preview.balance_before, preview.status_before = before.balance, str(before.shown_status)
    sent_before = len(before.letters) if before is not None else 0
    preview.letters = [x.type for x in after.letters[sent_before:]]
    preview.obligations = _changes(
        dict(before.obligations) if before is not None else {}, dict(after.obligations)
    )
    preview.flags = _changes(dict(before.flags) if before is not None else {}, dict(after.flags))


def preview(service: Licensing, command: Command) -> Preview:
    """The effect of `command` if it were recorded now, or the rules' refusal; nothing saved."""
    law, policy = service.law, service.policy
    ctx = Context(command.at, command.id, law, policy)
    try:
        licence: Licence | None = scratch_copy(service.licence(command.neph))
    except UnknownLicence:
        licence = None
    result = Preview(command.at, new_licence=licence is None)
    before = None
    if licence is not None:
        licence.advance(ctx, command.at)  # the effects due that day come first
        decided(licence)
        before = licence.state(law, command.at)
    try:
        created = handlers.handle(command, licence, ctx)
        changed = created or licence
        assert changed is not None
        changed.advance(ctx, command.at)  # what the line makes due that day, as import does
    except CommandRefused as refusal:
        result.refusal = refusal
        return result
    result.events = decided(changed)
    if isinstance(command, IssueLicence) and created is not None:
        result.new_licence = True
    _compare(result, before, changed.state(law, command.at))
    return result
