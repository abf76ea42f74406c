"""`permis worker [--once]`: the deadline process manager on the command line (CONTRACT §6)."""

from __future__ import annotations

from typing import Annotated

import typer

from infrastructure.clock import Clock, FixedClock, SystemClock

# `permis` imports this module on every run: the worker and the store only when the command runs.


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="One catch-up run to today, then exit (cron, timers).")
    ] = False,
    today: Annotated[
        str | None,
        typer.Option("--today", help="Pin today's date (tests, replays); default: today in Paris."),
    ] = None,
    lock: Annotated[
        bool,
        typer.Option("--lock/--no-lock", help="Take turns with other workers (PostgreSQL)."),
    ] = True,
) -> None:
    """Tick to today, then every day; missed days are applied in date order (R-6.4)."""
    from infrastructure.logging import configure_logging
    from services.cli import _date, _service, err, out  # services.cli registers this module
    from services.worker import Worker, WorkerGaveUp

    configure_logging(service=True)  # a service (systemd): JSON lines, whatever the terminal

    pinned = _date(today, "--today")
    clock: Clock = FixedClock(pinned) if pinned else SystemClock()
    process = Worker(_service(create=True), clock, use_lock=lock)
    process.install_signal_handlers()
    try:
        if not once:
            process.run_forever()
            return
        run = process.catch_up()
    except WorkerGaveUp as error:
        err.print(f"worker: {error}", markup=False)
        raise typer.Exit(1) from None
    finally:
        process.service.store.close()
    state = "stopped early" if run.stopped else "caught up"
    out.print(
        f"worker {state}: clock at {run.clock}, {run.days} day(s) ticked, "
        f"{run.effects} time-driven event(s) recorded"
    )


def register(app: typer.Typer) -> None:
    """Add `permis worker` to the `permis` command."""
    app.command("worker")(worker)
