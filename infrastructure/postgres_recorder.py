"""The PostgreSQL event store (production) with the service's tables (`recorders`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from infrastructure.database import VERSION_TABLE
from infrastructure.recorders import DueEntry, PermisRecorder, Receipt


class PermisPostgresRecorder(PostgresApplicationRecorder, PermisRecorder):
    """The PostgreSQL event store with the service's tables (production)."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        # The service's tables (permis_commands, permis_due, permis_clock) are Alembic's
        # (ops/migrations, 0003): `LicenceStore` brings the schema to head when it opens.

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

    def _table(self, name: str) -> Composed:
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
                _columns(receipts),  # a receipt is a tuple in the columns' order,
            )
        due: Sequence[DueEntry] = kwargs.get("due", ())
        if due:
            curs.execute(
                SQL(
                    "INSERT INTO {} SELECT * FROM unnest(%b::text[], %b::text[], %b::date[]) "
                    "ON CONFLICT (licence_id) DO UPDATE SET due_on = excluded.due_on"
                ).format(self._table("permis_due")),
                _columns(due),
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

    def schema_revision(self) -> str | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT to_regclass(%s) IS NOT NULL AS found",
                (f"{self.datastore.schema}.{VERSION_TABLE}",),
            )
            found = curs.fetchone()
            if not (found and found["found"]):
                return None
            curs.execute(SQL("SELECT version_num FROM {}").format(self._table(VERSION_TABLE)))
            row = curs.fetchone()
            return str(row["version_num"]) if row else None

    def has_events_table(self) -> bool:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT to_regclass(%s) IS NOT NULL AS found",
                (f"{self.datastore.schema}.{self.events_table_name}",),
            )
            row = curs.fetchone()
            return bool(row and row["found"])

    def select_existing(self, originator_ids: Sequence[UUID]) -> set[UUID]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT DISTINCT originator_id FROM {} WHERE originator_id = ANY(%s)").format(
                    self._table(self.events_table_name)
                ),
                (list(originator_ids),),
            )
            return {row["originator_id"] for row in curs.fetchall()}

    def select_histories(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT originator_id, originator_version, topic, state FROM {} "
                    "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
                ).format(self._table(self.events_table_name)),
                (list(originator_ids),),
            )
            return [_stored(row) for row in curs.fetchall()]

    def select_events_after(
        self, after: tuple[UUID, int] | None, below: UUID | None, limit: int
    ) -> list[StoredEvent]:
        start = after or (UUID(int=0), -1)
        end = below or UUID(int=(1 << 128) - 1)
        last = " OR originator_id = %s" if below is None else ""  # the greatest id itself
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT originator_id, originator_version, topic, state FROM {} "
                    "WHERE (originator_id, originator_version) > (%s, %s) "
                    f"AND (originator_id < %s{last}) "
                    "ORDER BY originator_id, originator_version LIMIT %s"
                ).format(self._table(self.events_table_name)),
                (*start, end, *([end] if last else []), limit),
            )
            return [_stored(row) for row in curs.fetchall()]


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"])
    )


def _columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as one list a column: the arrays that `unnest` turns back into rows."""
    return [list(column) for column in zip(*rows, strict=True)]
