"""`permis import` of a journal of any size in constant memory (issue 17 item 4).

The journal is read twice from its file, one line at a time, and no line is kept:

1. **Validate.** Every line is parsed (CONTRACT §1) and every error reported as it is met. In
   chunks of `CHUNK_LINES`, the lines are checked against the store (`Licensing.check`: the clock
   rule on new ids); what is kept is counted, never listed: the lines, the new ones, the latest
   date. Nothing is applied when any line is malformed or breaks the clock rule.
2. **Apply.** The file is read again and applied a chunk at a time, each through the service's own
   import of a list of lines (`Licensing._import`, batches, receipts, conflicts): the receipts a
   chunk needs are read for its ids only, and a chunk's licences and receipts are let go once it
   is saved. A line whose id came in an earlier chunk finds that chunk's receipt in the store, as
   it would on a second import of the file, so the outcome is the same as one pass over a list.

Several processes (`services.parallel_import`): each forked process reads the file itself and
applies the lines of its share's licences. A repeated id follows the share of its first line; the
first pass finds such ids (with different licences) in an index on disk (`FirstNephs`), so that
only those few are held in memory.

Standard input cannot be read twice: it is first copied to a temporary file (`JournalFile.spool`).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, TYPE_CHECKING

import structlog

from services import parallel_import
from services.errors import ImportStopped
from services.journal import JournalLine, LineError, read_journal
from services.parallel_import import share_of
from services.unit_of_work import no_cyclic_collection

if TYPE_CHECKING:
    from services.licensing import ImportReport, Licensing

log = structlog.get_logger("permis")

CHUNK_LINES = 10_000
"""Lines read, checked and applied at a time: the memory of an import is that of one chunk."""

Source = Callable[[], Iterable[JournalLine | LineError]]
"""A journal that can be read again from its start, line by line."""


class JournalChanged(Exception):
    """The file was changed between the two readings of an import."""


class JournalFile:
    """A journal file read line by line, as often as the import needs (UTF-8 bytes: only "\\n"
    ends a line, as JSON Lines says, whatever the line holds)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int]:
        stat = self.path.stat()
        return stat.st_size, stat.st_mtime_ns

    def __call__(self) -> Iterator[JournalLine | LineError]:
        if self._stat() != self._stamp:
            raise JournalChanged(f"{self.path} was changed while it was imported")
        with self.path.open("rb") as binary:
            yield from read_journal(line.removesuffix(b"\n") for line in binary)

    @classmethod
    def spool(cls, stream: IO[bytes], folder: str) -> JournalFile:
        """Standard input copied to a file of `folder`, to be read twice."""
        path = Path(folder) / "journal.jsonl"
        with path.open("wb") as copy:
            shutil.copyfileobj(stream, copy, 1 << 20)
        return cls(path)


@dataclass
class Survey:
    """What the first reading learnt of a journal: counts, never its lines."""

    lines: int = 0
    new: int = 0
    malformed: int = 0
    refused: list[LineError] = field(default_factory=list)  # clock rule: only lines before it
    latest: date | None = None
    repeated: dict[str, str] = field(default_factory=dict)  # id → NEPH of its first line


