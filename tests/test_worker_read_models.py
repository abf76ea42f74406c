"""The worker keeps the read models fed from the event stream, as `permis tick` does (README,
CONTRACT §6 `permis worker`, `permis verify`), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from conftest import SCENARIOS, running_forever, wait_for

from infrastructure.clock import FixedClock
from projections.verify import verify
from projections.view import ReadModels
from services.licensing import Licensing
from services.worker import Worker

PERMIS = str(Path(sys.executable).parent / "permis")
# A 48N whose stage is missed: the worker's ticks breach the obligation and raise a flag.
SCENARIO = SCENARIOS / "p05_probation_48N_missed.json"


def permis(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING")
    return subprocess.run(
        [PERMIS, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def scenario_journal(tmp_path: Path) -> str:
    lines = json.loads(SCENARIO.read_text(encoding="utf-8"))["journal"]
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_verify_agrees_after_permis_worker_once(store_url: str, tmp_path: Path) -> None:
    """README (read models fed from the event stream exactly once), CONTRACT §6: after a normal
    `permis worker --once`, `permis verify --chain` finds the events and read models agree."""
    assert permis(store_url, "import", scenario_journal(tmp_path)).returncode == 0
    worker = permis(store_url, "worker", "--once", "--today", "2024-06-01")
    assert worker.returncode == 0, worker.stderr
    assert "time-driven event(s) recorded" in worker.stdout
    checked = permis(store_url, "verify", "--chain")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "agree" in checked.stdout


def test_the_long_running_worker_catches_the_read_models_up_each_day(
    service: Licensing, tmp_path: Path
) -> None:
    """README, CONTRACT §6: the daemon loop (`permis worker`) leaves the read models current after
    each day it ticks, not only `--once`."""
    assert permis(service.store.url, "import", scenario_journal(tmp_path)).returncode == 0
    clock = FixedClock(date(2022, 6, 1))
    worker = Worker(service, clock, max_sleep=0.05)
    with running_forever(worker) as thread:
        wait_for(lambda: service.clock() == date(2022, 6, 1))
        clock.advance(92)  # past the 48N's deadline and grace: the breach of 2022-08-22
        wait_for(lambda: service.clock() == date(2022, 9, 1))
        wait_for(lambda: not _differences(service))
    assert not thread.is_alive()


def _differences(service: Licensing) -> list[str]:
    with ReadModels.open(service.store.url) as view:
        return [str(difference) for difference in verify(service, view, chain=True)]
