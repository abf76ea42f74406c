"""The event store: the eventsourcing library's application, on SQLite or PostgreSQL by URL."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import unquote, urlparse
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import JSONTranscoder, Recording
from eventsourcing.utils import get_topic

from domain.events import ALL_EVENTS
from domain.licence import Licence
from infrastructure.database import HEAD_REVISION
from infrastructure.recorders import PermisRecorder
from infrastructure.settings import sqlite_path, store_kind
from infrastructure.transcoding import DateAsISO, EventAsDict, OrjsonTranscoder

# By topic, which the library imports when it builds the store: a SQLite store never loads
# psycopg, nor a PostgreSQL one the SQLite recorder (`tests/test_store.py` resolves both).
SQLITE_RECORDER_TOPIC = "infrastructure.sqlite_recorder:PermisSQLiteRecorder"
POSTGRES_RECORDER_TOPIC = "infrastructure.postgres_recorder:PermisPostgresRecorder"


def environment_for(url: str, create_folder: bool = True) -> dict[str, str]:
    """The library's settings for a `sqlite:///PATH` or `postgresql://…` URL."""
    parsed = urlparse(url)
    if store_kind(url) == "sqlite":
        path = sqlite_path(url)
        if create_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
        }
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "30",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
        "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
    }


class NoStore(Exception):
    """A command that only reads was pointed at a store that does not exist: nothing is created
    (issue 19), the operator is told where it looked."""

    def __init__(self, url: str) -> None:
        where = sqlite_path(url) if store_kind(url) == "sqlite" else url
        super().__init__(
            f"no store at {where}: nothing is recorded there yet (PERMIS_DATABASE_URL={url}). "
            "`permis import FILE` creates it; to read another store, set PERMIS_DATABASE_URL"
        )


def check_exists(url: str) -> None:
    """`NoStore` unless the SQLite file is there (opening it would create it). A PostgreSQL
    database is checked for the events' table once opened (`LicenceStore(existing=True)`)."""
    if store_kind(url) == "sqlite" and not sqlite_path(url).is_file():
        raise NoStore(url)


class LicenceStore(Application):
    """The licences' events, snapshots and the service's own tables."""

    name = "Licences"

    def __init__(
        self,
        url: str,
        snapshot_interval: int = 50,
        create_tables: bool = True,
        existing: bool = False,
    ) -> None:
        """`existing`: only open a store that exists (the commands that read), else `NoStore`;
        otherwise its tables are created on first use."""
        if existing:
            check_exists(url)
        type(self).snapshotting_intervals = {Licence: snapshot_interval}
        self.url = url
        super().__init__(
            env={
                "IS_SNAPSHOTTING_ENABLED": "y",
                "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
                "CREATE_TABLE": "y" if create_tables and not existing else "n",
                **environment_for(url, create_folder=not existing),
            }
        )
        if existing and not self.permis.has_events_table():
            self.close()
            raise NoStore(url)
        if create_tables and self.permis.schema_revision() != HEAD_REVISION:
            # A new store, or one of an earlier release: Alembic brings the service's tables
            # and the read models to head (SQLAlchemy is loaded for that only).
            from infrastructure.database import ensure_schema_at

            ensure_schema_at(url)

    def save(self, *licences: Licence | None, **kwargs: Any) -> list[Recording[UUID]]:  # type: ignore[override]
        """The library's `save` for licences: their new events and `kwargs` in one transaction,
        then the snapshots that fall due.

        The library's own `save` takes aggregates or events, and tells them apart by asking two
        runtime-checkable protocols of each object: on Python 3.11 that costs more than encoding
        the object's events. A batch holds only licences, so their events are collected directly.
        """
        processing = ProcessingEvent[UUID]()
        for licence in licences:
            if licence is not None:
                processing.events.extend(licence.collect_events())
                processing.aggregates[licence.id] = licence
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    def reopened(self) -> LicenceStore:
        """The same store on connections of its own (for another process); its tables exist, and
        creating them again from several processes at once would conflict on PostgreSQL."""
        return LicenceStore(self.url, self.snapshotting_intervals[Licence], create_tables=False)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        for event_class in ALL_EVENTS:
            transcoder.register(EventAsDict(event_class))

    def stored_version(self, originator_id: UUID) -> int | None:
        """The version of the aggregate's last stored event (one indexed row), None if none."""
        last = self.recorder.select_events(originator_id, desc=True, limit=1)
        return last[0].originator_version if last else None

    @property
    def permis(self) -> PermisRecorder:
        """The recorder, with the service's tables."""
        return cast(PermisRecorder, self.recorder)


def saved_so_far(url: str, table: str, column: str) -> int:
    """`max(column)` of `table` on a connection opened and closed for this one reading: how far
    an import (receipts' `seq`) or a tick (events' notification id) got, for a progress bar.

    No connection stays open between readings, so none is inherited by the processes a large
    import forks (`services.parallel_import`); the caller keeps readings and forks apart.
    """
    query = f"SELECT max({column}) FROM {table}"  # names of ours, never an operator's input
    if store_kind(url) == "sqlite":
        import sqlite3

        connection = sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True, timeout=1)
        try:
            row = connection.execute(query).fetchone()
        finally:
            connection.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as server:
            row = server.execute(query).fetchone()
    return int(row[0] or 0) if row else 0
