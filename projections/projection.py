"""The licence read models as an eventsourcing `Projection`, fed from the notification log.

The handler is the simplest correct one: for each licence an event belongs to, reload its events
and rewrite its rows from its current state on the clock. Notifications are taken in pages; a
licence whose rows already hold a version at least as recent as the page's events is not reloaded
(so a rebuild loads each licence about once), and each page's rows are written with its tracking
position in one transaction (`ReadModels.write`): exactly once.

The library's `ProjectionRunner` needs `subscribe()`, which SQLite lacks, and the CLI runs in
batches; `catch_up` is the runner here (called after every write, and by `projections rebuild`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import IntegrityError, Notification, StoredEvent, Tracking
from eventsourcing.projection import Projection

from domain.events import LicenceEvent, LicenceIssued
from domain.licence import licence_id
from infrastructure.store import LicenceStore
from projections.rows import LicenceRows, rows_for
from projections.view import Position, ReadModels
from services.licensing import Licensing

PAGE = 1000  # notifications per transaction

Progress = Callable[[int, int], None]
"""Called with (the last notification id processed, the head of the log when the run began)."""


@dataclass
class Processed:
    """What one run did."""

    notifications: int = 0
    licences: int = 0
    position: int = 0


class LicenceProjection(Projection[ReadModels]):
    """Current balances and statuses, obligations and flags, letters, audit trail (rm_* tables)."""

    name = "LicenceReadModels"

    def __init__(self, view: ReadModels, service: Licensing) -> None:
        super().__init__(view)
        self.service = service
        self.upstream = service.store.name

    # --- one event at a time (the library's interface) ------------------------------------------

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """An event no read model shows: only the position moves."""
        self.view.insert_tracking(tracking)

    @process_event.register
    def _licence_event(self, domain_event: LicenceEvent, tracking: Tracking) -> None:
        read = self.view.position(tracking.application_name)
        if tracking.notification_id <= read.notification_id:
            raise IntegrityError(f"notification {tracking.notification_id} was already processed")
        ids = {domain_event.originator_id.hex: domain_event.originator_version}
        batch, gone = self._rows(ids, self.service.clock())
        self.view.write(tracking.application_name, read, tracking.notification_id, batch, gone)

    # --- pages of notifications (the catch-up loop) ---------------------------------------------

    def run(self, progress: Progress | None = None, page: int = PAGE) -> Processed:
        """Process every notification after the position, then the rows the clock made stale."""
        recorder = self.service.store.recorder
        read = self.view.position(self.upstream)
        head = recorder.max_notification_id() or 0
        clock = self.service.clock()
        done = Processed(position=read.notification_id)
        while True:
            notifications = recorder.select_notifications(
                read.notification_id, page, inclusive_of_start=False
            )
            if not notifications:
                break
            read = self._process_page(read, notifications, clock, done)
            if progress is not None:
                progress(read.notification_id, max(head, read.notification_id))
        if clock is not None:
            stale = self.view.stale_nephs(clock)
            for start in range(0, len(stale), page):
                nephs = stale[start : start + page]
                ids = [licence_id(n).hex for n in nephs]
                batch, gone = self._rows(dict.fromkeys(ids, 0), clock, self.view.versions(ids))
                read = self.view.write(self.upstream, read, read.notification_id, batch, gone)
                done.licences += len(batch)
        done.position = read.notification_id
        return done

    def _process_page(
        self,
        read: Position,
        notifications: Sequence[Notification],
        clock: date | None,
        done: Processed,
    ) -> Position:
        latest: dict[str, int] = {}
        for notification in notifications:
            key = UUID(str(notification.originator_id)).hex
            latest[key] = max(latest.get(key, 0), notification.originator_version)
        known = self.view.versions(latest)
        behind = {key: version for key, version in latest.items() if known.get(key, 0) < version}
        batch, gone = self._rows(behind, clock, known)
        moved = self.view.write(self.upstream, read, notifications[-1].id, batch, gone)
        done.notifications += len(notifications)
        done.licences += len(batch)
        return moved

    def _rows(
        self, ids: dict[str, int], clock: date | None, known: dict[str, int] | None = None
    ) -> tuple[list[LicenceRows], list[str]]:
        """Each licence's rows from its current state; the NEPHs of licences no longer stored.

        The licences' events are read in one query (the events table itself, as `permis verify`
        reads it: the history is the events), decoded once and folded once each.
        """
        known = known or {}
        histories = self.histories([UUID(key) for key in ids])
        batch: list[LicenceRows] = []
        gone: list[str] = []
        for key in ids:
            history = histories.get(UUID(key), [])
            if not history or not isinstance(history[0], LicenceIssued):
                gone.extend(self.view.nephs_of([key]))
                continue
            written = known.get(key, 0)
            batch.append(self.rows_of(history, clock, written if written <= len(history) else 0))
        return batch, gone

    def rows_of(
        self, history: list[LicenceEvent], clock: date | None, start: int = 0
    ) -> LicenceRows:
        """The rows of one licence from its whole history, on the clock."""
        on = clock or max(e.recorded_on for e in history)
        neph = cast(LicenceIssued, history[0]).neph
        return rows_for(neph, history, self.service.law, on, start)

    def histories(self, ids: list[UUID]) -> dict[UUID, list[LicenceEvent]]:
        """The whole history of each of these licences, read and decoded at once."""
        return group(self.service.store, self.service.store.permis.select_histories(ids))


def group(store: LicenceStore, stored: Sequence[StoredEvent]) -> dict[UUID, list[LicenceEvent]]:
    """Stored events (by aggregate, then version) decoded once, grouped by aggregate."""
    decode = store.mapper.to_domain_event
    found: dict[UUID, list[LicenceEvent]] = {}
    for item in stored:
        key = cast(UUID, item.originator_id)
        found.setdefault(key, []).append(cast(LicenceEvent, decode(item)))
    return found
