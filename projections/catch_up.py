"""Bring the read models up to date with the event store: after each write, or from zero."""

from __future__ import annotations

import structlog

from projections.projection import PAGE, LicenceProjection, Processed, Progress
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
) -> Processed:
    """Empty the read models and process the whole notification log again."""
    owned = view is None
    view = view or ReadModels.open(service.store.url)
    try:
        view.reset(service.store.name)
        return catch_up(service, view, progress, page)
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
