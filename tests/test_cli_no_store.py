"""A command that reads, on a store that does not exist, says so (exit 2) and creates nothing
(issue 19 item 2); the commands that write create the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from test_cli import ISSUE, permis

from projections.database import sqlalchemy_url

READS = [
    ["licence", "show", "100000000001"],
    ["audit", "100000000001"],
    ["licence", "forecast", "100000000001"],
    ["licence", "code", "100000000001"],
    ["report", "compliance", "--as-of", "2024-01-02"],
    ["export", "--from", "2024-01-01", "--to", "2024-12-31"],
    ["verify"],
    ["anchor"],
    ["users", "list"],
    ["records", "verify", "ABCD"],
]


def tables(url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", READS, ids=lambda c: " ".join(c[:2]))
def test_issue_19_a_read_on_a_missing_sqlite_store_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    """Issue 19: exit 2, the message names the file and how to create it; no file, no folder."""
    store = tmp_path / "var" / "permis.sqlite"
    done = permis(f"sqlite:///{store}", *command)
    assert done.returncode == 2, done.stderr
    assert f"no store at {store}" in done.stderr
    assert "permis import FILE" in done.stderr
    assert not store.parent.exists()


@pytest.mark.postgres
def test_issue_19_a_read_on_an_empty_postgres_database_creates_no_table(
    postgres_store_url: str,
) -> None:
    """Issue 19: a database with no store in it is not one; the read leaves it empty."""
    done = permis(postgres_store_url, "licence", "show", "100000000001")
    assert done.returncode == 2, done.stderr
    assert "no store at" in done.stderr
    assert tables(postgres_store_url) == set()


def test_issue_19_import_creates_the_store_that_reads_then_find(store_url: str) -> None:
    """Issue 19: `import` creates the store; `licence show` then reads it."""
    assert permis(store_url, "import", "-", stdin=ISSUE + "\n").returncode == 0
    shown = permis(store_url, "licence", "show", "100000000001")
    assert shown.returncode == 0, shown.stderr
    assert "Licence 100000000001" in shown.stdout
