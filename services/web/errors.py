"""Errors: JSON with the field and the reason on the API, a page (or the login) on the web."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.journal import LineError
from services.web.auth import Forbidden, NotAuthenticated
from services.web.models import ErrorBody, ErrorItem

_FIELD = re.compile(r"^[A-Za-z_][\w.]*$")
# The names of the pages' parameters as an operator reads them (their error page).
FIELD_NAMES = {
    "index": "numéro de la lettre",
    "neph": "NEPH",
    "as_of": "date de situation",
    "known_at": "connu au",
    "date": "date",
    "day": "date",
    "file": "file",
    "ref": "référence",
    "kind": "relevé",
}


class ApiError(Exception):
    """A refusal of the API with its status, a summary, and each field at fault."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: Sequence[ErrorItem] = (),
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers
        self.body = body


def reasons(message: str) -> list[tuple[str | None, str]]:
    """A journal error message (`field: reason; field: reason`) as (field, reason) pairs."""
    pairs: list[tuple[str | None, str]] = []
    for part in message.split("; "):
        field, sep, reason = part.partition(": ")
        if sep and _FIELD.match(field):
            pairs.append((field, reason))
        else:
            pairs.append((None, part))
    return pairs


def line_errors(errors: Sequence[LineError]) -> list[ErrorItem]:
    """CLI line errors (1-based numbers) as API items with index, line, field and reason."""
    return [
        ErrorItem(
            field=field,
            reason=reason,
            index=e.number - 1 if e.number > 0 else None,  # 0: the journal as a whole
            line=e.number if e.number > 0 else None,
        )
        for e in errors
        for field, reason in reasons(e.message)
    ]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def error_response(
    status: int,
    detail: str,
    errors: Sequence[ErrorItem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(detail=detail, errors=list(errors)).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_items(error: RequestValidationError) -> list[ErrorItem]:
    items = []
    for e in error.errors():
        loc = [str(p) for p in e.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]
        items.append(ErrorItem(field=".".join(loc) or None, reason=str(e.get("msg", "invalid"))))
    return items


def install(app: FastAPI) -> None:
    """Register the handlers; the pages' error page is rendered by `services.web.pages`."""
    from services.web.rendering import error_page

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> Response:
        if error.body is not None:
            return JSONResponse(error.body, status_code=error.status, headers=error.headers)
        return error_response(error.status, error.detail, error.errors, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        items = _validation_items(error)
        if is_api(request):
            return error_response(422, "the request is malformed", items)
        from services.web.reasons import french

        text = " ; ".join(
            f"{FIELD_NAMES.get(i.field, i.field)} : {french(i.reason)}"
            if i.field
            else french(i.reason)
            for i in items
        )
        return error_page(request, 422, "Adresse invalide", text)

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(request: Request, error: NotAuthenticated) -> Response:
        if is_api(request):
            return error_response(
                401,
                "authentication required",
                [ErrorItem(field="Authorization", reason="a valid bearer token is required")],
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/connexion?suite={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden) -> Response:
        if is_api(request):
            return error_response(
                403,
                str(error),
                [ErrorItem(field=None, reason=f"{error.user.role}s may not {error.action}")],
            )
        return error_page(
            request, 403, "Accès refusé", "Votre rôle ne permet pas cette action (lecture seule)."
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if is_api(request) and error.status_code == 400:
            # A body that cannot even be decoded is malformed like any other: 422.
            return error_response(
                422, "the body cannot be parsed", [ErrorItem(field=None, reason=str(error.detail))]
            )
        if is_api(request):
            return error_response(
                error.status_code,
                str(error.detail),
                [ErrorItem(field=None, reason=str(error.detail))],
                headers=getattr(error, "headers", None),
            )
        title = "Page introuvable" if error.status_code == 404 else "Erreur"
        message = (
            f"Aucune page à l'adresse {request.url.path}."
            if error.status_code == 404
            else "La demande ne peut pas aboutir."
        )
        return error_page(request, error.status_code, title, message)

    @app.exception_handler(Exception)
    async def _crash(request: Request, error: Exception) -> Response:
        # A bug still answers in French, without the traceback (logged by the server); the
        # crawler test (tests/test_web_crawl.py) makes sure no page comes here.
        if is_api(request):
            return error_response(500, "internal error")
        return error_page(
            request,
            500,
            "Erreur du service",
            "Le service n'a pas pu afficher cette page. L'incident est journalisé ; réessayez "
            "plus tard ou signalez-le à l'équipe technique.",
        )
