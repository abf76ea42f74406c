"""The "Motif" of each event of a licence's timeline, in French, rendered when read (issue 14).

An event records its reason key (its class and rule) and its values (its own fields: dates, points,
offence, basis…); the English sentence it also carries is for the command line and the audit
export, and stays as recorded. Here each event class is worded from its values: events recorded
before this change read the same, since their values were always there. An event class this module
does not know yet shows its label and its recorded reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.web import labels, reasons
from services.web.labels import french_date as d
from services.web.labels import plural

Values = Mapping[str, Any]


def _points(n: int) -> str:
    return plural(int(n), "point", "points")


def _letter(values: Values) -> str:
    letter = values.get("letter")
    return f" ; lettre {letter} envoyée" if letter else ""


def _obligation(key: str) -> str:
    kind = key.split(":", 1)[0]
    return {"48N": "stage obligatoire (48N)", "48SI": "restitution du permis (48SI)"}.get(kind, key)


def _subject(subject: str) -> str:
    kind, _, ref = subject.partition(":")
    return {"stage": f"stage {ref}", "infraction": f"infraction {ref}"}.get(kind, subject)


def _issued(v: Values, offences: Values) -> str:
    route = labels.label(labels.ROUTE, v.get("route"))
    if v.get("probationary"):
        return f"Permis probatoire délivré le {d(v['issued_on'])} ({route})."
    return f"Permis délivré le {d(v['issued_on'])} ({route}), avec {_points(v.get('points', 12))}."


def _withdrawn(v: Values, offences: Values) -> str:
    offence = offences.get(v["infraction_id"])
    what = (
        f"« {labels.offence(offence)} » (réf. {v['infraction_id']})"
        if offence
        else v["infraction_id"]
    )
    return (
        f"Réalité de l'infraction {what} établie le {d(v['established_on'])} par "
        f"{labels.label(labels.BASIS, v.get('basis'))} : {_points(v['points'])} retiré"
        f"{'s' if int(v['points']) > 1 else ''}, solde {_points(v['balance_after'])}"
        f"{_letter(v)}."
    )


def _restored(v: Values, rule: str) -> str:
    ids = ", ".join(v.get("infraction_ids") or [])
    if rule == "R-4.1":
        why = f"six mois sans infraction après la réalité de l'infraction {ids}"
    elif rule == "R-4.3":
        why = f"dix ans après la réalité de l'infraction {ids}"
    else:
        why = f"aucune infraction depuis le {d(v.get('window_start'))}"
    return f"Points restitués ({why}) : +{_points(v['points'])}."


MOTIFS: dict[str, Callable[[Values, Values, str], str]] = {
    "LicenceIssued": lambda v, o, r: _issued(v, o),
    "LicenceReissued": lambda v, o, r: (
        f"Nouveau permis probatoire délivré le {d(v['issued_on'])} "
        f"({labels.label(labels.ROUTE, v.get('route'))}) après l'invalidation."
    ),
    "ComplementaryTrainingCompleted": lambda v, o, r: (
        f"Formation complémentaire suivie le {d(v['completed_on'])} : elle "
        f"{'abrège' if v.get('eligible') else 'n’abrège pas'} la période probatoire."
    ),
    "InfractionRecorded": lambda v, o, r: (
        f"Infraction « {labels.offence(v['offence'])} » "
        f"({'délit' if v['offence_class'] == 'D' else 'classe ' + v['offence_class']}, "
        f"{_points(v['catalogue_points'])} au barème) commise le {d(v['committed_on'])}, réf. "
        f"{v['infraction_id']} : aucun point n'est retiré tant que sa réalité n'est pas établie."
    ),
    "PointsWithdrawn": lambda v, o, r: _withdrawn(v, o),
    "LetterDelivered": lambda v, o, r: (
        f"Lettre {v['letter']} reçue ou présentée le {d(v['delivered_on'])}"
        + (f" : échéance le {d(v['due_on'])}." if v.get("due_on") else ".")
    ),
    "StageAttended": lambda v, o, r: (
        f"{labels.label(labels.STAGE_KIND, v.get('kind')).capitalize()} suivi les "
        f"{d(v['first_day'])} et {d(v['last_day'])}"
        + (f" au centre {v['centre']}" if v.get("centre") else "")
        + f" (réf. {v['stage_id']})."
    ),
    "AttestationReceived": lambda v, o, r: (
        f"Attestation du stage {v['stage_id']} reçue le {d(v['received_on'])}."
    ),
    "StageCredited": lambda v, o, r: (
        f"Stage {v['stage_id']} : +{_points(v['points'])} dans la limite du plafond{_letter(v)}."
    ),
    "StageCreditRefused": lambda v, o, r: (
        f"Stage {v['stage_id']} sans reconstitution : {reasons.french(v.get('refusal', ''))}."
    ),
    "MandatoryStageFulfilled": lambda v, o, r: (
        f"Le stage {v['stage_id']} remplit l'obligation de stage "
        f"({', '.join(_obligation(x) for x in v.get('obligations', []))})."
    ),
    "FlagsCleared": lambda v, o, r: (
        f"Signalement levé ({', '.join(_obligation(x) for x in v.get('flags', []))})."
    ),
    "ObligationBreached": lambda v, o, r: (
        f"Obligation non respectée : {_obligation(v['obligation'])} ; signalé le "
        f"{d(v['raised_on'])}."
    ),
    "AttestationOverdue": lambda v, o, r: (
        f"Attestation du stage {v['stage_id']} non reçue dans le délai : centre signalé le "
        f"{d(v['raised_on'])}."
    ),
    "YearlyGainCredited": lambda v, o, r: (
        f"{v['anniversary']}e anniversaire de la période probatoire sans infraction : "
        f"+{_points(v['points'])}."
    ),
    "ProbationEnded": lambda v, o, r: (
        "Fin de la période probatoire"
        + (" (abrégée par la formation complémentaire)" if v.get("shortened") else "")
        + " : le plafond passe à 12"
        + (f", +{_points(v['points'])}." if v.get("points") else ".")
    ),
    "PointsRestored": lambda v, o, r: _restored(v, r),
    "RestorationRevoked": lambda v, o, r: (
        f"Reconstitution révoquée (−{_points(v['points'])}) : l'infraction {v['infraction_id']}, "
        "connue tardivement, a été commise pendant le délai."
    ),
    "LicenceReturned": lambda v, o, r: (
        f"Permis restitué le {d(v['returned_on'])} ; nouveau permis possible à partir du "
        f"{d(v['new_licence_possible_on'])}."
    ),
    "NewLicenceDateRevised": lambda v, o, r: (
        f"Date d'un nouveau permis revue : possible à partir du {d(v['new_licence_possible_on'])}."
    ),
    "InvalidationAnnulled": lambda v, o, r: (
        f"Invalidation annulée : le stage {v['stage_id']}, achevé avant la notification de la "
        "48SI, ramène le solde au-dessus de zéro."
    ),
    "InvalidationDecided": lambda v, o, r: (
        f"Invalidation : le retrait de l'infraction {v['ref']} a ramené le solde à zéro ; "
        "lettre 48SI envoyée."
    ),
    "OperatorAlerted": lambda v, o, r: (
        f"Cas à examiner par un opérateur ({_subject(str(v.get('subject', '')))})."
    ),
    "HolderUpdated": lambda v, o, r: _holder(v),
    "InfractionCancelled": lambda v, o, r: (
        f"Infraction {v['infraction_id']} annulée le {d(v['cancelled_on'])} : "
        f"{labels.label(labels.CANCELLATION_GROUND, v.get('ground'))}"
        + (f" (réf. {v['reference']})" if v.get("reference") else "")
        + " ; ses points sont rendus."
    ),
    "RestorationReinstated": lambda v, o, r: (
        f"Reconstitution rétablie (+{_points(v['points'])}) : l'infraction "
        f"{v['infraction_id']} qui l'avait révoquée est annulée."
    ),
    "ObligationDropped": lambda v, o, r: (
        f"Obligation abandonnée ({_obligation(str(v['obligation']))}) : l'infraction "
        f"{v['infraction_id']} qui l'avait ouverte est annulée."
    ),
    "ProbationEndRevoked": lambda v, o, r: (
        f"Fin de la période probatoire redécidée sans l'infraction annulée {v['infraction_id']}."
    ),
    "InvalidationAnnulledOnCancellation": lambda v, o, r: (
        f"Invalidation annulée : sans l'infraction annulée {v['infraction_id']}, le solde "
        "n'était pas nul."
    ),
    "SuspensionRecorded": lambda v, o, r: (
        f"Suspension {labels.label(labels.SUSPENSION_KIND, v.get('kind'))} du droit de conduire "
        f"du {d(v['first_day'])} au {d(v['last_day'])}"
        + (f" (réf. {v['reference']})" if v.get("reference") else "")
        + " ; aucun effet sur les points."
    ),
    "SuspensionLifted": lambda v, o, r: (
        f"Suspension levée le {d(v['lifted_on'])} : le droit de conduire est rendu."
    ),
}


def _holder(v: Values) -> str:
    address = (v.get("holder") or {}).get("address")
    if not address:
        return "Coordonnées du titulaire modifiées."
    return (
        f"Nouvelle adresse du titulaire : {address.get('line1', '')}, "
        f"{address.get('postcode', '')} {address.get('city', '')}."
    )


def motif(item: Mapping[str, Any], offences: Mapping[str, str] | None = None) -> str:
    """The Motif of an audit trail item (`Licensing.audit_trail`), in French; `offences` gives
    each infraction id its offence key (the withdrawals name their infraction by id only)."""
    worded = MOTIFS.get(str(item["event"]))
    if worded is None:
        return str(item.get("reason", ""))
    try:
        return worded(item.get("details", {}), offences or {}, str(item.get("rule", "")))
    except (KeyError, TypeError, ValueError):  # a value missing from an old event: say what it is
        return labels.EVENT.get(str(item["event"]), str(item["event"])) + "."
