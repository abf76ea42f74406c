"""Helpers for the web tests: a back-office on a fresh store with the demo journal and two users."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI

from infrastructure.users import ConsultationCodes, ConsultationGuard, UserStore
from projections.catch_up import catch_up
from projections.database import engine_for
from services.journal import parse_journal
from services.licensing import Licensing
from services.web.app import create_app
from services.web.context import WebContext

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "ops" / "demo" / "journal.jsonl"
DEMO_CLOCK = date(2026, 3, 1)
SECRET = b"web-tests-secret"
# argon2 at its cheapest: the tests log in hundreds of times (`permis users add` keeps the default).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
OPERATOR = ("olga", "operator-password")
AUDITOR = ("audrey", "auditor-password")
DEMO_NEPHS = sorted({json.loads(x)["neph"] for x in DEMO.read_text().splitlines() if x.strip()})


PERMIS = str(Path(sys.executable).parent / "permis")


def permis(
    url: str, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """The `permis` command on the store at `url`, as an operator runs it."""
    environ = dict(os.environ, PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING", **env)
    return subprocess.run(
        [PERMIS, *args], input=stdin, env=environ, capture_output=True, text=True, timeout=120
    )


class Clock:
    """The wall clock of the consultation lock, moved by the tests (naive UTC)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@dataclass
class Backoffice:
    app: FastAPI
    context: WebContext
    clock: Clock
    url: str

    @property
    def service(self) -> Licensing:
        return self.context.service

    def code(self, neph: str) -> str:
        return self.context.codes.code(neph)


def load_demo(service: Licensing, to: date = DEMO_CLOCK) -> None:
    """The demo journal (ops/demo), then the clock to `to`."""
    lines, errors = parse_journal(DEMO.read_text())
    assert not errors
    report = service.import_lines(lines)
    assert not report.refusals
    service.tick(to)
    catch_up(service)  # the read models, as `permis import` and `permis tick` leave them


def backoffice(service: Licensing, store_url: str) -> Backoffice:
    """An app on the service's store with an operator and an auditor."""
    engine = engine_for(store_url)
    clock = Clock()
    policy = service.policy
    context = WebContext(
        service=service,
        engine=engine,
        users=UserStore(engine, FAST_HASHER),
        codes=ConsultationCodes(SECRET),
        guard=ConsultationGuard(
            engine, policy.consultation_max_attempts, policy.consultation_lock_minutes
        ),
        secret=SECRET,
        now=clock,
    )
    context.users.add(OPERATOR[0], "operator", OPERATOR[1])
    context.users.add(AUDITOR[0], "auditor", AUDITOR[1])
    return Backoffice(create_app(context), context, clock, store_url)


def demo_line(**fields: Any) -> dict[str, Any]:
    """A journal line recorded on the demo clock unless `at` is given."""
    return {"at": DEMO_CLOCK.isoformat(), **fields}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app behind uvicorn in a thread on a free localhost port; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
