"""Event recorders that also keep, in the same transaction as the events, the service's own tables.

- `permis_commands`: every journal id once evaluated, with the hash of its line and its outcome, so a
  re-import is a lookup and a crash can never separate a command's effects from its receipt;
- `permis_due`: for each licence, the date its next time-driven effect falls due (the index a tick
  reads, so a day's work is proportional to what falls due, not to the number of licences);
- `permis_clock`: the date up to which time-driven rules were applied (CONTRACT §2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


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

    def select_existing(self, originator_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `originator_ids` that have events (one query for many licences)."""
        raise NotImplementedError


def _receipt_values(receipts: Sequence[Receipt]) -> list[tuple[Any, ...]]:
    return [
        (r.command_id, r.digest, r.outcome, r.reason, r.neph, r.recorded_on, r.line)
        for r in receipts
    ]


def _receipt_rows(receipts: Sequence[Receipt]) -> list[tuple[Any, ...]]:
    return [
        (r.command_id, r.digest, r.outcome, r.reason, r.neph, r.recorded_on.isoformat(), r.line)
        for r in receipts
    ]


class PermisSQLiteRecorder(SQLiteApplicationRecorder, PermisRecorder):
    """The SQLite event store with the service's tables (the embedded default)."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS permis_commands (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "command_id TEXT NOT NULL UNIQUE, digest TEXT NOT NULL, outcome TEXT NOT NULL, "
            "reason TEXT NOT NULL, neph TEXT NOT NULL, recorded_on TEXT NOT NULL, line TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS permis_due (licence_id TEXT PRIMARY KEY, "
            "neph TEXT NOT NULL UNIQUE, due_on TEXT)",
            # select_due's keyset order: a page walks the index, however many share a due date
            "CREATE INDEX IF NOT EXISTS permis_due_order ON permis_due (due_on, licence_id)",
            "CREATE TABLE IF NOT EXISTS permis_clock (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "clock TEXT NOT NULL)",
        ]

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
                _receipt_rows(receipts),
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


class PermisPostgresRecorder(PostgresApplicationRecorder, PermisRecorder):
    """The PostgreSQL event store with the service's tables (production)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.extend(
            SQL(statement).format(schema=schema)
            for statement in (
                "CREATE TABLE IF NOT EXISTS {schema}.permis_commands (seq bigserial PRIMARY KEY, "
                "command_id text NOT NULL UNIQUE, digest text NOT NULL, outcome text NOT NULL, "
                "reason text NOT NULL, neph text NOT NULL, recorded_on date NOT NULL, "
                "line text NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {schema}.permis_due (licence_id text PRIMARY KEY, "
                "neph text NOT NULL UNIQUE, due_on date)",
                # select_due's keyset order: a page walks the index, however many share a date
                "CREATE INDEX IF NOT EXISTS permis_due_order ON {schema}.permis_due "
                "(due_on, licence_id)",
                "CREATE TABLE IF NOT EXISTS {schema}.permis_clock (id int PRIMARY KEY "
                "CHECK (id = 1), clock date NOT NULL)",
            )
        )

        # The library sends events as an array of a composite type, in text: psycopg escapes each
        # field of each row with regular expressions, a cost that grows with the events' size.
        # The same rows as one array per column, in binary, need no escaping.
        self.insert_columns_statement = SQL(
            "INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(
            table=self._table(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )

    def _table(self, name: str) -> Any:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(name))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's insert (table lock, NOTIFY, notification ids back), columns in binary."""
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_columns_statement,
            [
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ],
        )

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # One statement a table, the rows as arrays in binary: a batch's hundreds of rows in one
        # go rather than a statement each (receipts keep their order, which numbers them).
        receipts: Sequence[Receipt] = kwargs.get("receipts", ())
        if receipts:
            curs.execute(
                SQL(
                    "INSERT INTO {} (command_id, digest, outcome, reason, neph, recorded_on, line) "
                    "SELECT c, d, o, r, n, at, l FROM unnest(%b::text[], %b::text[], %b::text[], "
                    "%b::text[], %b::text[], %b::date[], %b::text[]) WITH ORDINALITY "
                    "AS u(c, d, o, r, n, at, l, i) ORDER BY i"
                ).format(self._table("permis_commands")),
                [list(column) for column in zip(*_receipt_values(receipts), strict=True)],
            )
        due: Sequence[DueEntry] = kwargs.get("due", ())
        if due:
            curs.execute(
                SQL(
                    "INSERT INTO {} SELECT * FROM unnest(%b::text[], %b::text[], %b::date[]) "
                    "ON CONFLICT (licence_id) DO UPDATE SET due_on = excluded.due_on"
                ).format(self._table("permis_due")),
                [
                    [d.licence_id for d in due],
                    [d.neph for d in due],
                    [d.due_on for d in due],
                ],
            )
        clock: date | None = kwargs.get("clock")
        if clock is not None:
            curs.execute(
                SQL(
                    "INSERT INTO {t} AS c VALUES (1, %s) ON CONFLICT (id) "
                    "DO UPDATE SET clock = greatest(c.clock, excluded.clock)"
                ).format(t=self._table("permis_clock")),
                (clock,),
            )

    def select_receipts(self, command_ids: Sequence[str]) -> dict[str, Receipt]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE command_id = ANY(%s)").format(
                    self._table("permis_commands")
                ),
                (list(command_ids),),
            )
            return {
                r["command_id"]: Receipt(
                    r["command_id"],
                    r["digest"],
                    r["outcome"],
                    r["reason"],
                    r["neph"],
                    r["recorded_on"],
                    r["line"],
                )
                for r in curs.fetchall()
            }

    def select_due(
        self, up_to: date, limit: int, after: tuple[date, str] | None = None
    ) -> list[DueEntry]:
        since = after or (date.min, "")
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT * FROM {} WHERE due_on <= %s AND (due_on, licence_id) > (%s, %s) "
                    "ORDER BY due_on, licence_id LIMIT %s"
                ).format(self._table("permis_due")),
                (up_to, *since, limit),
            )
            return [DueEntry(r["licence_id"], r["neph"], r["due_on"]) for r in curs.fetchall()]

    def select_nephs(self, after: str, limit: int) -> list[str]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT neph FROM {} WHERE neph > %s ORDER BY neph LIMIT %s").format(
                    self._table("permis_due")
                ),
                (after, limit),
            )
            return [r["neph"] for r in curs.fetchall()]

    def select_clock(self) -> date | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT clock FROM {} WHERE id = 1").format(self._table("permis_clock"))
            )
            row = curs.fetchone()
            return row["clock"] if row else None

    def select_existing(self, originator_ids: Sequence[UUID]) -> set[UUID]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT DISTINCT originator_id FROM {} WHERE originator_id = ANY(%s)").format(
                    self._table(self.events_table_name)
                ),
                (list(originator_ids),),
            )
            return {row["originator_id"] for row in curs.fetchall()}
