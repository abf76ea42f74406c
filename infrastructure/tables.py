"""The service's own tables (`permis_*`), as SQLAlchemy Core declares them, in one `MetaData`.

Their DDL belongs to the Alembic migrations (ops/migrations/, from revision 0003); this is what
the code reads and writes, and `permis db current` (Alembic's autogenerate) checks that the
database has exactly it. The users', sessions', desk's and throttling tables are declared in
their modules (`users`, `sessions`, `desk`) on this same `metadata`; the event recorders' tables
are here, their columns as each store's recorder writes them (ISO dates as text on SQLite).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

metadata = MetaData()

# A date column as each recorder writes it: ISO text on SQLite, a date on PostgreSQL.
RECORDED_DATE = Text().with_variant(Date(), "postgresql")

# Every journal id once evaluated, its line, digest and outcome (`infrastructure.recorders`).
commands_table = Table(
    "permis_commands",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("command_id", Text, nullable=False, unique=True),
    Column("digest", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("neph", Text, nullable=False),
    Column("recorded_on", RECORDED_DATE, nullable=False),
    Column("line", Text, nullable=False),
    sqlite_autoincrement=True,
)

# Each licence's next due date: the index a tick reads.
due_table = Table(
    "permis_due",
    metadata,
    Column("licence_id", Text, primary_key=True),
    Column("neph", Text, nullable=False, unique=True),
    Column("due_on", RECORDED_DATE),
    # select_due's keyset order: a page walks the index, however many share a due date
    Index("permis_due_order", "due_on", "licence_id"),
)

# The date up to which time-driven rules were applied (CONTRACT §2): one row.
clock_table = Table(
    "permis_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("clock", RECORDED_DATE, nullable=False),
    CheckConstraint("id = 1", name="permis_clock_id_check"),
)

SERVICE_PREFIX = "permis_"
READ_MODEL_PREFIX = "rm_"


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """What Alembic compares: the service's and the read models' tables; the event store
    library's own tables (events, snapshots) are the library's."""
    return type_ != "table" or str(name).startswith((SERVICE_PREFIX, READ_MODEL_PREFIX))


def service_metadata() -> MetaData:
    """`metadata` with every service table on it (their modules declare them on import)."""
    import infrastructure.desk
    import infrastructure.sessions
    import infrastructure.users  # noqa: F401  (the users' and throttling tables)

    return metadata
