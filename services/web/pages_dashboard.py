"""The compliance dashboard page, its CSV export (R-6), and marking a work-queue item handled."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from infrastructure.desk import DeskError
from projections.schema import rm_flags
from projections.search import holders
from services import reports
from services.formats import NotADate, iso_date
from services.licensing import UsageError
from services.web import dashboard, labels
from services.web.auth import web
from services.web.context import WebContext
from services.web.export_fr import write_csv_fr
from services.web.labels import french_date
from services.web.rendering import (
    Handler,
    Reader,
    csrf_ok,
    date_param,
    error_page,
    expired,
    render,
)

log = structlog.get_logger("permis.web")

router = APIRouter(include_in_schema=False)


def _report_date(ctx: WebContext, as_of: str | None) -> date:
    """The date asked (default: the clock), never after the clock (as `report compliance`)."""
    clock = ctx.service.clock()
    on = date_param(as_of, "date") or clock or ctx.today()
    if clock is not None and on > clock:
        raise UsageError(f"le {french_date(on)} est postérieur à l'horloge ({french_date(clock)})")
    return on


def _pages(request: Request) -> dict[str, int]:
    """The page asked of each list: `p_<list>=N`."""
    pages = {}
    for name, value in request.query_params.items():
        if name.startswith("p_") and value.isdigit():
            pages[name[2:]] = int(value)
    return pages


@router.get("/tableau-de-bord", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    user: Reader,
    as_of: str | None = None,
    centre: str | None = None,
    traite: str | None = None,
) -> Response:
    """Counts and their trend, and the lists to act on, on a legal date, a page of each."""
    ctx = web(request)
    try:
        on = _report_date(ctx, as_of)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    pages = _pages(request)
    board = dashboard.dashboard(ctx, on, pages, centre or None)
    params = {k: v for k, v in request.query_params.items() if k != "traite"}

    def page_url(key: str) -> Callable[[int], str]:
        return lambda n: (
            "/tableau-de-bord?" + urlencode({**params, f"p_{key}": n}) + f"#liste-{key}"
        )

    return render(
        request,
        "tableau.html",
        nav="tableau",
        board=board,
        clock=ctx.service.clock(),
        as_of=as_of or "",
        centre=centre or "",
        soon=dashboard.SOON_DAYS,
        page_url=page_url,
        handled=traite,
    )


# --- marking a work-queue item handled -----------------------------------------------------------


def _item(ctx: WebContext, queue: str, neph: str, ref: str) -> dict[str, Any] | None:
    """The standing flag a queue item is, if it is one (never a made-up item)."""
    if queue not in dashboard.QUEUES:
        return None
    f = rm_flags
    with ctx.read_models().engine.connect() as connection:
        row = connection.execute(
            select(f.c.neph, f.c.kind, f.c.raised_on, f.c.centre).where(
                f.c.neph == neph, f.c.flag_id == ref, f.c.kind == queue, f.c.valid_to.is_(None)
            )
        ).first()
    if row is None:
        return None
    item = dict(row._mapping)
    item["holder"] = holders(ctx.read_models().engine, [neph]).get(neph)
    return item


def _handling_form(
    request: Request, status: int, values: dict[str, str], errors: dict[str, list[str]]
) -> Response:
    ctx = web(request)
    item = _item(ctx, values["file"], values["neph"], values["ref"])
    if item is None:
        return error_page(
            request,
            404,
            "Alerte introuvable",
            "Cette alerte n'est plus en cours (déjà levée) ou n'existe pas.",
        )
    return render(
        request,
        "traiter.html",
        status,
        nav="tableau",
        item=item,
        values=values,
        errors=errors,
        queue_title=labels.QUEUE_TITLE.get(values["file"], values["file"]),
        today=ctx.today().isoformat(),
    )


@router.get("/tableau-de-bord/traiter", response_class=HTMLResponse)
def handling_form(request: Request, user: Handler, file: str, neph: str, ref: str) -> Response:
    """The form marking one item of a work queue handled: a date and a note."""
    values = {"file": file, "neph": neph, "ref": ref, "done_on": web(request).today().isoformat()}
    return _handling_form(request, 200, values, {})


@router.post("/tableau-de-bord/traiter", response_class=HTMLResponse)
async def handle(request: Request, user: Handler) -> Response:
    """Record the handling (who, when, a note); the item leaves the queue, the licence's audit
    trail shows it."""
    form = await request.form()
    if not csrf_ok(request, form):
        return expired(request)
    ctx = web(request)
    values = {k: str(form.get(k, "")).strip() for k in ("file", "neph", "ref", "done_on", "note")}
    errors: dict[str, list[str]] = {}
    try:
        done_on = iso_date(values["done_on"])
    except NotADate:
        errors["done_on"] = ["date : une date JJ/MM/AAAA est attendue"]
    if not errors:
        if _item(ctx, values["file"], values["neph"], values["ref"]) is None:
            return _handling_form(request, 404, values, {})
        try:
            ctx.desk.handled(
                values["neph"],
                values["file"],
                values["ref"],
                done_on,
                values["note"],
                user.name,
                ctx.now(),
            )
        except DeskError as refused:
            field, _, reason = str(refused).partition(" : ")
            errors["note" if field == "note" else "done_on"] = [reason]
    if errors:
        return _handling_form(request, 422, values, errors)
    log.info("desk.handled", user=user.name, neph=values["neph"], queue=values["file"])
    return RedirectResponse(
        f"/tableau-de-bord?traite={values['neph']}#liste-{values['file']}", status_code=303
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


@router.get("/tableau-de-bord/export-tableur.csv")
def dashboard_csv_french(request: Request, user: Reader, as_of: str | None = None) -> Response:
    """The same rows for a French spreadsheet: `;`, UTF-8 with BOM, French headers (issue 14)."""
    ctx = web(request)
    try:
        on = _report_date(ctx, as_of)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    dashboard.refresh(ctx)
    out = io.StringIO()
    write_csv_fr(ctx.read_models().engine, on, out)
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="conformite-{on.isoformat()}-tableur.csv"'
        },
    )
