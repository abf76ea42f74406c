"""The holders' consultation page: balance and record with NEPH and code (R-8)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from services.licensing import UnknownLicence
from services.web import operations, pages_records
from services.web.auth import web
from services.web.labels import plural
from services.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/consultation", response_class=HTMLResponse)
def consultation_form(request: Request) -> Response:
    return render(request, "consultation.html", error=None, neph="")


@router.post("/consultation", response_class=HTMLResponse)
async def consultation(request: Request) -> Response:
    """The holder's balance and record with NEPH and confidential code (R-8.1, R-8.2, R-8.3)."""
    form = await request.form()
    neph = "".join(str(form.get("neph", "")).split())
    code = str(form.get("code", ""))
    if len(neph) != 12 or not neph.isdigit() or not code.strip():
        return render(
            request,
            "consultation.html",
            422,
            neph=neph,
            error="Saisissez votre NEPH (12 chiffres) et votre code confidentiel.",
        )
    try:
        view = await run_in_threadpool(operations.consult, web(request), neph, code)
    except operations.ConsultationLocked as locked:
        minutes = (locked.retry_after + 59) // 60
        return render(
            request,
            "consultation.html",
            429,
            neph=neph,
            error=f"Trop de codes erronés : la consultation de ce NEPH est bloquée "
            f"pendant encore {plural(minutes, 'minute', 'minutes')}.",
        )
    except operations.WrongCode as wrong:
        return render(
            request,
            "consultation.html",
            401,
            neph=neph,
            error=f"Code incorrect. Il vous reste {plural(wrong.remaining, 'essai', 'essais')} avant "
            f"le blocage temporaire.",
        )
    except UnknownLicence:
        return render(
            request,
            "consultation.html",
            404,
            neph=neph,
            error="Aucun permis n'est enregistré pour ce NEPH.",
        )
    extras = await run_in_threadpool(pages_records.holder_extras, request, neph)
    return render(request, "releve.html", view=view, **extras)
