"""Structured JSON logs (structlog), one line per command applied or refused, on standard error."""

from __future__ import annotations

import logging
import os
import sys

import structlog


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written: a test runner (Typer's CliRunner, pytest)
    swaps it and closes its own afterwards, so binding the object at configuration time would
    make every later log line fail on a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str | None = None) -> None:
    """JSON lines on stderr; PERMIS_LOG_LEVEL (default INFO) sets how much."""
    name = (level or os.environ.get("PERMIS_LOG_LEVEL", "INFO")).upper()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, name, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
