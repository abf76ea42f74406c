"""Tick scaling benchmark: a year of daily ticks over stores of different sizes, same due effects.

Each store holds `--busy` licences whose time-driven effects fall due during the benchmark year
(probation anniversaries, R-1.4; 6-month restorations, R-4.1) and idle licences, as many as it
takes to reach the store's size, whose next effect (a 3-year full restoration, R-4.2) falls due
after it: they are in the due-date index, only not due yet. Every licence is made by the real
aggregate (`Licence.issue`, `record_infraction`, `establish`) and saved through the library in
batches with its real index row, not imported line by line, so a million take minutes, not hours.

Then the worker's loop is timed: `Licensing.tick(day)` for each of the 365 days of the year. The
figure is the ratio of the year's tick time on the large store to that on the small one; the raw
baseline, measured in the same run, is a store holding the busy licences only. With an index that
works, every ratio is close to 1: a day's tick costs what falls due that day, not the store's size.

    .venv/bin/python ops/bench/tick_scaling.py [--store sqlite|postgres|both] [--busy B]
        [--pair SMALL LARGE ...] [--million]

Defaults: both stores, 500 busy licences, the pair 2,000 / 20,000; `--million` adds the pair
10,000 / 1,000,000 (about half an hour per store, most of it making the licences). PostgreSQL: fresh
databases on PERMIS_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
dropped at the end; skipped with a message when no server answers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("PERMIS_LOG_LEVEL", "WARNING")

from domain.law import Law
from domain.licence import Context, Licence
from domain.policy import Policy
from infrastructure.logging import configure_logging
from infrastructure.recorders import DueEntry
from infrastructure.settings import Settings
from services.bootstrap import build
from services.licensing import Licensing

YEAR_START = date(2025, 1, 1)  # the clock before the first tick; the year is the 365 days after
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
SAVE_BATCH = 1000


@dataclass
class Result:
    store: str
    licences: int
    busy: int
    make_s: float
    tick_s: float
    effects: int
    slowest_day_ms: float


def _busy(n: int, law: Law, policy: Policy) -> Licence:
    """Probationary, its second anniversary inside the year (R-1.4); every other one also has a
    1-point withdrawal that comes back after 6 months, inside the year too (R-4.1)."""
    issued = YEAR_START - timedelta(days=729 - n % 365)
    licence = Licence.issue(
        Context(issued, None, law, policy), f"{n:012d}", issued, "traditional", True, 6, None
    )
    if n % 2:
        _withdraw(licence, n, "speeding_5_20_over50", YEAR_START - timedelta(days=50), law, policy)
    return licence


def _idle(n: int, law: Law, policy: Policy) -> Licence:
    """Taken over with 12 points; a 2-point C4 withdrawal, fully restored after 3 years (R-4.2).

    The establishment dates are spread over 700 days, so the restorations fall due on 700
    different days, all after the year: the index holds them as a national one would.
    """
    issued = date(2001, 1, 1) + timedelta(days=n % 3650)
    established = YEAR_START - timedelta(days=729 - n % 700)
    ctx = Context(YEAR_START - timedelta(days=800), None, law, policy)
    licence = Licence.issue(ctx, f"{n:012d}", issued, "traditional", False, 12, None)
    _withdraw(licence, n, "speeding_20_30", established, law, policy)
    return licence


def _withdraw(
    licence: Licence, n: int, offence: str, established: date, law: Law, policy: Policy
) -> None:
    ctx = Context(established + timedelta(days=2), None, law, policy)
    licence.record_infraction(
        ctx, f"i{n}", offence, established - timedelta(days=10), None, None, None
    )
    licence.establish(ctx, f"i{n}", established, "fine_paid")


def make_store(service: Licensing, size: int, busy: int) -> float:
    """Save `size` licences (the first `busy` of them busy) with their index rows; set the clock.

    Each licence is first advanced to the clock, as the worker would have: nothing is overdue.
    """
    law, policy = service.law, service.policy
    ready = Context(YEAR_START, None, law, policy)
    started = time.perf_counter()
    batch: list[Licence] = []
    for n in range(size):
        licence = _busy(n, law, policy) if n < busy else _idle(n, law, policy)
        licence.advance(ready, YEAR_START)
        batch.append(licence)
        if len(batch) == SAVE_BATCH or n == size - 1:
            due = [DueEntry(lic.id.hex, lic.neph, lic.next_due(law, policy)) for lic in batch]
            service.store.save(*batch, due=due, clock=YEAR_START if n == size - 1 else None)
            batch = []
            if (n + 1) % 100_000 == 0:
                print(f"    {n + 1:>9,} licences saved", file=sys.stderr, flush=True)
    # A bulk load is followed by fresh planner statistics, as autovacuum would soon give them:
    # without them PostgreSQL's first plans over a million new index rows are blind.
    with service.store.recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def tick_year(service: Licensing) -> tuple[float, int, float]:
    """The worker's loop over the year: seconds in all, effects recorded, slowest day (ms)."""
    effects, slowest = 0, 0.0
    started = time.perf_counter()
    for offset in range(1, 366):
        day_started = time.perf_counter()
        effects += service.tick(YEAR_START + timedelta(days=offset))
        slowest = max(slowest, (time.perf_counter() - day_started) * 1000)
    return time.perf_counter() - started, effects, slowest


