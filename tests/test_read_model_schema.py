"""The read models' schema is created once, however many threads of a process ask at once.

Alembic's migration context is global to a process, so two threads migrating together (two workers
in one process, concurrent web requests on a fresh store) used to wait on each other for ever.
"""

from __future__ import annotations

import threading

from projections.database import HEAD_REVISION, current_revision, engine_for, ensure_schema


def test_threads_migrating_a_fresh_store_at_once_all_finish(store_url: str) -> None:
    """Six threads released together on a store without read models: all return, schema at head."""
    engine = engine_for(store_url)
    start, finished, errors = threading.Barrier(6), [], []

    def migrate() -> None:
        start.wait()
        try:
            ensure_schema(engine)
            finished.append(True)
        except Exception as error:  # reported below with the others
            errors.append(error)

    threads = [threading.Thread(target=migrate, daemon=True) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(finished) == 6, "a thread is still migrating: the migrations wait on each other"
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()
