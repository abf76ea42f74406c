"""Import benchmark: a realistic journal imported and ticked on SQLite and PostgreSQL.

Generates a journal (`journal.generate`: by default 10,000 licences over 10 years of national
traffic), then for each store imports it through the real service (`services.bootstrap.build`, then
`Licensing.import_lines(parse_journal(...))`), ticks to the end date, and counts the stored events.
In the same run, on the same kind of store, the bare eventsourcing library (a plain `Application`
with a trivial aggregate) saves the same number of events in batches shaped like ours (as many
aggregates per `save()` and events per aggregate as the import's own saves had). The figure is the
ratio of events per second, ours / bare.

Each measurement runs in its own process, so that its peak memory (`ru_maxrss`) is its own. Logs
are at WARNING (PERMIS_LOG_LEVEL=WARNING): at INFO structlog writes one JSON line per command to
standard error, which would measure the terminal rather than the service.

    .venv/bin/python ops/bench/import_and_tick.py [--licences N] [--years Y] [--seed S]
        [--store sqlite|postgres|both] [--batch-size B] [--snapshot-interval I]

PostgreSQL: fresh databases on PERMIS_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; skipped with a message when no
server answers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("PERMIS_LOG_LEVEL", "WARNING")

HERE = Path(__file__).resolve().parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


# --- measurements, each in its own process ------------------------------------------------------


def _rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _count_events(recorder: Any) -> int:
    """Rows of the events table: the events the run stored."""
    table = recorder.events_table_name
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {table}")
        row = cursor.fetchone()
        return int(row["n"])


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_ours(
    url: str, journal: Path, to: date, batch_size: int, snapshots: int, processes: int
) -> dict[str, Any]:
    """Parse, import (in `processes` processes) and tick the journal through the real service;
    count what was stored. The CPU and peak memory of the import's processes are counted too."""
    from infrastructure.logging import configure_logging
    from infrastructure.settings import Settings
    from services.bootstrap import build
    from services.journal import parse_journal

    configure_logging("WARNING")
    start_rss = _current_rss_mb()
    text = journal.read_text(encoding="utf-8")
    started = time.perf_counter()
    lines, errors = parse_journal(text)
    parse_s = time.perf_counter() - started
    if errors:
        raise SystemExit(f"the generated journal is malformed: {errors[:3]}")
    service = build(Settings(database_url=url, batch_size=batch_size, snapshot_interval=snapshots))
    shape = {"saves": 0, "aggregates": 0, "events": 0}
    save = service.store.save

    def counting_save(*aggregates: Any, **kwargs: Any) -> Any:
        shape["saves"] += 1
        shape["aggregates"] += len(aggregates)
        shape["events"] += sum(len(a.pending_events) for a in aggregates)
        return save(*aggregates, **kwargs)

    service.store.save = counting_save  # type: ignore[method-assign]
    started, cpu = time.perf_counter(), time.process_time() + _children_cpu_s()
    report = service.import_lines(lines, processes=processes)
    import_s = time.perf_counter() - started
    imported = _count_events(service.store.recorder)
    started = time.perf_counter()
    service.tick(to)
    tick_s = time.perf_counter() - started
    cpu_s = time.process_time() + _children_cpu_s() - cpu
    events = _count_events(service.store.recorder)
    service.store.close()
    return {
        "lines": len(lines),
        "applied": report.applied,
        "refused": report.refused,
        "refusals": Counter(
            re.sub(r"\d{4}-\d{2}-\d{2}", "D", r.reason) for r in report.refusals
        ).most_common(4),
        "parse_s": parse_s,
        "import_s": import_s,
        "tick_s": tick_s,
        "cpu_s": cpu_s,
        "imported_events": imported,
        "events": events,
        "saves": shape["saves"],
        "aggregates_saved": shape["aggregates"],
        "events_saved": shape["events"],
        "start_rss_mb": start_rss,
        "peak_rss_mb": max(
            _rss_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        ),
        "processes": report.processes,
    }


