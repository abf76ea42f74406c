"""A rebuild of the read models licence by licence, in as many processes as CPUs (issue 17).

Rebuilding from the notification log meets a licence's events spread over the whole log (a
licence lives for years), so each licence would be read back from the store on its own. Here the
events table is read in the order of its primary key, aggregate by aggregate: each event is read
and decoded once, each licence's history comes whole and is folded once, and its rows are
written in batches (`ReadModels.insert`). The ids are shared out among processes in equal ranges
(the ids are uniform: `licence_id` is a hash of the NEPH), each forked process reading, folding
and writing its own range; SQLite serialises the writers' short transactions, PostgreSQL runs
them side by side.

The tracking position moves once, when every range is written, to the head of the log read
before the first row: events recorded meanwhile are processed after, by the usual catch-up. A
rebuild stopped part way leaves the position at zero (set by the reset), so the next catch-up
starts again from the start: nothing is lost, and rows are replaced licence by licence.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, cast
from uuid import UUID

import structlog

from domain.events import LicenceEvent, LicenceIssued

if TYPE_CHECKING:
    from projections.projection import LicenceProjection
    from projections.view import ReadModels

log = structlog.get_logger("permis")

EVENTS_A_READ = 5_000  # events read at a time from the events table
LICENCES_A_WRITE = 1_000  # licences whose rows are written in one transaction
MAX_PROCESSES = 8


def default_processes() -> int:
    """One process a CPU, at most `MAX_PROCESSES` (as `permis import`)."""
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


def bounds(shares: int) -> list[tuple[UUID | None, UUID | None]]:
    """`shares` ranges of ids, each from its first id (inclusive) to the next range's first."""
    starts = [None, *(UUID(int=(share << 128) // shares) for share in range(1, shares))]
    return list(zip(starts, [*starts[1:], None], strict=True))


def histories(
    projection: LicenceProjection, start: UUID | None, below: UUID | None
) -> Iterator[list[LicenceEvent]]:
    """The whole history of each licence of the range, in id order, read a page at a time."""
    recorder = projection.service.store.permis
    after: tuple[UUID, int] | None = (start, -1) if start is not None else None
    pending: list[LicenceEvent] = []
    from projections.projection import group

    while True:
        page = recorder.select_events_after(after, below, EVENTS_A_READ)
        if not page:
            break
        last = page[-1]
        after = (cast(UUID, last.originator_id), last.originator_version)
        grouped = group(projection.service.store, page)
        for key, events in grouped.items():
            if pending and pending[0].originator_id != key:
                yield pending
                pending = []
            pending.extend(events)
        if len(page) < EVENTS_A_READ:
            break
    if pending:
        yield pending


def rebuild_range(
    projection: LicenceProjection, view: ReadModels, start: UUID | None, below: UUID | None
) -> tuple[int, int]:
    """The rows of every licence of an id range, written in batches: (events, licences)."""
    clock = projection.service.clock()
    events = licences = 0
    batch = []
    for history in histories(projection, start, below):
        events += len(history)
        if not isinstance(history[0], LicenceIssued):
            continue
        batch.append(projection.rows_of(history, clock))
        if len(batch) >= LICENCES_A_WRITE:
            view.insert(batch)
            licences += len(batch)
            batch = []
    if batch:
        view.insert(batch)
        licences += len(batch)
    return events, licences


def rebuild_all(projection: LicenceProjection, view: ReadModels, processes: int) -> tuple[int, int]:
    """Every licence's rows into the emptied read models, in up to `processes` processes."""
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return rebuild_range(projection, view, None, None)
    service = projection.service
    parent_store = service.store
    parent_store.close()  # no connection crosses the fork (see `services.parallel_import`)
    view.engine.dispose()
    try:
        context = multiprocessing.get_context("fork")
        running = []
        for start, below in bounds(processes):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(
                target=_rebuild_share, args=(projection, view, start, below, sending)
            )
            process.start()
            sending.close()
            running.append((process, receiving))
        events = licences = 0
        failures = []
        for process, receiving in running:
            try:
                outcome, result = receiving.recv()
            except EOFError:
                outcome, result = "failed", "it stopped without a report"
            process.join()
            if outcome == "done":
                events += result[0]
                licences += result[1]
            else:
                failures.append(str(result))
    finally:
        service.store = parent_store.reopened()
    if failures:
        raise RebuildFailed("; ".join(failures))
    return events, licences


class RebuildFailed(RuntimeError):
    """A process of a rebuild stopped: the read models stay at position zero until rebuilt."""


def _rebuild_share(
    projection: LicenceProjection,
    view: ReadModels,
    start: UUID | None,
    below: UUID | None,
    answer: Connection,
) -> None:
    """In the forked process: its range, on connections of its own."""
    from projections.projection import LicenceProjection
    from projections.view import ReadModels

    try:
        service = projection.service
        service.store = service.store.reopened()
        own = ReadModels(view.engine)  # the parent's pool was emptied before the fork
        try:
            result = rebuild_range(LicenceProjection(own, service), own, start, below)
        finally:
            service.store.close()
            own.engine.dispose()
        answer.send(("done", result))
    except Exception as error:  # the operator reads the reason; the log keeps the traceback
        log.error("read_models.rebuild_failed", traceback=traceback.format_exc())
        answer.send(("failed", f"{type(error).__name__}: {error}"))
    finally:
        answer.close()
