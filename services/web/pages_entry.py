"""Recording journal commands from forms: errors beside each field, then a confirmation step."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from services.web import forms, labels, operations
from services.web.auth import web
from services.web.context import WebContext
from services.web.labels import french_date
from services.web.operations import parse_items
from services.web.rendering import Writer, csrf_ok, error_page, expired, render

router = APIRouter(include_in_schema=False)


def _new_form(ctx: WebContext, command_type: str, neph: str) -> forms.FormState:
    values = {
        "id": f"web-{uuid.uuid4().hex[:16]}",
        "at": ctx.default_at().isoformat(),
        "neph": neph,
    }
    if command_type == "licence.issue":
        values["probationary"] = "on"
    return forms.FormState(command_type, values)


def _form_page(request: Request, state: forms.FormState, status: int = 200) -> Response:
    return render(
        request,
        "saisie.html",
        status,
        state=state,
        fields=forms.fields_of(state.type),
        commands=labels.COMMAND,
    )


@router.get("/saisie", response_class=HTMLResponse)
def command_form(
    request: Request, user: Writer, type: str = "infraction.record", neph: str = ""
) -> Response:
    """The form of one journal command (each type of CONTRACT §1)."""
    if type not in forms.FIELDS:
        type = "infraction.record"
    return _form_page(request, _new_form(web(request), type, neph))


def _validate(
    ctx: WebContext, command_type: str, form: Any
) -> tuple[dict[str, Any], forms.FormState]:
    raw, state = forms.to_line(command_type, form)
    if state.errors:
        return raw, state
    lines, errors = parse_items([raw])
    for error in errors:
        forms.attach(state, error.message)
    if not errors:
        _, late = ctx.service.check(lines)
        for error in late:
            forms.attach(state, error.message)
    return raw, state


@router.post("/saisie", response_class=HTMLResponse)
async def command_check(request: Request, user: Writer) -> Response:
    """Validate as `permis import` does; errors beside their field, else ask for confirmation."""
    form = await request.form()
    if not csrf_ok(request, form):
        return expired(request)
    command_type = str(form.get("type", ""))
    if command_type not in forms.FIELDS:
        return error_page(request, 422, "Commande inconnue", f"type {command_type!r}")
    raw, state = await run_in_threadpool(_validate, web(request), command_type, form)
    if state.errors:
        return _form_page(request, state, 422)
    summary = [
        ("Identifiant de la commande", raw["id"]),
        ("Enregistrée le", french_date(raw["at"])),
        ("NEPH", raw["neph"]),
    ]
    for f in forms.fields_of(command_type):
        value = state.values.get(f.name, "")
        if f.kind == "checkbox":
            summary.append((f.label, "oui" if value else "non"))
        elif value:
            shown = dict(f.options).get(value, value) if f.options else value
            summary.append((f.label, french_date(shown) if f.kind == "date" else shown))
    return render(
        request,
        "confirmation.html",
        state=state,
        summary=summary,
        payload=json.dumps(raw, ensure_ascii=False),
        title=labels.COMMAND[command_type],
    )


@router.post("/saisie/confirmer", response_class=HTMLResponse)
async def command_apply(request: Request, user: Writer) -> Response:
    """Apply the confirmed command as the user; the refusal's reason when the rules refuse it."""
    form = await request.form()
    if not csrf_ok(request, form):
        return expired(request)
    try:
        raw = json.loads(str(form.get("payload", "")))
    except json.JSONDecodeError:
        return error_page(request, 422, "Commande illisible", "Recommencez la saisie.")
    command_type = str(raw.get("type", "")) if isinstance(raw, dict) else ""
    try:
        report = await run_in_threadpool(operations.record, web(request), user, [raw])
    except operations.MalformedJournal as malformed:
        if command_type not in forms.FIELDS:
            return error_page(request, 422, "Commande invalide", str(malformed))
        state = forms.FormState(command_type, {k: str(v) for k, v in _flat(raw).items()})
        for error in malformed.errors:
            forms.attach(state, error.message)
        return _form_page(request, state, 422)
    if report.refusals:
        return render(
            request,
            "resultat.html",
            409,
            refusal=report.refusals[0],
            raw=raw,
            title=labels.COMMAND.get(command_type, command_type),
        )
    neph = raw["neph"]
    return RedirectResponse(f"/permis/{neph}?enregistre={quote(raw['id'])}", status_code=303)


def _flat(raw: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in _flat(value).items()})
        elif isinstance(value, bool):
            flat[key] = "on" if value else ""
        else:
            flat[key] = value
    return flat
