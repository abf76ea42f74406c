"""A licence's read-model rows, computed from its events (pure: no I/O).

The projection writes these rows; `permis verify` computes them again from the stored events and
compares. Both go through `rows_for`, so the two can only disagree when the stored data does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from domain import events as ev
from domain.glossary import FlagKind
from domain.holder import holder_on
from domain.law import Law
from domain.licence import licence_id
from domain.state import LicenceState, fold
from domain.view import flag_item, licence_view, shown_flags
from projections.search import holder_columns, standing_columns
from services.licensing import Licensing

Row = dict[str, Any]


@dataclass
class LicenceRows:
    """Everything the read models hold about one licence."""

    neph: str
    licence: Row
    obligations: list[Row] = field(default_factory=list)
    flags: list[Row] = field(default_factory=list)
    letters: list[Row] = field(default_factory=list)
    audit: list[Row] = field(default_factory=list)
    audit_start: int = 0  # the audit rows before this position are already written

    @property
    def version(self) -> int:
        return int(self.licence["version"])


def rows_for(
    neph: str,
    history: Sequence[ev.LicenceEvent],
    law: Law,
    as_of: date,
    audit_start: int = 0,
) -> LicenceRows:
    """The rows of a licence on the legal date `as_of` (the clock), from its whole history.

    Audit rows are made from position `audit_start` on: those before it never change.
    """
    state = fold(neph, history, law, as_of)
    view = licence_view(state)
    later = [e.effective_on for e in history if e.effective_on > as_of]
    # The status turns back from `suspended` the day after a suspension's last day, a date no
    # event carries.
    later += [
        s.last_day + timedelta(days=1)
        for s in state.suspensions.values()
        if s.last_day + timedelta(days=1) > as_of
    ]
    audit = audit_rows(neph, history, audit_start)
    licence: Row = {
        "neph": neph,
        "licence_id": licence_id(neph).hex,
        "status": view["status"],
        "balance": view["balance"],
        "ceiling": view["ceiling"],
        "probationary": view["probationary"],
        "probation_ends_on": _day(view["probation_ends_on"]),
        "new_licence_possible_on": _day(view["new_licence_possible_on"]),
        "issued_on": state.issued_on,
        "version": history[-1].originator_version,
        "head_hash": audit[-1]["hash"] if audit else history[-1].digest(),
        "as_of": as_of,
        "changes_on": min(later) if later else None,
        "last_recorded_on": max(e.recorded_on for e in history),
        **holder_columns(holder_on(history), _latest_centre(state)),
        **standing_columns(view),
    }
    rows = LicenceRows(neph, licence, audit_start=audit_start)
    rows.letters = [
        {
            "neph": neph,
            "position": i,
            "type": x.type,
            "ref": x.ref,
            "sent_on": x.sent_on,
            "delivered_on": x.delivered_on,
        }
        for i, x in enumerate(state.letters)
    ]
    rows.audit = audit
    rows.obligations, rows.flags = _stretches(neph, history, law, as_of, state)
    return rows


def audit_rows(neph: str, history: Sequence[ev.LicenceEvent], start: int = 0) -> list[Row]:
    """The audit trail's rows from position `start` on (R-9.1): the CLI's trail, plus the hashes."""
    rows = []
    trail = Licensing.audit_trail(history[start:])
    for item, event in zip(trail, history[start:], strict=True):
        rows.append(
            {
                "neph": neph,
                "position": item["position"] + start,
                "event": item["event"],
                "effective_on": event.effective_on,
                "recorded_on": event.recorded_on,
                "rule": item["rule"],
                "article": item["article"],
                "reason": item["reason"],
                "command_id": item["command_id"],
                "actor": item["actor"],
                "policy": item["policy"],
                "timestamp": item["timestamp"],
                "details": json.dumps(item["details"], sort_keys=True, ensure_ascii=False),
                "hash": event.digest(),
                "previous_hash": event.previous_hash,
            }
        )
    return rows


def audit_item(row: Row) -> dict[str, Any]:
    """An `rm_audit` row back in the form of `permis audit --json` (CONTRACT §3)."""
    return {
        "position": row["position"],
        "event": row["event"],
        "effective_on": row["effective_on"].isoformat(),
        "recorded_on": row["recorded_on"].isoformat(),
        "rule": row["rule"],
        "article": row["article"],
        "reason": row["reason"],
        "command_id": row["command_id"],
        "actor": row["actor"],
        "policy": row["policy"],
        "timestamp": row["timestamp"],
        "details": json.loads(row["details"]),
    }


def _latest_centre(state: LicenceState) -> str | None:
    """The centre of the licence's latest stage that names one (the search's filter)."""
    stages = [s for s in state.stages.values() if s.centre]
    return max(stages, key=lambda s: (s.last_day, s.stage_id)).centre if stages else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


Key = tuple[Any, ...]


def _stretches(
    neph: str, history: Sequence[ev.LicenceEvent], law: Law, as_of: date, final: LicenceState
) -> tuple[list[Row], list[Row]]:
    """Obligations and flags as stretches of legal dates over which they stood unchanged (R-6).

    The state only changes on the legal date of an event, so folding on each such date gives every
    stretch exactly: `licence show --as-of D` and the rows valid on D agree.
    """
    start = _first_possible(history, final)
    if start is None:
        return [], []
    # A flag shows from the day it was raised, which may come after its legal date.
    raised = [
        e.raised_on for e in history if isinstance(e, ev.ObligationBreached | ev.AttestationOverdue)
    ]
    dates = sorted(
        {e.effective_on for e in history if start <= e.effective_on <= as_of}
        | {day for day in raised if start <= day <= as_of}
    )
    obligations: dict[str, tuple[date, Key]] = {}
    flags: dict[str, tuple[date, Key]] = {}
    obligation_rows: list[Row] = []
    flag_rows: list[Row] = []
    for day in dates:
        state = final if day == as_of else fold(neph, history, law, day)
        seen_obligations = {
            oid: (o.kind, o.opened_on, o.due_on, str(o.status), o.settled_on)
            for oid, o in state.obligations.items()
        }
        _advance(obligations, seen_obligations, day, obligation_rows, neph, _obligation_row)
        _advance(flags, _flags_of(state), day, flag_rows, neph, _flag_row)
    for oid, (since, key) in obligations.items():
        obligation_rows.append(_obligation_row(neph, oid, since, None, key, cleared=False))
    for fid, (since, key) in flags.items():
        flag_rows.append(_flag_row(neph, fid, since, None, key, cleared=False))
    return obligation_rows, flag_rows


def _first_possible(history: Sequence[ev.LicenceEvent], final: LicenceState) -> date | None:
    """The first legal date on which the licence may have had an obligation or a flag, if any.

    Obligations are only ever removed by an annulment (R-5.5, R-11.3) or dropped with a cancelled
    infraction (R-11.3), so without one every obligation
    there ever was is in the final state; flags are raised only by events carrying `raised_on`
    (`Licence._record`). Licences that never had either skip the fold on each date.
    """
    if any(isinstance(e, ev.InvalidationAnnulled | ev.ObligationDropped) for e in history):
        return history[0].effective_on
    candidates = [o.opened_on for o in final.obligations.values()]
    candidates += [e.effective_on for e in history if hasattr(e, "raised_on")]
    return min(candidates) if candidates else None


def _flags_of(state: LicenceState) -> dict[str, Key]:
    """The flags standing on `state.as_of`, with the view's legal maxima (R-6.1) and centre."""
    found: dict[str, Key] = {}
    for flag in shown_flags(state):  # those raised by then
        fid, item = flag.flag_id, flag_item(state, flag)
        centre = None
        if flag.kind == FlagKind.ATTESTATION_OVERDUE:
            # The flag is raised against the stage's organiser: its id names the stage.
            stage = state.stages.get(fid.partition(":")[2])
            centre = stage.centre if stage else None
        found[fid] = (
            flag.kind,
            flag.raised_on,
            centre,
            item.get("fine_max_eur"),
            item.get("suspension_max_years"),
        )
    return found


