"""What the back-office searches: the holder's names, their keys, birth date, département, the
latest stage's centre, the standing flags and obligations on `rm_licences`, and the indexes of a
search (issue 15).

Rows written before this revision have these columns empty: `permis projections rebuild` fills
them (ops/RUNBOOK.md).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
FLAGGED = sa.text("flags IS NOT NULL")
OBLIGED = sa.text("obligations IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("rm_licences") as table:
        table.add_column(sa.Column("surname", sa.Text))
        table.add_column(sa.Column("given_names", sa.Text))
        table.add_column(sa.Column("birth_date", sa.Date))
        table.add_column(sa.Column("surname_key", KEY))
        table.add_column(sa.Column("given_names_key", KEY))
        table.add_column(sa.Column("departement", sa.String(3)))
        table.add_column(sa.Column("stage_centre", sa.Text))
        table.add_column(sa.Column("flags", sa.String(200)))
        table.add_column(sa.Column("obligations", sa.String(200)))
    op.create_index("rm_licences_name", "rm_licences", ["surname_key", "given_names_key", "neph"])
    op.create_index("rm_licences_given_names", "rm_licences", ["given_names_key"])
    op.create_index("rm_licences_birth_date", "rm_licences", ["birth_date"])
    op.create_index("rm_licences_departement", "rm_licences", ["departement"])
    op.create_index("rm_licences_stage_centre", "rm_licences", ["stage_centre"])
    op.create_index("rm_licences_status", "rm_licences", ["status"])
    for name, where in (("flags", FLAGGED), ("obligations", OBLIGED)):
        op.create_index(
            f"rm_licences_{name}",
            "rm_licences",
            [name, "status", "probationary"],
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    names = ("obligations", "flags", "status", "stage_centre", "departement", "birth_date")
    for name in (*names, "given_names", "name"):
        op.drop_index(f"rm_licences_{name}", "rm_licences")
    with op.batch_alter_table("rm_licences") as table:
        for column in (
            "obligations",
            "flags",
            "stage_centre",
            "departement",
            "given_names_key",
            "surname_key",
            "birth_date",
            "given_names",
            "surname",
        ):
            table.drop_column(column)
