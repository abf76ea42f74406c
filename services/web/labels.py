"""French wording of the back-office: the code's English terms as an operator reads them."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from domain.law import current_law

FRENCH = Locale("fr", "FR")

STATUS = {
    "valid": "valide",
    "invalidation_pending": "invalidation en attente de notification",
    "invalidated": "invalidé",
    "suspended": "suspendu",
}

ROUTE = {
    "traditional": "formation traditionnelle",
    "aac": "apprentissage anticipé de la conduite (AAC)",
    "supervised": "conduite supervisée",
}

BASIS = {
    "fine_paid": "paiement de l'amende forfaitaire",
    "increased_fine_title": "émission du titre exécutoire de l'amende forfaitaire majorée",
    "composition_penale": "exécution de la composition pénale",
    "final_conviction": "condamnation définitive",
}

STAGE_KIND = {
    "voluntary": "stage volontaire",
    "mandatory": "stage obligatoire (48N)",
    "composition_penale": "stage en composition pénale",
    "complementary_penalty": "stage en peine complémentaire",
}

OBLIGATION_KIND = {
    "mandatory_stage": "stage obligatoire",
    "licence_return": "restitution du permis",
}

OBLIGATION_STATUS = {"open": "en cours", "fulfilled": "remplie", "breached": "non respectée"}

FLAG_KIND = {
    "non_compliance": "stage obligatoire non effectué",
    "licence_not_returned": "permis non restitué",
    "attestation_overdue": "attestation de stage en retard",
}

LETTER_TITLE = {
    "48": "Lettre 48 — information d'un retrait de points",
    "48M": "Lettre 48M — solde de points faible",
    "48N": "Lettre 48N — stage obligatoire en période probatoire",
    "48SI": "Lettre 48SI — invalidation du permis de conduire",
    "47": "Lettre 47 — reconstitution de points après stage",
}

LETTER_CHANNEL = {
    "48": "lettre simple",
    "48M": "lettre recommandée avec accusé de réception",
    "48N": "lettre recommandée avec accusé de réception",
    "48SI": "lettre recommandée avec accusé de réception",
    "47": "lettre simple",
}

EVENT = {
    "LicenceIssued": "Permis délivré",
    "LicenceReissued": "Nouveau permis après invalidation",
    "ComplementaryTrainingCompleted": "Formation complémentaire suivie",
    "InfractionRecorded": "Infraction signalée",
    "PointsWithdrawn": "Retrait de points",
    "LetterDelivered": "Lettre notifiée",
    "StageAttended": "Stage suivi",
    "AttestationReceived": "Attestation de stage reçue",
    "StageCredited": "Points reconstitués après stage",
    "StageCreditRefused": "Stage sans reconstitution",
    "MandatoryStageFulfilled": "Obligation de stage remplie",
    "FlagsCleared": "Signalement levé",
    "ObligationBreached": "Obligation non respectée",
    "AttestationOverdue": "Attestation en retard",
    "YearlyGainCredited": "Gain annuel de la période probatoire",
    "ProbationEnded": "Fin de la période probatoire",
    "PointsRestored": "Reconstitution automatique",
    "RestorationRevoked": "Reconstitution révoquée",
    "LicenceReturned": "Permis restitué",
    "NewLicenceDateRevised": "Date d'un nouveau permis revue",
    "InvalidationAnnulled": "Invalidation annulée",
    "InvalidationDecided": "Invalidation (solde nul connu après une annulation)",
    "OperatorAlerted": "Alerte pour un opérateur",
    "HolderUpdated": "Changement d'adresse du titulaire",
    "InfractionCancelled": "Infraction annulée (restitution des points)",
    "RestorationReinstated": "Reconstitution rétablie après une annulation",
    "ObligationDropped": "Obligation de stage abandonnée après une annulation",
    "ProbationEndRevoked": "Fin de période probatoire redécidée après une annulation",
    "InvalidationAnnulledOnCancellation": "Invalidation annulée avec l'infraction",
    "SuspensionRecorded": "Suspension du droit de conduire",
    "SuspensionLifted": "Suspension levée",
}

# The grounds of a cancellation and the kinds of suspension.
CANCELLATION_GROUND = {
    "acquittal": "relaxe ou acquittement",
    "administrative_annulment": "retrait annulé (recours ou tribunal administratif)",
    "designation": "désignation d'un autre conducteur",
    "recording_error": "erreur d'enregistrement",
}
SUSPENSION_KIND = {
    "administrative": "suspension administrative",
    "judicial": "suspension judiciaire",
}

COMMAND = {
    "licence.issue": "Délivrance d'un permis",
    "training.complementary": "Formation complémentaire",
    "infraction.record": "Signalement d'une infraction",
    "infraction.establish": "Réalité d'une infraction établie",
    "letter.delivered": "Accusé de réception d'une lettre",
    "stage.complete": "Stage suivi",
    "attestation.receive": "Réception d'une attestation de stage",
    "licence.return": "Restitution du permis",
    "holder.update": "Changement d'adresse du titulaire",
    "infraction.cancel": "Annuler une infraction",
    "suspension.record": "Suspension du droit de conduire",
    "suspension.lift": "Lever une suspension",
}


OFFENCE = {
    "speeding_lt5_over50": "excès de vitesse < 5 km/h, limite > 50 km/h",
    "speeding_lt5_upto50": "excès de vitesse < 5 km/h, limite ≤ 50 km/h",
    "speeding_5_20_over50": "excès de vitesse de 5 à 20 km/h, limite > 50 km/h",
    "speeding_5_20_upto50": "excès de vitesse de 5 à 20 km/h, limite ≤ 50 km/h",
    "speeding_20_30": "excès de vitesse de 20 à 30 km/h",
    "speeding_30_40": "excès de vitesse de 30 à 40 km/h",
    "speeding_40_50": "excès de vitesse de 40 à 50 km/h",
    "speeding_50_plus": "excès de vitesse de 50 km/h ou plus",
    "speeding_50_plus_repeat": "récidive d'excès de vitesse de 50 km/h ou plus",
    "radar_detector": "détecteur de radar",
    "alcohol_contravention": "alcoolémie contraventionnelle",
    "alcohol_delit": "conduite en état alcoolique (délit)",
    "alcohol_test_refusal": "refus de se soumettre au dépistage de l'alcoolémie",
    "drugs": "conduite après usage de stupéfiants",
    "drugs_and_alcohol": "conduite après usage de stupéfiants et d'alcool",
    "red_light": "franchissement d'un feu rouge",
    "stop_sign": "non-respect d'un stop",
    "give_way": "non-respect d'un cédez-le-passage",
    "priority": "refus de priorité",
    "pedestrian_priority": "refus de priorité à un piéton",
    "wrong_way": "circulation en sens interdit",
    "motorway_u_turn": "demi-tour ou marche arrière sur autoroute",
    "no_lights_night": "absence d'éclairage de nuit",
    "phone_handheld": "usage d'un téléphone tenu en main",
    "screen_in_view": "écran dans le champ de vision du conducteur",
    "seat_belt": "ceinture de sécurité non bouclée",
    "helmet": "casque non porté",
    "gloves": "gants non portés",
    "continuous_line_crossing": "franchissement d'une ligne continue",
    "continuous_line_straddling": "chevauchement d'une ligne continue",
    "safety_distance": "distance de sécurité non respectée",
    "dangerous_overtaking": "dépassement dangereux",
    "accelerating_when_overtaken": "accélération lors d'un dépassement",
    "driving_left": "circulation à gauche",
    "hard_shoulder": "circulation sur la bande d'arrêt d'urgence",
    "hard_shoulder_line": "chevauchement de la bande d'arrêt d'urgence",
    "no_indicator": "changement de direction sans clignotant",
    "dangerous_parking": "stationnement dangereux",
    "tinted_windows": "vitres surteintées",
    "driving_while_suspended": "conduite malgré une suspension",
    "hit_and_run": "délit de fuite",
    "refusal_to_stop": "refus d'obtempérer",
    "road_homicide_injury": "homicide ou blessures involontaires",
    "mandatory_stage_missed": "stage obligatoire non effectué",
}


def offence(key: str) -> str:
    """The offence in French, else the catalogue's label, else its key."""
    if key in OFFENCE:
        return OFFENCE[key]
    known = current_law().offences.get(key)
    return known.label if known else key


