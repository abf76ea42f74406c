"""Bring the read models up to date with the event store: after each write, or from zero."""

from __future__ import annotations

import structlog

from projections.projection import PAGE, LicenceProjection, Processed, Progress
from projections.rebuild import default_processes, rebuild_all
from projections.view import ProjectionConflict, ReadModels
from services.licensing import Licensing

log = structlog.get_logger("permis")

ATTEMPTS = 5  # a concurrent writer makes a run start again from where it now stands


def catch_up(
    service: Licensing,
    view: ReadModels | None = None,
    progress: Progress | None = None,
    page: int = PAGE,
) -> Processed:
    """Process everything recorded since the read models' position (exactly once)."""
    owned = view is None
    view = view or ReadModels.open(service.store.url)
    try:
        projection = LicenceProjection(view, service)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                done = projection.run(progress, page)
            except ProjectionConflict:
                if attempt == ATTEMPTS:
                    raise
                log.info("read_models.conflict", attempt=attempt)
                continue
            if done.notifications or done.licences:
                log.info(
                    "read_models.caught_up",
                    notifications=done.notifications,
                    licences=done.licences,
                    position=done.position,
                )
            return done
        raise AssertionError("unreachable")
    finally:
        if owned:
            view.close()


def rebuild(
    service: Licensing,
    view: ReadModels | None = None,
    progress: Progress | None = None,
    page: int = PAGE,
    processes: int | None = None,
) -> Processed:
    """Empty the read models and write every licence's rows again from its events, licence by
    licence in `processes` processes (default one a CPU, `projections.rebuild`); then process
    what was recorded meanwhile."""
    owned = view is None
    view = view or ReadModels.open(service.store.url)
    name = service.store.name
    try:
        for attempt in range(1, ATTEMPTS + 1):
            read = view.reset(name)
            head = service.store.recorder.max_notification_id() or 0
            projection = LicenceProjection(view, service)
            events, licences = rebuild_all(projection, view, processes or default_processes())
            try:
                view.write(name, read, head, [])
            except ProjectionConflict:  # a catch-up wrote meanwhile: start again
                if attempt == ATTEMPTS:
                    raise
                continue
            if progress is not None:
                progress(head, head)
            done = catch_up(service, view, progress, page)
            return Processed(events + done.notifications, licences + done.licences, done.position)
        raise AssertionError("unreachable")
    finally:
        if owned:
            view.close()


def after_write(service: Licensing, progress: Progress | None = None) -> None:
    """The CLI's call after an import or a tick: the write stands even if the read models lag."""
    try:
        catch_up(service, progress=progress)
    except Exception as error:  # the command's outcome is the write's; the lag is reported
        log.warning(
            "read_models.behind",
            error=f"{type(error).__name__}: {error}",
            fix="permis projections rebuild",
        )
