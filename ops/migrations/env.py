"""Alembic environment of every table of the service but the event store library's own: the read
models (`rm_*`, `projections.schema`) and the service's tables (`permis_*`,
`infrastructure.tables`), in the event store's database (issue 19 item 5).

Run programmatically on first use (`infrastructure.database.ensure_schema`), which passes its
connection in `config.attributes["connection"]`; by `permis db upgrade`; or by hand with
`alembic -c ops/migrations/alembic.ini upgrade head` (or `check`), which reads
PERMIS_DATABASE_URL. The version table keeps its first name, `rm_alembic_version`.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, text

from infrastructure.database import MIGRATION_LOCK, VERSION_TABLE, engine_for
from infrastructure.settings import DEFAULT_DATABASE_URL
from infrastructure.tables import include_name
from projections.schema import every_table


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=every_table(),
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,
        compare_type=True,
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
    engine = engine_for(os.environ.get("PERMIS_DATABASE_URL") or DEFAULT_DATABASE_URL)
    with engine.connect() as connection:
        _migrate(connection)
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the migrations run online only (they need the database)")
run()