def measure_bare(url: str, events: int, per_save: int, per_aggregate: int) -> dict[str, Any]:
    """The bare library: create trivial aggregates and save them in batches, `events` in all."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    from infrastructure.store import environment_for

    class Tally(Aggregate):
        @event("Started")
        def __init__(self, name: str) -> None:
            self.name = name
            self.count = 0

        @event("Incremented")
        def increment(self, by: int) -> None:
            self.count += by

    class Bare(Application):
        name = "Bare"

    env = environment_for(url)
    env.pop("APPLICATION_RECORDER_TOPIC")  # the library's own recorder, nothing of ours
    start_rss = _current_rss_mb()
    app = Bare(env=env)
    done = 0
    saving = 0.0
    started, cpu = time.perf_counter(), time.process_time()
    while done < events:
        batch = []
        for _ in range(per_save):
            tally = Tally(name="bench")
            for _ in range(per_aggregate - 1):
                tally.increment(1)
            batch.append(tally)
            done += per_aggregate
            if done >= events:
                break
        before = time.perf_counter()
        app.save(*batch)
        saving += time.perf_counter() - before
    elapsed = time.perf_counter() - started
    cpu_s = time.process_time() + _children_cpu_s() - cpu
    stored = _count_events(app.recorder)
    app.close()
    return {
        "events": stored,
        "seconds": elapsed,
        "save_s": saving,
        "cpu_s": cpu_s,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _rss_mb(),
    }


# --- stores ---------------------------------------------------------------------------------------


@dataclass
class Store:
    kind: str
    ours: str  # imported by one process
    shared: str  # imported by the processes `permis import` uses (`PERMIS_IMPORT_PROCESSES`)
    bare: str

    def urls(self) -> tuple[str, str, str]:
        return self.ours, self.shared, self.bare


def _postgres(base: str, tag: str) -> tuple[Store | None, str]:
    import psycopg
    from psycopg import sql

    names = (f"permis_bench_{tag}_ours", f"permis_bench_{tag}_shared", f"permis_bench_{tag}_bare")
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        return None, f"PostgreSQL skipped: no server answers at {base} ({error})".strip()
    root = base.rsplit("/", 1)[0]
    return Store("postgres", *(f"{root}/{name}" for name in names)), ""


def _drop_postgres(base: str, store: Store) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
        for url in store.urls():
            name = url.rsplit("/", 1)[1]
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _run_worker(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# --- the run ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="Import benchmark (ours vs the bare library).")
    parser.add_argument("--licences", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--batch-size", type=int, default=None, help="default: Settings' default")
    parser.add_argument("--snapshot-interval", type=int, default=None, help="default: Settings'")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "ours":
            url, journal, to, batch, snaps, processes = rest
            result = measure_ours(
                url, Path(journal), date.fromisoformat(to), int(batch), int(snaps), int(processes)
            )
        else:
            url, events, per_save, per_aggregate = rest
            result = measure_bare(url, int(events), int(per_save), int(per_aggregate))
        print(json.dumps(result))
        return

    sys.path.insert(0, str(HERE))
    from journal import end_of, generate, to_jsonl

    from infrastructure.settings import Settings

    defaults = Settings(database_url="sqlite:///unused")
    batch = args.batch_size or defaults.batch_size
    snaps = args.snapshot_interval or defaults.snapshot_interval
    processes = defaults.import_processes
    to = end_of(args.years)
    print(
        f"permis import benchmark — {date.today()}, {os.cpu_count()} CPU(s), Python "
        f"{sys.version.split()[0]}, logs at {os.environ['PERMIS_LOG_LEVEL']}, batch {batch} "
        f"licences, snapshot every {snaps} events, import in 1 and in {processes} process(es)"
    )
    with tempfile.TemporaryDirectory(prefix="permis-bench-") as tmp:
        started = time.perf_counter()
        text = to_jsonl(generate(args.licences, args.years, args.seed))
        generated = time.perf_counter() - started
        path = Path(tmp) / "journal.jsonl"
        path.write_text(text, encoding="utf-8")
        count = text.count("\n")
        print(
            f"journal: {args.licences} licences, {args.years} years (seed {args.seed}, ticked to "
            f"{to}): {count} lines, {len(text) / 2**20:.1f} MiB, generated in {generated:.1f} s"
        )

        stores: list[Store] = []
        if args.store in ("sqlite", "both"):
            stores.append(
                Store(
                    "sqlite",
                    *(f"sqlite:///{tmp}/{name}.sqlite" for name in ("ours", "shared", "bare")),
                )
            )
        pg_base = os.environ.get("PERMIS_BENCH_POSTGRES_URL", DEFAULT_PG)
        if args.store in ("postgres", "both"):
            pg, why = _postgres(pg_base, str(os.getpid()))
            if pg is None:
                print(why)
            else:
                stores.append(pg)
        rows = []
        for store in stores:
            try:
                common = (str(path), to.isoformat(), str(batch), str(snaps))
                ours = _run_worker("ours", store.ours, *common, "1")
                shared = (
                    _run_worker("ours", store.shared, *common, str(processes))
                    if processes > 1
                    else None
                )
                # The bare library saves batches shaped like the one-process import's.
                per_save = max(1, round(ours["aggregates_saved"] / max(1, ours["saves"])))
                per_aggregate = max(
                    1, round(ours["events_saved"] / max(1, ours["aggregates_saved"]))
                )
                bare = _run_worker(
                    "bare", store.bare, str(ours["events"]), str(per_save), str(per_aggregate)
                )
            finally:
                if store.kind == "postgres":
                    _drop_postgres(pg_base, store)
            rows.append((store, ours, shared, bare, per_save, per_aggregate))
        _print_table(rows)


Row = tuple[Store, dict[str, Any], dict[str, Any] | None, dict[str, Any], int, int]


def _rates(run: dict[str, Any]) -> tuple[float, float]:
    """Events a second of the import and tick, in wall time and in client CPU time."""
    return run["events"] / (run["import_s"] + run["tick_s"]), run["events"] / run["cpu_s"]


def _print_run(name: str, run: dict[str, Any], bare: dict[str, Any]) -> None:
    work = run["import_s"] + run["tick_s"]
    rate, cpu_rate = _rates(run)
    bare_rate, bare_cpu_rate = bare["events"] / bare["seconds"], bare["events"] / bare["cpu_s"]
    lines = run["lines"]
    print(
        f"  {name}: import {run['import_s']:.1f} s ({lines / run['import_s']:,.0f} lines/s, "
        f"{run['imported_events']:,} events), tick {run['tick_s']:.1f} s: {run['events']:,} events "
        f"in {work:.1f} s = {rate:,.0f} events/s; client CPU {run['cpu_s']:.1f} s; peak RSS "
        f"{run['peak_rss_mb']:.0f} MB a process"
    )
    print(
        f"        ratio to the bare library: {rate / bare_rate:.2f} "
        f"(client CPU: {cpu_rate / bare_cpu_rate:.2f})"
    )


def _print_table(rows: list[Row]) -> None:
    table = []
    for store, ours, shared, bare, per_save, per_aggregate in rows:
        lines = ours["lines"]
        refusals = "".join(f"\n          {n} x {why}" for why, n in ours["refusals"])
        print(f"\n== {store.kind} ==")
        print(f"  {lines} lines, {ours['applied']} applied, {ours['refused']} refused{refusals}")
        print(
            f"  parse {ours['parse_s']:.1f} s ({lines / ours['parse_s']:,.0f} lines/s, not in "
            f"the ratios); {ours['saves']} saves of {per_save} aggregates x {per_aggregate} "
            f"events on average"
        )
        print(
            f"  bare: {bare['events']:,} events in {bare['seconds']:.1f} s = "
            f"{bare['events'] / bare['seconds']:,.0f} events/s (save() alone "
            f"{bare['save_s']:.1f} s); client CPU {bare['cpu_s']:.1f} s; peak RSS "
            f"{bare['peak_rss_mb']:.0f} MB"
        )
        _print_run("ours, 1 process", ours, bare)
        table.append((store.kind, "1", ours, bare))
        if shared is not None:
            _print_run(f"ours, {shared['processes']} processes", shared, bare)
            table.append((store.kind, str(shared["processes"]), shared, bare))
    print(
        f"\n{'store':<10}{'processes':>10}{'ours ev/s':>11}{'bare ev/s':>11}{'ratio':>7}"
        f"{'CPU ratio':>10}{'lines/s':>9}{'peak MB ours':>14}{'bare':>6}"
    )
    for kind, processes, run, bare in table:
        rate, cpu_rate = _rates(run)
        bare_rate, bare_cpu_rate = bare["events"] / bare["seconds"], bare["events"] / bare["cpu_s"]
        print(
            f"{kind:<10}{processes:>10}{rate:>11,.0f}{bare_rate:>11,.0f}{rate / bare_rate:>7.2f}"
            f"{cpu_rate / bare_cpu_rate:>10.2f}{run['lines'] / run['import_s']:>9,.0f}"
            f"{run['peak_rss_mb']:>14.0f}{bare['peak_rss_mb']:>6.0f}"
        )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
