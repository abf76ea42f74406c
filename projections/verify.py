"""`permis verify`: each licence recomputed from its stored events, compared with the read models.

With `chain=True` it also checks each licence's hash chain (R-9.2: nothing is ever edited): every
event carries the hash of the one before it, the first carries `GENESIS_HASH`, versions follow each
other, and the last event is the head the read models recorded. The events are read from the events
table itself, never from a snapshot (which holds the whole history, and would hide a tampering).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.events import GENESIS_HASH, LicenceEvent
from domain.licence import licence_id
from infrastructure.recorders import PermisRecorder
from projections.rows import LicenceRows, Row, rows_for
from projections.schema import LICENCE_TABLES, rm_licences
from projections.view import ReadModels
from services.licensing import Licensing

CHUNK = 200  # licences whose rows are read at once
IGNORED = frozenset({"as_of"})  # the clock on the day the row was written; valid until changes_on


@dataclass(frozen=True)
class Difference:
    """One disagreement, for one licence (or for the read models as a whole when `neph` is None)."""

    neph: str | None
    what: str

    def __str__(self) -> str:
        return f"{self.neph or 'read models'}: {self.what}"


def verify(service: Licensing, view: ReadModels, chain: bool = False) -> Iterator[Difference]:
    """Every difference between the events and the read models (and chains), licence by licence."""
    yield from _position(service, view)
    clock = service.clock()
    nephs = _nephs(service.store.permis, view)
    while chunk := list(itertools.islice(nephs, CHUNK)):
        stored_rows = view.stored_rows(chunk)
        for neph in chunk:
            events, unreadable = _stored_events(service, neph)
            stored = stored_rows[neph]
            if chain:
                yield from _chain(neph, events, unreadable, stored[rm_licences.name])
            elif unreadable:
                yield Difference(neph, f"stored event v{unreadable[0]} cannot be read")
            yield from _compare(neph, events, stored, service, clock)


def _position(service: Licensing, view: ReadModels) -> Iterator[Difference]:
    head = service.store.recorder.max_notification_id() or 0
    position = view.position(service.store.name).notification_id
    if position < head:
        yield Difference(
            None, f"at notification {position}, the event store at {head}: not caught up"
        )
    elif position > head:
        yield Difference(
            None,
            f"at notification {position}, beyond the event store's last ({head}): events removed",
        )


def _nephs(recorder: PermisRecorder, view: ReadModels) -> Iterator[str]:
    """Every licence the store indexes or the read models show, once, in NEPH order."""
    previous = None
    for neph in heapq.merge(_store_nephs(recorder), view.iter_nephs()):
        if neph != previous:
            yield neph
        previous = neph


def _store_nephs(recorder: PermisRecorder, chunk: int = 1000) -> Iterator[str]:
    after = ""
    while True:
        page = recorder.select_nephs(after, chunk)
        yield from page
        if len(page) < chunk:
            return
        after = page[-1]


def _stored_events(service: Licensing, neph: str) -> tuple[list[LicenceEvent], list[int]]:
    """The licence's events as stored, and the versions of those that cannot be decoded."""
    store = service.store
    events: list[LicenceEvent] = []
    unreadable: list[int] = []
    for stored in store.recorder.select_events(licence_id(neph)):
        try:
            event = store.mapper.to_domain_event(stored)
        except Exception:  # an altered payload may fail anywhere in decoding
            unreadable.append(stored.originator_version)
            continue
        if isinstance(event, LicenceEvent):
            events.append(event)
        else:
            unreadable.append(stored.originator_version)
    return events, unreadable


def _chain(
    neph: str, events: list[LicenceEvent], unreadable: list[int], head: list[Row]
) -> Iterator[Difference]:
    """The hash chain of one licence's stored events, and its head against the read models."""
    for version in unreadable:
        yield Difference(neph, f"event v{version} cannot be read: altered")
    previous: LicenceEvent | None = None
    previous_version = 0
    for event in events:
        version = event.originator_version
        if version != previous_version + 1:
            missing = ", ".join(f"v{v}" for v in range(previous_version + 1, version))
            yield Difference(neph, f"event(s) {missing} missing: removed from the store")
        if not (
            event.previous_hash == GENESIS_HASH
            if previous is None
            else previous.has_digest(event.previous_hash)
        ):
            before = f"v{previous_version}" if previous_version else "the start of the chain"
            yield Difference(
                neph,
                f"event v{version} does not carry the hash of {before}: an event was altered "
                "or removed",
            )
        previous, previous_version = event, version
    if not head:
        return
    recorded = head[0]
    if recorded["version"] > previous_version:
        yield Difference(
            neph,
            f"the read models saw v{recorded['version']}, the last stored event is "
            f"v{previous_version}: event(s) removed",
        )
    elif (
        recorded["version"] == previous_version
        and previous is not None
        and not previous.has_digest(recorded["head_hash"])
    ):
        yield Difference(
            neph,
            f"the last event v{previous_version} differs from the head the read models "
            "recorded: altered",
        )


def _compare(
    neph: str,
    events: list[LicenceEvent],
    stored: dict[str, list[Row]],
    service: Licensing,
    clock: date | None,
) -> Iterator[Difference]:
    if not events:
        if stored[rm_licences.name]:
            yield Difference(neph, "in the read models, but no event is stored")
        return
    if not stored[rm_licences.name]:
        yield Difference(neph, "events are stored, but the licence is missing from the read models")
        return
    on = clock or max(e.recorded_on for e in events)
    try:
        expected = rows_for(neph, events, service.law, on)
    except Exception as error:  # a tampered history may not even fold
        yield Difference(
            neph, f"the stored events cannot be replayed ({type(error).__name__}: {error})"
        )
        return
    for table in LICENCE_TABLES:
        yield from _compare_table(neph, table, _rows_of(expected, table.name), stored[table.name])


def _rows_of(rows: LicenceRows, name: str) -> list[Row]:
    by_table = {
        "rm_licences": [rows.licence],
        "rm_obligations": rows.obligations,
        "rm_flags": rows.flags,
        "rm_letters": rows.letters,
        "rm_audit": rows.audit,
    }
    return by_table[name]


def _compare_table(
    neph: str, table: Any, expected: list[Row], stored: list[Row]
) -> Iterator[Difference]:
    keys = [c.name for c in table.primary_key if c.name != "neph"]

    def key_of(row: Row) -> tuple[Any, ...]:
        return tuple(row[k] for k in keys)

    want = {key_of(r): r for r in expected}
    have = {key_of(r): r for r in stored}
    for key in sorted(want.keys() | have.keys(), key=lambda k: tuple(map(str, k))):
        where = f"{table.name}" + (f" {'/'.join(map(str, key))}" if key else "")
        if key not in have:
            yield Difference(neph, f"{where}: missing from the read models")
        elif key not in want:
            yield Difference(neph, f"{where}: in the read models, not given by the events")
        else:
            changed = [
                c
                for c in (column.name for column in table.columns)
                if c not in IGNORED and have[key].get(c) != want[key].get(c)
            ]
            if not changed:
                continue
            if len(changed) > 4:  # a whole other row (an event missing before it, say)
                yield Difference(neph, f"{where}: {', '.join(changed)} differ")
                continue
            detail = ", ".join(
                f"{c} {_show(have[key][c])} (events: {_show(want[key][c])})" for c in changed
            )
            yield Difference(neph, f"{where}: read models differ: {detail}")


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else repr(value)