def _advance(
    open_: dict[str, tuple[date, Key]],
    seen: dict[str, Key],
    day: date,
    rows: list[Row],
    neph: str,
    make: Any,
) -> None:
    """Close the stretches that ended on `day`, open those that began on it."""
    for ident in list(open_):
        since, key = open_[ident]
        if seen.get(ident) != key:
            rows.append(make(neph, ident, since, day, key, cleared=ident not in seen))
            del open_[ident]
    for ident, key in seen.items():
        if ident not in open_:
            open_[ident] = (day, key)


def _obligation_row(
    neph: str, oid: str, since: date, until: date | None, key: Key, cleared: bool
) -> Row:
    kind, opened_on, due_on, status, settled_on = key
    return {
        "neph": neph,
        "obligation_id": oid,
        "valid_from": since,
        "valid_to": until,
        "kind": kind,
        "opened_on": opened_on,
        "due_on": due_on,
        "status": status,
        "settled_on": settled_on,
    }


def _flag_row(neph: str, fid: str, since: date, until: date | None, key: Key, cleared: bool) -> Row:
    kind, raised_on, centre, fine, suspension = key
    return {
        "neph": neph,
        "flag_id": fid,
        "valid_from": since,
        "valid_to": until,
        "kind": kind,
        "raised_on": raised_on,
        "cleared": cleared,
        "centre": centre,
        "fine_max_eur": fine,
        "suspension_max_years": suspension,
    }
