"""Event recorders that also keep, in the same transaction as the events, the service's own tables.

- `permis_commands`: every journal id once evaluated, with the hash of its line and its outcome, so a
  re-import is a lookup and a crash can never separate a command's effects from its receipt;
- `permis_due`: for each licence, the date its next time-driven effect falls due (the index a tick
  reads, so a day's work is proportional to what falls due, not to the number of licences);
- `permis_clock`: the date up to which time-driven rules were applied (CONTRACT §2).

What both stores share is here; each store's recorder is in its own module (`sqlite_recorder`,
`postgres_recorder`), so that one store never imports the other's driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent


class Receipt(NamedTuple):
    """What became of one journal command (CONTRACT §3: ids are remembered)."""

    command_id: str
    digest: str
    outcome: str  # "applied" or "refused"
    reason: str
    neph: str
    recorded_on: date
    line: str = ""  # the journal line as received (JSON), so the journal can be exported again


class DueEntry(NamedTuple):
    """The next due date of a licence's time-driven effects (None: nothing pending)."""

    licence_id: str
    neph: str
    due_on: date | None


class PermisRecorder:
    """What both backends offer beyond the library's application recorder."""

    def select_receipts(self, command_ids: Sequence[str]) -> dict[str, Receipt]:
        raise NotImplementedError

    def select_due(
        self, up_to: date, limit: int, after: tuple[date, str] | None = None
    ) -> list[DueEntry]:
        """Licences with an effect due on or before `up_to`, in due order, after a keyset cursor."""
        raise NotImplementedError

    def select_nephs(self, after: str, limit: int) -> list[str]:
        raise NotImplementedError

    def select_clock(self) -> date | None:
        raise NotImplementedError

    def schema_revision(self) -> str | None:
        """The Alembic revision of the store's tables (None before the first migration), read on
        the recorder's own connection: a store at head opens without loading SQLAlchemy."""
        raise NotImplementedError

    def has_events_table(self) -> bool:
        """Whether the store's events table exists (a store that was never written has none)."""
        raise NotImplementedError

    def select_existing(self, originator_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `originator_ids` that have events (one query for many licences)."""
        raise NotImplementedError

    def select_histories(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these aggregates, by aggregate then version (one query for a page of
        licences: the read models' batches, issue 17)."""
        raise NotImplementedError

    def select_events_after(
        self, after: tuple[UUID, int] | None, below: UUID | None, limit: int
    ) -> list[StoredEvent]:
        """Up to `limit` events after `after` (aggregate, version) in (aggregate, version) order,
        of aggregates before `below`: the events table read aggregate by aggregate, a range of
        ids at a time (a rebuild shared out among processes by id, issue 17)."""
        raise NotImplementedError
