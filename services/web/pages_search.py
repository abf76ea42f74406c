"""The "Permis" list: find any licence by NEPH, names or birth date, filter, sort, page (issue 15).

Everything comes from the read models (`projections.search`): no aggregate is loaded to list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from projections.search import (
    FLAGS,
    OBLIGATIONS,
    SORTS,
    Found,
    Search,
    SearchError,
    search_licences,
)
from services.licensing import UnknownLicence
from services.web import labels
from services.web.auth import web
from services.web.rendering import Reader, render

router = APIRouter(include_in_schema=False)

OBLIGATION_CHOICES = dict(
    zip(
        OBLIGATIONS,
        (
            "en cours (toutes)",
            "non respectée",
            "stage obligatoire en cours",
            "restitution du permis attendue",
        ),
        strict=True,
    )
)
FLAG_CHOICES = {"any": "au moins un signalement", **labels.FLAG_KIND}
assert set(FLAG_CHOICES) == set(FLAGS)
COLUMNS = (  # (sort key or None, heading)
    ("neph", "NEPH"),
    ("nom", "Titulaire"),
    ("naissance", "Né(e) le"),
    ("statut", "Statut"),
    ("solde", "Solde"),
    (None, "Probatoire"),
    ("delivre", "Délivré le"),
    (None, "Département"),
)
assert {key for key, _ in COLUMNS if key} == set(SORTS)
PARAMS = ("q", "statut", "probatoire", "obligation", "signalement", "centre", "departement")


def _search_of(params: dict[str, str]) -> Search:
    """The search the query string asks, or `SearchError` naming what is wrong."""
    probationary = {"oui": True, "non": False}.get(params.get("probatoire", ""))
    try:
        page = max(1, int(params.get("page", "1") or "1"))
    except ValueError:
        raise SearchError("page : un nombre entier est attendu") from None
    status = params.get("statut") or None
    if status is not None and status not in labels.STATUS:
        raise SearchError(f"statut inconnu : {status!r}")
    return Search(
        q=params.get("q", "").strip(),
        status=status,
        probationary=probationary,
        obligation=params.get("obligation") or None,
        flag=params.get("signalement") or None,
        centre=params.get("centre", "").strip() or None,
        departement=params.get("departement", "").strip() or None,
        sort=params.get("tri") or "nom",
        descending=params.get("ordre") == "desc",
        page=page,
    )


def _url(params: dict[str, str], **changes: Any) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "/permis?" + urlencode(merged) if merged else "/permis"


@router.get("/permis", response_class=HTMLResponse)
def licences(request: Request, user: Reader) -> Response:
    """The list of licences a search finds; a full NEPH that exists opens its licence."""
    ctx = web(request)
    params = {
        k: v for k, v in request.query_params.items() if k in (*PARAMS, "tri", "ordre", "page")
    }
    if "neph" in request.query_params and "q" not in params:  # the former search box's name
        params["q"] = request.query_params["neph"]
    asked = "".join(params.get("q", "").split())
    only_q = not any(params.get(k) for k in PARAMS if k != "q")
    if only_q and len(asked) == 12 and asked.isdigit():
        try:
            ctx.service.licence(asked)
        except UnknownLicence:
            pass
        else:
            return RedirectResponse(f"/permis/{asked}", status_code=303)
    error, found = None, None
    try:
        search = _search_of(params)
        found = search_licences(ctx.read_models().engine, search)
    except SearchError as refused:
        error = str(refused)
    searched = any(params.get(k) for k in PARAMS)
    return render(
        request,
        "liste.html",
        422 if error else 200,
        nav="permis",
        params=params,
        found=found or Found(Search()),
        error=error,
        searched=searched,
        clock=ctx.service.clock(),
        columns=COLUMNS,
        sort_titles={key: heading for key, heading in COLUMNS if key},
        statuses=list(labels.STATUS.items()),
        obligations=list(OBLIGATION_CHOICES.items()),
        flags=list(FLAG_CHOICES.items()),
        url=lambda **changes: _url(params, **changes),
        page_url=lambda n: _url(params, page=n),
    )
