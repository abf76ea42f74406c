"""`permis` imports only what each command needs: batch scripts start it hundreds of times.

Each command runs in a fresh interpreter that reports the top-level packages it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SCENARIOS

PROBE = """
import json, sys
report, sys.argv = sys.argv[1], ["permis", *sys.argv[2:]]
from services.cli import main
try:
    main()
finally:
    with open(report, "w") as stream:
        json.dump(sorted({name.partition(".")[0] for name in sys.modules}), stream)
"""
NEPH = "100000000001"
WEB = {"fastapi", "starlette", "uvicorn", "jinja2", "argon2"}
"""The web back-office and its users: only `serve`, `users` and `licence code` need them."""
STORE = {"sqlalchemy", "alembic", "psycopg", "eventsourcing"}
"""The event store and the read models: not needed to print help."""


def run(url: str, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    report = tmp_path / "modules.json"
    env = dict(os.environ, PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, set(json.loads(report.read_text(encoding="utf-8")))


def assert_not_imported(modules: set[str], heavy: set[str]) -> None:
    assert not modules & heavy, f"imported {sorted(modules & heavy)}"


@pytest.fixture
def journal(tmp_path: Path) -> str:
    scenario = json.loads((SCENARIOS / "p08_stage_once_a_year.json").read_text(encoding="utf-8"))
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in scenario["journal"]), "utf-8")
    return str(path)


@pytest.fixture
def store(sqlite_url: str, tmp_path: Path, journal: str) -> str:
    """A small store whose read models are migrated and current."""
    result, _ = run(sqlite_url, tmp_path, "import", journal)
    assert result.returncode == 0, result.stderr
    return sqlite_url


def test_help_imports_neither_the_store_nor_the_web_app(sqlite_url: str, tmp_path: Path) -> None:
    """`permis --help`: no SQLAlchemy, Alembic, psycopg, eventsourcing, FastAPI, Starlette,
    Uvicorn, Jinja2 nor Argon2."""
    result, modules = run(sqlite_url, tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert_not_imported(modules, STORE | WEB)


@pytest.mark.parametrize(
    "args",
    [
        ["licence", "show", "--help"],
        ["tick", "--help"],
        ["report", "--help"],
        ["users", "--help"],
        ["serve", "--help"],
    ],
)
def test_the_help_of_a_command_imports_no_database_library_nor_the_web_app(
    sqlite_url: str, tmp_path: Path, args: list[str]
) -> None:
    """A command's help: no SQLAlchemy, Alembic, psycopg, FastAPI, Starlette, Uvicorn, Jinja2
    nor Argon2 (eventsourcing is there: `permis` sets the acting user before the command parses
    its options, and that variable lives beside the events)."""
    result, modules = run(sqlite_url, tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert_not_imported(modules, (STORE - {"eventsourcing"}) | WEB)


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_licence_show_reads_the_store_without_read_models_or_web_app(
    store: str, tmp_path: Path, extra: list[str]
) -> None:
    """`licence show` folds the events: the store (eventsourcing), but no SQLAlchemy, Alembic,
    psycopg on a SQLite store, FastAPI, Starlette, Uvicorn, Jinja2 nor Argon2."""
    result, modules = run(store, tmp_path, "licence", "show", NEPH, *extra)
    assert result.returncode == 0, result.stderr
    assert NEPH in result.stdout
    assert "eventsourcing" in modules
    assert_not_imported(modules, {"sqlalchemy", "alembic", "psycopg"} | WEB)


def test_a_refused_tick_writes_nothing_and_imports_no_read_models(
    store: str, tmp_path: Path
) -> None:
    """`tick` before the clock: refused before any write, so no read models to catch up (no
    SQLAlchemy, Alembic), no psycopg on a SQLite store, and no FastAPI, Starlette, Uvicorn, Jinja2
    nor Argon2."""
    result, modules = run(store, tmp_path, "tick", "--to", "2020-01-01")
    assert result.returncode == 2
    assert "the clock is already at" in result.stderr
    assert_not_imported(modules, {"sqlalchemy", "alembic", "psycopg"} | WEB)


@pytest.mark.parametrize(
    "command",
    [
        ["import", "JOURNAL"],
        ["tick", "--to", "2025-01-01"],
        ["audit", NEPH],
    ],
)
def test_writes_and_audit_use_the_read_models_but_not_the_web_app(
    store: str, tmp_path: Path, journal: str, command: list[str]
) -> None:
    """`import` and `tick` catch the read models up and `audit` reads `rm_audit` (SQLAlchemy), but
    no Alembic once they are migrated, no psycopg on a SQLite store, and no FastAPI, Starlette,
    Uvicorn, Jinja2 nor Argon2."""
    args = [journal if arg == "JOURNAL" else arg for arg in command]
    result, modules = run(store, tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout
    assert_not_imported(modules, {"alembic", "psycopg"} | WEB)
