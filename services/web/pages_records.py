"""Pages for the future and the records (issue 18): the public check of a relevé's code, the
holder's downloads, and the operator's forecast, stage advisor, "what if" and relevés."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from domain.law import current_law
from infrastructure.users import derived_key
from services import holders
from services.documents import pdf
from services.licensing import UnknownLicence, UsageError
from services.records import Record, RecordKind
from services.web import labels
from services.web.api_holders import pdf_response, records_of
from services.web.auth import web
from services.web.rendering import Reader, date_param, error_page, render

log = structlog.get_logger("permis.web")
router = APIRouter(include_in_schema=False)

HOLDER_TOKEN_MAX_AGE = 30 * 60  # a consultation's downloads stay possible for 30 minutes


# --- the holder's consultation: a token instead of the code, for what follows it ---------------


def _holder_tokens(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        derived_key(web(request).secret, "holder-consultation"), salt="permis.holder"
    )


def holder_token(request: Request, neph: str) -> str:
    """Proof that this browser gave the NEPH's code just now (R-8.1): the consultation's
    downloads and stage advice ask for it rather than the code again."""
    return _holder_tokens(request).dumps({"n": neph})


def _holder_neph(request: Request, token: str) -> str | None:
    try:
        data = _holder_tokens(request).loads(token, max_age=HOLDER_TOKEN_MAX_AGE)
    except BadSignature:
        return None
    neph = data.get("n") if isinstance(data, dict) else None
    return neph if isinstance(neph, str) else None


def holder_extras(request: Request, neph: str) -> dict[str, Any]:
    """What the consultation page shows besides the view: the forecast, the stage advice, and
    the token of its downloads."""
    service = web(request).service
    try:
        advice = holders.advice(service, neph)
    except UsageError:
        advice = None
    return {
        "forecast": holders.forecast(service, neph),
        "advice": advice,
        "jeton": holder_token(request, neph),
    }


def _expired(request: Request) -> Response:
    return error_page(
        request,
        403,
        "Consultation expirée",
        "Consultez à nouveau votre solde avec votre NEPH et votre code confidentiel.",
    )


@router.post("/consultation/releve")
async def holder_record(request: Request) -> Response:
    """The holder downloads a relevé (R-8.2): today's, intégral or restreint."""
    form = await request.form()
    neph = _holder_neph(request, str(form.get("jeton", "")))
    kind = str(form.get("kind", ""))
    if neph is None:
        return _expired(request)
    if kind not in set(RecordKind):
        return error_page(
            request, 422, "Relevé inconnu", "Choisissez le relevé intégral ou restreint."
        )
    records = records_of(request)
    found = await run_in_threadpool(records.issue, neph, RecordKind(kind))
    log.info("records.issued", neph=neph, kind=kind, via="consultation", code=found.code)
    return pdf_response(found, await run_in_threadpool(records.pdf, found))


@router.post("/consultation/stage", response_class=HTMLResponse)
async def holder_stage_advice(request: Request) -> Response:
    """The holder's stage advisor for a stage ending on the day they choose (R-5)."""
    form = await request.form()
    token = str(form.get("jeton", ""))
    neph = _holder_neph(request, token)
    if neph is None:
        return _expired(request)
    try:
        last_day = date_param(str(form.get("dernier_jour", "")), "dernier jour du stage")
        advice = await run_in_threadpool(holders.advice, web(request).service, neph, last_day)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    return render(request, "conseil_stage.html", advice=advice, jeton=token, neph=neph)


# --- the public check of a relevé ---------------------------------------------------------------


@router.get("/verifier", response_class=HTMLResponse)
def verify_form(request: Request, code: str | None = None) -> Response:
    """Anyone checks a relevé's code here, without a login (or scans its QR code)."""
    if code:
        wanted = "-".join(
            "".join(code.split()).upper().replace("-", "")[i : i + 5] for i in range(0, 40, 5)
        )
        return RedirectResponse(f"/verifier/{wanted.strip('-')}", status_code=303)
    return render(request, "verifier.html", answer=None, letter=None, body=None, code="")


