"""A terminal that talks to a person, services that log JSON (issue 19 item 3).

- at a terminal, `permis import` draws a progress bar and prints its summary, and no JSON line;
- in a service, every line is JSON, Alembic's and Uvicorn's included, and every line of a web
  request carries its request id, also sent back in `X-Request-ID`.
"""

from __future__ import annotations

import json
import logging
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from infrastructure.database import engine_for, ensure_schema
from infrastructure.logging import configure_logging
from services.web.request_id import RequestId

DEMO = Path(__file__).parent.parent / "ops" / "demo" / "journal.jsonl"


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `permis ARGS` with its output on a pseudo-terminal; what it printed there."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "services", *args], stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    code = process.wait(timeout=300)
    reader.join(timeout=10)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_issue_19_an_import_at_a_terminal_prints_a_summary_and_no_json(tmp_path: Path) -> None:
    """At a terminal the logs are for a person (WARNING and up, readable), so the 29 lines of the
    demo journal give the summary alone, not a JSON line each."""
    env = {**os.environ, "PERMIS_DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite'}"}
    env.pop("PERMIS_LOG_LEVEL", None)
    env.pop("PERMIS_LOG_FORMAT", None)
    code, printed = on_a_terminal(["import", str(DEMO)], env)
    assert code == 0, printed
    assert "applied: 29, skipped: 0, refused: 0" in printed
    assert '{"' not in printed


def test_issue_19_piped_the_same_import_logs_json_lines(tmp_path: Path) -> None:
    """Without a terminal (a pipe, a service), one JSON object a line, from INFO up."""
    env = {**os.environ, "PERMIS_DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite'}"}
    env.pop("PERMIS_LOG_LEVEL", None)
    env.pop("PERMIS_LOG_FORMAT", None)
    done = subprocess.run(
        [sys.executable, "-m", "services", "import", str(DEMO)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) >= 29 and all("event" in line and "level" in line for line in lines)


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The service's logging on the captured standard error, then the defaults again (other
    tests configure their own)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", service=True)
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_issue_19_alembic_logs_through_structlog(
    json_logs: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Migrating a new store logs Alembic's steps as JSON lines, not Alembic's own format."""
    engine = engine_for(f"sqlite:///{tmp_path / 's.sqlite'}")
    ensure_schema(engine)
    engine.dispose()
    captured = capsys.readouterr().err
    lines = json_lines(captured)
    assert lines, captured[:500]
    upgrades = [line for line in lines if str(line["event"]).startswith("Running upgrade")]
    assert [line["logger"] for line in upgrades] == ["alembic.runtime.migration"] * 3


def test_issue_19_every_line_of_a_request_has_its_request_id(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service's own line and a standard library one (as Uvicorn's) share the request's
    id, which the answer carries; a proxy's id is kept."""
    app = FastAPI()
    app.add_middleware(RequestId)

    @app.get("/hello")
    def hello() -> dict[str, str]:
        structlog.get_logger("permis.web").info("hello.said")
        logging.getLogger("uvicorn.error").info("from the server")
        return {"hello": "world"}

    with TestClient(app) as client:
        answer = client.get("/hello")
        kept = client.get("/hello", headers={"X-Request-ID": "proxy-1234567"})
    said = ("hello.said", "from the server")  # not the test client's own lines
    lines = [line for line in json_lines(capsys.readouterr().err) if line["event"] in said]
    first = answer.headers["x-request-id"]
    assert len(first) >= 16
    assert [line.get("request_id") for line in lines] == [first, first] + ["proxy-1234567"] * 2
    assert kept.headers["x-request-id"] == "proxy-1234567"
