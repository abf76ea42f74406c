"""Back-office users, the holders' consultation codes and the consultation lock (R-8).

Users and consultation attempts are SQLAlchemy Core tables in the same database as the event store
(an engine on the URL of the settings, `projections.database.engine_for`). Passwords are hashed with argon2; the consultation code is a keyed hash
(HMAC-SHA256) of the NEPH, so nothing secret about a holder is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from infrastructure.database import ensure_schema
from infrastructure.settings import sqlite_path, store_kind
from infrastructure.tables import metadata  # the service tables, under Alembic (0003)

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SQLiteInsert

SECRET_ENV = "PERMIS_SECRET_KEY"
SECRET_FILE_ENV = "PERMIS_SECRET_KEY_FILE"
SECRET_FILE = "secret.key"  # beside a SQLite store's database file


users_table = Table(
    "permis_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# What happened to each user, oldest first: created, disabled, enabled, password reset, and by whom
# (an admin's name, or "cli"): the auditors' record of user management, and whether a user is
# disabled (the last of "disabled" and "enabled").
user_changes_table = Table(
    "permis_user_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, index=True),
    Column("change", String(16), nullable=False),
    Column("by", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
)

# Every attempt is logged: the NEPH, when, and what came of it.
attempts_table = Table(
    "permis_consultation_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("neph", String(12), nullable=False, index=True),
    Column("attempted_at", DateTime, nullable=False),
    Column("outcome", String(8), nullable=False),
)

# The running count of wrong codes since the last good one or the last lock, per NEPH.
locks_table = Table(
    "permis_consultation_locks",
    metadata,
    Column("neph", String(12), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime, nullable=True),
)

# The operators' logins, throttled as the consultation is: per user ("user:NAME") and per address
# ("address:IP"), every attempt logged.
login_attempts_table = Table(
    "permis_login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("neph", String(128), nullable=False, index=True),  # the key: "user:…" or "address:…"
    Column("attempted_at", DateTime, nullable=False),
    Column("outcome", String(8), nullable=False),
)

login_locks_table = Table(
    "permis_login_locks",
    metadata,
    Column("neph", String(128), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime, nullable=True),
)


class Role(StrEnum):
    """Operators record; auditors read everything and write nothing; admins manage the users."""

    OPERATOR = "operator"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Change(StrEnum):
    CREATED = "created"
    DISABLED = "disabled"
    ENABLED = "enabled"
    PASSWORD_RESET = "password_reset"


class SecretKeyError(ValueError):
    """No secret key can be found for this store: a configuration error."""


class UserError(ValueError):
    """A user that cannot be created as asked, with the reason."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role


@dataclass(frozen=True)
class Account:
    """A user as the admins see it: role, whether disabled, when created."""

    name: str
    role: Role
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class UserChange:
    name: str
    change: Change
    by: str
    at: datetime


# argon2 takes 64 MiB and a core for each hash: 40 wrong logins at once took the server from
# 89 MB to 2.3 GB. No more than this many run at once; the others wait their turn.
HASHING_AT_ONCE = max(1, min(4, os.cpu_count() or 1))


