"""Batch jobs run with the cyclic garbage collector off (`unit_of_work.no_cyclic_collection`).

That is safe only while a job makes (next to) no reference cycles, which reference counting alone
cannot free: a realistic journal, with its refusals, is imported and ticked, and the collector is
then asked what it finds.
"""

from __future__ import annotations

import gc
import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import bench_journal

from infrastructure.settings import Settings
from services.bootstrap import build
from services.journal import parse_journal
from services.licensing import Licensing


def _journal(licences: int) -> str:
    lines = bench_journal().generate(licences, 10, 5)
    return "".join(json.dumps(line) + "\n" for line in lines)


def test_a_job_leaves_next_to_no_reference_cycles(tmp_path: Path) -> None:
    """An import and a tick of 10 years of 200 licences leave fewer cycles than a handful."""
    lines, errors = parse_journal(_journal(200))
    assert not errors
    service: Licensing = build(Settings(database_url=f"sqlite:///{tmp_path / 'store.sqlite'}"))
    gc.collect()
    assert gc.isenabled()
    report = service.import_lines(lines)
    service.tick(max(line.command.at for line in lines) + timedelta(days=400))
    assert gc.isenabled()  # the collector came back after the jobs
    assert report.applied > 0.9 * len(lines) and report.refused > 0  # refusals raise and are caught
    assert gc.collect() < 50
    service.store.close()


def test_the_collector_is_off_during_a_job_and_back_after(tmp_path: Path) -> None:
    """While the import runs the collector is off; an error in the job still brings it back."""
    service = build(Settings(database_url=f"sqlite:///{tmp_path / 'store.sqlite'}"))
    seen: list[bool] = []
    apply = service._apply

    def spying(uow, line):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        raise RuntimeError("stop")

    service._apply = spying  # type: ignore[method-assign]
    lines, _ = parse_journal(_journal(2))
    with pytest.raises(RuntimeError):
        service.import_lines(lines)
    service._apply = apply  # type: ignore[method-assign]
    assert seen == [False]
    assert gc.isenabled()
    service.store.close()
