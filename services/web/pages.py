"""The back-office pages: login, finding a licence, the licence page, its letters (French)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from services import holders
from services.licensing import UnknownLicence, UsageError
from services.web import chart, labels, letters
from services.web.auth import SESSION_COOKIE, TOKEN_MAX_AGE, Action, may, tokens, web
from services.web.context import WebContext
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
    return render(request, "connexion.html", suite=_safe_next(suite), error=None)


@router.post("/connexion", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("suite", "/")))
    user = await run_in_threadpool(web(request).users.authenticate, name, password)
    if user is None:
        log.info("web.login", user=name, ok=False)
        return render(
            request,
            "connexion.html",
            401,
            suite=target,
            error="Identifiant ou mot de passe incorrect.",
        )
    log.info("web.login", user=user.name, ok=True)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        tokens(request).issue(user),
        max_age=TOKEN_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/deconnexion")
async def logout(request: Request) -> Response:
    if not csrf_ok(request, await request.form()):
        return expired(request)
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- finding and showing a licence ----------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Reader) -> Response:
    return render(request, "accueil.html", clock=web(request).service.clock(), error=None, neph="")


@router.get("/permis", response_class=HTMLResponse)
def find(request: Request, user: Reader, neph: str = "") -> Response:
    """Find a licence by its NEPH (12 digits, spaces allowed as printed on the card)."""
    wanted = "".join(neph.split())
    clock = web(request).service.clock()
    if len(wanted) != 12 or not wanted.isdigit():
        return render(
            request,
            "accueil.html",
            422,
            clock=clock,
            neph=neph,
            error="Un NEPH compte exactement 12 chiffres.",
        )
    try:
        web(request).service.licence(wanted)
    except UnknownLicence:
        return render(
            request,
            "accueil.html",
            404,
            clock=clock,
            neph=neph,
            error=f"Aucun permis n'est enregistré pour le NEPH {wanted}.",
        )
    return RedirectResponse(f"/permis/{wanted}", status_code=303)


def _timeline(
    ctx: WebContext, neph: str, as_of: date, known_at: date | None
) -> list[dict[str, Any]]:
    """The audit trail in legal order, each event marked when it lies beyond the view's dates."""
    trail = ctx.service.audit(neph)
    for item in trail:
        item["label"] = labels.EVENT.get(item["event"], item["event"])
        item["later"] = date.fromisoformat(item["effective_on"]) > as_of or (
            known_at is not None and date.fromisoformat(item["recorded_on"]) > known_at
        )
    return sorted(trail, key=lambda i: (i["effective_on"], i["position"]))


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
        clock=clock,
        as_of=as_of or "",
        known_at=known_at or "",
        looking_back=bool(as_of or known_at),
        saved=enregistre,
        commands=labels.COMMAND,
    )


@router.get("/permis/{neph}/lettres/{index}", response_class=HTMLResponse)
def letter_page(request: Request, user: Reader, neph: str, index: int) -> Response:
    """A letter as printed, with the consultation code on 48M, 48N and 48SI (R-3.4)."""
    service = web(request).service
    try:
        licence = service.licence(neph)
        on = service.clock() or licence.last_recorded_on
        doc = letters.letter(licence, service.law, service.policy, on, index)
    except (UnknownLicence, letters.UnknownLetter):
        return error_page(
            request, 404, "Lettre introuvable", f"Aucune lettre n° {index} pour le NEPH {neph}."
        )
    code = None
    if doc.carries_code and may(user, Action.SHOW_CODE):
        code = web(request).codes.code(neph)
        log.info(
            "consultation.code_printed",
            user=user.name,
            neph=neph,
            letter=doc.type,
            reference=doc.reference,
        )
    return render(request, "lettre.html", doc=doc, code=code, issuer=letters.ISSUER)
