"""`permis projections rebuild`, `permis verify [--chain]`, `permis export`, `audit --format`.

The commands of CONTRACT §6 on the read models, and the auditors' exports.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

if TYPE_CHECKING:
    from projections.view import ReadModels
    from services.licensing import Licensing

# `permis` imports this module on every run: the store and the read models (SQLAlchemy) are
# imported by the commands that use them.


class AuditFormat(StrEnum):
    """The formats of `permis audit --format`."""

    JSON = "json"
    CSV = "csv"


AUDIT_COLUMNS = (
    "position",
    "event",
    "effective_on",
    "recorded_on",
    "rule",
    "article",
    "reason",
    "command_id",
    "actor",
    "policy",
    "timestamp",
    "details",
)


def after_write(service: Licensing) -> None:
    """Bring the read models up to date after an import or a tick (`projections.catch_up`),
    with a progress bar on a terminal."""
    from projections.catch_up import after_write as catch_up_after_write

    with _notifications_bar("read models") as advance:
        catch_up_after_write(service, advance)


@contextmanager
def _notifications_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A bar of the notifications processed, with their rate, to hand to `catch_up` (None when
    standard error is not a terminal)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from services.cli_progress import RateColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn("events"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def advance(position: int, head: int) -> None:
            bar.update(task, completed=position, total=head)

        yield advance


def audit_trail(service: Licensing, neph: str) -> list[dict[str, Any]]:
    """The audit trail from `rm_audit` when the read models are current, else from the events."""
    from projections import queries
    from projections.database import ReadModelsUnavailable
    from projections.view import ReadModels

    try:
        with ReadModels.open(service.store.url) as view:
            position = view.position(service.store.name).notification_id
            if position == (service.store.recorder.max_notification_id() or 0):
                trail = queries.audit_trail(view.engine, neph)
                if trail:
                    return trail
    except ReadModelsUnavailable:
        pass  # the events are the truth; the read models only make this faster
    return service.audit(neph)


def write_audit(trail: list[dict[str, Any]], fmt: AuditFormat, stream: TextIO) -> None:
    """The trail as JSON (as `--json`), or as CSV with a header row (`details` as JSON)."""
    if fmt == AuditFormat.JSON:
        stream.write(json.dumps(trail, ensure_ascii=False, indent=1) + "\n")
        return
    writer = csv.DictWriter(stream, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in trail:
        row = {k: item[k] for k in AUDIT_COLUMNS}
        row["details"] = json.dumps(item["details"], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)


projections_app = typer.Typer(help="Read models fed by the event stream.", no_args_is_help=True)


@contextmanager
def _read_models(service: Licensing) -> Iterator[ReadModels]:
    from projections.database import ReadModelsUnavailable
    from projections.view import ReadModels
    from services.cli import err

    try:
        view = ReadModels.open(service.store.url)
    except ReadModelsUnavailable as error:
        err.print(str(error), markup=False)
        raise typer.Exit(2) from None
    try:
        yield view
    finally:
        view.close()


@projections_app.command("rebuild")
def rebuild() -> None:
    """Empty every read model and rebuild it from the events, with a progress bar on a terminal."""
    from projections.catch_up import rebuild as rebuild_read_models
    from services.cli import _service, out

    service = _service()
    with _read_models(service) as view, _notifications_bar("rebuilding") as advance:
        done = rebuild_read_models(service, view, advance)
    out.print(
        f"read models rebuilt: {done.notifications} event(s), {done.licences} licence(s), "
        f"at notification {done.position}"
    )


def verify(
    chain: Annotated[
        bool,
        typer.Option(
            "--chain", help="Also check each licence's hash chain: no event altered or removed."
        ),
    ] = False,
) -> None:
    """Recompute every licence from its stored events and compare with the read models.

    Prints each difference; exit 0 when all agree, 1 otherwise.
    """
    from projections.verify import verify as verify_read_models
    from services.cli import _service, out

    service = _service()
    differences = 0
    with _read_models(service) as view:
        for difference in verify_read_models(service, view, chain):
            differences += 1
            out.print(str(difference), markup=False)
    what = "events, read models and hash chains" if chain else "events and read models"
    if differences:
        out.print(f"{differences} difference(s) between the {what}")
        raise typer.Exit(1)
    out.print(f"the {what} agree")


def export(
    start: Annotated[str, typer.Option("--from", help="First recording date (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last recording date (YYYY-MM-DD).")],
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file (default: standard output).")
    ] = None,
) -> None:
    """Export the journal lines recorded from --from to --to (JSON Lines), for auditors.

    Every command the store received in that range, in recording order, refused ones included:
    the lines themselves, as `permis import` takes them. Time-driven events are not lines: they
    are decided again on replay. `permis import` of an export from the first recording date into
    an empty store, then `permis tick --to` the clock printed at the end, gives the same views.
    """
    from projections.export import ExportError, iter_journal
    from services.cli import _date, _service, err

    first, last = _date(start, "--from"), _date(end, "--to")
    assert first is not None and last is not None
    if last < first:
        err.print(f"--to {last} is before --from {first}")
        raise typer.Exit(2)
    from services.cli_progress import progress

    service = _service()
    count = 0
    with _read_models(service) as view:
        stream = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            with progress("export", "lines", lambda: count, console=err):
                for line in iter_journal(view.engine, first, last):
                    stream.write(line + "\n")
                    count += 1
        except ExportError as error:
            err.print(f"export: {error}", markup=False)
            raise typer.Exit(2) from None
        finally:
            if output:
                stream.close()
    clock = service.clock()
    err.print(
        f"exported {count} line(s) recorded from {first} to {last}; the store's clock is {clock}"
        + (
            f": after `permis import`, `permis tick --to {clock}` gives the same views"
            if clock
            else ""
        ),
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add these commands to `permis`."""
    app.add_typer(projections_app, name="projections")
    app.command("verify")(verify)
    app.command("export")(export)
