"""Alembic environment of the read models (`projections/`), in the event store's database.

Run programmatically on first use (`projections.database.ensure_schema`), which passes its
connection in `config.attributes["connection"]`; or by hand with
`alembic -c ops/migrations/alembic.ini upgrade head`, which reads PERMIS_DATABASE_URL.
The version table is `rm_alembic_version`, so other migration trees may share the database.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, text

from projections.database import MIGRATION_LOCK, VERSION_TABLE, engine_for
from projections.schema import metadata


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=lambda name, type_, _parent: type_ != "table" or str(name).startswith("rm_"),
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two processes on first use: the second waits, then finds the schema at head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = engine_for(os.environ.get("PERMIS_DATABASE_URL", "sqlite:///var/permis.sqlite"))
    with engine.connect() as connection:
        _migrate(connection)
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the read models' migrations run online only (they need the database)")
run()
