"""`permis import` reads its journal twice, a chunk at a time, in constant memory (issue 17 item 4).

The stores a streamed import leaves, in one process and in three, with chunks far smaller than the
journal (so that lines with the same id, and a licence's lines, fall in different chunks), are the
ones `import_lines` leaves with the whole journal in memory (CONTRACT §3: ids remembered once
evaluated, the same id with other content refused). No more than a chunk of lines is held at once.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import bench_journal
from test_parallel_import import facts

from infrastructure.settings import Settings
from services import parallel_import, streaming_import
from services.bootstrap import build
from services.journal import LineError, parse_journal
from services.licensing import Licensing, UsageError
from services.streaming_import import JournalFile, import_journal, survey

CHUNK = 7


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    raw: list[dict[str, Any]] = list(bench_journal().generate(300, 10, 11))
    middle = len(raw) // 2
    # An id used again for another licence with other content (refused), and a line repeated
    # as it was (skipped): both far from their first line, in another chunk.
    raw.insert(middle, {**raw[len(raw) // 3], "neph": "999999999999", "at": raw[middle - 1]["at"]})
    for again in range(len(raw) // 4, len(raw)):
        after = max(i for i, line in enumerate(raw) if line["at"] == raw[again]["at"]) + 1
        if after // CHUNK != again // CHUNK:  # the repeat in a later chunk than its first line
            raw.insert(after, dict(raw[again]))
            break
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in raw), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming_import, "CHUNK_LINES", CHUNK)
    monkeypatch.setattr(parallel_import, "MIN_LINES_A_PROCESS", 100)


def store(tmp_path: Path, name: str) -> Licensing:
    return build(Settings(database_url=f"sqlite:///{tmp_path / name}"))


def streamed(service: Licensing, path: Path, processes: int) -> Any:
    source = JournalFile(path)
    errors: list[LineError] = []
    found = survey(service, source, errors.append, processes)
    assert errors == [] and found.refused == []
    return import_journal(service, source, found, processes)


@pytest.mark.parametrize("processes", [1, 3])
def test_issue_17_a_streamed_import_leaves_the_store_a_whole_one_leaves(
    tmp_path: Path, journal: Path, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17 item 4, CONTRACT §3, R-9.1: chunks of 7 lines, in one process and in three,
    give the events, receipts, due dates, clock, views and report of the whole journal."""
    lines, errors = parse_journal(journal.read_text(encoding="utf-8"))
    assert not errors
    whole = store(tmp_path, "whole.sqlite")
    expected = whole.import_lines(lines)
    checked: list[int] = []
    service = store(tmp_path, "streamed.sqlite")
    original = Licensing.check

    def check(self: Licensing, part: Any) -> Any:
        checked.append(len(part))
        return original(self, part)

    monkeypatch.setattr(Licensing, "check", check)
    report = streamed(service, journal, processes)
    assert (report.applied, report.skipped) == (expected.applied, expected.skipped)
    assert report.refusals == expected.refusals
    assert report.processes == processes
    assert expected.skipped == 1 and any("different line" in r.reason for r in expected.refusals)
    assert facts(service, lines) == facts(whole, lines)
    assert max(checked) <= CHUNK  # never more than a chunk of lines at once (this process)
    # Importing the file again changes nothing: every line is skipped or refused again.
    again = streamed(service, journal, processes)
    assert again.applied == 0 and again.skipped == expected.applied + expected.skipped


def test_issue_17_the_first_reading_reports_every_error_and_nothing_is_applied(
    tmp_path: Path, journal: Path
) -> None:
    """CONTRACT §3: malformed lines (bad JSON, bad UTF-8, `at` going backwards) each reported
    with their number by the first reading; the store is left empty."""
    good = journal.read_bytes().split(b"\n")
    broken = [*good[:150], b"{not json", b'{"id": "\xff"}', *good[150:300], good[10], *good[300:]]
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"\n".join(broken))
    errors: list[LineError] = []
    service = store(tmp_path, "s.sqlite")
    found = survey(service, JournalFile(path), errors.append)
    assert [e.number for e in errors] == [151, 152, 303]
    assert "not valid JSON" in errors[0].message and "UTF-8" in errors[1].message
    assert "earlier than the previous line" in errors[2].message
    assert found.malformed == 3
    with pytest.raises(UsageError):
        import_journal(service, JournalFile(path), found)
    assert service.clock() is None and service.store.permis.select_receipts(["x"]) == {}


def test_issue_17_the_clock_rule_is_checked_before_anything_is_applied(
    tmp_path: Path, journal: Path
) -> None:
    """CONTRACT §1: new lines dated before the store's clock stop the import whole."""
    service = store(tmp_path, "s.sqlite")
    lines, _ = parse_journal(journal.read_text(encoding="utf-8"))
    service.import_lines(lines[:50])
    service.tick(lines[-1].command.at)
    errors: list[LineError] = []
    found = survey(service, JournalFile(journal), errors.append)
    assert errors == [] and found.refused and found.new == len(lines) - 50
    before = service.store.permis.select_receipts([line.command.id for line in lines])
    with pytest.raises(UsageError, match="earlier than the store's clock"):
        import_journal(service, JournalFile(journal), found)
    assert service.store.permis.select_receipts([line.command.id for line in lines]) == before


def test_issue_17_standard_input_is_spooled_to_be_read_twice(tmp_path: Path, journal: Path) -> None:
    """`permis import -`: the journal is copied to a file first, then read twice like one."""
    source = JournalFile.spool(io.BytesIO(journal.read_bytes()), str(tmp_path))
    assert [line for line in source()] == [line for line in JournalFile(journal)()]
