"""The letters on the back-office (issue 14 item 4): one letter on screen and as its PDF, the
day's letters ("Lettres du jour") as one numbered PDF. The public check of a letter's code is on
`/verifier` with the relevés' (`pages_records`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from infrastructure.users import User
from services.documents import pdf
from services.licensing import UnknownLicence, UsageError
from services.mail import Letters, Mail
from services.web import letters
from services.web.auth import Action, may, web
from services.web.context import WebContext
from services.web.labels import french_date
from services.web.rendering import Reader, date_param, error_page, render

log = structlog.get_logger("permis.web")
router = APIRouter(include_in_schema=False)


def letters_of(ctx: WebContext, user: User | None) -> Letters:
    """The letters of the store; the holder's consultation code printed only for an operator
    (R-3.4, R-8.1), every print of it recorded in the licence's audit trail."""

    def code(neph: str, what: str) -> str:
        assert user is not None
        shown = ctx.codes.code(neph)
        ctx.desk.code_shown(neph, what, user.name, ctx.now(), via="web")
        log.info("consultation.code_printed", user=user.name, neph=neph)
        return shown

    printing = user is not None and may(user, Action.SHOW_CODE)
    return Letters(
        ctx.service, ctx.secret, ctx.public_url, ctx.prefecture, code if printing else None
    )


def _one(request: Request, user: User, neph: str, index: int) -> tuple[letters.LetterDoc, Mail]:
    ctx = web(request)
    service = ctx.service
    licence = service.licence(neph)
    on = service.clock() or licence.last_recorded_on
    doc = letters.letter(licence, service.law, service.policy, on, index)
    return doc, letters_of(ctx, user).mail(doc)


def _missing(request: Request, neph: str, index: int | str) -> Response:
    return error_page(
        request, 404, "Lettre introuvable", f"Aucune lettre n° {index} pour le NEPH {neph}."
    )


@router.get("/permis/{neph}/lettres/{index}.pdf")
async def letter_pdf(request: Request, user: Reader, neph: str, index: int) -> Response:
    """The letter as the A4 PDF that is mailed."""
    try:
        doc, mail = await run_in_threadpool(_one, request, user, neph, index)
    except (UnknownLicence, letters.UnknownLetter):
        return _missing(request, neph, index)
    content = await run_in_threadpool(letters_of(web(request), None).pdf, mail)
    name = f"lettre-{doc.type}-{neph}-{doc.sent_on.isoformat()}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/permis/{neph}/lettres/{index}", response_class=HTMLResponse)
def letter_page(request: Request, user: Reader, neph: str, index: str) -> Response:
    """A letter as mailed, with the consultation code on 48M, 48N and 48SI (R-3.4), and what the
    service knows of it since (its notification, the deadline it started), for operators."""
    if not index.isdigit():
        return _missing(request, neph, index[:20])
    try:
        doc, mail = _one(request, user, neph, int(index))
    except (UnknownLicence, letters.UnknownLetter):
        return _missing(request, neph, int(index))
    body = Markup(
        pdf.html_of(
            "lettre_corps.html", content=mail.content, consultation_code=mail.consultation_code
        )
    )
    return render(request, "lettre.html", doc=doc, mail=mail, body=body, nav="permis")


def _day(request: Request, value: str | None) -> date:
    ctx = web(request)
    clock = ctx.service.clock()
    day = date_param(value, "date") or clock or ctx.today()
    if clock is not None and day > clock:
        raise UsageError(f"le {french_date(day)} est postérieur à l'horloge ({french_date(clock)})")
    return day


@router.get("/lettres", response_class=HTMLResponse)
def letters_of_the_day(
    request: Request, user: Reader, date: Annotated[str | None, Query()] = None
) -> Response:
    """Lettres du jour: every letter sent that day, to print at once."""
    try:
        day = _day(request, date)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    ctx = web(request)
    mails = letters_of(ctx, None).of_day(day)
    return render(
        request,
        "lettres_du_jour.html",
        day=day,
        mails=mails,
        clock=ctx.service.clock(),
        nav="lettres",
    )


@router.get("/lettres/{day}.pdf")
async def letters_of_the_day_pdf(request: Request, user: Reader, day: str) -> Response:
    """The day's letters as one PDF, each numbered ("pli 3 / 17") and paged on its own, with the
    consultation codes for an operator (each print recorded, R-8.1)."""
    try:
        on = _day(request, day)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    printer = letters_of(web(request), user)
    mails = await run_in_threadpool(printer.of_day, on)
    if not mails:
        return error_page(
            request, 404, "Aucune lettre", f"Aucune lettre n'a été envoyée le {french_date(on)}."
        )
    content = await run_in_threadpool(printer.pdf_of_day, mails)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="lettres-{on.isoformat()}.pdf"'},
    )
