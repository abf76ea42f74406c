"""A batch of work on the store: licences loaded once, changed in memory, saved in one transaction.

Saving a batch writes the new events of every changed licence, the command receipts, the licences'
next due dates and the clock atomically (design hints 4 and 5): a crash loses the whole batch or
nothing, and a re-run finds the receipts of what was saved.

Between commits no other unit writes this unit's licences (in a shared-out import, each process
has licences of its own), so what it read stays true until it commits: the due-date index is read
ahead in pages, and licences it saved are kept (up to `keep`) for the next batches rather than read
back. Another writer in between would make the next save fail on the aggregate's version
(optimistic concurrency), never overwrite its events.
"""

from __future__ import annotations

import gc
import heapq
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable
from contextlib import ContextDecorator
from datetime import date

from eventsourcing.application import AggregateNotFoundError

from domain.law import Law
from domain.licence import Licence, licence_id
from domain.policy import Policy
from infrastructure.recorders import DueEntry, Receipt
from infrastructure.store import LicenceStore

# Read the index this many rows at a time at most (first pages are smaller: a batch often needs
# only its head); rows after the date asked for wait for a later one.
INDEX_PAGE = 1000
FIRST_INDEX_PAGE = 100


class no_cyclic_collection(ContextDecorator):
    """No cyclic garbage collection while batch jobs run; the collector comes back after the last.

    An import keeps what it loads and decides (journal lines, licences, receipts) until it commits,
    and keeps the licences after: millions of objects that live on, which the cyclic collector
    would scan again and again for nothing, since a job makes next to no reference cycles
    (`tests/test_batch_memory.py`: a few objects for a 10-year journal). Reference counting frees
    everything else as usual; what few cycles there are wait for the collector to come back.
    """

    _lock = threading.Lock()
    _running = 0
    _was_enabled = True

    def __enter__(self) -> no_cyclic_collection:
        with self._lock:
            cls = type(self)
            if cls._running == 0:
                cls._was_enabled = gc.isenabled()
                gc.disable()
            cls._running += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            cls = type(self)
            cls._running -= 1
            if cls._running == 0 and cls._was_enabled:
                gc.enable()


