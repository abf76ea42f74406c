"""The whole-store export for auditors: the journal lines recorded in a date range, replayable.

Every journal line is kept with its receipt (`permis_commands`, written with the events it caused,
in recording order): the export is those lines, refused ones included, in that order, as JSON
Lines. `permis import` of an export that starts at the store's first line, into an empty store,
followed by `permis tick --to` the source's clock, gives the same licence views and read models:
the time-driven events are decided again by the same rules on the same dates (R-0.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import Column, Date, Engine, Integer, MetaData, String, Table, Text, select

# The receipts table belongs to the event store (infrastructure/recorders.py); declared here only
# to be read, never migrated.
_store = MetaData()
permis_commands = Table(
    "permis_commands",
    _store,
    Column("seq", Integer, primary_key=True),
    Column("command_id", Text),
    Column("outcome", String),
    Column("recorded_on", Date),  # ISO text on SQLite, which the Date type binds as such
    Column("line", Text),
)

STREAM_ROWS = 1000


class ExportError(Exception):
    """A receipt without its journal line (recorded before lines were kept): not replayable."""


def iter_journal(engine: Engine, start: date, end: date) -> Iterator[str]:
    """The journal lines recorded from `start` to `end` inclusive, in recording order (JSON)."""
    c = permis_commands.c
    query = (
        select(c.command_id, c.line)
        .where(c.recorded_on >= start, c.recorded_on <= end)
        .order_by(c.seq)
    )
    with engine.connect() as connection:
        for command_id, line in connection.execution_options(yield_per=STREAM_ROWS).execute(query):
            if not line:
                raise ExportError(f"command {command_id}: its journal line was not kept")
            yield line
