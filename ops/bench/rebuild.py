"""Rebuild benchmark: `permis projections rebuild` throughput beside a raw read of the same events.

Builds a store from the realistic journal (`journal.generate`: by default 2,000 licences over 10
years), imported and ticked through the real service, without read models. Then, in the same run
and on the same store:

- raw: the events table read with a plain DB-API cursor (`sqlite3` / `psycopg`), every column of
  every row in notification order, in pages of 1,000: the floor any rebuild must pay;
- library: the bare eventsourcing library's read of its notification log, decoded: every page of
  `select_notifications` turned into domain events by the application's own mapper (the goal of
  issue 17: a rebuild at 50 % or more of this rate);
- rebuild: `projections.catch_up.rebuild` (the command's code): the events table read licence by
  licence, each history decoded and folded once, rows written in batches, in one process a CPU
  (`--processes`), then the position moved to the head of the log;
- verify --chain: every licence recomputed from the events table and compared with the rows.

The figures are events per second, and the ratios rebuild / library and rebuild / raw. Each of
raw, library and rebuild runs `--repeat` times (default 3) interleaved; the medians are shown, with
the load average of the machine.

    .venv/bin/python ops/bench/rebuild.py [--licences N] [--years Y] [--seed S]
        [--store sqlite|postgres|both] [--processes P] [--repeat R]

PostgreSQL: a fresh database on PERMIS_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; skipped when no server answers.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
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
from projections.rebuild import default_processes  # noqa: E402
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


def library_read(service: Any) -> tuple[int, float]:
    """The notification log read through the library and decoded by the mapper: (events, s)."""
    recorder, mapper = service.store.recorder, service.store.mapper
    started = time.perf_counter()
    events, position = 0, 0
    while page := recorder.select_notifications(position, PAGE, inclusive_of_start=False):
        for notification in page:
            mapper.to_domain_event(notification)
        events += len(page)
        position = page[-1].id
    return events, time.perf_counter() - started


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def measure(
    url: str, licences: int, years: int, seed: int, processes: int | None, repeat: int
) -> dict[str, Any]:
    service = build(Settings(database_url=url))
    lines, errors = parse_journal(to_jsonl(generate(licences, years, seed)))
    assert not errors, errors[:3]
    _, built_s = timed(lambda: service.import_lines(lines))
    service.tick(end_of(years) + timedelta(days=1))
    table = str(service.store.recorder.events_table_name)  # type: ignore[attr-defined]
    view = ReadModels.open(url)
    raws, libraries, rebuilds, loads = [], [], [], []
    try:
        for _ in range(repeat):
            raws.append(raw_read(url, table))
            libraries.append(library_read(service))
            done, rebuild_s = timed(lambda: rebuild(service, view, processes=processes))
            rebuilds.append(rebuild_s)
            loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
        differences, verify_s = timed(lambda: sum(1 for _ in verify(service, view, chain=True)))
    finally:
        view.close()
        service.store.close()
    rows = raws[0][0]
    assert rows == done.notifications == libraries[0][0], (rows, done.notifications)
    return {
        "lines": len(lines),
        "import_s": built_s,
        "events": done.notifications,
        "licences": done.licences,
        "rebuild_s": statistics.median(rebuilds),
        "raw_s": statistics.median(r[1] for r in raws),
        "library_s": statistics.median(r[1] for r in libraries),
        "verify_s": verify_s,
        "differences": differences,
        "load": loads,
        "processes": processes or default_processes(),
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
    rate = {name: events / figures[f"{name}_s"] for name in ("raw", "library", "rebuild")}
    print(f"{kind}: {figures['lines']} journal lines → {events} events of {licences} licences "
          f"(import and tick {figures['import_s']:.1f} s); load average during the runs "
          f"{min(figures['load']):.1f}–{max(figures['load']):.1f}")  # fmt: skip
    print(f"  raw cursor read          {figures['raw_s']:8.3f} s  {rate['raw']:12,.0f} events/s")
    print(f"  library decoded log read {figures['library_s']:8.3f} s  {rate['library']:12,.0f} events/s")  # fmt: skip
    print(f"  projections rebuild ({figures['processes']}p) {figures['rebuild_s']:8.3f} s  "
          f"{rate['rebuild']:12,.0f} events/s  ({licences / figures['rebuild_s']:,.0f} licences/s)")  # fmt: skip
    print(f"  verify --chain           {figures['verify_s']:8.3f} s  "
          f"{licences / figures['verify_s']:12,.0f} licences/s, {figures['differences']} difference(s)")  # fmt: skip
    print(f"  rebuild / library: {rate['rebuild'] / rate['library']:.2f}   "
          f"rebuild / raw: {rate['rebuild'] / rate['raw']:.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=2000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--processes", type=int, help="rebuild processes (default: one a CPU)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    configure_logging()
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as folder:
            url = f"sqlite:///{Path(folder) / 'store.sqlite'}"
            report(
                "SQLite",
                measure(url, args.licences, args.years, args.seed, args.processes, args.repeat),
            )
    if args.store in ("postgres", "both"):
        base = os.environ.get("PERMIS_BENCH_POSTGRES_URL", DEFAULT_PG)
        database = _postgres(base)
        if database is not None:
            try:
                report(
                    "PostgreSQL",
                    measure(
                        database, args.licences, args.years, args.seed, args.processes, args.repeat
                    ),
                )
            finally:
                _drop_postgres(base, database)


if __name__ == "__main__":
    main()