def utcnow() -> datetime:
    """Naive UTC: both backends store it alike."""
    return datetime.now(UTC).replace(tzinfo=None)


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class UserStore:
    """Back-office users with argon2-hashed passwords; a bounded number hashed at once."""

    def __init__(
        self, engine: Engine, hasher: PasswordHasher | None = None, at_once: int = HASHING_AT_ONCE
    ) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self.hashing = threading.BoundedSemaphore(at_once)
        ensure_schema(engine)  # the tables are Alembic's (ops/migrations, 0003)

    @cached_property
    def _dummy(self) -> str:
        """Verifying against a dummy hash when the name is unknown keeps timings alike."""
        return self._hash(secrets.token_hex(8))

    def _hash(self, password: str) -> str:
        with self.hashing:
            return self.hasher.hash(password)

    def add(self, name: str, role: str, password: str, by: str = "cli") -> User:
        """Create a user; the name is unique, the password at least 8 characters."""
        if not name or len(name) > 64 or set(name.lower()) - _NAME_CHARS:
            raise UserError(f"name {name!r}: 1 to 64 letters, digits, '.', '_' or '-'")
        try:
            checked = Role(role)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise UserError(f"role {role!r}: expected one of {roles}") from None
        _check_password(password)
        row = {
            "name": name,
            "role": str(checked),
            "password_hash": self._hash(password),
            "created_at": utcnow(),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users_table).values(**row))
                self._changed(conn, name, Change.CREATED, by)
        except IntegrityError:
            raise UserError(f"user {name!r} already exists") from None
        return User(name, checked)

    def get(self, name: str) -> User | None:
        """The user, None when unknown or disabled."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users_table.c.name, users_table.c.role).where(users_table.c.name == name)
            ).first()
            if row is None or self._disabled(conn, name):
                return None
        return User(row.name, Role(row.role))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password matches and the user is not disabled, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
            disabled = row is not None and self._disabled(conn, name)
        if row is None:
            self._verify(self._dummy, password)
            return None
        if not self._verify(row.password_hash, password) or disabled:
            return None
        if self.hasher.check_needs_rehash(row.password_hash):
            with self.engine.begin() as conn:
                conn.execute(
                    update(users_table)
                    .where(users_table.c.name == name)
                    .values(password_hash=self._hash(password))
                )
        return User(row.name, Role(row.role))

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            with self.hashing:
                return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    # --- user management (the admins, `permis users`) -------------------------------------------

    def accounts(self) -> list[Account]:
        """Every user, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(users_table).order_by(users_table.c.name)).all()
            return [
                Account(r.name, Role(r.role), self._disabled(conn, r.name), r.created_at)
                for r in rows
            ]

    def set_disabled(self, name: str, disabled: bool, by: str) -> None:
        """Disable (or enable again) a user: a disabled user cannot log in, nor use a session."""
        with self.engine.begin() as conn:
            self._known(conn, name)
            self._changed(conn, name, Change.DISABLED if disabled else Change.ENABLED, by)

    def reset_password(self, name: str, password: str, by: str) -> None:
        _check_password(password)
        hashed = self._hash(password)
        with self.engine.begin() as conn:
            self._known(conn, name)
            conn.execute(
                update(users_table).where(users_table.c.name == name).values(password_hash=hashed)
            )
            self._changed(conn, name, Change.PASSWORD_RESET, by)

    def changes(self, name: str | None = None) -> list[UserChange]:
        """Who changed which user when, newest first (the auditors' record)."""
        query = select(user_changes_table).order_by(user_changes_table.c.id.desc())
        if name is not None:
            query = query.where(user_changes_table.c.name == name)
        with self.engine.connect() as conn:
            return [UserChange(r.name, Change(r.change), r.by, r.at) for r in conn.execute(query)]

    @staticmethod
    def _known(conn: Connection, name: str) -> None:
        found = conn.execute(select(users_table.c.name).where(users_table.c.name == name)).first()
        if found is None:
            raise UserError(f"user {name!r} does not exist")

    @staticmethod
    def _changed(conn: Connection, name: str, change: Change, by: str) -> None:
        conn.execute(
            insert(user_changes_table).values(name=name, change=str(change), by=by, at=utcnow())
        )

    @staticmethod
    def _disabled(conn: Connection, name: str) -> bool:
        t = user_changes_table
        last = conn.execute(
            select(t.c.change)
            .where(t.c.name == name, t.c.change.in_((Change.DISABLED, Change.ENABLED)))
            .order_by(t.c.id.desc())
            .limit(1)
        ).scalar()
        return last == Change.DISABLED


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise UserError("password: at least 8 characters")


# --- consultation codes (R-8.1, R-3.4) -------------------------------------------------------


def load_secret_key(database_url: str, environ: Mapping[str, str] | None = None) -> bytes:
    """The key of the consultation codes and session tokens: the same for every command on a store,
    wherever it runs, or `permis licence code` and `permis serve` would disagree (R-8.1).

    PERMIS_SECRET_KEY, else the file PERMIS_SECRET_KEY_FILE names, else, for a SQLite store, the
    file `secret.key` beside the database, created once with a random key (mode 600). A
    PostgreSQL store has no such place: one of the two variables must name the key.
    """
    env = os.environ if environ is None else environ
    if env.get(SECRET_ENV):
        return env[SECRET_ENV].encode()
    if env.get(SECRET_FILE_ENV):
        return _read_key_file(Path(env[SECRET_FILE_ENV]))
    if store_kind(database_url) != "sqlite":
        raise SecretKeyError(
            f"{SECRET_ENV} or {SECRET_FILE_ENV} must be set on a PostgreSQL store: "
            "the key of the holders' consultation codes and of the web sessions"
        )
    return _key_beside(sqlite_path(database_url))


def _read_key_file(path: Path, named_by: str = SECRET_FILE_ENV) -> bytes:
    try:
        key = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        raise SecretKeyError(f"{named_by}: {path}: cannot be read ({error})") from None
    if not key:
        raise SecretKeyError(f"{named_by}: {path} is empty: remove it or set {SECRET_ENV}")
    return key.encode()


def _key_beside(database: Path) -> bytes:
    """`secret.key` in the SQLite database's directory, written once with a random key.

    Written whole under another name, then linked to its own: two first runs at once, or a crash
    while writing, never leave an empty or half-written key that either would read.
    """
    path = database.parent / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            with suppress(FileExistsError):  # another process's key came first: theirs stands
                os.link(draft, path)
        finally:
            draft.unlink()
    return _read_key_file(path, named_by="the key beside the store")


