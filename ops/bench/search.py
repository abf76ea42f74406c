"""Search benchmark: the back-office's "Permis" list (`projections.search`) on a million licences.

Fills the read models directly (no events: the rows a rebuild would write, with made-up holders)
on a fresh database migrated to head: `--licences` rows of `rm_licences` (default 1,000,000), a
flag on 1 % of them and an open obligation on 3 %, names drawn from a long-tailed list of surnames
(a few very common ones, like France's, and tens of thousands of rare ones). Then each search an
operator makes is run `--repeat` times through `search_licences` (the page's code: the capped
count and one page of 50) and its median printed, beside a raw baseline measured in the same run:
one row read by primary key through a plain DB-API cursor (`psycopg` / `sqlite3`), the floor of
any query. The target: every search under 100 ms.

    .venv/bin/python ops/bench/search.py [--licences N] [--repeat R] [--store postgres|sqlite]

PostgreSQL: a fresh database on PERMIS_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("PERMIS_LOG_LEVEL", "WARNING")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent)]

from sqlalchemy import Engine, insert, text  # noqa: E402

from projections.database import engine_for, ensure_schema  # noqa: E402
from projections.schema import rm_flags, rm_licences, rm_obligations  # noqa: E402
from projections.search import Search, holder_columns, search_licences  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
COMMON = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois"]
COMMON += ["Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David"]
GIVEN = ["Camille", "Léa", "Hugo", "Louis", "Manon", "Chloé", "Lucas", "Inès", "Jules", "Emma"]
GIVEN += ["Nathan", "Sarah", "Paul", "Claire", "Marc", "Sophie", "Jean", "Marie", "Élodie", "Noé"]
SYLLABLES = ["ber", "mar", "tin", "lo", "du", "pont", "ga", "ll", "che", "val", "rou", "se"]
SYLLABLES += ["fa", "vre", "gi", "rard", "bo", "nne", "mo", "rel", "qu", "et", "lan", "dre"]
CENTRES = [f"Centre de stage {n}" for n in range(1, 401)]
STATUSES = [("valid", 0.97), ("invalidated", 0.02), ("suspended", 0.01)]
CHUNK = 10_000


def surnames(rng: random.Random, rare: int) -> list[str]:
    """Many rare surnames made of syllables, some with a particle or a hyphen."""
    made: set[str] = set()
    while len(made) < rare:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if rng.random() < 0.05:
            name = rng.choice(["Le ", "De ", "Du "]) + name
        elif rng.random() < 0.05:
            name += "-" + rng.choice(COMMON)
        made.add(name)
    return sorted(made)


def licence_rows(count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    rare = surnames(rng, 50_000)
    for n in range(count):
        neph = f"{rng.randint(1, 95):03d}{n:09d}"
        surname = rng.choice(COMMON) if rng.random() < 0.12 else rng.choice(rare)
        given = rng.choice(GIVEN) + (f" {rng.choice(GIVEN)}" if rng.random() < 0.4 else "")
        born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 65))
        issued = max(born + timedelta(days=365 * 18 + rng.randint(0, 9000)), date(1960, 1, 1))
        status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        centre = rng.choice(CENTRES) if rng.random() < 0.1 else None
        holder = {"surname": surname, "given_names": given, "birth_date": born}
        yield {
            "neph": neph,
            "licence_id": uuid.UUID(int=n + 1).hex,
            "status": status,
            "balance": 0 if status == "invalidated" else rng.randint(1, 12),
            "ceiling": 12,
            "probationary": issued > date(2024, 1, 1),
            "probation_ends_on": None,
            "new_licence_possible_on": None,
            "issued_on": issued,
            "version": 1,
            "head_hash": "0" * 64,
            "as_of": date(2026, 12, 7),
            "changes_on": None,
            "last_recorded_on": issued,
            **holder_columns(holder, centre),
            "flags": None,
            "obligations": None,
        }


def fill(engine: Engine, count: int, seed: int) -> list[dict[str, Any]]:
    """The rows written (a sample kept to draw searches from)."""
    sample: list[dict[str, Any]] = []
    rng = random.Random(seed + 1)
    flags, obligations, batch = [], [], []
    started = time.perf_counter()
    with engine.begin() as connection:
        for row in licence_rows(count, seed):
            batch.append(row)
            if rng.random() < 0.001:
                sample.append(row)
            x = rng.random()
            if x < 0.01:
                kind = rng.choice(["non_compliance", "licence_not_returned", "attestation_overdue"])
                flags.append(_flag(row["neph"], kind))
                row["flags"] = kind
            elif x < 0.04:
                kind = rng.choice(["mandatory_stage", "licence_return"])
                obligations.append(_obligation(row["neph"], kind))
                row["obligations"] = f"open:{kind}"
            if len(batch) >= CHUNK:
                _write(connection, batch, flags, obligations)
                batch, flags, obligations = [], [], []
        _write(connection, batch, flags, obligations)
    print(f"filled {count:,} licences in {time.perf_counter() - started:.0f} s", flush=True)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # As autovacuum leaves a table: statistics, and the visibility map of index-only scans.
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
        else:
            connection.execute(text("ANALYZE"))
    return sample


def _write(connection: Any, batch: list[Any], flags: list[Any], obligations: list[Any]) -> None:
    if connection.dialect.name == "postgresql":
        _copy(connection, rm_licences.name, batch)
        _copy(connection, rm_flags.name, flags)
        _copy(connection, rm_obligations.name, obligations)
        return
    for table, rows in ((rm_licences, batch), (rm_flags, flags), (rm_obligations, obligations)):
        if rows:
            connection.execute(insert(table), rows)


def _copy(connection: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: a million rows in a minute rather than ten."""
    if not rows:
        return
    names = list(rows[0])
    raw = connection.connection.driver_connection
    with raw.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def _flag(neph: str, kind: str) -> dict[str, Any]:
    return {
        "neph": neph,
        "flag_id": f"{kind}:1",
        "valid_from": date(2026, 1, 1),
        "valid_to": None,
        "kind": kind,
        "raised_on": date(2026, 1, 1),
        "cleared": False,
        "centre": CENTRES[0] if kind == "attestation_overdue" else None,
        "fine_max_eur": None,
        "suspension_max_years": None,
    }


