"""What a holder (and an operator on their behalf) asks of the future: the forecast, the stage
advisor and "what if", as JSON-ready dicts with their French wording (R-1, R-4, R-5, R-6).

The domain decides (`domain.forecast`, `domain.stage_advice`, `domain.what_if`, all on scratch
copies of the licence); this module loads the licence on the store's clock and words the answers:
a condition is a key and its values, rendered in French here, when read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from domain import forecast as fc
from domain.calendar import add_years
from domain.errors import LawNotInForce, UnknownOffence
from domain.forecast import Condition, Forecasted
from domain.glossary import LetterType
from domain.stage_advice import Advice, StageDatesRefused, stage_advice
from domain.view import licence_view
from domain.what_if import Hypothesis, Outcome, what_if
from services.licensing import Licensing, UsageError
from services.web.labels import LETTER_TITLE, french_date, plural

# What each forecast effect is, in French: by (event, rule).
EFFECT = {
    ("PointsRestored", "R-4.1"): "Restitution d'un point, six mois après un retrait d'un point",
    ("PointsRestored", "R-4.2"): "Reconstitution intégrale du capital",
    ("PointsRestored", "R-4.3"): "Restitution des points d'une infraction, dix ans après",
    ("YearlyGainCredited", "R-1.4"): "Gain annuel de la période probatoire",
    ("ProbationEnded", "R-1.5"): "Fin de la période probatoire",
    ("ProbationEnded", "R-1.6"): "Fin de la période probatoire, abrégée par la formation",
    ("ObligationBreached", "R-6.1"): "Stage obligatoire non effectué : manquement constaté",
    ("ObligationBreached", "R-6.2"): "Permis non restitué : manquement constaté",
    ("AttestationOverdue", "R-6.3"): "Attestation de stage en retard : signalement",
}


def _d(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    return french_date(value) if isinstance(value, date) else "—"


def condition_text(condition: Condition) -> str:
    """The French wording of what would break (or prevent) a forecast effect."""
    v, key = condition.values, condition.key
    if key == fc.INFRACTION_IN_WINDOW:
        return f"une infraction commise avant le {_d(v, 'before')} avec retrait de points"
    if key == fc.WITHDRAWAL_IN_PROBATION:
        return (
            f"un retrait de points décidé avant le {_d(v, 'before')} pour une infraction "
            f"commise depuis le {_d(v, 'from')}"
        )
    if key == fc.SHORTENING_LOST:
        return (
            f"une infraction commise avant le {_d(v, 'before')} avec retrait de points : "
            "la période probatoire reprendrait sa durée normale"
        )
    if key == fc.INVALIDATION:
        return f"seule une invalidation du permis (solde nul) avant le {_d(v, 'before')}"
    if key == fc.STAGE_BY:
        until = (
            f"au plus tard le {_d(v, 'to')}"
            if v.get("to")
            else "dans les 4 mois de la notification de la lettre 48N"
        )
        return (
            f"évité par un stage commencé au plus tôt le {_d(v, 'from')} et terminé {until}, "
            "dont l'attestation parvient à temps"
        )
    if key == fc.RETURN_BY:
        return f"évité par la restitution du permis au plus tard le {_d(v, 'by')}"
    if key == fc.ATTESTATION_BY:
        return f"évité si l'attestation du stage {v.get('stage_id')} parvient au plus tard le {_d(v, 'by')}"
    return "rien : elle ne dépend que du temps"


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def effect_json(item: Forecasted) -> dict[str, Any]:
    """One forecast effect: the tick's own event, rule and points, and what would break it."""
    return {
        "due_on": item.due_on.isoformat(),
        "event": item.event,
        "label": EFFECT.get((item.event, item.rule), item.event),
        "rule": item.rule,
        "article": item.article,
        "points": item.points,
        "balance_after": item.balance_after,
        "ceiling_after": item.ceiling_after,
        "subject": item.subject,
        "reason": item.reason,
        "breaks": [
            {
                "key": c.key,
                "values": {k: _iso(x) for k, x in c.values.items()},
                "text": condition_text(c),
            }
            for c in item.breaks
        ],
    }


def today_of(service: Licensing, neph: str) -> date:
    """The day the future starts from: the store's clock (effects due by then are applied)."""
    return service.clock() or service.licence(neph).last_recorded_on


def forecast(service: Licensing, neph: str) -> dict[str, Any]:
    """The licence's forecast from the clock: every effect the tick will record if nothing else
    happens, computed by the tick's own code on a copy (`domain.forecast`)."""
    licence = service.licence(neph)
    today = today_of(service, neph)
    state = licence.state(service.law, today)
    items = fc.forecast(licence, service.law, service.policy)
    return {
        "neph": neph,
        "as_of": today.isoformat(),
        "balance": state.balance,
        "ceiling": state.ceiling,
        "status": str(state.status),
        "effects": [effect_json(item) for item in items],
    }