def chunks(items: Iterable[JournalLine | LineError], size: int) -> Iterator[list[JournalLine]]:
    """The lines in lists of `size` (errors are the first pass's business and skipped here)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        lines = [line for line in batch if isinstance(line, JournalLine)]
        if lines:
            yield lines


def survey(
    service: Licensing,
    source: Source,
    on_error: Callable[[LineError], None],
    processes: int = 1,
) -> Survey:
    """The first reading: every error reported through `on_error` as met, the counts kept."""
    found = Survey()
    index = FirstNephs() if processes > 1 else None
    try:
        iterator = iter(source())
        while batch := list(islice(iterator, CHUNK_LINES)):
            lines = []
            for parsed in batch:
                if isinstance(parsed, LineError):
                    found.malformed += 1
                    on_error(parsed)
                else:
                    lines.append(parsed)
            found.lines += len(lines)
            if lines:
                found.latest = max(found.latest or lines[-1].command.at, lines[-1].command.at)
            if found.malformed or not lines:
                continue  # nothing will be applied: the store is not asked
            receipts, refused = service.check(lines)
            found.refused.extend(refused)
            found.new += sum(1 for line in lines if line.command.id not in receipts)
            if index is not None:
                found.repeated.update(index.repeated(lines))
    finally:
        if index is not None:
            index.close()
    return found


def import_journal(
    service: Licensing,
    source: Source,
    found: Survey,
    processes: int = 1,
) -> ImportReport:
    """The second reading: apply a journal `survey` found valid, in chunks, in one process or
    in `processes` forked ones."""
    from services.licensing import ImportReport, UsageError

    if found.malformed or found.refused:
        raise UsageError("\n".join(str(e) for e in found.refused) or "malformed journal")
    until = max((d for d in (found.latest, service.clock()) if d is not None), default=None)
    shares = _shares(found, processes)
    if shares > 1:
        return _in_shares(service, source, found, shares, until)
    report = ImportReport()
    for lines in chunks(source(), CHUNK_LINES):
        receipts, _ = service.check(lines)
        with no_cyclic_collection():  # back between chunks, for the few cycles a chunk leaves
            parallel_import.add_report(report, service.import_part(lines, receipts))
    clock = service.clock()
    if until is not None and (clock is None or until > clock):
        parallel_import.add_report(report, service.import_part([], {}, until=until))
    return report


def _shares(found: Survey, asked: int) -> int:
    if asked <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(asked, found.new // parallel_import.MIN_LINES_A_PROCESS))


def _in_shares(
    service: Licensing, source: Source, found: Survey, shares: int, until: date | None
) -> ImportReport:
    """Each share's lines read and applied by a forked process; the clock set once all are."""

    parent_store = service.store
    parent_store.close()  # no connection crosses the fork (see `parallel_import`)
    try:
        report = parallel_import.fork_shares(
            shares,
            _apply_share,
            lambda share: (service, source, found.repeated, share, shares, until),
        )
    finally:
        service.store = parent_store.reopened()
    if until is not None:
        service.store.save(clock=until)
    return report


def _apply_share(
    service: Licensing,
    source: Source,
    repeated: dict[str, str],
    share: int,
    shares: int,
    until: date | None,
    answer: Connection,
) -> None:
    """In the forked process: the lines of its licences, read from the file, a chunk at a time."""
    from services.licensing import ImportReport

    try:
        worker = service.for_share(share, shares)
        try:
            mine = (
                parsed
                for parsed in source()
                if isinstance(parsed, JournalLine)
                and share_of(repeated.get(parsed.command.id, parsed.command.neph), shares) == share
            )
            report = ImportReport()
            for lines in chunks(mine, CHUNK_LINES):
                receipts, _ = worker.check(lines)
                with no_cyclic_collection():
                    parallel_import.add_report(
                        report, worker.import_share(lines, receipts, until=None)
                    )
            parallel_import.add_report(report, worker.import_share([], {}, until=until))
        finally:
            worker.store.close()
        answer.send(("applied", report))
    except ImportStopped as stopped:
        answer.send(("failed", str(stopped)))
    except Exception as error:  # the operator reads the reason; the log keeps the traceback
        log.error("import.share_failed", share=share + 1, traceback=traceback.format_exc())
        answer.send(("failed", f"{type(error).__name__}: {error}"))
    finally:
        answer.close()


class FirstNephs:
    """The licence of each id's first line, in a temporary SQLite file (not in memory): which
    ids come again with another licence. sqlite3 is used bare: a scratch index, not a store."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="permis-import-")
        self._db = sqlite3.connect(os.path.join(self._folder.name, "ids.sqlite"))
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE first (id TEXT PRIMARY KEY, neph TEXT) WITHOUT ROWID")

    def repeated(self, lines: list[JournalLine]) -> dict[str, str]:
        """Of these lines' ids, those seen before with another licence: id → first licence."""
        here: dict[str, str] = {}
        for line in lines:
            here.setdefault(line.command.id, line.command.neph)
        ids = list(here)
        before: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT id, neph FROM first WHERE id IN ({marks})"
            before.update(self._db.execute(query, part).fetchall())
        self._db.executemany(
            "INSERT INTO first (id, neph) VALUES (?, ?)",
            [(i, n) for i, n in here.items() if i not in before],
        )
        first = {**here, **before}
        return {
            line.command.id: first[line.command.id]
            for line in lines
            if line.command.neph != first[line.command.id]
        }

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()
