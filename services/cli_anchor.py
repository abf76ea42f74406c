"""`permis anchor`: the digest of the events so far, for auditors to keep outside the service."""

from __future__ import annotations

from typing import Annotated

import typer


def anchor(
    check: Annotated[
        str | None,
        typer.Option("--check", help="An anchor printed before: are those events unchanged?"),
    ] = None,
) -> None:
    """Print one line that an auditor keeps elsewhere; `--check LINE` later says whether every
    event it covered is still as it was (exit 0) or not (exit 1), R-9.2."""
    from projections.anchor import Anchor, take
    from services.cli import _service, err, out

    service = _service()  # held: its store closes when it goes
    if check is None:
        out.print(take(service.store.recorder).line(), markup=False)
        return
    try:
        kept = Anchor.parse(check)
    except ValueError as error:
        err.print(f"--check: {error}", markup=False)
        raise typer.Exit(2) from None
    now = take(service.store.recorder, kept.notification_id)
    if now == kept:
        out.print(
            f"the {kept.events} event(s) up to notification {kept.notification_id} are as anchored"
        )
        return
    out.print(
        f"the events up to notification {kept.notification_id} differ from the anchor: "
        f"{now.events} now, {kept.events} then; an event was altered, removed or slipped in"
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `anchor` to `permis`."""
    app.command("anchor")(anchor)
