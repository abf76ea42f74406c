"""The pages every State service carries in its footer: legal notice and accessibility statement."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/mentions-legales", response_class=HTMLResponse)
def legal_notice(request: Request) -> Response:
    return render(request, "mentions_legales.html")


@router.get("/accessibilite", response_class=HTMLResponse)
def accessibility(request: Request) -> Response:
    return render(request, "accessibilite.html")
