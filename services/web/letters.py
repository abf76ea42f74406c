"""The letters (48, 48M, 48N, 48SI, 47) as printable documents: what letters.md says each must carry.

Each letter is rebuilt from the licence's history: the facts as known on the day it was sent (the
balance, the forecast of R-4), and what became known later that the letter promises to state (the
due date of the mandatory stage once the 48N is received, the return date once the 48SI is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain import events as ev
from domain.glossary import LetterType
from domain.holder import holder_on
from domain.law import Law
from domain.licence import Licence, pending_effects
from domain.policy import Policy
from domain.state import Infraction, LicenceState, letter_47_sent_on
from services.web import labels

ISSUER = "Préfecture — service du permis à points (instruction des droits à conduire)"
CODE_LETTERS = frozenset({LetterType.L48M, LetterType.L48N, LetterType.L48SI})


class UnknownLetter(LookupError):
    """No letter at this place in the licence's list."""


@dataclass(frozen=True)
class Withdrawal:
    """The facts of one withdrawal as a letter states them (letters.md, 48)."""

    infraction_id: str
    offence: str
    offence_class: str
    committed_on: date
    occasion: str | None
    established_on: date | None
    basis: str
    decided_on: date | None
    points: int


@dataclass(frozen=True)
class Forecast:
    due_on: date
    rule: str
    text: str


@dataclass
class LetterDoc:
    index: int
    type: str
    title: str
    channel: str
    ref: str
    sent_on: date
    delivered_on: date | None
    neph: str
    holder: dict[str, Any]
    position: int  # the event's place in the audit trail: the letter's reference
    command_id: str | None
    rule: str
    balance: int
    ceiling: int
    withdrawal: Withdrawal | None = None
    recap: list[Withdrawal] = field(default_factory=list)
    forecast: list[Forecast] = field(default_factory=list)
    due_on: date | None = None  # 48N: the stage's deadline; 48SI: the return's
    stage: dict[str, Any] | None = None
    law: dict[str, int] = field(default_factory=dict)

    @property
    def carries_code(self) -> bool:
        """48M, 48N and 48SI carry the consultation code; 48 and 47 never do (R-3.4)."""
        return self.type in CODE_LETTERS

    @property
    def reference(self) -> str:
        return f"{self.neph}/{self.position}"


def holder_of(licence: Licence, on: date | None = None) -> dict[str, Any]:
    """The holder (names, birth date, postal address) as known on `on` (default: now)."""
    return holder_on(licence.history, on)


def _withdrawal(infraction: Infraction) -> Withdrawal:
    return Withdrawal(
        infraction_id=infraction.infraction_id,
        offence=labels.offence(infraction.offence),
        offence_class=infraction.offence_class,
        committed_on=infraction.committed_on,
        occasion=infraction.occasion,
        established_on=infraction.established_on,
        basis=labels.label(labels.BASIS, infraction.basis),
        decided_on=infraction.decided_on,
        points=infraction.points or 0,
    )


def _event_of(
    licence: Licence, letter_type: str, ref: str, sent_on: date
) -> tuple[int, ev.LicenceEvent]:
    for position, event in enumerate(licence.history):
        if (
            (
                isinstance(event, ev.PointsWithdrawn)
                and event.letter == letter_type
                and event.infraction_id == ref
                and event.effective_on == sent_on
            )
            or (
                isinstance(event, ev.InvalidationDecided)  # a new invalidation known late
                and event.letter == letter_type
                and event.ref == ref
                and max(event.effective_on, event.recorded_on) == sent_on
            )
            or (
                isinstance(event, ev.StageCredited)
                and letter_type == LetterType.L47
                and event.stage_id == ref
                and letter_47_sent_on(event) == sent_on
            )
        ):
            return position, event
    raise UnknownLetter(f"no event sent letter {letter_type} {ref} on {sent_on}")


_FORECAST = {
    "single": ("R-4.1", "1 point restitué six mois après la date de valeur"),
    "full": ("R-4.2", "solde reconstitué à {capital} points"),
    "ten": ("R-4.3", "les points de cette infraction restitués dix ans après la date de valeur"),
}


