"""Every table of the service under Alembic (issue 19 item 5): an empty database and one made by
the previous release both reach head with no pending change, on SQLite and PostgreSQL, through
`permis db upgrade` / `permis db current`; what the previous release recorded is still read.

`tests/migrations/previous_release.*.sql` are dumps of a store made by the release before
revision 0003 (main at b9023e2): the demo journal imported and ticked, a user, a session, a
consultation and a login attempt, a code shown at the desk.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, inspect
from test_cli import permis

from projections.database import HEAD_REVISION, sqlalchemy_url

DUMPS = Path(__file__).parent / "migrations"
# The journal the previous release's store was made from (the demo's lines before the holders had
# addresses): importing it again must change nothing.
PREVIOUS_JOURNAL = Path(__file__).parent / "migrations" / "previous_release_journal.jsonl"
SERVICE_TABLES = {
    "permis_commands",
    "permis_due",
    "permis_clock",
    "permis_users",
    "permis_user_changes",
    "permis_sessions",
    "permis_consultation_attempts",
    "permis_consultation_locks",
    "permis_login_attempts",
    "permis_login_locks",
    "permis_desk_actions",
}
READ_MODELS = {"rm_licences", "rm_obligations", "rm_flags", "rm_letters", "rm_audit"}


def tables(url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def load_previous_release(url: str) -> None:
    """The previous release's store, from its dump."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as connection:
            connection.executescript((DUMPS / "previous_release.sqlite.sql").read_text("utf-8"))
        return
    script = (DUMPS / "previous_release.postgresql.sql").read_text("utf-8")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(script.encode())


def test_issue_19_an_empty_database_is_upgraded_to_head(store_url: str) -> None:
    """`permis db upgrade` creates every table; `permis db current` finds no pending change."""
    upgraded = permis(store_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {HEAD_REVISION} (head)" in upgraded.stdout
    assert tables(store_url) >= SERVICE_TABLES | READ_MODELS
    current = permis(store_url, "db", "current")
    assert current.returncode == 0, current.stdout + current.stderr
    assert "no pending change" in current.stdout


def test_issue_19_the_previous_release_store_is_upgraded_and_still_read(store_url: str) -> None:
    """At 0002, `db current` says to upgrade (exit 1); after `db upgrade`, no pending change, and
    the licences, the receipts (a re-import changes nothing) and the users are all there."""
    load_previous_release(store_url)
    before = permis(store_url, "db", "current")
    assert before.returncode == 1
    assert f"revision 0002, this release expects {HEAD_REVISION}" in before.stdout
    upgraded = permis(store_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    current = permis(store_url, "db", "current")
    assert current.returncode == 0, current.stdout + current.stderr
    shown = permis(store_url, "licence", "show", "075000000001", "--as-of", "2026-12-01")
    assert shown.returncode == 0, shown.stderr
    assert "balance 8 / ceiling 12" in shown.stdout
    again = permis(store_url, "import", str(PREVIOUS_JOURNAL))
    assert "applied: 0, skipped: 29, refused: 0" in again.stdout, again.stdout + again.stderr
    users = permis(store_url, "users", "list")
    assert users.returncode == 0 and "alice" in users.stdout


@pytest.mark.parametrize("command", [["licence", "show", "075000000001"], ["db", "upgrade"]])
def test_issue_19_any_command_brings_the_previous_release_store_to_head(
    store_url: str, command: list[str]
) -> None:
    """No step to forget: the first command on the store migrates it (one thread at a time)."""
    load_previous_release(store_url)
    assert permis(store_url, *command).returncode == 0
    assert permis(store_url, "db", "current").returncode == 0
