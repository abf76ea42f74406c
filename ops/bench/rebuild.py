"""Rebuild benchmark: `permis projections rebuild` throughput beside a raw read of the same events.

Builds a store from the realistic journal (`journal.generate`: by default 2,000 licences over 10
years), imported and ticked through the real service, without read models. Then, in the same run
and on the same store:

- raw: the events table read with a plain DB-API cursor (`sqlite3` / `psycopg`), every column of
  every row in notification order, in pages of 1,000: the floor any rebuild must pay;
- rebuild: `projections.catch_up.rebuild` (the command's code): the notification log in pages,
  each licence reloaded once (snapshot + later events) and folded, its rows written with the
  tracking position in one transaction per page;
- verify --chain: every licence recomputed from the events table and compared with the rows.

The figure is rebuild events per second, and the ratio raw / rebuild: how many times slower than
just reading the rows the rebuild is. The raw read runs before and after the rebuild; the faster is
kept (a warm cache for both).

    .venv/bin/python ops/bench/rebuild.py [--licences N] [--years Y] [--seed S]
        [--store sqlite|postgres|both]

PostgreSQL: a fresh database on PERMIS_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; skipped when no server answers.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("PERMIS_LOG_LEVEL", "WARNING")

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from journal import end_of, generate, to_jsonl  # noqa: E402

from infrastructure.logging import configure_logging  # noqa: E402
from infrastructure.settings import Settings  # noqa: E402
from projections.catch_up import rebuild  # noqa: E402
from projections.verify import verify  # noqa: E402
from projections.view import ReadModels  # noqa: E402
from services.bootstrap import build  # noqa: E402
from services.journal import parse_journal  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PAGE = 1000


def raw_read(url: str, table: str) -> tuple[int, float]:
    """Every row of the events table through a plain cursor: (rows, seconds)."""
    started = time.perf_counter()
    rows = 0
    if url.startswith("sqlite"):
        embedded = sqlite3.connect(url[len("sqlite:///") :])
        try:
            cursor = embedded.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                "ORDER BY rowid"
            )
            while page := cursor.fetchmany(PAGE):
                rows += len(page)
        finally:
            embedded.close()
    else:
        import psycopg

        with psycopg.connect(url) as server, server.cursor(name="raw") as named:
            named.itersize = PAGE
            named.execute(
                f"SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {table} ORDER BY notification_id"
            )
            while batch := named.fetchmany(PAGE):
                rows += len(batch)
    return rows, time.perf_counter() - started


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def measure(url: str, licences: int, years: int, seed: int) -> dict[str, Any]:
    service = build(Settings(database_url=url))
    lines, errors = parse_journal(to_jsonl(generate(licences, years, seed)))
    assert not errors, errors[:3]
    _, built_s = timed(lambda: service.import_lines(lines))
    service.tick(end_of(years) + timedelta(days=1))
    table = str(service.store.recorder.events_table_name)  # type: ignore[attr-defined]
    view = ReadModels.open(url)
    try:
        first_raw = raw_read(url, table)
        done, rebuild_s = timed(lambda: rebuild(service, view))
        second_raw = raw_read(url, table)
        differences, verify_s = timed(lambda: sum(1 for _ in verify(service, view, chain=True)))
    finally:
        view.close()
        service.store.close()
    rows, raw_s = min(first_raw, second_raw, key=lambda r: r[1])
    assert rows == done.notifications, (rows, done.notifications)
    return {
        "lines": len(lines),
        "import_s": built_s,
        "events": done.notifications,
        "licences": done.licences,
        "rebuild_s": rebuild_s,
        "raw_s": raw_s,
        "verify_s": verify_s,
        "differences": differences,
    }


def _postgres(base: str) -> str | None:
    import psycopg
    from psycopg import sql

    name = "permis_bench_rebuild"
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        print(f"PostgreSQL skipped: no server answers at {base} ({error})".strip())
        return None
    return f"{base.rsplit('/', 1)[0]}/{name}"


def _drop_postgres(base: str, url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
        name = url.rsplit("/", 1)[1]
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def report(kind: str, figures: dict[str, Any]) -> None:
    events, licences = figures["events"], figures["licences"]
    rebuild_rate = events / figures["rebuild_s"]
    raw_rate = events / figures["raw_s"]
    print(f"{kind}: {figures['lines']} journal lines → {events} events of {licences} licences "
          f"(import and tick {figures['import_s']:.1f} s)")  # fmt: skip
    print(f"  raw cursor read     {figures['raw_s']:8.3f} s  {raw_rate:12,.0f} events/s")
    print(f"  projections rebuild {figures['rebuild_s']:8.3f} s  {rebuild_rate:12,.0f} events/s"
          f"  ({licences / figures['rebuild_s']:,.0f} licences/s)")  # fmt: skip
    print(f"  verify --chain      {figures['verify_s']:8.3f} s  "
          f"{licences / figures['verify_s']:12,.0f} licences/s, {figures['differences']} difference(s)")  # fmt: skip
    print(f"  ratio raw / rebuild: {raw_rate / rebuild_rate:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=2000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    configure_logging()
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as folder:
            url = f"sqlite:///{Path(folder) / 'store.sqlite'}"
            report("SQLite", measure(url, args.licences, args.years, args.seed))
    if args.store in ("postgres", "both"):
        base = os.environ.get("PERMIS_BENCH_POSTGRES_URL", DEFAULT_PG)
        database = _postgres(base)
        if database is not None:
            try:
                report("PostgreSQL", measure(database, args.licences, args.years, args.seed))
            finally:
                _drop_postgres(base, database)


if __name__ == "__main__":
    main()
