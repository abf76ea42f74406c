"""A batch of work on the store: licences loaded once, changed in memory, saved in one transaction.

Saving a batch writes the new events of every changed licence, the command receipts, the licences'
next due dates and the clock atomically (design hints 4 and 5): a crash loses the whole batch or
nothing, and a re-run finds the receipts of what was saved.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.law import Law
from domain.licence import Licence, licence_id
from domain.policy import Policy
from infrastructure.recorders import DueEntry, Receipt
from infrastructure.store import LicenceStore


class UnitOfWork:
    """Licences of one batch, their pending receipts and next due dates."""

    def __init__(self, store: LicenceStore, law: Law, policy: Policy) -> None:
        self.store = store
        self.law = law
        self.policy = policy
        self.licences: dict[UUID, Licence | None] = {}
        self.due: dict[UUID, date | None] = {}
        self.changed: set[UUID] = set()
        self.receipts: list[Receipt] = []

    def __len__(self) -> int:
        return len(self.licences)

    def get(self, neph: str) -> Licence | None:
        """The licence of `neph`, loaded once per batch (from its latest snapshot)."""
        key = licence_id(neph)
        if key not in self.licences:
            try:
                licence: Licence | None = self.store.repository.get(key)
            except AggregateNotFoundError:
                licence = None
            self.licences[key] = licence
            if licence is not None:
                self.due[key] = licence.next_due(self.law, self.policy)
        return self.licences[key]

    def add(self, licence: Licence) -> None:
        self.licences[licence.id] = licence
        self.touched(licence)

    def touched(self, licence: Licence) -> None:
        """The licence changed: save it with the batch, and index its next due date."""
        self.changed.add(licence.id)
        self.due[licence.id] = licence.next_due(self.law, self.policy)

    def due_in_memory(self, up_to: date) -> list[Licence]:
        """Licences of this batch with an effect due on or before `up_to`."""
        return [
            licence
            for key, licence in self.licences.items()
            if licence is not None and (due := self.due.get(key)) is not None and due <= up_to
        ]

    def commit(self, clock: date | None) -> None:
        """Save the batch atomically: events, receipts, due dates, clock."""
        changed = [lic for key, lic in self.licences.items() if key in self.changed and lic]
        due = [DueEntry(lic.id.hex, lic.neph, self.due.get(lic.id)) for lic in changed]
        if changed or self.receipts or clock is not None:
            self.store.save(*changed, receipts=self.receipts, due=due, clock=clock)
        self.licences.clear()
        self.due.clear()
        self.changed.clear()
        self.receipts = []
