"""User management for the admins (create, disable or enable, reset a password), and the record of
who changed which account when, which auditors read too.

Disabling a user or giving a new password ends every session of that user at once.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from infrastructure.users import Role, UserError
from services.web import labels
from services.web.auth import Action, may, web
from services.web.rendering import Admin, UsersReader, csrf_ok, expired, render

log = structlog.get_logger("permis.web")
router = APIRouter(include_in_schema=False)


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    ctx = web(request)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("done", None)
    return render(
        request,
        "utilisateurs.html",
        status,
        nav="utilisateurs",
        accounts=ctx.users.accounts(),
        changes=ctx.users.changes()[:200],
        roles=[(r.value, labels.ROLE[r.value]) for r in Role],
        **context,
    )


@router.get("/utilisateurs", response_class=HTMLResponse)
def users_page(request: Request, user: UsersReader, fait: str | None = None) -> Response:
    return _page(request, done=fait, manage=may(user, Action.MANAGE_USERS))


_DONE = {
    "created": "Compte créé.",
    "disabled": "Compte désactivé : ses sessions sont fermées.",
    "enabled": "Compte réactivé.",
    "password_reset": "Mot de passe réinitialisé : les sessions du compte sont fermées.",
}


@router.post("/utilisateurs", response_class=HTMLResponse)
async def create_user(request: Request, user: Admin) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return expired(request)
    values = {k: str(form.get(k, "")) for k in ("name", "role")}
    password = str(form.get("password", ""))
    if values["role"] not in {r.value for r in Role}:  # never chosen for the admin (issue 14)
        return _page(
            request, 422, manage=True, errors={"role": ["choisissez un rôle"]}, values=values
        )
    try:
        await run_in_threadpool(
            web(request).users.add, values["name"], values["role"], password, user.name
        )
    except UserError as error:
        field, reason = _field_of(str(error))
        return _page(request, 422, manage=True, errors={field: [reason]}, values=values)
    log.warning("users.added", user=values["name"], role=values["role"], by=user.name)
    return RedirectResponse("/utilisateurs?fait=created", status_code=303)


@router.post("/utilisateurs/{name}", response_class=HTMLResponse)
async def change_user(request: Request, name: str, user: Admin) -> Response:
    """`action=disable|enable|password`; each change ends the account's sessions when it must."""
    form = await request.form()
    if not csrf_ok(request, form):
        return expired(request)
    ctx = web(request)
    action = str(form.get("action", ""))
    try:
        if action in ("disable", "enable"):
            if action == "disable" and name == user.name:
                raise UserError("name: un administrateur ne désactive pas son propre compte")
            await run_in_threadpool(ctx.users.set_disabled, name, action == "disable", user.name)
            done = "disabled" if action == "disable" else "enabled"
        elif action == "password":
            password = str(form.get("password", ""))
            await run_in_threadpool(ctx.users.reset_password, name, password, user.name)
            done = "password_reset"
        else:
            raise UserError(f"action: {action!r} inconnue")
    except UserError as error:
        field, reason = _field_of(str(error))
        key = f"{name}.{field}"
        return _page(request, 422, manage=True, errors={key: [reason]}, values={})
    if done in ("disabled", "password_reset"):
        await run_in_threadpool(ctx.sessions.revoke_all, name, ctx.now())
    log.warning("users.changed", user=name, change=done, by=user.name)
    return RedirectResponse(f"/utilisateurs?fait={done}", status_code=303)


_FRENCH = {
    "at least 8 characters": "8 caractères au moins",
    "already exists": "existe déjà",
    "does not exist": "n'existe pas",
    "1 to 64 letters, digits, '.', '_' or '-'": "1 à 64 lettres, chiffres, « . », « _ » ou « - »",
}


def _field_of(message: str) -> tuple[str, str]:
    """`UserError`'s "field: reason" (or "user 'x' …") as a form field and a French reason."""
    field, sep, reason = message.partition(": ")
    if not sep:
        field, reason = "name", message
    if field.startswith("user "):
        field = "name"
    for english, french in _FRENCH.items():
        reason = reason.replace(english, french)
    return field, reason
