"""What the web back-office works with: the application service, users, codes, the wall clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine

from domain.events import acting_user
from infrastructure.settings import DEFAULT_PUBLIC_URL
from infrastructure.users import ConsultationCodes, ConsultationGuard, User, UserStore, utcnow
from projections.view import ReadModels
from services.licensing import Licensing


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
    # One writer at a time in this process: a journal post and a form never interleave.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _read_models: ReadModels | None = None

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
