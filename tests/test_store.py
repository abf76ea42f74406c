"""The event store: what a save hands back is what it stored (both stores).

Our recorders insert a batch's events in one statement (an array a column on PostgreSQL, one
`executemany` on SQLite) instead of the library's row by row, and give back the notification ids
the rows took: these tests compare them with the notification log.
"""

from __future__ import annotations

from datetime import date

from domain.law import current_law
from domain.licence import Context, Licence
from domain.policy import Policy
from infrastructure.store import LicenceStore


def _licences(first: int, count: int) -> list[Licence]:
    ctx = Context(date(2024, 1, 2), None, current_law(), Policy())
    made = []
    for n in range(first, first + count):
        licence = Licence.issue(ctx, f"{n:012d}", date(2024, 1, 2), "traditional", True, 12, None)
        licence.record_infraction(ctx, "i1", "red_light", date(2024, 1, 1), None, None, None)
        made.append(licence)
    return made


def test_notification_ids_given_back_are_those_stored(store_url: str) -> None:
    """Two batches of several licences: each recording's id names its own event in the log."""
    store = LicenceStore(store_url)
    recordings = [*store.save(*_licences(1, 5)), *store.save(*_licences(10, 3))]
    assert len(recordings) == 16
    log = {
        n.id: (n.originator_id, n.originator_version)
        for n in store.recorder.select_notifications(start=1, limit=100)
    }
    given = {
        r.notification.id: (r.domain_event.originator_id, r.domain_event.originator_version)
        for r in recordings
    }
    assert given == log
    assert sorted(given) == [r.notification.id for r in recordings]  # in the order saved
    store.close()


def test_the_recorders_are_named_by_topics_the_library_resolves() -> None:
    """The store names its recorders by topic (imported only for their store's kind)."""
    from eventsourcing.utils import resolve_topic

    from infrastructure.postgres_recorder import PermisPostgresRecorder
    from infrastructure.sqlite_recorder import PermisSQLiteRecorder
    from infrastructure.store import POSTGRES_RECORDER_TOPIC, SQLITE_RECORDER_TOPIC

    assert resolve_topic(SQLITE_RECORDER_TOPIC) is PermisSQLiteRecorder
    assert resolve_topic(POSTGRES_RECORDER_TOPIC) is PermisPostgresRecorder
