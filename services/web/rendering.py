"""Rendering the pages: Jinja2 templates in French, the session's form token, the error page."""

from __future__ import annotations

import hmac
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from infrastructure.users import User
from services.formats import NotADate, iso_date
from services.licensing import UsageError
from services.web import labels, reasons
from services.web.auth import SESSION_COOKIE, Action, may, page_requires, page_user, tokens
from services.web.labels import french_date

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["date"] = french_date
templates.env.filters["long_date"] = labels.long_date
templates.env.filters["number"] = labels.number
templates.env.globals["plural"] = labels.plural
templates.env.globals["french_refusal"] = reasons.french
templates.env.globals["labels"] = labels

Reader = Annotated[User, Depends(page_requires(Action.READ))]
Writer = Annotated[User, Depends(page_requires(Action.WRITE))]
Handler = Annotated[User, Depends(page_requires(Action.HANDLE))]
UsersReader = Annotated[User, Depends(page_requires(Action.SEE_USERS))]
Admin = Annotated[User, Depends(page_requires(Action.MANAGE_USERS))]

# The main menu: (key, path, text, the action it needs).
NAVIGATION = (
    ("permis", "/permis", "Permis", Action.READ),
    ("saisie", "/saisie", "Saisir une commande", Action.WRITE),
    ("tableau", "/tableau-de-bord", "Tableau de bord", Action.READ),
    ("lettres", "/lettres", "Lettres du jour", Action.READ),
    ("utilisateurs", "/utilisateurs", "Utilisateurs", Action.SEE_USERS),
)


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page with the user, their rights, their menu and the form token of their session."""
    user = page_user(request)
    session = request.cookies.get(SESSION_COOKIE, "")
    context.update(
        user=user,
        can_write=user is not None and may(user, Action.WRITE),
        can_handle=user is not None and may(user, Action.HANDLE),
        nav_items=[
            (k, href, text) for k, href, text, needs in NAVIGATION if user and may(user, needs)
        ],
        csrf=tokens(request).csrf(session) if session else "",
    )
    context.setdefault("nav", None)
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """The French error page; a message worded in English below (a usage error of the service)
    is put in French (`reasons.french`)."""
    return render(request, "erreur.html", status, title=title, message=reasons.french(message))


def csrf_ok(request: Request, form: Any) -> bool:
    """A posted form carries the token of the session that displayed it."""
    session = request.cookies.get(SESSION_COOKIE, "")
    expected = tokens(request).csrf(session) if session else ""
    return bool(expected) and hmac.compare_digest(str(form.get("csrf", "")), expected)


def expired(request: Request) -> Response:
    return error_page(request, 403, "Formulaire expiré", "Rechargez la page et recommencez.")


def date_param(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return iso_date(value)
    except NotADate:
        raise UsageError(f"{name} : {value!r} n'est pas une date AAAA-MM-JJ") from None
