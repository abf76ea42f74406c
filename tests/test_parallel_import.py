"""An import shared out among processes leaves the store as one process does (R-9.1, R-0.5).

A generated journal of 10 years of several hundred licences, with a repeated id and refusals, is
imported by one process into one store and by three into another, on both kinds of store; every
licence's events (all but their wall-clock timestamp and the hash chained on it), every receipt,
the due-date index, the clock and the views must be the same. A share that fails leaves the clock
where it was, and importing the journal again completes it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import ServiceFactory, bench_journal

from infrastructure.settings import Settings
from services import parallel_import
from services.bootstrap import build
from services.errors import ShareFailed
from services.journal import JournalLine, parse_journal
from services.licensing import Licensing, UnknownLicence

END = date(2026, 1, 4)


@pytest.fixture
def lines() -> list[JournalLine]:
    raw = list(bench_journal().generate(400, 10, 7))
    # The id of a line used again for another licence, with other content: refused (CONTRACT §3).
    middle = len(raw) // 2
    raw.insert(middle, {**raw[len(raw) // 3], "neph": "999999999999", "at": raw[middle - 1]["at"]})
    parsed, errors = parse_journal("".join(json.dumps(line) + "\n" for line in raw))
    assert not errors
    return parsed


@pytest.fixture(autouse=True)
def small_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_import, "MIN_LINES_A_PROCESS", 100)


def facts(service: Licensing, lines: list[JournalLine]) -> dict[str, Any]:
    """Everything the store holds, but the order receipts were saved in across licences."""
    recorder = service.store.permis
    licences = {}
    for neph in sorted({line.command.neph for line in lines}):
        try:
            licence = service.licence(neph)
        except UnknownLicence:
            continue
        licences[neph] = [
            (
                type(e).__name__,
                {k: v for k, v in vars(e).items() if k not in ("timestamp", "previous_hash")},
            )
            for e in licence.history
        ]
        licences[neph].append(("view", service.view(neph)))
    receipts = recorder.select_receipts([line.command.id for line in lines])
    return {
        "licences": licences,
        "receipts": sorted(receipts.values()),
        "due": sorted(recorder.select_due(date.max, 100_000)),
        "clock": service.clock(),
    }


def sequential(tmp_path: Path, lines: list[JournalLine]) -> Licensing:
    service = build(Settings(database_url=f"sqlite:///{tmp_path / 'one.sqlite'}"))
    service.import_lines(lines)
    return service


def test_r9_1_three_processes_leave_the_store_one_process_leaves(
    make_service: ServiceFactory, tmp_path: Path, lines: list[JournalLine]
) -> None:
    """R-9.1: the same events, receipts, due dates, clock and views, and the same report."""
    one = sequential(tmp_path, lines)
    shared = make_service()
    assert parallel_import.processes_for(lines, {}, 3) == 3
    report = shared.import_lines(lines, processes=3)
    assert report.processes == 3
    expected = one.import_lines(lines)  # a second import of the same journal: only replays
    assert report.applied == sum(1 for r in facts(one, lines)["receipts"] if r.outcome == "applied")
    assert [(r.number, r.command_id, r.reason) for r in report.refusals] == [
        (r.number, r.command_id, r.reason) for r in expected.refusals
    ]
    assert any("already used for a different line" in r.reason for r in report.refusals)
    assert facts(shared, lines) == facts(one, lines)
    shared.tick(END)
    one.tick(END)
    assert facts(shared, lines) == facts(one, lines)


def test_a_failed_share_leaves_the_clock_and_a_second_import_completes(
    make_service: ServiceFactory,
    tmp_path: Path,
    lines: list[JournalLine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A process that fails: the import stops with its reason, the clock stays, the batches the
    others saved stand, and importing the same journal again ends as one import would."""
    shared = make_service()
    import_share = Licensing.import_share

    def failing(self: Licensing, *args: Any) -> Any:
        if self._share == (1, 3):
            raise RuntimeError("disk full")
        return import_share(self, *args)

    monkeypatch.setattr(Licensing, "import_share", failing)
    with pytest.raises(ShareFailed, match=r"share 2 of 3: RuntimeError: disk full") as failed:
        shared.import_lines(lines, processes=3)
    assert "Traceback" not in str(failed.value)  # for the operator; the log keeps it
    assert shared.clock() is None
    monkeypatch.setattr(Licensing, "import_share", import_share)
    shared.import_lines(lines, processes=3)
    assert facts(shared, lines) == facts(sequential(tmp_path, lines), lines)


def test_small_journals_and_the_web_stay_in_one_process(lines: list[JournalLine]) -> None:
    """A journal with too few new lines for each process is imported in the calling one."""
    assert parallel_import.processes_for(lines[:150], {}, 8) == 1
    assert parallel_import.processes_for(lines, {}, 1) == 1
