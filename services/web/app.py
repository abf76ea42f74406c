"""The application factory: the API, the pages and their shared context on one FastAPI app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from infrastructure.settings import Settings, load_settings
from infrastructure.users import ConsultationCodes, ConsultationGuard, UserStore, load_secret_key
from projections.database import engine_for
from services.bootstrap import build
from services.web import (
    api,
    api_holders,
    errors,
    hardening,
    observability,
    pages,
    pages_dashboard,
    pages_entry,
    pages_holders,
    pages_info,
    pages_letters,
    pages_records,
    pages_search,
    pages_users,
)
from services.web.auth import Tokens
from services.web.context import LoginLimits, WebContext
from services.web.request_id import RequestId

STATIC = Path(__file__).parent / "static"


def context_from(settings: Settings | None = None, secret: bytes | None = None) -> WebContext:
    """The service, users and codes on the store the settings name (PERMIS_DATABASE_URL)."""
    settings = settings or load_settings()
    key = secret or load_secret_key(settings.database_url)  # a missing key before any connection
    service = build(settings)
    engine = engine_for(settings.database_url)
    policy = settings.policy
    return WebContext(
        service=service,
        engine=engine,
        users=UserStore(engine),
        codes=ConsultationCodes(key),
        guard=ConsultationGuard(
            engine, policy.consultation_max_attempts, policy.consultation_lock_minutes
        ),
        secret=key,
        public_url=settings.public_url,
        login_limits=LoginLimits(
            settings.login_max_attempts,
            settings.login_max_attempts_per_address,
            settings.login_lock_minutes,
        ),
        prefecture=settings.prefecture,
    )


def create_app(context: WebContext | None = None) -> FastAPI:
    """The back-office: `/api/…` for programs, French pages for operators, auditors and holders."""
    context = context or context_from()
    app = FastAPI(
        # Swagger UI and ReDoc from this site's own files (services.web.observability), no CDN.
        docs_url=None,
        redoc_url=None,
        title="permis — back-office du permis à points",
        version="1.0",
        description=(
            "The HTTP API of CONTRACT §6. `POST /api/token` with a back-office user's form "
            "credentials returns a bearer token; auditors read, operators also write. "
            "Holders consult with NEPH and code (`POST /api/consultation`, R-8)."
        ),
    )
    app.state.web = context
    app.state.tokens = Tokens(context.secret)
    app.state.store_metrics = observability.store_registry(context)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(api_holders.router)
    for module in (
        pages_letters,
        pages_records,
        pages,
        pages_search,
        pages_entry,
        pages_dashboard,
        pages_holders,
        pages_users,
        pages_info,
        observability,
    ):
        app.include_router(module.router)
    errors.install(app)
    # The last added runs first: every answer is counted, then given its security headers.
    app.middleware("http")(hardening.security_headers)
    app.middleware("http")(observability.count_requests)
    # Outermost: a request id on every log line of the request (services.web.request_id).
    app.add_middleware(RequestId)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            # The journal lines' schemas (services.journal) referenced by POST /api/journal.
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(api.JOURNAL_SCHEMA.get("$defs", {}))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
