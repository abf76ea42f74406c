"""A PostgreSQL session advisory lock, so that two workers on one database take turns.

The lock is a courtesy that spares the loser a batch of wasted work: correctness comes from the
event store's optimistic concurrency (a licence's version is unique), never from this lock. It
lives on its own pooled connection for as long as it is held and vanishes with the session, so a
worker killed with `kill -9` cannot leave it behind.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.postgres import PostgresDatastore

from infrastructure.store import LicenceStore

WORKER_LOCK_KEY = 0x7065726D6973  # "permis" in ASCII: one lock per database
POLL_SECONDS = 1.0


@contextmanager
def advisory_lock(
    store: LicenceStore,
    stop: threading.Event,
    key: int = WORKER_LOCK_KEY,
    poll: float = POLL_SECONDS,
) -> Iterator[bool]:
    """Hold the lock while the block runs; yields False when `stop` was set before it was won.

    On SQLite there is nothing to take: its writers are serialised by the file lock already, and
    the optimistic retries do the rest. Polling (rather than a blocking `pg_advisory_lock`) keeps
    a waiting worker responsive to SIGTERM.
    """
    datastore = getattr(store.recorder, "datastore", None)
    if not isinstance(datastore, PostgresDatastore):
        yield not stop.is_set()
        return
    with datastore.get_connection() as conn:
        held = False
        try:
            while not stop.is_set():
                row = conn.execute("SELECT pg_try_advisory_lock(%s) AS held", (key,)).fetchone()
                held = bool(row and row["held"])
                if held:
                    break
                stop.wait(poll)
            yield held
        finally:
            if held and not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
