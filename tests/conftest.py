"""Fixtures: the same tests run on the embedded SQLite store and on PostgreSQL.

PostgreSQL comes from PERMIS_TEST_POSTGRES_URL (default the local server), else a throwaway cluster
started under var/ when the server binaries exist, else those tests are skipped with the reason —
never when CI=true, where a missing PostgreSQL fails the run (tests/pg_server.py).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pg_server import fresh_database, postgres_url

from domain.law import current_law
from domain.policy import Policy
from infrastructure.settings import Settings
from services.bootstrap import build
from services.licensing import Licensing

_counter = itertools.count()
REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO.parent / "shared" / "scenarios"


def bench_journal() -> ModuleType:
    """The benchmarks' generator of realistic journals (`ops/bench/journal.py`)."""
    spec = importlib.util.spec_from_file_location("bench_journal", REPO / "ops/bench/journal.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # its dataclasses look their module up
    spec.loader.exec_module(generator)
    return generator


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