def _obligation(neph: str, kind: str) -> dict[str, Any]:
    return {
        "neph": neph,
        "obligation_id": f"{kind}:1",
        "valid_from": date(2026, 6, 1),
        "valid_to": None,
        "kind": kind,
        "opened_on": date(2026, 6, 1),
        "due_on": date(2026, 10, 1),
        "status": "open",
        "settled_on": None,
    }


def searches(sample: list[dict[str, Any]]) -> list[tuple[str, Callable[[int], Search]]]:
    """The searches an operator makes; `i` picks a different licence of the sample each time."""

    def pick(i: int) -> dict[str, Any]:
        return sample[i % len(sample)]

    return [
        ("exact NEPH", lambda i: Search(q=pick(i)["neph"])),
        ("NEPH prefix (7 digits)", lambda i: Search(q=pick(i)["neph"][:7])),
        ("common surname (Martin)", lambda i: Search(q="martin")),
        ("surname, any case/accent", lambda i: Search(q=pick(i)["surname"].upper())),
        ("surname prefix (3 letters)", lambda i: Search(q=pick(i)["surname_key"][:3])),
        ("surname + given name", lambda i: Search(q=f"{pick(i)['surname']} {pick(i)['given_names'].split()[0]}")),
        ("given name + surname", lambda i: Search(q=f"{pick(i)['given_names'].split()[0]} {pick(i)['surname']}")),
        ("given name + birth date", lambda i: Search(q=f"{pick(i)['given_names'].split()[0]} {pick(i)['birth_date'].isoformat()}")),
        ("birth date", lambda i: Search(q=pick(i)["birth_date"].strftime("%d/%m/%Y"))),
        ("surname + birth date", lambda i: Search(q=f"{pick(i)['surname']} {pick(i)['birth_date'].isoformat()}")),
        ("filter: flag non_compliance", lambda i: Search(flag="non_compliance")),
        ("filter: open obligation, probationary", lambda i: Search(obligation="open", probationary=True)),
        ("filter: status invalidated", lambda i: Search(status="invalidated")),
        ("filter: stage centre", lambda i: Search(centre=CENTRES[i % len(CENTRES)])),
        ("Martin + flag any", lambda i: Search(q="martin", flag="any")),
        ("all, by name, page 1", lambda i: Search()),
        ("all, by name, page 200 (last)", lambda i: Search(page=200)),
        ("all, by NEPH descending", lambda i: Search(sort="neph", descending=True)),
        ("all, by balance", lambda i: Search(sort="solde")),
        ("Martin, by balance", lambda i: Search(q="martin", sort="solde")),
    ]  # fmt: skip


def raw_lookup(url: str, nephs: list[str]) -> Callable[[int], None]:
    """One row by primary key through a plain cursor: the baseline."""
    if url.startswith("sqlite"):
        embedded = sqlite3.connect(url[len("sqlite:///") :])

        def read_sqlite(i: int) -> None:
            embedded.execute(
                "SELECT * FROM rm_licences WHERE neph = ?", (nephs[i % len(nephs)],)
            ).fetchall()

        return read_sqlite
    import psycopg

    server = psycopg.connect(url)

    def read(i: int) -> None:
        server.execute(
            "SELECT * FROM rm_licences WHERE neph = %s", (nephs[i % len(nephs)],)
        ).fetchall()

    return read


def _run(engine: Engine, make: Callable[[int], Search], i: int) -> Any:
    return search_licences(engine, make(i))


def median_ms(run: Callable[[int], Any], repeat: int) -> tuple[float, Any]:
    timings, last = [], None
    run(0)  # warm: the first run reads the pages from disk
    for i in range(repeat):
        started = time.perf_counter()
        last = run(i)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    base = os.environ.get("PERMIS_BENCH_POSTGRES_URL", DEFAULT_PG)
    name = f"permis_bench_search_{os.getpid()}"
    if args.keep:
        print(f"database kept: {name}")
    tmp = tempfile.TemporaryDirectory()
    if args.store == "postgres":
        import psycopg

        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = base.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp.name}/search.sqlite"
    engine = engine_for(url)
    try:
        ensure_schema(engine)
        sample = fill(engine, args.licences, args.seed)
        baseline, _ = median_ms(raw_lookup(url, [r["neph"] for r in sample]), args.repeat * 4)
        print(f"\n{args.store}, {args.licences:,} licences, median of {args.repeat} runs")
        print(f"raw baseline (one row by primary key, plain cursor): {baseline:.2f} ms\n")
        print(f"{'search':44} {'median ms':>10} {'× raw':>7} {'found':>8}")
        worst = 0.0
        for label, make in searches(sample):
            ms, found = median_ms(functools.partial(_run, engine, make), args.repeat)
            worst = max(worst, ms)
            total = f"{found.total:,}{'+' if found.capped else ''}"
            print(f"{label:44} {ms:10.1f} {ms / baseline:7.0f} {total:>8}", flush=True)
        print(f"\nslowest: {worst:.1f} ms (target: under 100 ms)")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        engine.dispose()
        if args.store == "postgres" and not args.keep:
            import psycopg

            with psycopg.connect(base, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        tmp.cleanup()


if __name__ == "__main__":
    main()