def measure(kind: str, url: str, size: int, busy: int) -> Result:
    service = build(Settings(database_url=url))
    try:
        print(f"  {kind}: making {size:,} licences ({busy:,} busy)", file=sys.stderr, flush=True)
        make_s = make_store(service, size, busy)
        tick_s, effects, slowest = tick_year(service)
    finally:
        service.store.close()
    print(
        f"    made in {make_s:.1f}s, year ticked in {tick_s:.2f}s ({effects:,} effects)",
        file=sys.stderr,
        flush=True,
    )
    return Result(kind, size, busy, make_s, tick_s, effects, slowest)


# --- stores ---------------------------------------------------------------------------------------


def _postgres_base() -> str | None:
    import psycopg

    url = os.environ.get("PERMIS_BENCH_POSTGRES_URL", DEFAULT_PG)
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        print(f"PostgreSQL skipped: no server at {url} ({error})", file=sys.stderr)
        return None
    return url


def _pg_database(base: str, name: str, create: bool) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return base.rsplit("/", 1)[0] + "/" + name


def run(kinds: list[str], sizes: list[int], busy: int) -> list[Result]:
    results = []
    for kind in kinds:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="permis-bench-") as folder:
                for size in sizes:
                    url = f"sqlite:///{folder}/tick_{size}.sqlite"
                    results.append(measure(kind, url, size, busy))
                    Path(folder, f"tick_{size}.sqlite").unlink()
        else:
            base = _postgres_base()
            if base is None:
                continue
            for size in sizes:
                name = f"permis_bench_tick_{size}"
                url = _pg_database(base, name, create=True)
                try:
                    results.append(measure(kind, url, size, busy))
                finally:
                    _pg_database(base, name, create=False)
    return results


def report(results: list[Result], pairs: list[tuple[int, int]], busy: int) -> None:
    print(f"\nA year of daily ticks (365 x Licensing.tick), {busy:,} busy licences in every store")
    print(
        f"{'store':<9}{'licences':>11}{'made in':>10}{'year ticked':>13}{'per day':>10}"
        f"{'slowest':>10}{'effects':>9}{'vs baseline':>13}"
    )
    by_key = {(r.store, r.licences): r for r in results}
    for r in results:
        base = by_key.get((r.store, busy))
        ratio = f"{r.tick_s / base.tick_s:.2f}x" if base else "-"
        print(
            f"{r.store:<9}{r.licences:>11,}{r.make_s:>9.1f}s{r.tick_s:>12.2f}s"
            f"{r.tick_s / 365 * 1000:>8.1f}ms{r.slowest_day_ms:>8.0f}ms{r.effects:>9,}{ratio:>13}"
        )
    print("\nThe figure: year ticked on the large store / on the small one (same due effects)")
    for store in dict.fromkeys(r.store for r in results):
        for small, large in pairs:
            a, b = by_key.get((store, small)), by_key.get((store, large))
            if a and b:
                same = "same" if a.effects == b.effects else "DIFFERENT"
                print(
                    f"  {store:<9}{large:>11,} / {small:<11,}{b.tick_s / a.tick_s:>6.2f}x"
                    f"   ({same} effects: {a.effects:,} and {b.effects:,})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--busy", type=int, default=500, help="licences with effects in the year")
    parser.add_argument("--pair", type=int, nargs=2, action="append", metavar=("SMALL", "LARGE"))
    parser.add_argument("--million", action="store_true", help="add the pair 10,000 / 1,000,000")
    args = parser.parse_args()
    pairs = [tuple(p) for p in args.pair] if args.pair else [(2_000, 20_000)]
    if args.million:
        pairs.append((10_000, 1_000_000))
    if any(small < args.busy for small, _ in pairs):
        parser.error("every store must hold at least the busy licences")
    sizes = sorted({args.busy, *(n for pair in pairs for n in pair)})
    kinds = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    configure_logging("WARNING")
    results = run(kinds, sizes, args.busy)
    report(results, [(a, b) for a, b in pairs], args.busy)


if __name__ == "__main__":
    main()
