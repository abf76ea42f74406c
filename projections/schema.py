"""The read models' tables (SQLAlchemy Core), beside the event store in the same database.

Their DDL is owned by the Alembic migrations under `ops/migrations/`; this `MetaData` is what the
code reads and writes, and a test checks that the migrations produce exactly it.

- `rm_licences`: one row per licence, its state on `as_of` (the clock when the row was written),
  which still holds on every later date before `changes_on` (the next legal date of an event
  already recorded), with the version and hash of its last event (the chain's head, R-9.2), and
  what the back-office searches (`projections.search`): the holder's names and their keys, birth
  date, département, the latest stage's centre;
- `rm_obligations`, `rm_flags`: temporal rows, one per stretch of legal dates `[valid_from,
  valid_to)` during which an obligation or a flag stood unchanged (`valid_to` NULL: still so), so
  that "open on date D" is one range query (R-6);
- `rm_letters`: the letters decided, oldest first, and their acknowledgement (R-3);
- `rm_audit`: the audit trail, one row per event in recording order (R-9.1);
- `rm_tracking`: the position in the event store's notification log up to which the rows above
  are current, and a revision bumped by every write (the optimistic lock of exactly-once).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

NEPH = String(12)
# Search keys compare byte by byte whatever the database's locale, so a prefix is an index range.
KEY = String(200).with_variant(String(200, collation="C"), "postgresql")
FLAGGED = text("flags IS NOT NULL")
OBLIGED = text("obligations IS NOT NULL")

rm_licences = Table(
    "rm_licences",
    metadata,
    Column("neph", NEPH, primary_key=True),
    Column("licence_id", String(32), nullable=False, unique=True),
    Column("status", String(32), nullable=False),
    Column("balance", Integer, nullable=False),
    Column("ceiling", Integer, nullable=False),
    Column("probationary", Boolean, nullable=False),
    Column("probation_ends_on", Date),
    Column("new_licence_possible_on", Date),
    Column("issued_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("changes_on", Date),
    Column("last_recorded_on", Date, nullable=False),
    Column("surname", Text),
    Column("given_names", Text),
    Column("birth_date", Date),
    Column("surname_key", KEY),
    Column("given_names_key", KEY),
    Column("departement", String(3)),
    Column("stage_centre", Text),
    Column("flags", String(200)),
    Column("obligations", String(200)),
    Index("rm_licences_changes_on", "changes_on"),
    Index("rm_licences_name", "surname_key", "given_names_key", "neph"),
    Index("rm_licences_given_names", "given_names_key"),
    Index("rm_licences_birth_date", "birth_date"),
    Index("rm_licences_departement", "departement"),
    Index("rm_licences_stage_centre", "stage_centre"),
    Index("rm_licences_status", "status"),
    # With the other filters' columns: a count is an index-only scan of the few licences concerned.
    Index(
        "rm_licences_flags",
        "flags",
        "status",
        "probationary",
        sqlite_where=FLAGGED,
        postgresql_where=FLAGGED,
    ),
    Index(
        "rm_licences_obligations",
        "obligations",
        "status",
        "probationary",
        sqlite_where=OBLIGED,
        postgresql_where=OBLIGED,
    ),
)

rm_obligations = Table(
    "rm_obligations",
    metadata,
    Column("neph", NEPH, primary_key=True),
    Column("obligation_id", String(160), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date),
    Column("kind", String(32), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("due_on", Date),
    Column("status", String(16), nullable=False),
    Column("settled_on", Date),
    Index("rm_obligations_valid", "valid_to", "valid_from"),
)

rm_flags = Table(
    "rm_flags",
    metadata,
    Column("neph", NEPH, primary_key=True),
    Column("flag_id", String(160), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date),
    Column("kind", String(32), nullable=False),
    Column("raised_on", Date, nullable=False),
    Column("cleared", Boolean, nullable=False),
    Column("centre", Text),
    Column("fine_max_eur", Integer),
    Column("suspension_max_years", Integer),
    Index("rm_flags_valid", "valid_to", "valid_from"),
)

rm_letters = Table(
    "rm_letters",
    metadata,
    Column("neph", NEPH, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("type", String(8), nullable=False),
    Column("ref", String(160), nullable=False),
    Column("sent_on", Date, nullable=False),
    Column("delivered_on", Date),
    Index("rm_letters_awaiting", "delivered_on", "sent_on"),
)

rm_audit = Table(
    "rm_audit",
    metadata,
    Column("neph", NEPH, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("event", String(64), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("rule", String(16), nullable=False),
    Column("article", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("command_id", String(128)),
    Column("actor", Text),
    Column("policy", String(64), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("details", Text, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("previous_hash", String(64), nullable=False),
)

rm_tracking = Table(
    "rm_tracking",
    metadata,
    Column("application_name", String(64), primary_key=True),
    Column("notification_id", BigInteger, nullable=False),
    Column("revision", Integer, nullable=False),
)

LICENCE_TABLES = (rm_audit, rm_letters, rm_flags, rm_obligations, rm_licences)
"""The per-licence tables, children first (the order rows are deleted in)."""


def every_table() -> list[MetaData]:
    """Every table Alembic keeps: the service's (`infrastructure.tables`) and the read models'
    (ops/migrations/env.py, `permis db current`)."""
    from infrastructure.tables import service_metadata

    return [service_metadata(), metadata]
