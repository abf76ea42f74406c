"""The consultation lock under concurrent attempts (R-8.3, CONTRACT §6), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from infrastructure.users import Attempt, ConsultationGuard, Outcome, locks_table
from projections.database import engine_for

NEPH = "075000000001"
NOW = datetime(2026, 3, 1, 9, 0, 0)
CONCURRENT = 30


def _at_once(guard: ConsultationGuard, correct: bool, count: int, now: datetime) -> list[Attempt]:
    """`count` attempts from as many threads, released together so that they overlap."""
    start = threading.Barrier(count)
    results: list[Attempt] = []
    failures: list[BaseException] = []

    def attempt() -> None:
        start.wait()
        try:
            results.append(guard.attempt(NEPH, correct, now))
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return results


def test_r_8_3_simultaneous_wrong_codes_lock_after_exactly_five(store_url: str) -> None:
    """R-8.3, CONTRACT §6: after 5 wrong codes for a NEPH every attempt is 429 for 15 minutes,
    however many arrive at once: the count of wrong codes is never lost between two attempts."""
    engine = engine_for(store_url)
    guard = ConsultationGuard(engine, max_attempts=5, lock_minutes=15)
    try:
        results = _at_once(guard, correct=False, count=CONCURRENT, now=NOW)
        outcomes = Counter(result.outcome for result in results)
        assert outcomes == {Outcome.WRONG: 5, Outcome.LOCKED: CONCURRENT - 5}
        left = sorted(r.remaining for r in results if r.remaining is not None)
        assert left == [0, 1, 2, 3, 4]  # each wrong code counted once
        with engine.connect() as conn:
            row = conn.execute(select(locks_table).where(locks_table.c.neph == NEPH)).one()
        assert row.locked_until == NOW + timedelta(minutes=15)
        # The right code is refused too while the lock lasts, and every attempt was logged.
        assert guard.attempt(NEPH, True, NOW + timedelta(minutes=14)).outcome == Outcome.LOCKED
        assert len(guard.attempts(NEPH)) == CONCURRENT + 1
    finally:
        engine.dispose()


def test_r_8_3_simultaneous_first_attempts_all_count(store_url: str) -> None:
    """R-8.3: the first attempts on a NEPH create its lock row together; none is lost or fails."""
    engine = engine_for(store_url)
    guard = ConsultationGuard(engine, max_attempts=50, lock_minutes=15)
    try:
        results = _at_once(guard, correct=False, count=8, now=NOW)
        left = sorted(r.remaining for r in results if r.remaining is not None)
        assert left == [42, 43, 44, 45, 46, 47, 48, 49]
    finally:
        engine.dispose()
