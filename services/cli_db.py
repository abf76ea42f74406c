"""`permis db upgrade` and `permis db current`: the database schema, kept by Alembic (issue 19).

Every command brings a store's schema to head on first use; these let an operator do it at a
time of their choosing (before starting the units after an upgrade of permis) and check it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

# `permis` imports this module on every run: the store, SQLAlchemy and Alembic only when a
# command runs.

db_app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Create the store's tables, or bring those of an earlier release up to date."""
    from infrastructure.database import current_revision, engine_for
    from services.cli import _service, out

    service = _service(create=True)  # opening the store migrates it to head
    engine = engine_for(service.store.url)
    try:
        out.print(f"database schema at revision {current_revision(engine)} (head)", markup=False)
    finally:
        engine.dispose()


@db_app.command("current")
def current() -> None:
    """Print the schema's revision and any difference with what this release expects.

    Exit 0 when the schema is at head with no pending change, 1 otherwise (run `permis db
    upgrade`), 2 when there is no store.
    """
    from infrastructure.database import HEAD_REVISION, current_revision, engine_for
    from infrastructure.settings import load_settings
    from infrastructure.store import check_exists
    from projections.schema import every_table
    from services.cli import _configured, out

    def open_engine() -> Engine:
        url = load_settings().database_url
        check_exists(url)
        return engine_for(url)

    engine = _configured(open_engine)
    try:
        revision = current_revision(engine)
        if revision != HEAD_REVISION:
            out.print(
                f"database schema at revision {revision or 'none'}, this release expects "
                f"{HEAD_REVISION}: run `permis db upgrade`",
                markup=False,
            )
            raise typer.Exit(1)
        from infrastructure.database import pending_changes

        changes = pending_changes(engine, every_table())
    finally:
        engine.dispose()
    for change in changes:
        out.print(f"pending change: {change}", markup=False)
    if changes:
        raise typer.Exit(1)
    out.print(f"database schema at revision {revision} (head), no pending change", markup=False)


def register(app: typer.Typer) -> None:
    """Add `permis db` to `permis`."""
    app.add_typer(db_app, name="db")
