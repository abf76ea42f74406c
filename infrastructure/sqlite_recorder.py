"""The SQLite event store (the embedded default) with the service's tables (`recorders`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from infrastructure.database import VERSION_TABLE as VERSION
from infrastructure.recorders import DueEntry, PermisRecorder, Receipt


class PermisSQLiteRecorder(SQLiteApplicationRecorder, PermisRecorder):
    """The SQLite event store with the service's tables (the embedded default)."""

    def __init__(
        self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name)

    # The service's tables (permis_commands, permis_due, permis_clock) are Alembic's
    # (ops/migrations, 0003): `LicenceStore` brings the schema to head when it opens.

    def _insert_stored_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        """The library's insert of the events, in one statement rather than one a row.

        The library inserts row by row to read each row's id (the notification id). The writer
        holds the database's write lock for the whole transaction, so the rows of one insert take
        consecutive ids, ending at `last_insert_rowid()`.
        """
        if not stored_events:
            return []
        c.executemany(
            self.insert_events_statement,
            [
                (
                    e.originator_id.hex if isinstance(e.originator_id, UUID) else e.originator_id,
                    e.originator_version,
                    e.topic,
                    e.state,
                )
                for e in stored_events
            ],
        )
        c.execute("SELECT last_insert_rowid() AS id")
        last = int(c.fetchone()["id"])
        return list(range(last - len(stored_events) + 1, last + 1))

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = self._insert_stored_events(c, stored_events)
        receipts: Sequence[Receipt] = kwargs.get("receipts", ())
        if receipts:
            c.executemany(
                "INSERT INTO permis_commands (command_id, digest, outcome, reason, neph, recorded_on, "
                "line) VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        r.command_id,
                        r.digest,
                        r.outcome,
                        r.reason,
                        r.neph,
                        str(r.recorded_on),
                        r.line,
                    )
                    for r in receipts
                ],
            )
        due: Sequence[DueEntry] = kwargs.get("due", ())
        if due:
            c.executemany(
                "INSERT INTO permis_due VALUES (?,?,?) ON CONFLICT (licence_id) "
                "DO UPDATE SET due_on = excluded.due_on",
                [(d.licence_id, d.neph, d.due_on.isoformat() if d.due_on else None) for d in due],
            )
        clock: date | None = kwargs.get("clock")
        if clock is not None:
            c.execute(
                "INSERT INTO permis_clock VALUES (1, ?) ON CONFLICT (id) "
                "DO UPDATE SET clock = max(clock, excluded.clock)",
                (clock.isoformat(),),
            )
        return ids

    def select_receipts(self, command_ids: Sequence[str]) -> dict[str, Receipt]:
        found: dict[str, Receipt] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(command_ids), 500):
                chunk = list(command_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                c.execute(f"SELECT * FROM permis_commands WHERE command_id IN ({marks})", chunk)
                for row in c.fetchall():
                    found[row["command_id"]] = Receipt(
                        row["command_id"],
                        row["digest"],
                        row["outcome"],
                        row["reason"],
                        row["neph"],
                        date.fromisoformat(row["recorded_on"]),
                        row["line"],
                    )
        return found

    def select_due(
        self, up_to: date, limit: int, after: tuple[date, str] | None = None
    ) -> list[DueEntry]:
        since = (after[0].isoformat(), after[1]) if after else ("", "")
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM permis_due WHERE due_on <= ? AND (due_on, licence_id) > (?, ?) "
                "ORDER BY due_on, licence_id LIMIT ?",
                (up_to.isoformat(), *since, limit),
            )
            return [
                DueEntry(r["licence_id"], r["neph"], date.fromisoformat(r["due_on"]))
                for r in c.fetchall()
            ]

    def select_nephs(self, after: str, limit: int) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT neph FROM permis_due WHERE neph > ? ORDER BY neph LIMIT ?", (after, limit)
            )
            return [r["neph"] for r in c.fetchall()]

    def select_clock(self) -> date | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT clock FROM permis_clock WHERE id = 1")
            row = c.fetchone()
            return date.fromisoformat(row["clock"]) if row else None

    def schema_revision(self) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION,))
            if c.fetchone() is None:
                return None
            c.execute(f"SELECT version_num FROM {VERSION}")
            row = c.fetchone()
            return str(row["version_num"]) if row else None

    def has_events_table(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (self.events_table_name,),
            )
            return c.fetchone() is not None

    def select_existing(self, originator_ids: Sequence[UUID]) -> set[UUID]:
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(originator_ids), 500):
                chunk = [i.hex for i in originator_ids[start : start + 500]]
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT DISTINCT originator_id FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({marks})",
                    chunk,
                )
                found.update(UUID(row["originator_id"]) for row in c.fetchall())
        return found

    def select_histories(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        found: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(originator_ids), 500):
                chunk = [i.hex for i in originator_ids[start : start + 500]]
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} WHERE originator_id IN ({marks}) "
                    "ORDER BY originator_id, originator_version",
                    chunk,
                )
                found.extend(_stored(row) for row in c.fetchall())
        return found

    def select_events_after(
        self, after: tuple[UUID, int] | None, below: UUID | None, limit: int
    ) -> list[StoredEvent]:
        start = (after[0].hex, after[1]) if after else ("", -1)
        end = below.hex if below else "g"  # after every hex id
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} "
                "WHERE (originator_id, originator_version) > (?, ?) AND originator_id < ? "
                "ORDER BY originator_id, originator_version LIMIT ?",
                (*start, end, limit),
            )
            return [_stored(row) for row in c.fetchall()]


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(UUID(row[0]), row[1], row[2], row[3])
