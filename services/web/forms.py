"""The forms that record journal commands: one per type, its fields in French, errors by field.

A form only gathers the fields of a journal line; `services.journal.parse_object` validates it, as
it does a line of `permis import`, and each error is shown beside its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.law import current_law
from services.journal import COMMAND_TYPES
from services.web import labels
from services.web import reasons as reasons_fr
from services.web.errors import reasons


@dataclass(frozen=True)
class Field:
    name: str  # the journal key; "holder.surname" for a nested one
    label: str
    kind: str = "text"  # text, date, select, checkbox, number
    required: bool = True
    options: tuple[tuple[str, str], ...] = ()
    help: str = ""


def _choices(table: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(table.items())


def _offences() -> tuple[tuple[str, str], ...]:
    catalogue = current_law().offences.values()
    return tuple(
        (o.key, f"{labels.offence(o.key)} ({o.offence_class})")
        for o in sorted(catalogue, key=lambda o: labels.offence(o.key))
    )


_LETTERS = tuple((t, labels.LETTER_TITLE[t]) for t in ("48", "48M", "48N", "48SI", "47"))

FIELDS: dict[str, tuple[Field, ...]] = {
    "licence.issue": (
        Field("issued_on", "Date de délivrance", "date"),
        Field("route", "Formation", "select", options=_choices(labels.ROUTE)),
        Field("probationary", "Permis probatoire", "checkbox", required=False),
        Field(
            "points",
            "Points repris d'un ancien système",
            "number",
            required=False,
            help="seulement pour un permis non probatoire repris (0 à 12)",
        ),
        Field("holder.surname", "Nom", required=False),
        Field("holder.given_names", "Prénoms", required=False),
        Field("holder.birth_date", "Date de naissance", "date", required=False),
        Field("holder.address.line1", "Adresse (numéro et voie)", required=False),
        Field("holder.address.line2", "Complément d'adresse", required=False),
        Field("holder.address.postcode", "Code postal", required=False),
        Field("holder.address.city", "Commune", required=False),
    ),
    "training.complementary": (Field("completed_on", "Formation suivie le", "date"),),
    "infraction.record": (
        Field("infraction_id", "Identifiant de l'infraction"),
        Field("offence", "Infraction", "select", options=()),  # the catalogue, filled at render
        Field("committed_on", "Commise le", "date"),
        Field(
            "occasion",
            "Occasion (infractions simultanées)",
            required=False,
            help="même valeur pour les infractions commises en même temps (R-2.4)",
        ),
        Field(
            "class",
            "Classe (hors catalogue)",
            "select",
            required=False,
            options=tuple((c, c) for c in ("C1", "C2", "C3", "C4", "C5", "D")),
        ),
        Field("points", "Points (hors catalogue)", "number", required=False),
    ),
    "infraction.establish": (
        Field("infraction_id", "Identifiant de l'infraction"),
        Field("established_on", "Réalité établie le (date de valeur)", "date"),
        Field("basis", "Établie par", "select", options=_choices(labels.BASIS)),
    ),
    "letter.delivered": (
        Field("letter", "Lettre", "select", options=_LETTERS),
        Field("delivered_on", "Reçue (ou présentée) le", "date"),
    ),
    "stage.complete": (
        Field("stage_id", "Identifiant du stage"),
        Field("kind", "Nature", "select", options=_choices(labels.STAGE_KIND)),
        Field("first_day", "Premier jour", "date"),
        Field("last_day", "Second jour", "date", help="le lendemain du premier jour (R-5.2)"),
        Field("centre", "Centre de stage", required=False),
    ),
    "attestation.receive": (
        Field("stage_id", "Identifiant du stage"),
        Field("received_on", "Attestation reçue le", "date"),
    ),
    "licence.return": (Field("returned_on", "Permis restitué le", "date"),),
    "holder.update": (
        Field("address.line1", "Adresse (numéro et voie)"),
        Field("address.line2", "Complément d'adresse", required=False),
        Field("address.postcode", "Code postal", help="5 chiffres"),
        Field("address.city", "Commune"),
    ),
    "infraction.cancel": (
        Field("infraction_id", "Infraction du permis"),  # the licence's own list, at render
        Field("cancelled_on", "Décision ou jugement du", "date"),
        Field(
            "ground",
            "Motif de l'annulation",
            "select",
            options=_choices(labels.CANCELLATION_GROUND),
        ),
        Field(
            "reference",
            "Référence de la décision",
            required=False,
            help="numéro du jugement ou de la décision",
        ),
    ),
    "suspension.record": (
        Field("kind", "Nature", "select", options=_choices(labels.SUSPENSION_KIND)),
        Field("first_day", "Premier jour", "date"),
        Field("last_day", "Dernier jour (inclus)", "date"),
        Field("reference", "Référence de la décision", required=False),
    ),
    "suspension.lift": (
        Field("lifted_on", "Levée le", "date", help="la suspension prend fin la veille (R-12.2)"),
        Field(
            "kind",
            "Nature des suspensions levées",
            "select",
            required=False,
            options=_choices(labels.SUSPENSION_KIND),
            help="laisser vide pour lever toutes les suspensions en cours",
        ),
    ),
}
assert set(FIELDS) == set(COMMAND_TYPES)


def fields_of(command_type: str) -> tuple[Field, ...]:
    fields = FIELDS[command_type]
    return tuple(
        Field(f.name, f.label, f.kind, f.required, _offences(), f.help)
        if f.name == "offence"
        else f
        for f in fields
    )


@dataclass
class FormState:
    """What the operator typed, and the errors by field ("" for the form as a whole)."""

    type: str
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, field_name: str | None, reason: str) -> None:
        self.errors.setdefault(field_name or "", []).append(reason)


def to_line(command_type: str, form: Mapping[str, str]) -> tuple[dict[str, Any], FormState]:
    """The journal object the form describes, and the form as typed (to show it again)."""
    values = {k: str(form.get(k, "")).strip() for k in ("id", "at", "neph")}
    raw: dict[str, Any] = {
        "id": values["id"],
        "at": values["at"],
        "type": command_type,
        "neph": values["neph"],
    }
    state = FormState(command_type, values)
    for f in fields_of(command_type):
        text = str(form.get(f.name, "")).strip()
        values[f.name] = text
        if f.kind == "checkbox":
            _put(raw, f.name, text in ("on", "true", "1"))
            continue
        if not text:
            continue  # absent: the journal's validation says whether it was required
        if f.kind == "number":
            try:
                _put(raw, f.name, int(text))
            except ValueError:
                state.add(f.name, "un nombre entier est attendu")
            continue
        _put(raw, f.name, text)
    return raw, state


def _put(raw: dict[str, Any], name: str, value: Any) -> None:
    head, _, rest = name.partition(".")
    if rest:
        _put(raw.setdefault(head, {}), rest, value)
    else:
        raw[head] = value


_FRENCH = (
    (re.compile(r"^field required$", re.I), "champ obligatoire"),
    (re.compile(r"^String should have at least 1 character$"), "champ obligatoire"),
    (re.compile(r"^String should match pattern '\^\[0-9\]\{12\}\$'$"), "12 chiffres attendus"),
    (re.compile(r"^Input should be '.*"), "choisissez une valeur de la liste"),
    (re.compile(r"^expected a date YYYY-MM-DD, got .*"), "date attendue (AAAA-MM-JJ)"),
    (re.compile(r"^(\S+) is not a calendar date$"), r"\1 n'est pas une date du calendrier"),
    (
        re.compile(r"^(\S+) is earlier than the store's clock \((\S+)\)$"),
        r"\1 est antérieure à l'horloge du service (\2)",
    ),
)


def french(reason: str) -> str:
    """The journal's common messages in French; a rule's own wording stays as the CLI prints it."""
    for pattern, replacement in _FRENCH:
        if pattern.match(reason):
            return pattern.sub(replacement, reason)
    return reasons_fr.french(reason)


def attach(state: FormState, message: str) -> None:
    """A journal error message, each reason (in French where known) put beside its field."""
    names = {f.name for f in fields_of(state.type)} | {"id", "at", "neph", "type"}
    for where, english in reasons(message):
        reason = french(english)
        if where in names:
            state.add(where, reason)
        elif where is not None and where.split(".")[0] in names:
            state.add(where.split(".")[0], reason)
        else:
            state.add(None, f"{where}: {reason}" if where else reason)
