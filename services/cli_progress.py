"""A Rich progress bar for the long commands at a terminal (issue 19 item 3): import, tick,
export (rebuild and report draw theirs as they go).

The command's work runs as it always does; a thread reads how far it got from the store every
half second (the receipts or the events saved so far, one indexed query on a connection of its
own, `infrastructure.store.saved_so_far`) and draws it with the count and the rate. Nothing is drawn when standard error is not a terminal (pipes, services).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

POLL_SECONDS = 0.5
# A large import forks processes (`services.parallel_import`) while the bar's thread reads the
# store: a fork in the middle of a reading would hand the child a database library's lock held
# by a thread it does not have. Forks wait for the reading to end, readings for the fork.
READING = threading.Lock()
os.register_at_fork(
    before=READING.acquire, after_in_parent=READING.release, after_in_child=READING.release
)


class RateColumn(ProgressColumn):
    """How many a second, in the command's unit."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s".replace(",", " "))


class CountColumn(ProgressColumn):
    """The count alone, when the total is not known in advance."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        return Text(f"{int(task.completed):,} {self.unit}".replace(",", " "))


@contextmanager
def progress(
    label: str,
    unit: str,
    read: Callable[[], int],
    total: int | None = None,
    console: Console | None = None,
) -> Iterator[None]:
    """Draw `read()` (minus its value on entry) against `total` while the block runs."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    start = read()
    counted = MofNCompleteColumn() if total else CountColumn(unit)
    columns = (TextColumn(label), BarColumn(), counted, RateColumn(unit), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(POLL_SECONDS):
                try:
                    with READING:  # never while the process forks (see READING)
                        done = read() - start
                    bar.update(task, completed=done)
                except Exception:  # the store busy: the next reading will do
                    continue

        watcher = threading.Thread(target=poll, name="progress", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
