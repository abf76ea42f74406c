"""The read models' database: an engine on the event store's URL, migrated to head on first use."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from infrastructure.settings import store_kind

MIGRATIONS = Path(__file__).resolve().parent.parent / "ops" / "migrations"
VERSION_TABLE = "rm_alembic_version"
HEAD_REVISION = "0002"
"""The newest migration under ops/migrations/versions (a test checks they agree)."""
MIGRATION_LOCK = 0x7065726D6973  # pg_advisory_xact_lock key taken while migrating ("permis")


# Alembic's migration context is global to the process: two threads migrating at once (two workers,
# or web requests, in one process) wait on each other for ever. Processes are kept apart by the
# PostgreSQL advisory lock the migration takes (MIGRATION_LOCK).
_MIGRATING = threading.Lock()


class ReadModelsUnavailable(RuntimeError):
    """The read models' database cannot be reached or migrated."""


def sqlalchemy_url(url: str) -> str:
    """PERMIS_DATABASE_URL as SQLAlchemy names it (psycopg 3 for PostgreSQL); a URL that names
    no store of this service is a `StoreUrlError`."""
    if store_kind(url) == "postgresql":
        return "postgresql+psycopg" + url[len(urlparse(url).scheme) :]
    return url


def engine_for(url: str) -> Engine:
    """An engine on the store's database; SQLite waits for the event store's writers like it."""
    parsed = make_url(sqlalchemy_url(url))
    if parsed.get_backend_name() == "sqlite":
        # The event store's writers hold SQLite's lock for a batch: wait as long as they do.
        return create_engine(parsed, connect_args={"timeout": 30})
    return create_engine(parsed, pool_pre_ping=True)


def current_revision(engine: Engine) -> str | None:
    """The read models' schema revision, None before the first migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def ensure_schema(engine: Engine) -> None:
    """`alembic upgrade head`, unless the schema is there already (one query when it is)."""
    try:
        if current_revision(engine) == HEAD_REVISION:
            return
        with _MIGRATING:
            _upgrade(engine)
    except SQLAlchemyError as error:
        raise ReadModelsUnavailable(f"read models: {error}") from error


def _upgrade(engine: Engine) -> None:
    """`alembic upgrade head` on `engine` (one thread of the process at a time)."""
    if current_revision(engine) == HEAD_REVISION:  # another thread did it while this one waited
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
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
