"""Server-side sessions of the back-office: a logout, a disabled user or a new password ends them.

A session is a random token given to the browser (cookie) or the program (bearer); the table keeps
only its SHA-256, so a copy of the database opens no session. Each is valid until it expires or is
revoked, and is looked up on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, String, Table, insert, select, update

from infrastructure.database import ensure_schema
from infrastructure.users import metadata

sessions_table = Table(
    "permis_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("name", String(64), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    name: str
    created_at: datetime
    expires_at: datetime


class Sessions:
    """Opens, finds and revokes sessions; times are naive UTC, given by the caller's clock."""

    def __init__(self, engine: Engine, lifetime: timedelta) -> None:
        self.engine = engine
        self.lifetime = lifetime
        ensure_schema(engine)  # the tables are Alembic's (ops/migrations, 0003)

    def open(self, name: str, now: datetime) -> str:
        """A new session for `name`: its token (shown once, never stored)."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(sessions_table).values(
                    token_hash=_digest(token),
                    name=name,
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return token

    def find(self, token: str, now: datetime) -> Session | None:
        """The session of `token` if it is neither expired nor revoked."""
        t = sessions_table
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.name, t.c.created_at, t.c.expires_at).where(
                    t.c.token_hash == _digest(token),
                    t.c.revoked_at.is_(None),
                    t.c.expires_at > now,
                )
            ).first()
        return Session(row.name, row.created_at, row.expires_at) if row else None

    def revoke(self, token: str, now: datetime) -> None:
        """End one session (a logout)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sessions_table)
                .where(sessions_table.c.token_hash == _digest(token))
                .where(sessions_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def revoke_all(self, name: str, now: datetime) -> int:
        """End every session of a user (disabled, or a new password); how many were open."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sessions_table)
                .where(sessions_table.c.name == name)
                .where(sessions_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return int(result.rowcount or 0)