HORIZON_YEARS = 10
"""How far ahead a stage or a hypothetical infraction may be asked about (past it, every
restoration of today's withdrawals has fallen due)."""


def _within_horizon(day: date | None, today: date, what: str) -> None:
    if day is not None and day > add_years(today, HORIZON_YEARS):
        raise UsageError(f"{what} {day}: at most {HORIZON_YEARS} years after {today}")


def advice(service: Licensing, neph: str, last_day: date | None = None) -> dict[str, Any]:
    """The stage advisor (R-5.3 to R-5.6, R-10.14) for a stage ending on `last_day`."""
    licence = service.licence(neph)
    today = today_of(service, neph)
    _within_horizon(last_day, today, "last day")
    try:
        found = stage_advice(licence, service.law, service.policy, today, last_day)
    except (StageDatesRefused, LawNotInForce) as refused:
        raise UsageError(str(refused)) from None
    return advice_json(found)


def advice_json(a: Advice) -> dict[str, Any]:
    notes = list(_advice_notes(a))
    return {
        "as_of": a.today.isoformat(),
        "earliest_first_day": a.earliest_first_day.isoformat(),
        "blocking_stage": a.blocking_stage.stage_id if a.blocking_stage else None,
        "awaiting_attestation": [s.stage_id for s in a.awaiting],
        "first_day": a.first_day.isoformat(),
        "last_day": a.last_day.isoformat(),
        "credit_on": a.credit_on.isoformat(),
        "credited": a.credited,
        "points": a.points,
        "refusal": {"rule": a.refusal[0], "reason": a.refusal[1]} if a.refusal else None,
        "balance_before": a.balance_before,
        "balance_after": a.balance_after,
        "ceiling": a.ceiling,
        "mandatory_stage_deadlines": [
            {
                "obligation": d.obligation,
                "from": d.from_day.isoformat(),
                "due_on": _iso(d.due_on),
                "fulfilled": d.fulfilled,
            }
            for d in a.deadlines
        ],
        "invalidation": None
        if a.invalidation is None
        else {
            "decided_on": a.invalidation.decided_on.isoformat(),
            "notified_on": _iso(a.invalidation.notified_on),
            "annulled": a.invalidation.annulled,
        },
        "summary": notes[0],
        "notes": notes[1:],
    }


def _advice_notes(a: Advice) -> Iterable[str]:
    """The advice in French: first its summary, then what changes it (R-5.4, R-5.5, R-5.6)."""
    stage = f"Un stage les {french_date(a.first_day)} et {french_date(a.last_day)}"
    if a.credited and a.points > 0:
        yield (
            f"{stage} rapporterait {plural(a.points, 'point', 'points')} le {french_date(a.credit_on)} : le solde "
            f"passerait de {a.balance_before} à {a.balance_after} (plafond {a.ceiling})."
        )
    elif a.credited:
        yield (
            f"{stage} serait pris en compte mais ne rapporterait aucun point : le solde est déjà "
            f"à son plafond ({a.ceiling}) le {french_date(a.credit_on)}, et il compterait pour "
            "le stage de l'année."
        )
    else:
        yield f"{stage} ne rapporterait aucun point : {_refusal_text(a)}."
    if a.invalidation is not None and a.invalidation.notified_on is not None:
        pass  # said below: no stage can give points any more
    elif a.blocking_stage is not None:
        yield (
            f"Un stage ne peut rapporter de points qu'une fois par an : le stage "
            f"{a.blocking_stage.stage_id}, commencé le {french_date(a.blocking_stage.first_day)}, "
            f"a été pris en compte ; le prochain doit commencer au plus tôt le "
            f"{french_date(a.earliest_first_day)}."
        )
    else:
        yield f"Un stage peut rapporter des points dès maintenant (premier jour au plus tôt le {french_date(a.earliest_first_day)})."
    for s in a.awaiting:
        yield (
            f"Le stage {s.stage_id} (commencé le {french_date(s.first_day)}) attend son "
            "attestation : s'il est pris en compte, un autre stage dans l'année qui suit ne "
            "rapporterait rien."
        )
    for d in a.deadlines:
        window = (
            f"entre le {french_date(d.from_day)} et le {french_date(d.due_on)}"
            if d.due_on
            else f"commencé au plus tôt le {french_date(d.from_day)}, dans les 4 mois de la "
            "notification de la lettre 48N"
        )
        done = "le remplirait" if d.fulfilled else "ne le remplirait pas"
        yield (
            f"Stage obligatoire (lettre 48N) : il doit être suivi {window}, même s'il ne peut "
            f"rapporter de points ; ce stage {done}."
        )
    if a.invalidation is not None:
        if a.invalidation.notified_on is not None:
            yield (
                f"La lettre 48SI a été notifiée le {french_date(a.invalidation.notified_on)} : "
                "un stage terminé depuis ne rapporte aucun point, le permis reste invalidé."
            )
        else:
            effect = "l'annulerait" if a.invalidation.annulled else "ne suffirait pas à l'annuler"
            yield (
                f"Le solde est nul depuis le {french_date(a.invalidation.decided_on)} mais la "
                "lettre 48SI n'est pas encore notifiée : un stage terminé avant sa notification "
                f"compte et annule l'invalidation si le solde redevient positif ; ce stage {effect}."
            )


