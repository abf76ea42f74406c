"""For developers and the people who run the service: the API's documentation served offline
(Swagger UI at /docs, ReDoc at /redoc, both vendored under static/vendor), /healthz, /readyz and
the Prometheus metrics at /metrics.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from infrastructure.clock import PARIS
from projections.database import HEAD_REVISION, current_revision
from services import metrics
from services.web.auth import web
from services.web.context import WebContext

router = APIRouter(include_in_schema=False)

# The worker ticks shortly after midnight: until it has, the clock is one day behind the calendar.
CLOCK_GRACE_DAYS = 1

_DOCS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{head}</head>
<body>{body}</body></html>"""


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on /openapi.json, every file served here (no CDN, no inline script)."""
    return HTMLResponse(
        _DOCS.format(
            title=f"{request.app.title} — Swagger UI",
            head='<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">',
            body='<div id="swagger-ui"></div>'
            '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>'
            '<script src="/static/docs.js"></script>',
        )
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on /openapi.json, served here (no CDN, no inline script)."""
    return HTMLResponse(
        _DOCS.format(
            title=f"{request.app.title} — ReDoc",
            head="",
            body='<redoc spec-url="/openapi.json"></redoc>'
            '<script src="/static/vendor/redoc/redoc.standalone.js"></script>',
        )
    )


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers (nothing else is checked: a liveness probe)."""
    return {"status": "ok"}


def _paris_today(ctx: WebContext) -> date:
    """The legal day in France now (the context's clock is naive UTC)."""
    return ctx.now().replace(tzinfo=UTC).astimezone(PARIS).date()


def readiness(ctx: WebContext) -> tuple[bool, dict[str, Any]]:
    """Whether the service can answer: the store, its migrations, its clock."""
    checks: dict[str, Any] = {}
    try:
        clock = ctx.service.clock()
        checks["store"] = "ok"
    except Exception as error:  # any failure of the store makes the service unready
        checks["store"] = f"{type(error).__name__}: {error}"
        return False, checks
    try:
        revision = current_revision(ctx.engine)
    except SQLAlchemyError as error:
        revision = None
        checks["migrations"] = f"{type(error).__name__}: {error}"
    else:
        checks["migrations"] = (
            "ok" if revision == HEAD_REVISION else f"at {revision}, expected {HEAD_REVISION}"
        )
    today = _paris_today(ctx)
    behind = (today - clock).days if clock is not None else None
    checks["clock"] = clock.isoformat() if clock else None
    checks["today"] = today.isoformat()
    if behind is None or behind > CLOCK_GRACE_DAYS:
        checks["worker"] = f"the clock is {behind} day(s) behind today" if behind else "no clock"
    else:
        checks["worker"] = "ok"
    ready = all(checks[k] == "ok" for k in ("store", "migrations", "worker"))
    return ready, checks


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready when the store answers, the migrations are current and the clock is not behind."""
    ready, checks = readiness(web(request))
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


class StoreCollector(Collector):
    """The store's figures, read when scraped: its clock, its lag, the read models' lag."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily]:
        service = self.ctx.service
        up = GaugeMetricFamily("permis_store_up", "1 when the store answers")
        try:
            clock = service.clock()
            head = service.store.recorder.max_notification_id() or 0
            position = self.ctx.read_models().position(service.store.name).notification_id
        except Exception:  # a scrape reports a failing store, it does not fail
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        if clock is not None:
            yield GaugeMetricFamily(
                "permis_clock_timestamp_seconds",
                "The store's clock (CONTRACT §2) as a Unix time, midnight UTC",
                value=calendar.timegm(clock.timetuple()),
            )
            yield GaugeMetricFamily(
                "permis_clock_lag_days",
                "Days between the legal day in France and the store's clock",
                value=(_paris_today(self.ctx) - clock).days,
            )
        yield GaugeMetricFamily(
            "permis_read_models_lag_notifications",
            "Notifications recorded in the store and not yet in the read models",
            value=max(0, head - position),
        )


@router.get("/metrics")
def metrics_page(request: Request) -> Response:
    """Prometheus metrics: requests, latency, imports, ticks, the clock's lag."""
    store: CollectorRegistry = request.app.state.store_metrics
    body = generate_latest(metrics.REGISTRY) + generate_latest(store)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def store_registry(ctx: WebContext) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(ctx))
    return registry


async def count_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Every request counted and timed, by its route's template (never the raw path)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        route = request.scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        metrics.HTTP_REQUESTS.labels(request.method, path, str(status)).inc()
        metrics.HTTP_LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
