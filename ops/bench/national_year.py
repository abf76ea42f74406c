"""A national year, extrapolated: population, one year of activity, ticks and read models (issue 17).

For each size N (default 4,000 and 12,000 licences), in a fresh SQLite store (PostgreSQL with
`--store postgres`), through the real service and in its default number of processes:

1. population: the licences taken over (the `licence.issue` lines of `journal.generate`'s first
   day: the mix of ages, routes and balances of the national figures), imported;
2. year: one year of national-rate activity for those licences (the rest of a one-year journal:
   infractions, establishments, letters, stages, returns, new licences), imported;
3. tick: the clock moved to the end of the year (every time-driven effect due);
4. project: the read models brought up to date (`catch_up`, what `permis import` and the worker
   run after a write), for the whole store.

Beside them, in the same run and on the same kind of store, the bare library: an application with
a trivial aggregate saving as many events in batches of 500 aggregates, then reading its
notification log back, decoded. Each stage prints its events a second and CPU per event (this
process and its children), and its ratio to the library's save (import, tick) or read (project).

The national year is the year, tick and project stages, scaled from the two sizes to 48 M licences
and 25 M events a year: each stage's time is fitted as a + b·N through the two sizes (its
linearity is shown: time per licence at each size), and taken at N = 48 M; the population is a
one-off take-over and shown apart. Two sizes only: a straight line through them, not a proof.

    nice -n 10 .venv/bin/python ops/bench/national_year.py [--sizes 4000 12000] [--store sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402
from journal import START, end_of, generate  # noqa: E402

from infrastructure.logging import configure_logging  # noqa: E402
from infrastructure.settings import Settings, load_settings  # noqa: E402
from infrastructure.store import environment_for  # noqa: E402
from projections.catch_up import catch_up  # noqa: E402
from services.bootstrap import build  # noqa: E402
from services.journal import parse_journal  # noqa: E402

NATIONAL_LICENCES = 48_000_000
NATIONAL_EVENTS = 25_000_000
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def stage(action: Callable[[], Any], count: Callable[[], int]) -> dict[str, float]:
    before_events, started, cpu = count(), time.perf_counter(), cpu_s()
    action()
    return {
        "events": count() - before_events,
        "seconds": time.perf_counter() - started,
        "cpu": cpu_s() - cpu,
    }


def ours(url: str, licences: int, seed: int) -> dict[str, dict[str, float]]:
    raw = list(generate(licences, 1, seed))
    population = [line for line in raw if line["at"] == START.isoformat()]
    year = [line for line in raw if line["at"] != START.isoformat()]
    parse = lambda part: parse_journal("".join(json.dumps(x) + "\n" for x in part))[0]  # noqa: E731
    first, rest = parse(population), parse(year)
    processes = load_settings().import_processes
    service = build(Settings(database_url=url))
    count = lambda: service.store.recorder.max_notification_id() or 0  # noqa: E731
    figures = {
        "population": stage(lambda: service.import_lines(first, processes), count),
    }
    catch_up(service)  # the population's read models: not part of the year
    figures["year"] = stage(lambda: service.import_lines(rest, processes), count)
    figures["tick"] = stage(lambda: service.tick(end_of(1) + timedelta(days=1)), count)
    head = count()
    figures["project"] = stage(lambda: catch_up(service), lambda: 0)
    figures["project"]["events"] = head - figures["population"]["events"]
    service.store.close()
    return figures


class Tally(Aggregate):
    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Incremented")
    def increment(self) -> None:
        pass


class Bare(Application):
    name = "Bare"


def bare(url: str, events: int) -> dict[str, dict[str, float]]:
    """The library alone: `events` events saved 500 aggregates a save, then read back decoded."""
    env = environment_for(url)
    env.pop("APPLICATION_RECORDER_TOPIC")  # the library's own recorder, nothing of ours
    app = Bare(env=env)
    count = lambda: app.recorder.max_notification_id() or 0  # noqa: E731

    def save() -> None:
        done = 0
        while done < events:
            batch = []
            for _ in range(min(500, max(1, (events - done) // 2))):
                tally = Tally(name="bench")
                tally.increment()
                batch.append(tally)
                done += 2
            app.save(*batch)

    def read() -> None:
        position = 0
        while page := app.recorder.select_notifications(position, 1000, inclusive_of_start=False):
            for notification in page:
                app.mapper.to_domain_event(notification)
            position = page[-1].id

    figures = {"save": stage(save, count)}
    figures["read"] = stage(read, lambda: 0)
    figures["read"]["events"] = count()
    app.close()
    return figures


def urls(kind: str, folder: Path, tag: str) -> tuple[str, str]:
    if kind == "sqlite":
        return (
            f"sqlite:///{folder / f'ours-{tag}.sqlite'}",
            f"sqlite:///{folder / f'bare-{tag}.sqlite'}",
        )
    import psycopg
    from psycopg import sql

    base = os.environ.get("PERMIS_BENCH_POSTGRES_URL", DEFAULT_PG)
    names = [f"permis_bench_year_{tag}_ours", f"permis_bench_year_{tag}_bare"]
    with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))  # fmt: skip
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    root = base.rsplit("/", 1)[0]
    return f"{root}/{names[0]}", f"{root}/{names[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[4000, 12000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    configure_logging()
    results: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-national-year-") as folder:
        for size in args.sizes:
            ours_url, bare_url = urls(args.store, Path(folder), str(size))
            figures = ours(ours_url, size, args.seed)
            library = bare(bare_url, int(figures["year"]["events"] + figures["tick"]["events"]))
            figures.update({f"library {k}": v for k, v in library.items()})
            figures["load"] = {"avg": float(Path("/proc/loadavg").read_text().split()[0])}
            results[size] = figures
    print(f"store: {args.store}; processes: {load_settings().import_processes}")
    for size, figures in results.items():
        print(f"\n{size:,} licences (load average {figures['load']['avg']:.1f})")
        print("| stage | events | s | events/s | CPU µs/event | vs library |")
        print("|---|---:|---:|---:|---:|---:|")
        save_rate = figures["library save"]["events"] / figures["library save"]["seconds"]
        read_rate = figures["library read"]["events"] / figures["library read"]["seconds"]
        for name in ("population", "year", "tick", "project", "library save", "library read"):
            f = figures[name]
            rate = f["events"] / f["seconds"] if f["seconds"] else 0.0
            per = 1e6 * f["cpu"] / f["events"] if f["events"] else 0.0
            base = read_rate if name in ("project", "library read") else save_rate
            print(f"| {name} | {f['events']:,.0f} | {f['seconds']:.2f} | {rate:,.0f} | "
                  f"{per:,.0f} | {rate / base:.2f} |")  # fmt: skip
    small, large = args.sizes
    print("\nExtrapolation (a + b·N through the two sizes; population apart):")
    total = 0.0
    for name in ("population", "year", "tick", "project"):
        t_small, t_large = results[small][name]["seconds"], results[large][name]["seconds"]
        slope = (t_large - t_small) / (large - small)
        at_national = t_small + slope * (NATIONAL_LICENCES - small)
        per_licence = [1e6 * t_small / small, 1e6 * t_large / large]
        if name != "population":
            total += at_national
        print(f"  {name}: {per_licence[0]:.0f} / {per_licence[1]:.0f} µs a licence at "
              f"{small:,} / {large:,}; at 48 M licences {at_national / 3600:,.2f} h")  # fmt: skip
    year_events = results[large]["year"]["events"] + results[large]["tick"]["events"]
    print(f"  events of the year at 48 M licences: {year_events / large * NATIONAL_LICENCES / 1e6:,.1f} M "
          f"(the brief's figure: {NATIONAL_EVENTS / 1e6:.0f} M)")  # fmt: skip
    print(f"  national year (year + tick + project) at 48 M licences: {total / 3600:,.2f} h")
    per_event = sum(results[large][n]["seconds"] for n in ("year", "tick", "project")) / year_events
    print(f"  the same scaled to {NATIONAL_EVENTS / 1e6:.0f} M events at {large:,} licences' cost an "
          f"event: {per_event * NATIONAL_EVENTS / 3600:,.2f} h")  # fmt: skip


if __name__ == "__main__":
    main()