def derived_key(key: bytes, purpose: str) -> bytes:
    """A key for one purpose, so a token key never equals the consultation key."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


class ConsultationCodes:
    """The holder's confidential code: HMAC-SHA256 of the NEPH, 10 base-32 characters (R-8.1)."""

    def __init__(self, key: bytes) -> None:
        self._key = derived_key(key, "consultation-code")

    def code(self, neph: str) -> str:
        digest = hmac.new(self._key, neph.encode(), hashlib.sha256).digest()
        text = base64.b32encode(digest).decode()[:10]
        return f"{text[:5]}-{text[5:]}"

    def matches(self, neph: str, code: str) -> bool:
        """Case, spaces and dashes do not matter; the comparison takes constant time."""
        given = "".join(code.split()).replace("-", "").upper()
        return hmac.compare_digest(given.encode(), self.code(neph).replace("-", "").encode())


def _upsert(dialect: str, table: Table) -> SQLiteInsert | PostgresInsert:
    """An INSERT that takes ON CONFLICT (SQLite ≥ 3.35, PostgreSQL), in the store's dialect."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    from sqlalchemy.dialects.postgresql import insert as postgres_insert

    return postgres_insert(table)


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    locked_until: datetime | None = None  # naive UTC, set when locked
    remaining: int | None = None  # wrong codes left before the lock


class ConsultationGuard:
    """Locks a NEPH's consultation for `lock_minutes` after `max_attempts` wrong codes (R-8.3).

    The same guard throttles the operators' logins (`LoginGuard`): its key is then a user's name
    or an address rather than a NEPH.
    """

    attempts_table = attempts_table
    locks_table = locks_table

    def __init__(self, engine: Engine, max_attempts: int, lock_minutes: int) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self.lock = timedelta(minutes=lock_minutes)
        ensure_schema(engine)  # the tables are Alembic's (ops/migrations, 0003)

    def locked_until(self, neph: str, now: datetime) -> datetime | None:
        """The end of the key's lock, if it is locked at `now` (a look, recording nothing)."""
        t = self.locks_table
        with self.engine.connect() as conn:
            until = conn.execute(select(t.c.locked_until).where(t.c.neph == neph)).scalar()
        return until if until is not None and until > now else None

    def attempt(self, neph: str, correct: bool, now: datetime) -> Attempt:
        """Record one attempt and say whether it may proceed (R-8.3: every attempt is logged)."""
        with self.engine.begin() as conn:
            failures, locked_until = self._claim(conn, neph)
            if locked_until is not None and locked_until > now:
                result = Attempt(Outcome.LOCKED, locked_until=locked_until)
            else:
                result = self._decide(failures, correct, now)
                conn.execute(
                    update(self.locks_table)
                    .where(self.locks_table.c.neph == neph)
                    .values(failures=self._failures(result), locked_until=result.locked_until)
                )
            conn.execute(
                insert(self.attempts_table).values(
                    neph=neph, attempted_at=now, outcome=str(result.outcome)
                )
            )
        return result

    def _claim(self, conn: Connection, neph: str) -> tuple[int, datetime | None]:
        """The NEPH's count and lock, read by a write that holds them until the transaction ends.

        Concurrent attempts on one NEPH must take turns, or two read the same count and one wrong
        code is lost. `SELECT … FOR UPDATE` does that on PostgreSQL only: SQLite ignores it and
        reads without a write lock. An upsert that changes nothing takes the row's lock on
        PostgreSQL and the database's write lock on SQLite, creates the row on a first attempt
        (two first attempts at once cannot both insert it), and returns the values it locked.
        """
        upsert = _upsert(conn.dialect.name, self.locks_table).values(
            neph=neph, failures=0, locked_until=None
        )
        claim = upsert.on_conflict_do_update(
            index_elements=[self.locks_table.c.neph], set_={"failures": self.locks_table.c.failures}
        ).returning(self.locks_table.c.failures, self.locks_table.c.locked_until)
        row = conn.execute(claim).one()
        return row.failures, row.locked_until

    def _decide(self, failures: int, correct: bool, now: datetime) -> Attempt:
        if correct:
            return Attempt(Outcome.OK)
        failures += 1
        if failures >= self.max_attempts:
            return Attempt(Outcome.WRONG, locked_until=now + self.lock, remaining=0)
        return Attempt(Outcome.WRONG, remaining=self.max_attempts - failures)

    def _failures(self, result: Attempt) -> int:
        """Wrong codes counted so far; a good code or a lock starts the count again."""
        if result.locked_until is not None or result.remaining is None:
            return 0
        return self.max_attempts - result.remaining

    def attempts(self, neph: str) -> list[tuple[datetime, str]]:
        """The logged attempts for a NEPH, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(self.attempts_table.c.attempted_at, self.attempts_table.c.outcome)
                .where(self.attempts_table.c.neph == neph)
                .order_by(self.attempts_table.c.id)
            ).all()
        return [(r.attempted_at, r.outcome) for r in rows]


class LoginGuard(ConsultationGuard):
    """The operators' logins: locked after too many wrong passwords, per user and per address."""

    attempts_table = login_attempts_table
    locks_table = login_locks_table
