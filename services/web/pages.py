"""The back-office pages: login and logout, the licence page and its letters (French)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from infrastructure.users import User
from services import holders
from services.licensing import UnknownLicence, UsageError
from services.web import chart, labels, letters, motifs
from services.web.auth import SESSION_COOKIE, Action, may, page_requires_user, web
from services.web.context import TOKEN_MAX_AGE, WebContext
from services.web.login import LoginLocked, WrongLogin, log_in
from services.web.rendering import Reader, csrf_ok, date_param, error_page, expired, render

log = structlog.get_logger("permis.web")
router = APIRouter(include_in_schema=False)


# --- login ------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/connexion", response_class=HTMLResponse)
def login_form(request: Request, suite: str | None = None) -> Response:
    return render(request, "connexion.html", suite=_safe_next(suite), error=None, username="")


def client_address(request: Request) -> str:
    """The address the request came from (behind a proxy: uvicorn's --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


@router.post("/connexion", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("suite", "/")))
    ctx = web(request)
    try:
        user = await run_in_threadpool(log_in, ctx, name, password, client_address(request))
    except (LoginLocked, WrongLogin) as refused:
        locked = isinstance(refused, LoginLocked)
        response = render(
            request,
            "connexion.html",
            429 if locked else 401,
            suite=target,
            error=refused.french(),
            username=name,
        )
        if isinstance(refused, LoginLocked):
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    response = RedirectResponse(target if may(user, Action.READ) else "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        await run_in_threadpool(ctx.sessions.open, user.name, ctx.now()),
        max_age=TOKEN_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/deconnexion")
async def logout(request: Request) -> Response:
    """End the session on the server (the cookie alone would survive a copy), then forget it."""
    if not csrf_ok(request, await request.form()):
        return expired(request)
    ctx = web(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(ctx.sessions.revoke, token, ctx.now())
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response


# --- home, and showing a licence ------------------------------------------------------------------


@router.get("/")
def home(request: Request, user: Annotated[User, Depends(page_requires_user)]) -> Response:
    """Where each role starts: the licences, or the users for an admin."""
    return RedirectResponse("/permis" if may(user, Action.READ) else "/utilisateurs", 303)


def _timeline(
    ctx: WebContext, neph: str, as_of: date, known_at: date | None
) -> list[dict[str, Any]]:
    """The audit trail in legal order, each event marked when it lies beyond the view's dates."""
    trail = ctx.service.audit(neph)
    offences = {
        str(i["details"]["infraction_id"]): str(i["details"]["offence"])
        for i in trail
        if i["event"] == "InfractionRecorded"
    }
    for item in trail:
        item["label"] = labels.EVENT.get(item["event"], item["event"])
        item["motif"] = motifs.motif(item, offences)
        item["later"] = date.fromisoformat(item["effective_on"]) > as_of or (
            known_at is not None and date.fromisoformat(item["recorded_on"]) > known_at
        )
    return sorted(trail, key=lambda i: (i["effective_on"], i["position"]))


def _desk_trail(ctx: WebContext, neph: str) -> list[dict[str, Any]]:
    """The operators' desk records of the licence (handled alerts, codes shown), oldest first."""
    return [
        {
            "label": labels.DESK_ACTION.get(r.action, r.action),
            "action": str(r.action),
            "queue": labels.QUEUE_TITLE.get(r.queue or "", r.queue),
            "item": r.item,
            "done_on": r.done_on,
            "note": r.note,
            "actor": r.actor,
            "via": r.via,
            "recorded_at": r.recorded_at,
        }
        for r in ctx.desk.of_licence(neph)
    ]


@router.get("/permis/{neph}", response_class=HTMLResponse)
def licence_page(
    request: Request,
    user: Reader,
    neph: str,
    as_of: Annotated[str | None, Query()] = None,
    known_at: Annotated[str | None, Query()] = None,
    enregistre: str | None = None,
) -> Response:
    """Balance, ceiling, status, probation, timeline, letters, obligations, flags, stages, chart."""
    ctx = web(request)
    service = ctx.service
    try:
        on, known = date_param(as_of, "date de situation"), date_param(known_at, "connu au")
        view = service.view(neph, on, known)
        licence = service.licence(neph)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    except UnknownLicence:
        return error_page(
            request,
            404,
            "Permis introuvable",
            f"Aucun permis n'est enregistré pour le NEPH {neph}.",
        )
    view_on = date.fromisoformat(view["as_of"])
    points, markers = chart.balance_history(licence, service.law, view_on, known)
    # The future only from the present view: a look back shows what was, not what was forecast.
    forecast = None if as_of or known_at else holders.forecast(service, neph)
    svg = chart.balance_svg(
        points, markers, f"Solde et plafond du permis {neph}", chart.forecast_points(forecast)
    )
    clock = service.clock()
    everything = licence.state(service.law, clock or licence.last_recorded_on).letters
    indices = {(x.type, x.ref, x.sent_on.isoformat()): i for i, x in enumerate(everything)}
    current = licence.state(service.law, view_on, known).letters
    letter_rows = [
        {**shown, "index": indices.get((x.type, x.ref, x.sent_on.isoformat()))}
        for shown, x in zip(view["letters"], current, strict=False)
    ]
    return render(
        request,
        "permis.html",
        view=view,
        holder=letters.holder_of(licence),
        chart=svg,
        forecast=forecast,
        letters=letter_rows,
        timeline=_timeline(ctx, neph, view_on, known),
        desk=_desk_trail(ctx, neph),
        clock=clock,
        as_of=as_of or "",
        known_at=known_at or "",
        looking_back=bool(as_of or known_at),
        saved=enregistre,
        commands=labels.COMMAND,
        nav="permis",
    )