def french_date(value: date | str | None) -> str:
    """JJ/MM/AAAA, or a dash (also for a value a template row lacks: Jinja's `Undefined`)."""
    if not value:
        return "—"
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return format_date(day, "dd/MM/yyyy", locale=FRENCH)


def long_date(value: date | str | None) -> str:
    """ "1er mars 2026", "12 avril 2026" (Babel's French months; the ordinal of the first day is
    French typography, which Babel's patterns do not have)."""
    if not value:
        return "—"
    day = value if isinstance(value, date) else date.fromisoformat(value)
    text = format_date(day, "d MMMM y", locale=FRENCH)
    return "1er" + text[1:] if day.day == 1 else text


def number(value: int | float) -> str:
    """A number as French writes it (12 345, 2,5)."""
    return format_decimal(value, locale=FRENCH)


def plural(count: int, one: str, other: str) -> str:
    """ "0 point", "1 point", "4 points": French plural rules from Babel (0 and 1 are singular)."""
    word = one if FRENCH.plural_form(count) == "one" else other
    return f"{number(count)} {word}"


def label(table: dict[str, str], key: str | None) -> str:
    if key is None:
        return "—"
    return table.get(key, key)


ROLE = {
    "operator": "opérateur",
    "auditor": "auditeur (lecture seule)",
    "admin": "administrateur",
}

USER_CHANGE = {
    "created": "compte créé",
    "disabled": "compte désactivé",
    "enabled": "compte réactivé",
    "password_reset": "mot de passe réinitialisé",
}

DESK_ACTION = {
    "handled": "Traitement d'une alerte",
    "code_shown": "Consultation du code confidentiel",
}

QUEUE_TITLE = {
    "licence_not_returned": "48SI : permis non restitué",
    "non_compliance": "48N : stage obligatoire non effectué",
    "attestation_overdue": "Attestation de stage en retard",
    "awaiting_48si": "48SI en attente de notification",
    "awaiting_48n": "48N en attente d'accusé de réception",
}
