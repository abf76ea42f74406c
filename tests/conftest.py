"""Fixtures: the same tests run on the embedded SQLite store and on PostgreSQL.

PostgreSQL comes from PERMIS_TEST_POSTGRES_URL (default the local server), else a throwaway cluster
started under var/ when the server binaries exist, else those tests are skipped with the reason —
never when CI=true, where a missing PostgreSQL fails the run (tests/pg_server.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from pg_server import fresh_database, postgres_url

from domain.events import acting_user
from domain.law import current_law
from domain.licence import Licence
from domain.policy import Policy
from infrastructure.settings import Settings
from projections.view import ReadModels
from services.bootstrap import build
from services.journal import parse_journal
from services.licensing import Licensing, UnknownLicence
from services.worker import Worker

_counter = itertools.count()
REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO.parent / "shared" / "scenarios"
PENDING_FILE = Path(__file__).parent / "scenarios_pending.txt"


def pending_scenarios() -> set[str]:
    """Scenarios of an open issue that do not pass yet (`tests/scenarios_pending.txt`, the list the
    runner's `--pending` reads)."""
    names = set()
    for raw in PENDING_FILE.read_text(encoding="utf-8").splitlines():
        entry = raw.split("#", 1)[0].strip()
        if entry:
            names.add(entry.removesuffix(".json"))
    return names


def passing_public_scenarios() -> list[Path]:
    """The public scenarios that tests may replay as real histories: the pending ones use journal
    types or rules not landed yet, so only `test_scenarios` (as strict xfails) plays them."""
    pending = pending_scenarios()
    return [p for p in sorted(SCENARIOS.glob("*.json")) if p.stem not in pending]


def bench_journal() -> ModuleType:
    """The benchmarks' generator of realistic journals (`ops/bench/journal.py`)."""
    spec = importlib.util.spec_from_file_location("bench_journal", REPO / "ops/bench/journal.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # its dataclasses look their module up
    spec.loader.exec_module(generator)
    return generator


def real_licences(tmp_path: Path, generated: int, seed: int, tick_days: int) -> list[Licence]:
    """Licences of real histories: every acceptance scenario and a generated journal of
    `generated` licences, each imported in a store of its own and ticked `tick_days` past it."""
    journals = [json.loads(p.read_text())["journal"] for p in passing_public_scenarios()]
    journals.append(list(bench_journal().generate(generated, 10, seed)))
    licences = []
    for number, raw in enumerate(journals):
        service = build(Settings(database_url=f"sqlite:///{tmp_path / f'{number}.sqlite'}"))
        lines, errors = parse_journal("".join(json.dumps(line) + "\n" for line in raw))
        assert not errors
        service.import_lines(lines)
        service.tick(max(line.command.at for line in lines) + timedelta(days=tick_days))
        for neph in sorted({line.command.neph for line in lines}):
            with contextlib.suppress(UnknownLicence):  # refused lines name licences never issued
                licences.append(service.licence(neph))
        service.store.close()
    return licences


@pytest.fixture(autouse=True)
def _nobody_acting() -> Iterator[None]:
    """Each test starts and ends with nobody acting: a command run in process (Typer's CliRunner)
    sets who acts for the rest of its process, as `permis` does (R-9.1), and the tests that run
    it so would otherwise name that actor in every later test's events."""
    acting_user.set(None)
    yield
    acting_user.set(None)


def wait_for(condition: Callable[..., object], timeout: float = 20.0) -> None:
    """Wait until `condition()` holds (a worker's thread reaching a state), at most `timeout` s."""
    pause = threading.Event()
    waited = 0.0
    while not condition():
        assert waited < timeout, "condition not reached in time"
        pause.wait(0.02)
        waited += 0.02


@contextlib.contextmanager
def running_forever(worker: Worker) -> Iterator[threading.Thread]:
    """The worker's daemon loop in a thread, asked to stop and joined on the way out."""
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        yield thread
    finally:
        worker.stop.set()
        thread.join(timeout=10)


@pytest.fixture
def view(store_url: str) -> Iterator[ReadModels]:
    """The read models of the store under test."""
    models = ReadModels.open(store_url)
    yield models
    models.close()


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(
            "no PostgreSQL server: none answers at PERMIS_TEST_POSTGRES_URL and no server "
            "binaries to start a throwaway one (install postgresql to run these tests)"
        )
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


@pytest.fixture
def postgres_store_url(postgres_base_url: str) -> str:
    name = f"permis_test_{os.getpid()}_{next(_counter)}"
    return fresh_database(postgres_base_url, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty store URL, once per backend."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_store_url"))


ServiceFactory = Callable[..., Licensing]


@pytest.fixture
def make_service(store_url: str) -> Iterator[ServiceFactory]:
    """Build application services on the fresh store (several may share it, like processes)."""
    built: list[Licensing] = []

    def make(policy: Policy | None = None, batch_size: int = 500) -> Licensing:
        settings = Settings(
            database_url=store_url, policy=policy or Policy(), batch_size=batch_size
        )
        service = build(settings)
        built.append(service)
        return service

    yield make
    for service in built:
        service.store.close()


@pytest.fixture
def service(make_service: ServiceFactory) -> Licensing:
    return make_service()


@pytest.fixture(scope="session")
def law():  # type: ignore[no-untyped-def]
    return current_law()
