"""The HTTP API (CONTRACT §6): tokens, licence views, audit trails, the journal, consultation."""

from __future__ import annotations

import io
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Path, Query, Request, Response
from pydantic import BaseModel, Field
from pydantic import TypeAdapter as _TypeAdapter

from infrastructure.users import User
from services import reports
from services.formats import NEPH_PATTERN
from services.journal import Command, LegalDate
from services.licensing import ImportStopped, UnknownLicence, UsageError
from services.web import dashboard, operations
from services.web.auth import Action, api_requires, web
from services.web.errors import ApiError, line_errors
from services.web.login import LoginLocked, WrongLogin, log_in
from services.web.models import (
    AuditEntry,
    ClockInfo,
    ComplianceReport,
    ConsultationRequest,
    ErrorBody,
    ErrorItem,
    JournalSummary,
    LicenceView,
    Me,
    RefusalItem,
    Token,
)

router = APIRouter(prefix="/api", tags=["api"])

Reader = Annotated[User, Depends(api_requires(Action.READ))]
Writer = Annotated[User, Depends(api_requires(Action.WRITE))]
NephPath = Annotated[str, Path(pattern=NEPH_PATTERN, description="the licence's NEPH, 12 digits")]

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid bearer token"},
    403: {"model": ErrorBody, "description": "the role does not allow it (auditors write nothing)"},
    422: {"model": ErrorBody, "description": "a malformed request: each field and reason"},
}

JOURNAL_SCHEMA = _TypeAdapter(list[Command]).json_schema(
    ref_template="#/components/schemas/{model}"
)


class Credentials(BaseModel):
    """The login form of `POST /api/token`."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post(
    "/token",
    response_model=Token,
    responses={
        401: {"model": ErrorBody, "description": "unknown user or wrong password"},
        422: {"model": ErrorBody},
        429: {"model": ErrorBody, "description": "too many wrong passwords: locked for a while"},
    },
)
def token(request: Request, form: Annotated[Credentials, Form()]) -> Token:
    """A bearer token for a back-office user (form fields `username`, `password`): a session that
    lasts a working day; locked like the pages' login after too many wrong passwords (429)."""
    ctx = web(request)
    address = request.client.host if request.client else "unknown"
    try:
        user = log_in(ctx, form.username, form.password, address)
    except LoginLocked as locked:
        raise ApiError(
            429,
            str(locked),
            [ErrorItem(field="password", reason=str(locked))],
            headers={"Retry-After": str(locked.retry_after)},
        ) from None
    except WrongLogin as wrong:
        raise ApiError(
            401,
            str(wrong),
            [ErrorItem(field="password", reason="unknown user or wrong password")],
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    return Token(access_token=ctx.sessions.open(user.name, ctx.now()))


@router.get("/me", response_model=Me, responses=_AUTH_ERRORS)
def me(user: Reader) -> Me:
    """The user the token names, and their role."""
    return Me(name=user.name, role=user.role)


@router.get("/clock", response_model=ClockInfo, responses=_AUTH_ERRORS)
def clock(request: Request, user: Reader) -> ClockInfo:
    """The store's clock (CONTRACT §2)."""
    return ClockInfo(clock=web(request).service.clock())


def _view(request: Request, neph: str, as_of: date | None, known_at: date | None) -> dict[str, Any]:
    try:
        return web(request).service.view(neph, as_of, known_at)
    except UsageError as error:
        raise ApiError(422, str(error), [ErrorItem(field="as_of", reason=str(error))]) from None
    except UnknownLicence as error:
        raise ApiError(404, str(error), [ErrorItem(field="neph", reason=str(error))]) from None


@router.get(
    "/licences/{neph}",
    response_model=LicenceView,
    responses={
        **_AUTH_ERRORS,
        404: {"model": ErrorBody, "description": "no licence for this NEPH"},
    },
)
def licence(
    request: Request,
    user: Reader,
    neph: NephPath,
    # Strictly YYYY-MM-DD, as in the journal (`LegalDate`): pydantic's `date` would also take
    # 1735689600 (unix time) or 2025-06-01T00:00:00.
    as_of: Annotated[LegalDate | None, Query(description="legal date (default: the clock)")] = None,
    known_at: Annotated[
        LegalDate | None, Query(description="only what was recorded by then")
    ] = None,
) -> dict[str, Any]:
    """The licence view of CONTRACT §4, as `permis licence show --json` (R-9.1)."""
    return _view(request, neph, as_of, known_at)


@router.get(
    "/licences/{neph}/audit",
    response_model=list[AuditEntry],
    responses={
        **_AUTH_ERRORS,
        404: {"model": ErrorBody, "description": "no licence for this NEPH"},
    },
)
def audit(request: Request, user: Reader, neph: NephPath) -> list[dict[str, Any]]:
    """Every event with its legal date, recording date, rule, article, reason and acting user."""
    try:
        return web(request).service.audit(neph)
    except UnknownLicence as error:
        raise ApiError(404, str(error), [ErrorItem(field="neph", reason=str(error))]) from None


@router.post(
    "/journal",
    response_model=JournalSummary,
    responses={
        **_AUTH_ERRORS,
        409: {
            "model": JournalSummary,
            "description": "some commands refused by the rules, or the import stopped part way (the first lines saved)",
        },
        422: {
            "model": ErrorBody,
            "description": "malformed: each line's field and reason, nothing applied",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": JOURNAL_SCHEMA["items"]}}
            },
        }
    },
)
def journal(
    request: Request,
    user: Writer,
    items: Annotated[list[Any], Body(description="journal lines (CONTRACT §1), in order")],
) -> JournalSummary:
    """Journal lines with the validation, refusals and idempotency of `permis import` (CONTRACT §3)."""
    try:
        report = operations.record(web(request), user, items)
    except operations.MalformedJournal as malformed:
        raise ApiError(
            422,
            f"{len(malformed.errors)} malformed line(s): nothing applied",
            line_errors(malformed.errors),
        ) from None
    except ImportStopped as stopped:  # the first lines saved, the others not: send them again
        raise ApiError(409, str(stopped)) from None
    summary = JournalSummary(
        applied=report.applied,
        skipped=report.skipped,
        refused=report.refused,
        refusals=[
            RefusalItem(index=r.number - 1, line=r.number, id=r.command_id, reason=r.reason)
            for r in report.refusals
        ],
    )
    if report.refusals:
        raise ApiError(409, "some commands were refused", body=summary.model_dump(mode="json"))
    return summary