def _forecast(state: LicenceState, policy: Policy, ref: str, law: Law) -> list[Forecast]:
    """When points come back if nothing new happens (R-4), from the state the letter was sent on."""
    found = []
    for effect in pending_effects(state, policy):
        kind, _, about = effect.key.partition(":")
        if kind not in _FORECAST or (about and about != ref):
            continue
        rule, text = _FORECAST[kind]
        capital = law.value("capital_max", effect.due_on)
        found.append(Forecast(effect.due_on, rule, text.format(capital=capital)))
    return found


def letter(licence: Licence, law: Law, policy: Policy, on: date, index: int) -> LetterDoc:
    """The `index`-th letter of the licence's view on `on` (oldest first): the letter as it was
    sent, and what became known since (its notification, the deadline it started)."""
    now = licence.state(law, on)
    if not 0 <= index < len(now.letters):
        raise UnknownLetter(f"no letter {index} for NEPH {licence.neph}")
    sent = now.letters[index]
    doc = letter_as_sent(licence, law, policy, sent.type, sent.ref, sent.sent_on)
    doc.index = index
    doc.delivered_on = sent.delivered_on
    key = {"48N": "48N", "48SI": "48SI"}.get(sent.type)
    obligation = now.obligations.get(f"{key}:{sent.ref}") if key else None
    doc.due_on = obligation.due_on if obligation else None
    return doc


def letter_as_sent(
    licence: Licence, law: Law, policy: Policy, letter_type: str, ref: str, sent_on: date
) -> LetterDoc:
    """The letter `letter_type` about `ref` sent on `sent_on`, as the service printed it that day:
    the facts, the holder's address and the balance as of the letter's date as known that day, so
    that two letters of one day state one balance (issue 14) and printing it again later gives
    the same letter."""
    position, event = _event_of(licence, letter_type, ref, sent_on)
    then = licence.state(law, sent_on, known_at=sent_on)
    doc = LetterDoc(
        index=-1,
        type=letter_type,
        title=labels.LETTER_TITLE.get(letter_type, letter_type),
        channel=labels.LETTER_CHANNEL.get(letter_type, ""),
        ref=ref,
        sent_on=sent_on,
        delivered_on=None,
        neph=licence.neph,
        holder=holder_of(licence, sent_on),
        position=position,
        command_id=event.command_id,
        rule=event.rule,
        balance=then.balance,
        ceiling=then.ceiling,
        law={
            "capital_max": law.value("capital_max", sent_on),
            "stage_max_points": law.value("stage_max_points", sent_on),
            "stage_interval_years": law.value("stage_interval_years", sent_on),
            "mandatory_stage_months": law.value("mandatory_stage_months", sent_on),
            "fine_max_eur": law.value("non_compliance_fine_max_eur", sent_on),
            "suspension_max_years": law.value("non_compliance_suspension_max_years", sent_on),
            "return_jours_francs": law.value("licence_return_jours_francs", sent_on),
            "new_licence_months": law.value("new_licence_delay_months", sent_on),
            "new_licence_months_repeat": law.value("new_licence_delay_months_repeat", sent_on),
            "repeat_window_years": law.value("repeat_invalidation_window_years", sent_on),
        },
    )
    if isinstance(event, ev.PointsWithdrawn):
        doc.withdrawal = _withdrawal(then.infractions[event.infraction_id])
        if letter_type == LetterType.L48SI:
            doc.recap = [_withdrawal(i) for i in then.withdrawals()]
        else:
            doc.forecast = _forecast(then, policy, ref, law)
    elif isinstance(event, ev.InvalidationDecided):
        doc.withdrawal = _withdrawal(then.infractions[event.ref])
        doc.recap = [_withdrawal(i) for i in then.withdrawals()]
    elif isinstance(event, ev.StageCredited):
        stage = then.stages.get(ref)
        doc.stage = {
            "stage_id": ref,
            "kind": labels.label(labels.STAGE_KIND, stage.kind if stage else None),
            "first_day": stage.first_day if stage else None,
            "last_day": stage.last_day if stage else None,
            "centre": stage.centre if stage else None,
            "points": event.points,
            "effective_on": event.effective_on,
        }
    return doc
