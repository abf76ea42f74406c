"""What the API and the pages both do: record journal commands, let a holder consult (R-8)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog

from infrastructure.users import Outcome, User
from projections.catch_up import after_write
from services import metrics
from services.journal import JournalLine, LineError, parse_object
from services.licensing import ImportReport, ImportStopped, UsageError
from services.web.context import WebContext, acting_as

log = structlog.get_logger("permis.web")


class MalformedJournal(Exception):
    """Some lines are malformed or break the clock rule: nothing was applied (CONTRACT §3)."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


class WrongCode(Exception):
    """The consultation code does not match the NEPH (R-8.1)."""

    def __init__(self, remaining: int) -> None:
        super().__init__(f"wrong code: {remaining} attempt(s) left before the lock")
        self.remaining = remaining


class ConsultationLocked(Exception):
    """Too many wrong codes for this NEPH: locked until `until` (R-8.3)."""

    def __init__(self, until: datetime, now: datetime) -> None:
        super().__init__(f"consultation locked until {until.isoformat(timespec='seconds')} UTC")
        self.until = until
        self.retry_after = max(1, int((until - now).total_seconds()) + 1)


def parse_items(items: Sequence[Any]) -> tuple[list[JournalLine], list[LineError]]:
    """Each element as `permis import` reads a line (numbered from 1), `at` never going back."""
    lines: list[JournalLine] = []
    errors: list[LineError] = []
    previous_at = None
    for number, raw in enumerate(items, start=1):
        parsed = parse_object(raw, number)
        if isinstance(parsed, LineError):
            errors.append(parsed)
            continue
        at = parsed.command.at
        if previous_at is not None and at < previous_at:
            errors.append(
                LineError(number, f"at: {at} is earlier than the previous line's {previous_at}")
            )
        previous_at = at
        lines.append(parsed)
    return lines, errors


def record(ctx: WebContext, user: User, items: Sequence[Any]) -> ImportReport:
    """Validate everything first, then apply as the user (CONTRACT §3); nothing on a malformed one."""
    lines, errors = parse_items(items)
    if errors:
        metrics.IMPORTS.labels("malformed").inc()
        raise MalformedJournal(errors)
    with ctx.write_lock, acting_as(user):
        _, clock_errors = ctx.service.check(lines)
        if clock_errors:
            metrics.IMPORTS.labels("malformed").inc()
            raise MalformedJournal(clock_errors)
        try:
            report = ctx.service.import_lines(lines)
        except UsageError as error:  # the clock moved between the check and the import
            raise MalformedJournal([LineError(0, str(error))]) from None
        except ImportStopped as stopped:
            metrics.IMPORTS.labels("stopped").inc()
            if stopped.saved == 0:  # another process moved the clock first: nothing applied
                raise MalformedJournal([LineError(0, str(stopped))]) from None
            after_write(ctx.service)
            raise
    after_write(ctx.service)  # the read models, as after `permis import`
    metrics.IMPORTS.labels("refused" if report.refusals else "applied").inc()
    for result, count in (
        ("applied", report.applied),
        ("skipped", report.skipped),
        ("refused", report.refused),
    ):
        metrics.IMPORT_LINES.labels(result).inc(count)
    log.info(
        "web.journal",
        user=user.name,
        role=str(user.role),
        lines=len(lines),
        applied=report.applied,
        skipped=report.skipped,
        refused=report.refused,
    )
    return report


def consult(ctx: WebContext, neph: str, code: str) -> dict[str, Any]:
    """The holder's view with NEPH and code; every attempt logged, locked after too many (R-8.3)."""
    now = ctx.now()
    attempt = ctx.guard.attempt(neph, ctx.codes.matches(neph, code), now)
    log.info("consultation.attempt", neph=neph, outcome=str(attempt.outcome))
    if attempt.outcome == Outcome.LOCKED:
        assert attempt.locked_until is not None
        raise ConsultationLocked(attempt.locked_until, now)
    if attempt.outcome == Outcome.WRONG:
        raise WrongCode(attempt.remaining or 0)
    return ctx.service.view(neph)  # UnknownLicence: a code for a NEPH never issued
