"""The deadline process manager (`permis worker`): catch-up, races, crashes (R-6.4, R-0.5).

Every test compares a worker's end state with a reference reached another way (one uninterrupted
run, one worker alone, `permis tick`): the licence views, the audit trails without their wall-clock
timestamps, and the due-date index.
"""

from __future__ import annotations

import functools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import REPO, ServiceFactory, running_forever, wait_for
from pg_server import fresh_database
from psycopg import sql

from domain.policy import Policy
from infrastructure.clock import FixedClock
from infrastructure.settings import Settings
from services.bootstrap import build
from services.journal import parse_journal
from services.licensing import Licensing
from services.worker import Worker

IMPORTED_UNTIL = date(2024, 3, 1)
TODAY = date(2026, 3, 1)
PERMIS = Path(sys.executable).parent / "permis"


def journal(count: int, seed: int = 7) -> str:
    """Licences whose deadlines, restorations and probation gains fall due over the next years.

    Probationary licences gain points on their anniversaries (R-1.4); a 4-point withdrawal sends a
    48N, mostly acknowledged, whose stage is never taken (R-6.1: breach, then flag); a one-point
    withdrawal comes back after 6 months (R-4.1) and every withdrawal after 2 or 3 years (R-4.2).
    """
    rng = random.Random(seed)
    steps: dict[str, list[dict[str, Any]]] = {at: [] for at in _STEPS}
    for n in range(count):
        neph = f"0990{n:08d}"
        issued_on = date(2022, 3, 1) + timedelta(days=rng.randrange(600))
        probationary = n % 4 != 3
        offence = "red_light" if n % 2 == 0 else "speeding_5_20_upto50"
        committed = date(2023, 12, 1) + timedelta(days=rng.randrange(40))
        steps["2024-01-02"].append(
            {
                "type": "licence.issue",
                "neph": neph,
                "issued_on": issued_on.isoformat(),
                "route": rng.choice(["traditional", "aac"]),
                "probationary": probationary,
            }
        )
        steps["2024-01-10"].append(
            {
                "type": "infraction.record",
                "neph": neph,
                "infraction_id": f"i{n}",
                "offence": offence,
                "committed_on": committed.isoformat(),
            }
        )
        steps["2024-01-22"].append(
            {
                "type": "infraction.establish",
                "neph": neph,
                "infraction_id": f"i{n}",
                "established_on": "2024-01-20",
                "basis": "fine_paid",
            }
        )
        if probationary and offence == "red_light" and n % 8 != 4:
            steps["2024-02-20"].append(
                {
                    "type": "letter.delivered",
                    "neph": neph,
                    "letter": "48N",
                    "delivered_on": "2024-02-10",
                }
            )
    lines: list[str] = []
    for at, raws in steps.items():
        for raw in raws:
            lines.append(json.dumps({"id": f"w-{len(lines) + 1:05d}", "at": at, **raw}))
    return "\n".join(lines) + "\n"


_STEPS = ("2024-01-02", "2024-01-10", "2024-01-22", "2024-02-20")


def load(service: Licensing, text: str) -> None:
    lines, errors = parse_journal(text)
    assert not errors
    report = service.import_lines(lines)
    assert not report.refusals
    service.tick(IMPORTED_UNTIL)


def nephs(service: Licensing) -> list[str]:
    found: list[str] = []
    while batch := service.store.permis.select_nephs(found[-1] if found else "", 1000):
        found.extend(batch)
    return found


def end_state(service: Licensing) -> dict[str, Any]:
    """What an observer can see: the clock, every view and audit trail, the due-date index."""
    licences = {}
    for neph in nephs(service):
        trail = [
            {k: v for k, v in item.items() if k != "timestamp"} for item in service.audit(neph)
        ]
        licences[neph] = {"view": service.view(neph), "audit": trail}
    index = service.store.permis.select_due(date.max, 10**6)
    return {
        "clock": service.clock(),
        "licences": licences,
        "due": sorted((e.neph, e.due_on) for e in index),
    }


