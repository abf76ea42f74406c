"""What the web back-office works with: the application service, users, codes, the wall clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from domain.events import acting_user
from infrastructure.desk import Desk
from infrastructure.sessions import Sessions
from infrastructure.settings import DEFAULT_PUBLIC_URL, Prefecture
from infrastructure.users import (
    ConsultationCodes,
    ConsultationGuard,
    LoginGuard,
    User,
    UserStore,
    utcnow,
)
from projections.view import ReadModels
from services.licensing import Licensing

TOKEN_MAX_AGE = 8 * 3600  # a session lasts a working day


@dataclass(frozen=True)
class LoginLimits:
    """Wrong passwords allowed per user and per address before a lock of `lock_minutes`."""

    per_user: int = 5
    per_address: int = 20
    lock_minutes: int = 15


@dataclass
class WebContext:
    """One per application: shared by the API and the pages."""

    service: Licensing
    engine: Engine  # the store's database: users, attempts, read models
    users: UserStore
    codes: ConsultationCodes
    guard: ConsultationGuard
    secret: bytes
    now: Callable[[], datetime] = utcnow  # naive UTC; tests move it
    public_url: str = DEFAULT_PUBLIC_URL  # where `/verifier` is, for the relevés' QR codes
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    prefecture: Prefecture = field(default_factory=Prefecture)  # who sends the letters
    # One writer at a time in this process: a journal post and a form never interleave.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _read_models: ReadModels | None = None
    # On the same database, made from the engine: sessions, desk records, the logins' locks.
    sessions: Sessions = field(init=False)
    desk: Desk = field(init=False)
    login_by_user: LoginGuard = field(init=False)
    login_by_address: LoginGuard = field(init=False)

    def __post_init__(self) -> None:
        limits = self.login_limits
        self.sessions = Sessions(self.engine, timedelta(seconds=TOKEN_MAX_AGE))
        self.desk = Desk(self.engine)
        self.login_by_user = LoginGuard(self.engine, limits.per_user, limits.lock_minutes)
        self.login_by_address = LoginGuard(self.engine, limits.per_address, limits.lock_minutes)

    def read_models(self) -> ReadModels:
        """The read models on the same engine, migrated on first use (the dashboard's data)."""
        if self._read_models is None:
            self._read_models = ReadModels(self.engine)
        return self._read_models

    def today(self) -> date:
        return self.now().date()

    def default_at(self) -> date:
        """The recording date a form proposes: today, never before the store's clock (CONTRACT §1)."""
        clock = self.service.clock()
        today = self.today()
        return max(today, clock) if clock is not None else today


@contextmanager
def acting_as(user: User) -> Iterator[None]:
    """Every event recorded inside carries the acting user (R-9.2: the audit trail says who)."""
    token = acting_user.set(user.name)
    try:
        yield
    finally:
        acting_user.reset(token)
