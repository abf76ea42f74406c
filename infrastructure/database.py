"""The store's SQL database as SQLAlchemy sees it: an engine on PERMIS_DATABASE_URL, and the
schema of every table of the service, kept by Alembic (ops/migrations/, issue 19 item 5).

Alembic owns every table but the event store library's own (`stored_events`/`stored_snapshots` on
SQLite, `licences_events`/`licences_snapshots` on PostgreSQL, which `eventsourcing` creates and
shapes itself): the read models (`rm_*`) and the service's tables (`permis_*`: receipts, due
dates, clock, users, sessions, login and consultation attempts and locks, desk actions).
Migrations run on first use (`ensure_schema`) or by `permis db upgrade`.

This module imports SQLAlchemy only inside its functions: the event store asks
`HEAD_REVISION` on every start, and `permis licence show` never loads SQLAlchemy.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from infrastructure.settings import store_kind

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine, MetaData

MIGRATIONS = Path(__file__).resolve().parent.parent / "ops" / "migrations"
# The name from the time Alembic kept the read models only: stores of earlier releases have it.
VERSION_TABLE = "rm_alembic_version"
HEAD_REVISION = "0003"
"""The newest migration under ops/migrations/versions (a test checks they agree)."""
MIGRATION_LOCK = 0x7065726D6D67  # pg_advisory_xact_lock key taken while migrating ("permmg")
"""Not the worker's lock (infrastructure.worker_lock): a worker holding that one may migrate."""
# Alembic's migration context is global to the process: two threads migrating at once (two workers,
# or web requests, in one process) wait on each other for ever. Processes are kept apart by the
# PostgreSQL advisory lock the migration takes (MIGRATION_LOCK).
_MIGRATING = threading.Lock()


class SchemaUnavailable(RuntimeError):
    """The database cannot be reached or migrated."""


def sqlalchemy_url(url: str) -> str:
    """PERMIS_DATABASE_URL as SQLAlchemy names it (psycopg 3 for PostgreSQL); a URL that names
    no store of this service is a `StoreUrlError`."""
    if store_kind(url) == "postgresql":
        return "postgresql+psycopg" + url[len(urlparse(url).scheme) :]
    return url


def engine_for(url: str) -> Engine:
    """An engine on the store's database; SQLite waits for the event store's writers like it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(sqlalchemy_url(url))
    if parsed.get_backend_name() == "sqlite":
        # The event store's writers hold SQLite's lock for a batch: wait as long as they do.
        return create_engine(parsed, connect_args={"timeout": 30})
    return create_engine(parsed, pool_pre_ping=True)


def current_revision(engine: Engine) -> str | None:
    """The schema's revision, None before the first migration."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def ensure_schema(engine: Engine) -> None:
    """`alembic upgrade head`, unless the schema is there already (one query when it is)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        if current_revision(engine) == HEAD_REVISION:
            return
        with _MIGRATING:
            _upgrade(engine)
    except SQLAlchemyError as error:
        raise SchemaUnavailable(f"database schema: {error}") from error


def ensure_schema_at(url: str) -> None:
    """`ensure_schema` on the database `url` names, on an engine of its own."""
    engine = engine_for(url)
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()


def _upgrade(engine: Engine) -> None:
    """`alembic upgrade head` on `engine` (one thread of the process at a time)."""
    if current_revision(engine) == HEAD_REVISION:  # another thread did it while this one waited
        return
    from alembic import command
    from sqlalchemy.exc import SQLAlchemyError

    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError:
        # SQLite has no lock to take: two processes on first use, and the second finds the
        # tables the first is creating. Wait for it to finish rather than fail.
        for _ in range(50):
            if current_revision(engine) == HEAD_REVISION:
                return
            time.sleep(0.1)
        raise


def alembic_config() -> Config:
    """Alembic's configuration for ops/migrations, without an ini file."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def pending_changes(engine: Engine, target: list[MetaData]) -> list[str]:
    """What `alembic check` would report: the differences between the tables Alembic keeps and
    the schema the code declares (`target`: `projections.schema.every_table()`); [] when none."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from infrastructure.tables import include_name

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "include_name": include_name,
                "compare_type": True,
            },
        )
        # Typed as one MetaData, but takes a sequence, as `target_metadata` does (env.py).
        changes = compare_metadata(context, target)  # type: ignore[arg-type]
        return [_described(change) for change in changes]


def _described(change: Any) -> str:
    """One of Alembic's differences as a line: what to do, and to which table, column or index."""
    if isinstance(change, list):  # the modifications of one column
        return "; ".join(_described(part) for part in change)
    kind, *rest = change
    if kind.startswith("modify_"):  # (kind, schema, table, column, …)
        return f"{kind.replace('_', ' ')} of {rest[1]}.{rest[2]}"
    target = rest[-1] if kind.endswith("_column") else rest[0]
    table = getattr(getattr(target, "table", None), "name", None) or (
        rest[1] if kind.endswith("_column") else None
    )
    name = getattr(target, "name", target)
    return f"{kind.replace('_', ' ')} {name}" + (f" on {table}" if table and table != name else "")
