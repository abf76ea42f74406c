"""The compliance dashboard page and its CSV export (R-6)."""

from __future__ import annotations

import io
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services import reports
from services.licensing import UsageError
from services.web import dashboard
from services.web.auth import web
from services.web.context import WebContext
from services.web.labels import french_date
from services.web.rendering import Reader, date_param, error_page, render

router = APIRouter(include_in_schema=False)


def _report_date(ctx: WebContext, as_of: str | None) -> date:
    """The date asked (default: the clock), never after the clock (as `report compliance`)."""
    clock = ctx.service.clock()
    on = date_param(as_of, "date") or clock or ctx.today()
    if clock is not None and on > clock:
        raise UsageError(f"le {french_date(on)} est postérieur à l'horloge ({french_date(clock)})")
    return on


@router.get("/tableau-de-bord", response_class=HTMLResponse)
def dashboard_page(request: Request, user: Reader, as_of: str | None = None) -> Response:
    """Counts and their trend, and the lists to act on, on a legal date."""
    ctx = web(request)
    try:
        on = _report_date(ctx, as_of)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    board = dashboard.dashboard(ctx, on)
    return render(
        request,
        "tableau.html",
        board=board,
        clock=ctx.service.clock(),
        as_of=as_of or "",
        soon=dashboard.SOON_DAYS,
        limit=dashboard.LIST_LIMIT,
    )


@router.get("/tableau-de-bord/export.csv")
def dashboard_csv(request: Request, user: Reader, as_of: str | None = None) -> Response:
    """Every row of the dashboard's date, as `permis report compliance --format csv`."""
    ctx = web(request)
    try:
        on = _report_date(ctx, as_of)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    dashboard.refresh(ctx)
    out = io.StringIO()
    reports.write_csv(ctx.read_models().engine, on, out, lambda: None)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="conformite-{on.isoformat()}.csv"'},
    )