def time_driven_events(state: dict[str, Any]) -> int:
    return sum(
        1
        for licence in state["licences"].values()
        for item in licence["audit"]
        if item["command_id"] is None and item["event"] != "LicenceIssued"
    )


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """Make fresh PostgreSQL databases for one test, dropped after it (close their stores first)."""
    base: str = request.getfixturevalue("postgres_base_url")
    names: list[str] = []

    def make(role: str) -> str:
        names.append(f"permis_worker_{role}_{os.getpid()}")
        return fresh_database(base, names[-1])

    yield make
    with psycopg.connect(base, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def other_service(
    store_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Licensing]:
    """A second, independent store on the same backend as `service` (for references)."""
    if store_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    else:
        url = request.getfixturevalue("pg_database")("other")
    service = build(Settings(database_url=url, batch_size=4))
    yield service
    service.store.close()


def test_catch_up_after_a_gap_applies_every_missed_day_in_order_R_6_4(
    make_service: ServiceFactory, other_service: Licensing
) -> None:
    """A worker that did not run for two years ends where daily ticks would have (R-6.4)."""
    text = journal(24)
    daily, worker_side = other_service, make_service(batch_size=5)
    for service in (daily, worker_side):
        load(service, text)
    day = IMPORTED_UNTIL
    while day < TODAY:
        day += timedelta(days=1)
        daily.tick(day)

    run = Worker(worker_side, FixedClock(TODAY)).catch_up()

    assert run.clock == TODAY and run.days == (TODAY - IMPORTED_UNTIL).days
    assert run.conflicts == 0 and not run.stopped
    expected, got = end_state(daily), end_state(worker_side)
    assert got == expected
    assert run.effects == time_driven_events(got) - events_at_import(text)
    # every time-driven event is recorded on its own due date, not on the day the worker woke up
    flags = [f for lic in got["licences"].values() for f in lic["view"]["flags"]]
    assert flags and all(date.fromisoformat(f["raised_on"]) < TODAY for f in flags)


@functools.cache
def events_at_import(text: str) -> int:
    """Time-driven events recorded by the import itself, on a throwaway SQLite store."""
    with tempfile.TemporaryDirectory() as folder:
        service = build(Settings(database_url=f"sqlite:///{folder}/ref.sqlite"))
        load(service, text)
        count = time_driven_events(end_state(service))
        service.store.close()
    return count


def test_the_worker_does_nothing_once_the_clock_is_at_today_R_6_4(service: Licensing) -> None:
    """A second run on the same day finds nothing due and records nothing."""
    load(service, journal(6))
    worker = Worker(service, FixedClock(date(2024, 9, 1)))
    first = worker.catch_up()
    before = end_state(service)
    again = worker.catch_up()
    assert first.days == (date(2024, 9, 1) - IMPORTED_UNTIL).days and first.effects > 0
    assert (again.days, again.effects) == (0, 0)
    assert end_state(service) == before


def test_the_long_running_worker_ticks_each_new_day_then_stops_on_request_R_0_5(
    service: Licensing,
) -> None:
    """`run_forever` catches up, wakes for the next day, and stops cleanly when asked."""
    load(service, journal(6))
    clock = FixedClock(date(2024, 6, 30))
    worker = Worker(service, clock, max_sleep=0.05)
    with running_forever(worker) as thread:
        wait_for(lambda: service.clock() == date(2024, 6, 30))
        clock.advance(3)
        wait_for(lambda: service.clock() == date(2024, 7, 3))
    assert not thread.is_alive()


@pytest.mark.postgres
@pytest.mark.parametrize("use_lock", [False, True], ids=["optimistic-only", "advisory-lock"])
def test_two_workers_racing_on_postgres_have_the_effects_of_one_R_6_4(
    pg_database: Callable[[str], str], use_lock: bool
) -> None:
    """Two workers, each with its own service, on one database: no double effect, same views.

    Without the advisory lock both really tick the same days at once, and the event store's
    version check (IntegrityError, then a retry of the day) is all that keeps effects single.
    """
    text = journal(40)
    alone = _pg_service(pg_database("alone"))
    shared_url = pg_database("race")
    first, second = _pg_service(shared_url, batch_size=3), _pg_service(shared_url, batch_size=3)
    try:
        load(alone, text)
        load(first, text)
        Worker(alone, FixedClock(TODAY)).catch_up()

        barrier = threading.Barrier(2)
        runs: list[Any] = []

        def race(service: Licensing) -> None:
            worker = Worker(service, FixedClock(TODAY), use_lock=use_lock, retry_pause=0.001)
            barrier.wait()
            runs.append(worker.catch_up())

        threads = [threading.Thread(target=race, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert len(runs) == 2, "a worker failed"

        # The same audit trails as one worker alone: not one effect recorded twice.
        assert end_state(first) == end_state(alone)
        assert all(run.clock == TODAY for run in runs)
        if not use_lock:
            assert sum(run.conflicts for run in runs) > 0, "the workers never collided"
    finally:
        for service in (alone, first, second):
            service.store.close()


def _pg_service(url: str, batch_size: int = 500) -> Licensing:
    return build(Settings(database_url=url, policy=Policy(), batch_size=batch_size))


def _worker_process(url: str, today: date, *extra: str, once: bool = True) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PERMIS_DATABASE_URL": url,
        "PERMIS_BATCH_SIZE": "2",
        "PERMIS_LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [
            str(PERMIS),
            "worker",
            *(["--once"] if once else []),
            "--today",
            today.isoformat(),
            *extra,
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )


def _read_until(process: subprocess.Popen[str], marker: str) -> bool:
    """Read the worker's log until a line contains `marker`; False when it ended first."""
    assert process.stderr is not None
    return any(marker in line for line in process.stderr)


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def _saved_events(service: Licensing) -> int:
    return service.store.recorder.max_notification_id() or 0


def _busy_days(logs: str) -> list[date]:
    """The days on which the uninterrupted worker recorded several batches of effects."""
    days = [json.loads(line) for line in logs.splitlines() if '"worker.day"' in line]
    return [date.fromisoformat(d["day"]) for d in days if d["effects"] >= 6]


@pytest.mark.postgres
def test_a_worker_killed_mid_run_and_restarted_ends_like_an_uninterrupted_one_R_6_4(
    pg_database: Callable[[str], str],
) -> None:
    """kill -9 between days and inside a day's batches, restart: same end state as one run."""
    text = journal(40, seed=11)
    whole_url, killed_url = pg_database("whole"), pg_database("killed")
    whole, killed = _pg_service(whole_url), _pg_service(killed_url)
    try:
        load(whole, text)
        load(killed, text)
        done = _worker_process(whole_url, TODAY)
        _, logs = done.communicate(timeout=300)
        assert done.returncode == 0, logs[-2000:]
        busy = _busy_days(logs)
        assert len(busy) >= 2

        # Killed a moment after a day was reported: between two days' transactions.
        process = _worker_process(killed_url, TODAY)
        assert _read_until(process, f'"day": "{IMPORTED_UNTIL + timedelta(days=5)}"')
        _kill(process)
        between = killed.clock()
        # Killed as soon as the first batches of a busy day are saved, before its clock is.
        cuts = []
        for day in busy[:2]:
            process = _worker_process(killed_url, TODAY)
            assert _read_until(process, f'"day": "{day - timedelta(days=1)}"')
            saved = _saved_events(killed)
            wait_for(lambda s=saved: _saved_events(killed) > s, timeout=60)
            _kill(process)
            cuts.append(killed.clock() == day - timedelta(days=1) and _saved_events(killed) > saved)
        restart = _worker_process(killed_url, TODAY)
        _, logs = restart.communicate(timeout=300)
        assert restart.returncode == 0, logs[-2000:]

        assert between is not None and between < busy[0] - timedelta(days=1)
        assert any(cuts), "no kill left a day's work half done"

        assert end_state(killed) == end_state(whole)
    finally:
        whole.store.close()
        killed.store.close()


def test_a_run_cut_between_two_batches_of_a_day_resumes_without_double_effects_R_0_5(
    make_service: ServiceFactory, other_service: Licensing
) -> None:
    """A crash after some batches of a day were saved, before the clock was: nothing twice."""
    text = journal(30)
    reference, crashed = other_service, make_service(batch_size=4)
    load(reference, text)
    load(crashed, text)
    Worker(reference, FixedClock(TODAY)).catch_up()

    class Crash(BaseException):
        """Stands for the process dying: nothing after it runs."""

    saves = 0
    real_save = crashed.store.save

    def save_then_die(*args: Any, **kwargs: Any) -> Any:
        nonlocal saves
        saves += 1
        result = real_save(*args, **kwargs)
        if kwargs.get("clock") is None and args:
            raise Crash  # a batch saved, its day's clock not yet
        return result

    crashed.store.save = save_then_die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        Worker(crashed, FixedClock(TODAY)).catch_up()
    crashed.store.save = real_save  # type: ignore[method-assign]
    cut_at = crashed.clock()
    assert cut_at is not None and cut_at < TODAY

    Worker(crashed, FixedClock(TODAY)).catch_up()
    assert end_state(crashed) == end_state(reference)


def test_permis_worker_once_catches_up_from_the_command_line_R_6_4(sqlite_url: str) -> None:
    """`permis worker --once --today D` ticks the store to D and says so."""
    service = build(Settings(database_url=sqlite_url))
    load(service, journal(4))
    process = _worker_process(sqlite_url, date(2024, 12, 31))
    _, logs = process.communicate(timeout=120)
    assert process.returncode == 0, logs[-2000:]
    assert service.clock() == date(2024, 12, 31)
    events = [json.loads(line)["event"] for line in logs.splitlines() if line.startswith("{")]
    assert [e for e in events if e.startswith("worker.")][-1] == "worker.caught_up"
    service.store.close()


def test_sigterm_stops_the_long_running_worker_cleanly_R_6_4(sqlite_url: str) -> None:
    """`permis worker` keeps running once caught up; SIGTERM ends it at once, exit 0."""
    service = build(Settings(database_url=sqlite_url))
    load(service, journal(4))
    process = _worker_process(sqlite_url, date(2024, 6, 1), once=False)
    try:
        assert _read_until(process, '"worker.caught_up"')
        assert process.poll() is None  # asleep until the next day
        process.send_signal(signal.SIGTERM)
        _, logs = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            _kill(process)
    assert process.returncode == 0
    assert '"worker.stop"' in logs
    assert service.clock() == date(2024, 6, 1)
    service.store.close()
