"""The service's own tables under Alembic (issue 19): the event recorders' receipts, due dates and
clock, the back-office users and their changes, sessions, login and consultation attempts and
locks, and the desk actions.

The releases before this one created them themselves (`CREATE TABLE IF NOT EXISTS` in the
recorders, `MetaData.create_all` in the users' modules): on such a database they are there
already, with the same columns, and are left as they are (but for three tables of a SQLite store,
rebuilt with NOT NULL primary keys: a copy of their rows, a one-off cost on a large store); on an
empty one they are created.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# A date as each event recorder writes it: ISO text on SQLite, a date on PostgreSQL.
RECORDED_DATE = sa.Text().with_variant(sa.Date(), "postgresql")


def _commands() -> None:
    op.create_table(
        "permis_commands",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("command_id", sa.Text, nullable=False, unique=True),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("neph", sa.Text, nullable=False),
        sa.Column("recorded_on", RECORDED_DATE, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )


def _due() -> None:
    op.create_table(
        "permis_due",
        sa.Column("licence_id", sa.Text, primary_key=True),
        sa.Column("neph", sa.Text, nullable=False, unique=True),
        sa.Column("due_on", RECORDED_DATE),
    )
    op.create_index("permis_due_order", "permis_due", ["due_on", "licence_id"])


def _clock() -> None:
    op.create_table(
        "permis_clock",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("clock", RECORDED_DATE, nullable=False),
        sa.CheckConstraint("id = 1", name="permis_clock_id_check"),
    )


def _users() -> None:
    op.create_table(
        "permis_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _user_changes() -> None:
    op.create_table(
        "permis_user_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_permis_user_changes_name", "permis_user_changes", ["name"])


def _attempts(table: str, key: int) -> Callable[[], None]:
    def create() -> None:
        op.create_table(
            table,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("neph", sa.String(key), nullable=False),
            sa.Column("attempted_at", sa.DateTime, nullable=False),
            sa.Column("outcome", sa.String(8), nullable=False),
        )
        op.create_index(f"ix_{table}_neph", table, ["neph"])

    return create


def _locks(table: str, key: int) -> Callable[[], None]:
    def create() -> None:
        op.create_table(
            table,
            sa.Column("neph", sa.String(key), primary_key=True),
            sa.Column("failures", sa.Integer, nullable=False),
            sa.Column("locked_until", sa.DateTime, nullable=True),
        )

    return create


def _sessions() -> None:
    op.create_table(
        "permis_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_index("ix_permis_sessions_name", "permis_sessions", ["name"])


def _desk_actions() -> None:
    op.create_table(
        "permis_desk_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("neph", sa.String(12), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(32)),
        sa.Column("item", sa.String(160)),
        sa.Column("done_on", sa.Date),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_permis_desk_actions_neph", "permis_desk_actions", ["neph"])
    op.create_index("permis_desk_actions_item", "permis_desk_actions", ["queue", "item", "neph"])


TABLES: dict[str, Callable[[], None]] = {
    "permis_commands": _commands,
    "permis_due": _due,
    "permis_clock": _clock,
    "permis_users": _users,
    "permis_user_changes": _user_changes,
    "permis_consultation_attempts": _attempts("permis_consultation_attempts", 12),
    "permis_consultation_locks": _locks("permis_consultation_locks", 12),
    "permis_login_attempts": _attempts("permis_login_attempts", 128),
    "permis_login_locks": _locks("permis_login_locks", 128),
    "permis_sessions": _sessions,
    "permis_desk_actions": _desk_actions,
}


# On SQLite, the earlier releases' recorders declared these primary keys without NOT NULL, which
# SQLite then does not enforce (but for an INTEGER one): rebuilt once with it, rows kept.
REBUILT_ON_SQLITE = {"permis_commands": [], "permis_due": ["permis_due_order"], "permis_clock": []}


def _rebuild(name: str, indexes: list[str]) -> None:
    """The table made again by this revision's DDL, its rows copied in the same order (the
    receipts keep their `seq`, so their numbering and AUTOINCREMENT's counter go on)."""
    bind = op.get_bind()
    columns = ", ".join(c["name"] for c in sa.inspect(bind).get_columns(name))
    for index in indexes:
        op.drop_index(index, name)
    op.rename_table(name, f"{name}_before_0003")
    TABLES[name]()
    op.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {name}_before_0003")
    op.drop_table(f"{name}_before_0003")


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for name, create in TABLES.items():
        if name not in existing:
            create()
        elif bind.dialect.name == "sqlite" and name in REBUILT_ON_SQLITE:
            _rebuild(name, REBUILT_ON_SQLITE[name])
        # else: made by an earlier release with these very columns, left as it is


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
