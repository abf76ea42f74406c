"""Logs through structlog, on standard error (issue 19 item 3).

- For a person at a terminal: a readable line per event (structlog's console renderer), from
  WARNING up, so a command's own output (its summary, its progress bar) is not buried.
- For services (`permis serve`, `permis worker`, systemd units) and pipes: one JSON object per
  line, from INFO up, for the journal and log collectors.

PERMIS_LOG_FORMAT (`auto`, `json` or `console`) and PERMIS_LOG_LEVEL override the choice. The
standard library's loggers (Uvicorn's, Alembic's) go through the same renderer, with the same
context: the request id bound by the web app (`services.web.observability`) is on every line
of a request, Uvicorn's included.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Standard library loggers whose records are rendered like the service's own.
FOREIGN = ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic")


class _Stderr:
    """Standard error as it is when a line is written (a test's capture, Rich's live display
    redirecting it), not as it was when logging was configured."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def wants_console(service: bool = False, environ: dict[str, str] | None = None) -> bool:
    """Console lines for a person: PERMIS_LOG_FORMAT=console, or `auto` (the default) outside a
    service with standard error on a terminal."""
    env = os.environ if environ is None else environ
    chosen = env.get("PERMIS_LOG_FORMAT", "auto").strip().lower() or "auto"
    if chosen in ("json", "console"):
        return chosen == "console"
    return not service and sys.stderr.isatty()


def configure_logging(level: str | None = None, *, service: bool = False) -> None:
    """Configure structlog and the standard library's logging for this process (see above)."""
    console = wants_console(service)
    name = level or os.environ.get("PERMIS_LOG_LEVEL") or ("WARNING" if console else "INFO")
    name = name.strip().upper()
    threshold = getattr(logging, name) if name in LEVELS else logging.INFO
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if console
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(threshold)
    for foreign in FOREIGN:
        logger = logging.getLogger(foreign)
        logger.handlers = []
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # Alembic announces each of its plugins at INFO on every migration: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(threshold, logging.WARNING))