class UnitOfWork:
    """Licences of one batch, their pending receipts and next due dates.

    Licences are keyed by their NEPH: a string keeps its hash, where a UUID computes it again on
    every lookup, and a batch looks its licences up several times a line.
    """

    def __init__(self, store: LicenceStore, law: Law, policy: Policy, keep: int = 20_000) -> None:
        self.store = store
        self.law = law
        self.policy = policy
        self.licences: dict[str, Licence | None] = {}
        self.due: dict[str, date | None] = {}
        self.changed: set[str] = set()
        self.receipts: list[Receipt] = []
        self.saved: list[Receipt] = []  # the receipts of the batches committed
        self.keep = keep
        self._saved: OrderedDict[str, Licence] = OrderedDict()
        self._absent: set[str] = set()  # licences the store was found not to have
        self._rank: dict[str, int] = {}  # order of first loading: effects apply in that order
        self._heap: list[tuple[date, int, str]] = []  # (due, rank, neph), stale entries skipped
        self._index: deque[DueEntry] = deque()
        self._index_after: tuple[date, str] | None = None
        self._index_done = False
        self._index_pages = 0

    def __len__(self) -> int:
        return len(self.licences)

    def get(self, neph: str) -> Licence | None:
        """The licence of `neph`, loaded once per batch (from its latest snapshot)."""
        if neph not in self.licences:
            licence: Licence | None = self._saved.pop(neph, None)
            if licence is None and neph not in self._absent:
                try:
                    licence = self.store.repository.get(licence_id(neph))
                except AggregateNotFoundError:
                    licence = None
            self._load(neph, licence)
            if licence is not None:
                self._set_due(neph, licence.next_due(self.law, self.policy))
        return self.licences[neph]

    def expect(self, nephs: Iterable[str]) -> None:
        """Find out in one query which of these licences the store has yet to see (new ones)."""
        ids = {
            licence_id(neph): neph
            for neph in set(nephs)
            if neph not in self.licences and neph not in self._saved
        }
        if ids:
            known = self.store.permis.select_existing(list(ids))
            self._absent.update(neph for key, neph in ids.items() if key not in known)

    def _load(self, neph: str, licence: Licence | None) -> None:
        self.licences[neph] = licence
        self._rank.setdefault(neph, len(self._rank))

    def add(self, licence: Licence) -> None:
        self._load(licence.neph, licence)
        self.touched(licence)

    def touched(self, licence: Licence) -> None:
        """The licence changed, or its index row may be stale: save it with the batch, and index
        its next due date."""
        self.changed.add(licence.neph)
        self._set_due(licence.neph, licence.next_due(self.law, self.policy))

    def _set_due(self, neph: str, due: date | None) -> None:
        self.due[neph] = due
        if due is not None:
            heapq.heappush(self._heap, (due, self._rank[neph], neph))

    def due_in_memory(self, up_to: date) -> list[Licence]:
        """Licences of this batch with an effect due on or before `up_to`, in loading order."""
        found: dict[str, tuple[date, int]] = {}
        while self._heap and self._heap[0][0] <= up_to:
            due, rank, key = heapq.heappop(self._heap)
            if self.due.get(key) == due and self.licences.get(key) is not None:
                found[key] = (due, rank)
        for key, (due, rank) in found.items():  # still due until the caller advances them
            heapq.heappush(self._heap, (due, rank, key))
        ordered = sorted(found, key=lambda key: found[key][1])
        return [licence for key in ordered if (licence := self.licences[key]) is not None]

    def due_in_index(self, up_to: date, limit: int) -> list[DueEntry]:
        """Up to `limit` index rows due on or before `up_to`, in due order, each given once a batch.

        Rows of licences loaded in this batch are stale until it commits (the caller skips them).
        """
        entries: list[DueEntry] = []
        while len(entries) < limit:
            if not self._index:
                if self._index_done:
                    break
                size = min(INDEX_PAGE, FIRST_INDEX_PAGE << self._index_pages)
                page = self.store.permis.select_due(date.max, size, after=self._index_after)
                self._index_pages += 1
                self._index.extend(page)
                self._index_done = len(page) < size
                if page:
                    last = page[-1]
                    assert last.due_on is not None
                    self._index_after = (last.due_on, last.licence_id)
                continue
            head = self._index[0]
            assert head.due_on is not None
            if head.due_on > up_to:
                break
            entries.append(self._index.popleft())
        return entries

    def commit(self, clock: date | None, index_read_on: bool = False) -> None:
        """Save the batch atomically: events, receipts, due dates, clock.

        The index is then read again from its start, for the due dates just saved. With
        `index_read_on`, it is read on from where it was, for the rest of a pass over the index up
        to one date that saves as it goes (`Licensing._advance_all`): the rows it passed are due
        after that date now, or another process's. The pass calls `reread_index` when it ends.
        """
        changed = [lic for neph, lic in self.licences.items() if neph in self.changed and lic]
        due = [DueEntry(lic.id.hex, lic.neph, self.due.get(lic.neph)) for lic in changed]
        if changed or self.receipts or clock is not None:
            self.store.save(*changed, receipts=self.receipts, due=due, clock=clock)
        self.saved.extend(self.receipts)
        for key, licence in self.licences.items():
            if licence is not None:
                self._saved[key] = licence
                self._saved.move_to_end(key)
                self._absent.discard(key)
        while len(self._saved) > self.keep:
            self._saved.popitem(last=False)
        self.licences.clear()
        self.due.clear()
        self.changed.clear()
        self.receipts = []
        self._rank.clear()
        self._heap.clear()
        if index_read_on:  # the rows read of licences just saved are stale: their new ones follow
            saved_now = {licence.neph for licence in changed}
            self._index = deque(e for e in self._index if e.neph not in saved_now)
        else:
            self.reread_index()

    def reread_index(self) -> None:
        """Read the due-date index from its start again at the next `due_in_index`."""
        self._index.clear()
        self._index_after = None
        self._index_done = False
        self._index_pages = 0
