"""The read models as the eventsourcing library's view: a `TrackingRecorder` on SQLAlchemy Core.

Every write replaces some licences' rows and moves the tracking position in ONE transaction, under
an optimistic lock on `rm_tracking.revision`: a writer that read revision r commits only if the
revision is still r (and makes it r+1), so two catch-ups racing (the worker and a CLI command) can
never leave rows older than the position says; the loser rolls back and starts again. This is what
makes processing exactly-once, although each licence's rows are simply rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from sqlalchemy import Connection, Engine, Table, and_, delete, exc, func, insert, select, update

from projections.database import engine_for, ensure_schema
from projections.rows import LicenceRows
from projections.schema import (
    LICENCE_TABLES,
    rm_audit,
    rm_flags,
    rm_letters,
    rm_licences,
    rm_obligations,
    rm_tracking,
)

CHUNK = 500  # rows per IN (...) list and per executemany
T = TypeVar("T")


class ProjectionConflict(IntegrityError):
    """Another writer moved the read models meanwhile: this batch was rolled back, retry."""


@dataclass(frozen=True)
class Position:
    """Where the read models stand: the last notification processed and the write revision."""

    notification_id: int
    revision: int


class ReadModels(TrackingRecorder):
    """The read-model tables and their tracking record (one per upstream application)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(engine)

    @classmethod
    def open(cls, url: str) -> ReadModels:
        return cls(engine_for(url))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ReadModels:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the library's TrackingRecorder -----------------------------------------------------

    def max_tracking_id(self, application_name: str) -> int | None:
        position = self.position(application_name)
        return position.notification_id if position.revision else None

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position with no row to change (an event this view ignores)."""
        position = self.position(tracking.application_name)
        if tracking.notification_id <= position.notification_id:
            raise IntegrityError(
                f"notification {tracking.notification_id} was already processed "
                f"(position {position.notification_id})"
            )
        self.write(tracking.application_name, position, tracking.notification_id, [])

    # --- reading ------------------------------------------------------------------------------

    def position(self, application_name: str) -> Position:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(rm_tracking.c.notification_id, rm_tracking.c.revision).where(
                    rm_tracking.c.application_name == application_name
                )
            ).first()
        return Position(row.notification_id, row.revision) if row else Position(0, 0)

    def versions(self, licence_ids: Iterable[str]) -> dict[str, int]:
        """The version each of these licences (by hex id) has in the read models."""
        found: dict[str, int] = {}
        ids = list(licence_ids)
        with self.engine.connect() as connection:
            for start in range(0, len(ids), CHUNK):
                query = select(rm_licences.c.licence_id, rm_licences.c.version).where(
                    rm_licences.c.licence_id.in_(ids[start : start + CHUNK])
                )
                found.update({r.licence_id: r.version for r in connection.execute(query)})
        return found

    def nephs_of(self, licence_ids: Sequence[str]) -> list[str]:
        """The NEPHs of these licences (by hex id) that have rows."""
        with self.engine.connect() as connection:
            query = select(rm_licences.c.neph).where(rm_licences.c.licence_id.in_(licence_ids))
            return list(connection.execute(query).scalars())

    def stale_nephs(self, on: Any) -> list[str]:
        """Licences whose rows change on or before `on` without a new event (design hint 2)."""
        with self.engine.connect() as connection:
            query = select(rm_licences.c.neph).where(rm_licences.c.changes_on <= on)
            return list(connection.execute(query.order_by(rm_licences.c.neph)).scalars())

    def licence_count(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(rm_licences)).scalar_one()
            )

    def iter_nephs(self, after: str = "", chunk: int = 1000) -> Iterator[str]:
        """Every licence in the read models, in NEPH order (keyset pages)."""
        while True:
            with self.engine.connect() as connection:
                page = list(
                    connection.execute(
                        select(rm_licences.c.neph)
                        .where(rm_licences.c.neph > after)
                        .order_by(rm_licences.c.neph)
                        .limit(chunk)
                    ).scalars()
                )
            yield from page
            if len(page) < chunk:
                return
            after = page[-1]

    def stored_rows(self, nephs: Sequence[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Every row of these licences, table by table, in key order (for `permis verify`)."""
        found: dict[str, dict[str, list[dict[str, Any]]]] = {
            neph: {table.name: [] for table in LICENCE_TABLES} for neph in nephs
        }
        with self.engine.connect() as connection:
            for chunk in _chunks(nephs):
                for table in LICENCE_TABLES:
                    query = select(table).where(table.c.neph.in_(chunk))
                    for row in connection.execute(query.order_by(*table.primary_key)):
                        found[row.neph][table.name].append(dict(row._mapping))
        return found

    # --- writing ------------------------------------------------------------------------------

    def write(
        self,
        application_name: str,
        read: Position,
        notification_id: int,
        batch: Sequence[LicenceRows],
        gone: Sequence[str] = (),
    ) -> Position:
        """Replace the rows of `batch` (and delete those of `gone`), move the position; atomically.

        A history only grows, so a licence's audit rows before `rows.audit_start` are kept.
        """
        with self._transaction() as connection:
            moved = self._move(connection, application_name, read, notification_id)
            whole = [rows.neph for rows in batch if rows.audit_start == 0] + list(gone)
            for chunk in _chunks(whole):
                connection.execute(delete(rm_audit).where(rm_audit.c.neph.in_(chunk)))
            for rows in batch:
                if rows.audit_start:
                    connection.execute(
                        delete(rm_audit).where(
                            and_(
                                rm_audit.c.neph == rows.neph,
                                rm_audit.c.position >= rows.audit_start,
                            )
                        )
                    )
            for chunk in _chunks([rows.neph for rows in batch] + list(gone)):
                for table in LICENCE_TABLES:
                    if table is not rm_audit:
                        connection.execute(delete(table).where(table.c.neph.in_(chunk)))
            self._insert(connection, rm_licences, [rows.licence for rows in batch])
            self._insert(
                connection, rm_obligations, [r for rows in batch for r in rows.obligations]
            )
            self._insert(connection, rm_flags, [r for rows in batch for r in rows.flags])
            self._insert(connection, rm_letters, [r for rows in batch for r in rows.letters])
            self._insert(connection, rm_audit, [r for rows in batch for r in rows.audit])
        return moved

    def insert(self, batch: Sequence[LicenceRows]) -> None:
        """Add the rows of licences that have none (a rebuild, `projections.rebuild`), in one
        transaction, without moving the position."""
        with self._transaction() as connection:
            self._insert(connection, rm_licences, [rows.licence for rows in batch])
            self._insert(
                connection, rm_obligations, [r for rows in batch for r in rows.obligations]
            )
            self._insert(connection, rm_flags, [r for rows in batch for r in rows.flags])
            self._insert(connection, rm_letters, [r for rows in batch for r in rows.letters])
            self._insert(connection, rm_audit, [r for rows in batch for r in rows.audit])

    def reset(self, application_name: str) -> Position:
        """Empty every read model and move the position back to the start (a rebuild)."""
        read = self.position(application_name)
        with self._transaction() as connection:
            for table in LICENCE_TABLES:
                connection.execute(delete(table))
            return self._move(connection, application_name, read, 0)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    @staticmethod
    def _move(connection: Connection, name: str, read: Position, notification_id: int) -> Position:
        """The optimistic lock: move the position only if nobody wrote since `read`."""
        moved = Position(notification_id, read.revision + 1)
        if read.revision == 0:
            existing = connection.execute(
                select(rm_tracking.c.revision).where(rm_tracking.c.application_name == name)
            ).first()
            if existing is not None:
                raise ProjectionConflict(f"{name}: the read models were written meanwhile")
            try:
                connection.execute(
                    insert(rm_tracking).values(
                        application_name=name, notification_id=notification_id, revision=1
                    )
                )
            except exc.IntegrityError:
                raise ProjectionConflict(
                    f"{name}: the read models were written meanwhile"
                ) from None
            return moved
        result = connection.execute(
            update(rm_tracking)
            .where(
                and_(
                    rm_tracking.c.application_name == name,
                    rm_tracking.c.revision == read.revision,
                )
            )
            .values(notification_id=notification_id, revision=moved.revision)
        )
        if result.rowcount != 1:
            raise ProjectionConflict(f"{name}: the read models were written meanwhile")
        return moved

    @staticmethod
    def _insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """The rows in one `executemany` of a plain statement (issue 17): SQLAlchemy's insert of
        many rows compiles and renders them again at each call, the driver only binds them."""
        if not rows:
            return
        sqlite = connection.dialect.name == "sqlite"
        columns = [column.name for column in table.columns]
        mark = "?" if sqlite else "%s"
        statement = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join(mark for _ in columns)})"
        )
        # sqlite3 binds dates as ISO text and booleans as 0/1, as SQLAlchemy's types store them
        connection.exec_driver_sql(statement, [tuple(map(row.get, columns)) for row in rows])


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])