def _refusal_text(a: Advice) -> str:
    """Why the engine would refuse the stage's points, in French (R-5.4, R-5.5)."""
    rule = a.refusal[0] if a.refusal else ""
    if rule == "R-5.5" and a.invalidation is not None and a.invalidation.notified_on:
        return (
            f"la lettre 48SI a été notifiée le {french_date(a.invalidation.notified_on)}, "
            "avant la fin du stage"
        )
    if rule == "R-5.4":
        return (
            "un stage a déjà été pris en compte moins d'un an avant ou après son premier jour "
            "(un stage par an)"
        )
    return a.refusal[1] if a.refusal else "aucune raison donnée"


def simulate(service: Licensing, neph: str, hypothesis: Hypothesis) -> dict[str, Any]:
    """What if this infraction were established: decided on a copy, nothing recorded (R-2, R-3.1,
    R-4.4, R-5.6, R-7.1)."""
    licence = service.licence(neph)
    today = today_of(service, neph)
    _within_horizon(hypothesis.established_on, today, "réalité established on")
    if hypothesis.offence not in service.law.offences and (
        hypothesis.offence_class is None or hypothesis.points is None
    ):
        raise UsageError(
            f"offence {hypothesis.offence!r} is not in the catalogue: give its class and points"
        )
    try:
        outcome = what_if(licence, service.law, service.policy, today, hypothesis)
    except (LawNotInForce, UnknownOffence) as error:
        raise UsageError(str(error)) from None
    return outcome_json(outcome)


def outcome_json(o: Outcome) -> dict[str, Any]:
    from services.web.motifs import motif

    offences = {
        str(d.values["infraction_id"]): str(d.values["offence"])
        for d in o.decisions
        if d.event == "InfractionRecorded"
    }
    letter = next((d.letter for d in o.decisions if d.event == "PointsWithdrawn"), None)
    withdrawn = next((d.points for d in o.decisions if d.event == "PointsWithdrawn"), None)
    return {
        "decided_on": o.decided_on.isoformat(),
        "refused": None if o.refusal is None else str(o.refusal),
        "points_withdrawn": withdrawn,
        "letter": str(letter) if letter else None,
        "letter_title": LETTER_TITLE.get(str(letter)) if letter else None,
        "before": licence_view(o.before),
        "after": licence_view(o.after),
        "decisions": [
            {
                "event": d.event,
                "effective_on": d.effective_on.isoformat(),
                "rule": d.rule,
                "reason": d.reason,
                "motif": motif(
                    {"event": d.event, "rule": d.rule, "reason": d.reason, "details": d.values},
                    offences,
                ),
            }
            for d in o.decisions
        ],
        "obligations": list(_obligations(o)),
        "forecast_before": [effect_json(i) for i in o.forecast_before],
        "forecast_after": [effect_json(i) for i in o.forecast_after],
        "broken": [effect_json(i) for i in o.broken],
        "new": [effect_json(i) for i in o.new],
    }


def _obligations(o: Outcome) -> Iterable[str]:
    """What the holder would then have to do, in French (R-5.6, R-6.2, R-7.1)."""
    for d in o.decisions:
        if d.event != "PointsWithdrawn":
            continue
        if d.letter == LetterType.L48N:
            yield (
                "Stage obligatoire à suivre dans les 4 mois de la notification de la lettre 48N "
                "(R-5.6) ; faute de quoi, contravention de 4e classe (R-6.1)."
            )
        elif d.letter == LetterType.L48SI:
            yield (
                "Invalidation du permis (solde nul) : restitution du permis dans les 10 jours "
                "francs de la notification de la lettre 48SI (R-6.2, R-7.1) ; un stage terminé "
                "avant cette notification peut encore l'annuler (R-5.5)."
            )
        elif d.letter == LetterType.L48M:
            yield "Aucune obligation ; la lettre 48M invite à suivre un stage volontaire."


__all__ = ["Hypothesis", "advice", "forecast", "simulate"]
