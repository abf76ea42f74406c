"""The read models: licences, obligations, flags, letters, audit trail, tracking.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_licences",
        sa.Column("neph", sa.String(12), primary_key=True),
        sa.Column("licence_id", sa.String(32), nullable=False, unique=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("balance", sa.Integer, nullable=False),
        sa.Column("ceiling", sa.Integer, nullable=False),
        sa.Column("probationary", sa.Boolean, nullable=False),
        sa.Column("probation_ends_on", sa.Date),
        sa.Column("new_licence_possible_on", sa.Date),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("changes_on", sa.Date),
        sa.Column("last_recorded_on", sa.Date, nullable=False),
    )
    op.create_index("rm_licences_changes_on", "rm_licences", ["changes_on"])
    op.create_table(
        "rm_obligations",
        sa.Column("neph", sa.String(12), primary_key=True),
        sa.Column("obligation_id", sa.String(160), primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settled_on", sa.Date),
    )
    op.create_index("rm_obligations_valid", "rm_obligations", ["valid_to", "valid_from"])
    op.create_table(
        "rm_flags",
        sa.Column("neph", sa.String(12), primary_key=True),
        sa.Column("flag_id", sa.String(160), primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("raised_on", sa.Date, nullable=False),
        sa.Column("cleared", sa.Boolean, nullable=False),
        sa.Column("centre", sa.Text),
        sa.Column("fine_max_eur", sa.Integer),
        sa.Column("suspension_max_years", sa.Integer),
    )
    op.create_index("rm_flags_valid", "rm_flags", ["valid_to", "valid_from"])
    op.create_table(
        "rm_letters",
        sa.Column("neph", sa.String(12), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("ref", sa.String(160), nullable=False),
        sa.Column("sent_on", sa.Date, nullable=False),
        sa.Column("delivered_on", sa.Date),
    )
    op.create_index("rm_letters_awaiting", "rm_letters", ["delivered_on", "sent_on"])
    op.create_table(
        "rm_audit",
        sa.Column("neph", sa.String(12), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("article", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("command_id", sa.String(128)),
        sa.Column("actor", sa.Text),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.String(40), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "rm_tracking",
        sa.Column("application_name", sa.String(64), primary_key=True),
        sa.Column("notification_id", sa.BigInteger, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("rm_tracking", "rm_audit", "rm_letters", "rm_flags", "rm_obligations"):
        op.drop_table(table)
    op.drop_table("rm_licences")
