"""What the operators do at their desk that changes nothing of a licence's legal state: a work-queue
item marked handled (a reminder sent, the prosecutor told), a holder's confidential code shown.

These are records of their own, not licence events: they move no balance, date or deadline, so
they stay out of the licence's event stream (whose events the rules replay and whose hashes chain,
R-9.2). Each is appended once, in one transaction, with who did it, when, and why; nothing is ever
updated or deleted. The licence page shows them in its audit trail beside the events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
)

from infrastructure.database import ensure_schema
from infrastructure.users import metadata

NOTE_MAX = 2000

desk_table = Table(
    "permis_desk_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("neph", String(12), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("queue", String(32)),  # a handled item's work queue
    Column("item", String(160)),  # its reference in the queue (a flag's id, a letter's date)
    Column("done_on", Date),  # the date the operator says it was handled
    Column("note", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("via", String(8), nullable=False),  # web, api, cli
    Column("recorded_at", DateTime, nullable=False),  # naive UTC
    Index("permis_desk_actions_item", "queue", "item", "neph"),
)


class Action(StrEnum):
    HANDLED = "handled"
    CODE_SHOWN = "code_shown"


class DeskError(ValueError):
    """A record that cannot be kept as asked, with the reason (in French: the operators read it)."""


@dataclass(frozen=True)
class DeskRecord:
    neph: str
    action: Action
    queue: str | None
    item: str | None
    done_on: date | None
    note: str
    actor: str
    via: str
    recorded_at: datetime


class Desk:
    """The append-only record of the operators' desk actions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(engine)  # the tables are Alembic's (ops/migrations, 0003)

    def handled(
        self,
        neph: str,
        queue: str,
        item: str,
        done_on: date,
        note: str,
        actor: str,
        now: datetime,
        via: str = "web",
    ) -> DeskRecord:
        """Mark a work-queue item handled on `done_on`, with a note; it then leaves the queue."""
        note = note.strip()
        if not note:
            raise DeskError("note : précisez ce qui a été fait")
        if len(note) > NOTE_MAX:
            raise DeskError(f"note : {NOTE_MAX} caractères au plus")
        if done_on > now.date():
            raise DeskError("date : un traitement ne peut pas être daté d'après aujourd'hui")
        record = DeskRecord(neph, Action.HANDLED, queue, item, done_on, note, actor, via, now)
        self._append(record)
        return record

    def code_shown(self, neph: str, what: str, actor: str, now: datetime, via: str) -> DeskRecord:
        """An operator saw a holder's confidential code (R-8.1): who, when, on what."""
        record = DeskRecord(neph, Action.CODE_SHOWN, None, None, None, what, actor, via, now)
        self._append(record)
        return record

    def _append(self, record: DeskRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(desk_table).values(
                    neph=record.neph,
                    action=str(record.action),
                    queue=record.queue,
                    item=record.item,
                    done_on=record.done_on,
                    note=record.note,
                    actor=record.actor,
                    via=record.via,
                    recorded_at=record.recorded_at,
                )
            )

    def of_licence(self, neph: str) -> list[DeskRecord]:
        """Every record of a licence, oldest first."""
        t = desk_table
        query = select(t).where(t.c.neph == neph).order_by(t.c.id)
        with self.engine.connect() as conn:
            return [
                DeskRecord(
                    r.neph,
                    Action(r.action),
                    r.queue,
                    r.item,
                    r.done_on,
                    r.note,
                    r.actor,
                    r.via,
                    r.recorded_at,
                )
                for r in conn.execute(query)
            ]

    def handled_items(self, queues: tuple[str, ...], on: date) -> set[tuple[str, str, str]]:
        """(queue, NEPH, item) of every item of these queues handled on or before `on`."""
        t = desk_table
        query = select(t.c.queue, t.c.neph, t.c.item).where(
            t.c.action == str(Action.HANDLED), t.c.queue.in_(queues), t.c.done_on <= on
        )
        with self.engine.connect() as conn:
            return {(r.queue, r.neph, r.item) for r in conn.execute(query)}
