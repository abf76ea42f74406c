"""Recording journal commands from forms: errors beside each field, then a confirmation step."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from services.formats import is_neph
from services.licensing import UnknownLicence
from services.preview import Preview, preview
from services.web import forms, labels, letters, operations, reasons
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


def _infractions(ctx: WebContext, neph: str, command_type: str) -> tuple[tuple[str, str], ...]:
    """The licence's infractions an operator picks (issue 14: never an id typed by hand): those
    whose réalité is not established yet, to establish; those not cancelled, to cancel (R-11.4:
    only the current licence's, never one of a licence a new one replaced)."""
    if not is_neph(neph):
        return ()
    try:
        licence = ctx.service.licence(neph)
    except UnknownLicence:
        return ()
    clock = ctx.service.clock() or licence.last_recorded_on
    state = licence.state(ctx.service.law, max(clock, licence.last_recorded_on))
    to_establish = command_type == "infraction.establish"
    return tuple(
        (
            i.infraction_id,
            f"{labels.offence(i.offence)}, commise le {french_date(i.committed_on)} "
            f"(réf. {i.infraction_id})"
            + (
                ""
                if to_establish or i.points is None
                else f", {labels.plural(i.points, 'point retiré', 'points retirés')}"
            ),
        )
        for i in state.infractions.values()
        if i.generation == state.generation
        and i.cancelled_on is None
        and (i.established_on is None or not to_establish)
    )


_PICKED = {
    "infraction.establish": (
        "les infractions du permis dont la réalité n'est pas encore établie",
        "aucune infraction à établir : choisissez d'abord le NEPH ci-dessus",
    ),
    "infraction.cancel": (
        "les infractions du permis qui ne sont pas annulées (R-11.4)",
        "aucune infraction à annuler : choisissez d'abord le NEPH ci-dessus",
    ),
}


def _form_page(request: Request, state: forms.FormState, status: int = 200) -> Response:
    fields = forms.fields_of(state.type) if state.type else ()
    if state.type in _PICKED:
        choices = _infractions(web(request), state.values.get("neph", ""), state.type)
        some, none = _PICKED[state.type]
        fields = tuple(
            forms.Field(
                f.name,
                "Infraction du permis",
                "select",
                options=choices,
                help=some if choices else none,
            )
            if f.name == "infraction_id"
            else f
            for f in fields
        )
    return render(
        request,
        "saisie.html",
        status,
        state=state,
        fields=fields,
        commands=labels.COMMAND,
    )


@router.get("/saisie", response_class=HTMLResponse)
def command_form(request: Request, user: Writer, type: str = "", neph: str = "") -> Response:
    """The form of one journal command (each type of CONTRACT §1), once its type is chosen:
    no command is chosen for the operator (issue 14: no silent default)."""
    if type not in forms.FIELDS:
        return _form_page(request, forms.FormState("", {"neph": neph}))
    return _form_page(request, _new_form(web(request), type, neph))


def _validate(
    ctx: WebContext, command_type: str, form: Any
) -> tuple[dict[str, Any], forms.FormState, Preview | None]:
    """The form as a journal line, checked as `permis import` checks it, then decided by the rules
    on a copy of the licence (nothing saved): the refusal is put beside the form (issue 14)."""
    raw, state = forms.to_line(command_type, form)
    if state.errors:
        return raw, state, None
    lines, errors = parse_items([raw])
    for error in errors:
        forms.attach(state, error.message)
    if errors:
        return raw, state, None
    receipts, late = ctx.service.check(lines)
    for error in late:
        forms.attach(state, error.message)
    if late or receipts:
        return raw, state, None
    effect = preview(ctx.service, lines[0].command)
    if effect.refusal is not None:
        state.add(
            None, "Les règles refusent cette commande : " + reasons.french(str(effect.refusal))
        )
        return raw, state, None
    return raw, state, effect


@router.post("/saisie", response_class=HTMLResponse)
async def command_check(request: Request, user: Writer) -> Response:
    """Validate as `permis import` does; errors beside their field, else ask for confirmation."""
    form = await request.form()
    if not csrf_ok(request, form):
        return expired(request)
    command_type = str(form.get("type", ""))
    if command_type not in forms.FIELDS:
        return error_page(request, 422, "Commande inconnue", f"type {command_type!r}")
    ctx = web(request)
    raw, state, effect = await run_in_threadpool(_validate, ctx, command_type, form)
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
    holder = None
    if effect is not None and not effect.new_licence:
        holder = letters.holder_of(ctx.service.licence(raw["neph"]), effect.decided_on)
    elif isinstance(raw.get("holder"), dict):
        holder = raw["holder"]
    return render(
        request,
        "confirmation.html",
        state=state,
        summary=summary,
        effect=effect,
        holder=holder,
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
