"""`permis report compliance` (CONTRACT §3, §6)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

# `permis` imports this module on every run: the read models (SQLAlchemy) are imported by the
# report itself.

report_app = typer.Typer(help="Reports over all licences.", no_args_is_help=True)
err = Console(stderr=True, highlight=False)


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    CSV_FR = "csv-fr"  # for a French spreadsheet: `;`, BOM, French headers (issue 14)


@report_app.command("compliance")
def compliance(
    as_of: Annotated[str, typer.Option("--as-of", help="The legal date of the report.")],
    fmt: Annotated[
        Format, typer.Option("--format", help="csv, json, or csv-fr (French spreadsheet).")
    ] = Format.CSV,
) -> None:
    """Open and breached obligations, flags, overdue attestations by centre, pending invalidations."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from projections.catch_up import catch_up
    from projections.view import ReadModels
    from services.cli import _date, _service
    from services.reports import count_rows, write_csv, write_json

    on = _date(as_of, "--as-of")
    assert on is not None
    service = _service()
    clock = service.clock()
    if clock is not None and on > clock:
        err.print(f"--as-of {on} is later than the clock ({clock})")
        raise typer.Exit(2)
    with ReadModels.open(service.store.url) as view:
        catch_up(service, view)
        from services.web.export_fr import write_csv_fr

        writer = {Format.CSV: write_csv, Format.JSON: write_json, Format.CSV_FR: write_csv_fr}[fmt]
        if not sys.stderr.isatty():
            summary = writer(view.engine, on, sys.stdout, lambda: None)
        else:
            columns = (TextColumn("report"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=err, transient=True) as progress:
                task = progress.add_task("rows", total=count_rows(view.engine, on) or None)
                summary = writer(view.engine, on, sys.stdout, lambda: progress.advance(task))
    counts = summary.as_dict()
    err.print(
        f"{counts['rows']} row(s): {counts['mandatory_stages_breached']} mandatory stage(s) "
        f"breached, {counts['licences_not_returned']} licence(s) not returned, "
        f"{counts['attestations_overdue']} attestation(s) overdue, "
        f"{counts['invalidations_awaiting_notification']} invalidation(s) awaiting notification"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