@router.post(
    "/consultation",
    response_model=LicenceView,
    responses={
        401: {"model": ErrorBody, "description": "wrong code"},
        404: {"model": ErrorBody, "description": "no licence for this NEPH"},
        422: {"model": ErrorBody},
        429: {"model": ErrorBody, "description": "too many wrong codes: locked (R-8.3)"},
    },
)
def consultation(request: Request, body: Annotated[ConsultationRequest, Body()]) -> dict[str, Any]:
    """The holder's balance and record with NEPH and confidential code, no token (R-8)."""
    try:
        return operations.consult(web(request), body.neph, body.code)
    except operations.ConsultationLocked as locked:
        raise ApiError(
            429,
            str(locked),
            [ErrorItem(field="code", reason=str(locked))],
            headers={"Retry-After": str(locked.retry_after)},
        ) from None
    except operations.WrongCode as wrong:
        raise ApiError(401, "wrong code", [ErrorItem(field="code", reason=str(wrong))]) from None
    except UnknownLicence as error:
        raise ApiError(404, str(error), [ErrorItem(field="neph", reason=str(error))]) from None


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


@router.get(
    "/reports/compliance",
    response_model=ComplianceReport,
    responses={
        **_AUTH_ERRORS,
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "the report (JSON, or CSV with a header row)",
        },
    },
)
def compliance_report(
    request: Request,
    user: Reader,
    as_of: Annotated[LegalDate, Query(description="the legal date, at most the clock")],
    format: Annotated[ReportFormat, Query(description="json or csv")] = ReportFormat.JSON,
) -> Response:
    """Every open or breached obligation and every flag on a date (`permis report compliance`)."""
    ctx = web(request)
    clock = ctx.service.clock()
    if clock is not None and as_of > clock:
        reason = f"as_of {as_of} is later than the clock ({clock})"
        raise ApiError(422, reason, [ErrorItem(field="as_of", reason=reason)])
    dashboard.refresh(ctx)
    out = io.StringIO()
    if format == ReportFormat.CSV:
        reports.write_csv(ctx.read_models().engine, as_of, out, lambda: None)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    reports.write_json(ctx.read_models().engine, as_of, out, lambda: None)
    return Response(out.getvalue(), media_type="application/json")


__all__ = ["JOURNAL_SCHEMA", "router"]
