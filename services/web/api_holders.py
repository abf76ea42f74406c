"""The HTTP API for holders' questions (issue 18): forecast, stage advice, what if, relevés.

The licence routes need a back-office token like the others; checking a relevé's code does not:
anyone holding a relevé may check it, and learns nothing the relevé does not say (R-8.2).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services import holders
from services.journal import LegalDate
from services.licensing import UnknownLicence, UsageError
from services.records import Record, RecordKind, Records, filename
from services.web.api import NephPath, Reader
from services.web.auth import web
from services.web.errors import ApiError
from services.web.models import ErrorBody, ErrorItem
from services.web.models_holders import (
    Forecast,
    RecordBody,
    StageAdvice,
    VerificationBody,
    WhatIf,
    WhatIfRequest,
)

router = APIRouter(prefix="/api", tags=["holders"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid bearer token"},
    403: {"model": ErrorBody, "description": "the role does not allow it"},
    404: {"model": ErrorBody, "description": "no licence for this NEPH (on that date)"},
    422: {"model": ErrorBody, "description": "a malformed request: each field and reason"},
}


class Kind(StrEnum):
    INTEGRAL = "integral"
    RESTRICTED = "restricted"


def records_of(request: Request) -> Records:
    ctx = web(request)
    return Records(ctx.service, ctx.secret, ctx.public_url)


def _refusals(compute: Any, field: str = "neph") -> Any:
    try:
        return compute()
    except UsageError as error:
        raise ApiError(422, str(error), [ErrorItem(field=field, reason=str(error))]) from None
    except UnknownLicence as error:
        raise ApiError(404, str(error), [ErrorItem(field="neph", reason=str(error))]) from None


@router.get("/licences/{neph}/forecast", response_model=Forecast, responses=_ERRORS)
def forecast(request: Request, user: Reader, neph: NephPath) -> dict[str, Any]:
    """Every effect the tick will record if nothing else happens (`permis licence forecast`)."""
    return _refusals(lambda: holders.forecast(web(request).service, neph))


@router.get("/licences/{neph}/stage-advice", response_model=StageAdvice, responses=_ERRORS)
def stage_advice(
    request: Request,
    user: Reader,
    neph: NephPath,
    last_day: Annotated[
        LegalDate | None, Query(description="the stage's last day (default: the earliest)")
    ] = None,
) -> dict[str, Any]:
    """When a stage could be credited and what it would add (R-5.3 to R-5.6, R-10.14)."""
    service = web(request).service
    return _refusals(lambda: holders.advice(service, neph, last_day), "last_day")


@router.post("/licences/{neph}/what-if", response_model=WhatIf, responses=_ERRORS)
def what_if(
    request: Request,
    user: Reader,
    neph: NephPath,
    body: Annotated[WhatIfRequest, Body()],
) -> dict[str, Any]:
    """A hypothetical infraction decided on a copy of the licence: nothing is recorded."""
    hypothesis = holders.Hypothesis(
        body.offence,
        body.committed_on,
        body.established_on,
        body.occasion,
        body.offence_class,
        body.points,
    )
    service = web(request).service
    return _refusals(lambda: holders.simulate(service, neph, hypothesis), "offence")


def record_body(record: Record) -> dict[str, Any]:
    return {
        "code": record.code,
        "kind": record.claim.kind,
        "neph": record.claim.neph,
        "as_of": record.claim.as_of,
        "known_at": record.claim.known_at,
        "content": record.content,
    }


def _issue(request: Request, neph: str, kind: Kind, as_of: date | None) -> Record:
    records = records_of(request)
    return _refusals(lambda: records.issue(neph, RecordKind(kind.value), as_of), "as_of")


AsOf = Annotated[
    LegalDate | None, Query(description="legal date, as known then (default: the clock)")
]


@router.get("/licences/{neph}/records/{kind}", response_model=RecordBody, responses=_ERRORS)
def record(
    request: Request,
    user: Reader,
    neph: NephPath,
    kind: Annotated[Kind, Path(description="integral or restricted (R-8.2)")],
    as_of: AsOf = None,
) -> dict[str, Any]:
    """A relevé's content and verification code, as its PDF states them."""
    return record_body(_issue(request, neph, kind, as_of))


@router.get(
    "/licences/{neph}/records/{kind}/pdf",
    response_class=Response,
    responses={
        **_ERRORS,
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the relevé as an A4 PDF; its code in X-Verification-Code",
        },
    },
)
async def record_pdf(
    request: Request,
    user: Reader,
    neph: NephPath,
    kind: Annotated[Kind, Path(description="integral or restricted (R-8.2)")],
    as_of: AsOf = None,
) -> Response:
    """The relevé as a PDF (`permis records issue`)."""
    found = await run_in_threadpool(_issue, request, neph, kind, as_of)
    content = await run_in_threadpool(records_of(request).pdf, found)
    return pdf_response(found, content)


def pdf_response(found: Record, content: bytes) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(found)}"',
            "X-Verification-Code": found.code,
        },
    )


@router.get(
    "/records/{code}",
    response_model=VerificationBody,
    responses={422: {"model": ErrorBody, "description": "a malformed request"}},
)
def verify(
    request: Request,
    code: Annotated[str, Path(max_length=64, description="the code printed on the relevé")],
) -> dict[str, Any]:
    """Whether a relevé is genuine and what it said; no token (`permis records verify`)."""
    answer = records_of(request).verify(code)
    return {
        "genuine": answer.genuine,
        "message": answer.message,
        "record": record_body(answer.record) if answer.record else None,
    }
