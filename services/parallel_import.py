"""A large import shared out among processes, each applying the lines of its own licences.

A licence is an aggregate of its own: no rule reads another licence, and same-day lines of
different licences commute (`tests/test_import_properties.py`). So a journal can be split by
licence, each share applied in its lines' order by a process of its own, and the licences end as
one process would leave them (`tests/test_parallel_import.py` compares the stores). What stays
whole:

- an id seen twice goes to the share of its first line, which refuses a second content as one
  process would;
- each share applies its licences' time-driven effects up to the clock the whole journal reaches:
  it reads the whole due-date index and skips the rows of other shares' licences;
- the clock moves once, when every share is saved: a share that fails leaves it where it was, so
  that importing the journal again resumes (what was saved is skipped by its receipts).

Shares are forked (Linux): the parsed lines are not copied, and each process opens its own
connection to the store. Where there is no `fork`, or for a journal too small to gain, the import
runs in the calling process.
"""

from __future__ import annotations

import multiprocessing
import traceback
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import structlog

from infrastructure.recorders import Receipt
from services.errors import ImportStopped, ShareFailed

log = structlog.get_logger("permis")

if TYPE_CHECKING:
    from services.journal import JournalLine
    from services.licensing import ImportReport, Licensing

MIN_LINES_A_PROCESS = 5_000
"""Below this many new lines for each process, starting processes costs more than it saves."""


def share_of(neph: str, shares: int) -> int:
    """The share a licence belongs to: the same in every process and every run."""
    return zlib.crc32(neph.encode()) % shares


def processes_for(lines: Sequence[JournalLine], receipts: dict[str, Receipt], asked: int) -> int:
    """How many processes to use: at most `asked`, each with enough new lines to gain."""
    if asked <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    new = sum(1 for line in lines if line.command.id not in receipts)
    return max(1, min(asked, new // MIN_LINES_A_PROCESS))


def split(lines: Sequence[JournalLine], shares: int) -> list[list[JournalLine]]:
    """The lines of each share, in journal order; a repeated id follows its first line."""
    first: dict[str, int] = {}
    split_lines: list[list[JournalLine]] = [[] for _ in range(shares)]
    for line in lines:
        command = line.command
        split_lines[first.setdefault(command.id, share_of(command.neph, shares))].append(line)
    return split_lines


def clock_after(lines: Sequence[JournalLine], clock: date | None) -> date | None:
    """The clock once the journal is applied: moved to each line's date (CONTRACT §2).

    Lines already saved count too: a journal whose import stopped had shares that ran ahead of
    the clock (their licences' effects applied up to the journal's end), and importing it again
    brings the others and the clock there. Otherwise a saved line's date is never after the clock.
    """
    dates = [line.command.at for line in lines]
    if clock is not None:
        dates.append(clock)
    return max(dates, default=None)


def import_in_shares(
    service: Licensing,
    lines: Sequence[JournalLine],
    receipts: dict[str, Receipt],
    shares: int,
) -> ImportReport:
    """Apply the journal in `shares` processes; the report is that of one process."""
    until = clock_after(lines, service.clock())
    # No open connection, nor the pool's threads, crosses the fork: a child inheriting them could
    # touch the parent's locks and sockets (SQLite warns against it). The parent reopens after.
    parent_store = service.store
    parent_store.close()
    try:
        report = _run_shares(service, lines, receipts, shares, until)
    finally:
        service.store = parent_store.reopened()
    if until is not None:
        service.store.save(clock=until)
    return report


def _run_shares(
    service: Licensing,
    lines: Sequence[JournalLine],
    receipts: dict[str, Receipt],
    shares: int,
    until: date | None,
) -> ImportReport:
    """Fork a process a share, wait for every one, and add up their reports."""
    parts = split(lines, shares)
    return fork_shares(
        shares,
        _apply_share,
        lambda share: (service, share, shares, parts[share], receipts, until),
    )


def add_report(report: ImportReport, part: ImportReport) -> None:
    """`part`'s counts and refusals added to `report`."""
    report.applied += part.applied
    report.skipped += part.skipped
    report.refusals.extend(part.refusals)


def fork_shares(
    shares: int, target: Callable[..., None], args_of: Callable[[int], tuple[Any, ...]]
) -> ImportReport:
    """A forked process a share running `target(*args_of(share), answer)`, each sending back
    ("applied", its report) or ("failed", why) on `answer`; their reports added up, refusals in
    journal order, or `ShareFailed` naming every share that failed. The caller closes its own
    store before (no connection crosses a fork) and reopens it after."""
    from services.licensing import ImportReport

    context = multiprocessing.get_context("fork")
    running = []
    for share in range(shares):
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(
            target=target, args=(*args_of(share), sending), name=f"permis-import-{share}"
        )
        process.start()
        sending.close()
        running.append((share, process, receiving))
    report, failures = ImportReport(processes=shares), []
    for share, process, receiving in running:
        try:
            outcome, result = receiving.recv()
        except EOFError:  # the process died before it could answer
            outcome, result = "failed", "it stopped without a report"
        process.join()
        if outcome == "applied":
            add_report(report, result)
        else:
            failures.append(f"share {share + 1} of {shares}: {result}")
    if failures:
        raise ShareFailed(
            "import stopped; the batches already saved stand, and importing the same journal "
            "again resumes:\n" + "\n".join(failures)
        )
    report.refusals.sort(key=lambda refusal: refusal.number)
    return report


def _apply_share(
    service: Licensing,
    share: int,
    shares: int,
    lines: list[JournalLine],
    receipts: dict[str, Receipt],
    until: date | None,
    answer: Connection,
) -> None:
    """In the forked process: the share's lines, on a connection of its own."""
    try:
        worker = service.for_share(share, shares)
        try:
            report = worker.import_share(lines, receipts, until)
        finally:
            worker.store.close()
        answer.send(("applied", report))
    except ImportStopped as stopped:  # its message says what was saved and what is left
        answer.send(("failed", str(stopped)))
    except Exception as error:  # the operator reads the reason; the log keeps the traceback
        log.error("import.share_failed", share=share + 1, traceback=traceback.format_exc())
        answer.send(("failed", f"{type(error).__name__}: {error}"))
    finally:
        answer.close()
