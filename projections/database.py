"""The read models' database: an engine on the event store's URL, migrated to head on first use.

The engine and the migrations are the store's (`infrastructure.database`): Alembic keeps the read
models and the service's tables in one tree (ops/migrations). The names stay here for the read
models' users.
"""

from __future__ import annotations

from infrastructure.database import (
    HEAD_REVISION,
    MIGRATION_LOCK,
    MIGRATIONS,
    VERSION_TABLE,
    current_revision,
    engine_for,
    ensure_schema,
    sqlalchemy_url,
)
from infrastructure.database import SchemaUnavailable as ReadModelsUnavailable

__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS",
    "MIGRATION_LOCK",
    "VERSION_TABLE",
    "ReadModelsUnavailable",
    "current_revision",
    "engine_for",
    "ensure_schema",
    "sqlalchemy_url",
]