@router.get("/verifier/{code}", response_class=HTMLResponse)
def verify_page(request: Request, code: str) -> Response:
    """Whether the relevé is genuine and what it said, and nothing more (R-8.2)."""
    from services.web.pages_letters import letters_of

    answer = records_of(request).verify(code[:64])
    letter = None
    if not answer.genuine:  # a letter's code (issue 14): the same scheme, another kind
        checked = letters_of(web(request), None).verify(code[:64])
        letter = checked.mail if checked.genuine else None
    log.info("records.verified", genuine=answer.genuine or letter is not None)
    body = None
    if answer.record is not None:
        body = Markup(pdf.html_of("releve_body.html", content=answer.record.content, labels=labels))
    elif letter is not None:
        body = Markup(pdf.html_of("lettre_corps.html", content=letter.content))
    return render(
        request,
        "verifier.html",
        answer=answer,
        letter=letter,
        body=body,
        code=code[:64],
        status=200 if answer.genuine or letter is not None else 404,
    )


# --- the operator's forecast, advisor, what if and relevés ----------------------------------------


@router.get("/permis/{neph}/releve/{kind}.pdf")
async def operator_record(
    request: Request,
    user: Reader,
    neph: str,
    kind: str,
    as_of: Annotated[str | None, Query()] = None,
) -> Response:
    """A relevé issued by an operator, for any past date as known then (R-8.2, R-9.1)."""
    if kind not in set(RecordKind):
        return error_page(request, 404, "Relevé inconnu", "Relevé intégral ou restreint.")
    records = records_of(request)
    try:
        on = date_param(as_of, "date de situation")
        found: Record = await run_in_threadpool(records.issue, neph, RecordKind(kind), on)
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    except UnknownLicence:
        return error_page(
            request,
            404,
            "Permis introuvable",
            f"Aucun permis n'est enregistré pour le NEPH {neph}.",
        )
    log.info("records.issued", neph=neph, kind=kind, via="back-office", user=user.name)
    return pdf_response(found, await run_in_threadpool(records.pdf, found))


@router.get("/permis/{neph}/prevision", response_class=HTMLResponse)
def forecast_page(
    request: Request,
    user: Reader,
    neph: str,
    dernier_jour: str | None = None,
    infraction: str | None = None,
    commise_le: str | None = None,
    realite_le: str | None = None,
) -> Response:
    """The forecast, the stage advisor and "what if": computed on copies, nothing recorded."""
    service = web(request).service
    asked = {
        "infraction": infraction or "",
        "commise_le": commise_le or "",
        "realite_le": realite_le or "",
    }
    simulation, simulation_error = None, None
    try:
        forecast = holders.forecast(service, neph)
        last_day = date_param(dernier_jour, "dernier jour du stage")
        try:
            advice: dict[str, Any] | None = holders.advice(service, neph, last_day)
            advice_error = None
        except UsageError as error:
            advice, advice_error = None, str(error)
        if infraction:
            try:
                simulation = _simulate(service, neph, infraction, commise_le, realite_le)
            except UsageError as error:
                simulation_error = str(error)
        elif commise_le or realite_le:  # no offence chosen for the operator (issue 14)
            simulation_error = "choisissez l'infraction à simuler"
    except UsageError as error:
        return error_page(request, 422, "Date refusée", str(error))
    except UnknownLicence:
        return error_page(
            request,
            404,
            "Permis introuvable",
            f"Aucun permis n'est enregistré pour le NEPH {neph}.",
        )
    return render(
        request,
        "prevision.html",
        neph=neph,
        forecast=forecast,
        advice=advice,
        advice_error=advice_error,
        dernier_jour=dernier_jour or "",
        asked=asked,
        simulation=simulation,
        simulation_error=simulation_error,
        offences=sorted(current_law().offences, key=labels.offence),
    )


def _simulate(
    service: Any, neph: str, offence: str, committed: str | None, established: str | None
) -> dict[str, Any]:
    committed_on = date_param(committed, "date de l'infraction")
    established_on = date_param(established, "date de la réalité")
    if committed_on is None or established_on is None:
        raise UsageError("donnez la date de l'infraction et celle où sa réalité est établie")
    return holders.simulate(
        service, neph, holders.Hypothesis(offence, committed_on, established_on)
    )
