"""The rules' refusals and the journal's errors in French, when an operator reads them (issue 14).

The domain words a refusal in English for the command line and the journal's receipts (which keep
their text: a refusal is reported again with its first reason, CONTRACT §3); the pages show it in
French. Each known wording is a pattern and its French form; dates become JJ/MM/AAAA, internal keys
(offence, basis, letter) their French labels. An unknown wording is shown as it is, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from services.web import labels

_DATE = r"(\d{4}-\d{2}-\d{2})"


def _d(match: re.Match[str], group: int) -> str:
    return labels.french_date(match.group(group))


Rewrite = Callable[[re.Match[str]], str]

# (pattern of the English wording, its French form), the most specific first.
_REFUSALS: tuple[tuple[str, Rewrite], ...] = (
    (
        r"no licence is recorded for NEPH (\d+)(?: on " + _DATE + r")?",
        lambda m: (
            f"aucun permis n'est enregistré pour le NEPH {m.group(1)}"
            + (f" au {_d(m, 2)}" if m.group(2) else "")
        ),
    ),
    (
        r"infraction (.+) is already recorded",
        lambda m: f"l'infraction {m.group(1)} est déjà enregistrée",
    ),
    (
        r"infraction (.+) is not recorded",
        lambda m: f"l'infraction {m.group(1)} n'est pas enregistrée sur ce permis",
    ),
    (
        r"infraction (.+) was already established on " + _DATE,
        lambda m: f"la réalité de l'infraction {m.group(1)} a déjà été établie le {_d(m, 2)}",
    ),
    (
        r"réalité on " + _DATE + r", before the infraction \(" + _DATE + r"\)",
        lambda m: f"réalité établie le {_d(m, 1)}, avant l'infraction ({_d(m, 2)})",
    ),
    (
        r"(infraction committed|training completed|stage last day|réalité established|"
        r"letter delivered|attestation received|licence returned|issued) on "
        + _DATE
        + r", after the day it is recorded(?: \("
        + _DATE
        + r"\))?",
        lambda m: (
            {
                "infraction committed": "infraction commise le",
                "training completed": "formation suivie le",
                "stage last day": "dernier jour du stage le",
                "réalité established": "réalité établie le",
                "letter delivered": "lettre reçue le",
                "attestation received": "attestation reçue le",
                "licence returned": "permis restitué le",
                "issued": "permis délivré le",
            }[m.group(1)]
            + f" {_d(m, 2)}, après le jour de son enregistrement"
            + (f" ({_d(m, 3)})" if m.group(3) else "")
        ),
    ),
    (
        r"stage (.+) is already recorded",
        lambda m: f"le stage {m.group(1)} est déjà enregistré",
    ),
    (
        r"stage (.+) is not recorded",
        lambda m: f"le stage {m.group(1)} n'est pas enregistré sur ce permis",
    ),
    (
        r"the attestation of stage (.+) was received on " + _DATE,
        lambda m: f"l'attestation du stage {m.group(1)} a déjà été reçue le {_d(m, 2)}",
    ),
    (
        r"attestation received on " + _DATE + r", before the stage ended \(" + _DATE + r"\)",
        lambda m: f"attestation reçue le {_d(m, 1)}, avant la fin du stage ({_d(m, 2)})",
    ),
    (
        r"delivered on " + _DATE + r", before the letter was sent \(" + _DATE + r"\)",
        lambda m: f"reçue le {_d(m, 1)}, avant l'envoi de la lettre ({_d(m, 2)})",
    ),
    (
        r"no letter (\w+) is waiting for its acknowledgement",
        lambda m: f"aucune lettre {m.group(1)} n'attend d'accusé de réception",
    ),
    (
        r"returned on " + _DATE + r", before the invalidation \(" + _DATE + r"\)",
        lambda m: f"restitution le {_d(m, 1)}, avant l'invalidation ({_d(m, 2)})",
    ),
    (
        r"the licence was returned on " + _DATE,
        lambda m: f"le permis a déjà été restitué le {_d(m, 1)}",
    ),
    (
        r"the licence is not invalidated: nothing to return",
        lambda m: "le permis n'est pas invalidé : il n'y a rien à restituer",
    ),
    (
        r"the invalidation is not notified yet.*",
        lambda m: (
            "l'invalidation n'est pas encore notifiée : enregistrez d'abord l'accusé de "
            "réception de la lettre 48SI"
        ),
    ),
    (
        r"the invalidated licence has not been returned",
        lambda m: "le permis invalidé n'a pas été restitué",
    ),
    (
        r"a new licence is possible only from " + _DATE,
        lambda m: f"un nouveau permis n'est possible qu'à partir du {_d(m, 1)}",
    ),
    (
        r"a valid licence already exists for this NEPH",
        lambda m: "un permis valide existe déjà pour ce NEPH",
    ),
    (
        r"a licence obtained after an invalidation is probationary",
        lambda m: "un permis obtenu après une invalidation est probatoire",
    ),
    (
        r"the complementary training is already recorded",
        lambda m: "la formation complémentaire est déjà enregistrée",
    ),
    (
        r"no value of (\w+) in force on " + _DATE + r".*",
        lambda m: f"aucune valeur légale de « {m.group(1)} » en vigueur le {_d(m, 2)}",
    ),
    (
        r"infraction (.+) was already cancelled on " + _DATE + r" \((\w+)\)",
        lambda m: (
            f"l'infraction {m.group(1)} a déjà été annulée le {_d(m, 2)} "
            f"({labels.label(labels.CANCELLATION_GROUND, m.group(3))})"
        ),
    ),
    (
        r"cancelled on " + _DATE + r", after the day it is recorded \(" + _DATE + r"\)",
        lambda m: f"annulation le {_d(m, 1)}, après le jour de son enregistrement ({_d(m, 2)})",
    ),
    (
        r"infraction (.+) belongs to a previous licence, replaced after its invalidation: "
        r"reinstating it is for a judge's injunction",
        lambda m: (
            f"l'infraction {m.group(1)} concerne un permis antérieur, remplacé après son "
            "invalidation : le rétablir relève d'une injonction du juge"
        ),
    ),
    (
        r"no licence was issued on " + _DATE + r", the suspension's first day",
        lambda m: f"aucun permis n'était délivré le {_d(m, 1)}, premier jour de la suspension",
    ),
    (
        r"the licence is (\w+): there is no right to drive to suspend",
        lambda m: (
            f"le permis est {labels.label(labels.STATUS, m.group(1))} : il n'y a pas de "
            "droit de conduire à suspendre"
        ),
    ),
    (
        r"last day " + _DATE + r" is before the first day " + _DATE,
        lambda m: f"le dernier jour ({_d(m, 1)}) précède le premier ({_d(m, 2)})",
    ),
    (
        r"it overlaps the (\w+) suspension from " + _DATE + r" to " + _DATE,
        lambda m: (
            f"elle chevauche la suspension {labels.label(labels.SUSPENSION_KIND, m.group(1))}"
            f" du {_d(m, 2)} au {_d(m, 3)}"
        ),
    ),
    (
        r"no (.+) is in force on " + _DATE,
        lambda m: f"aucune suspension n'est en vigueur le {_d(m, 2)}",
    ),
    (
        r"judicial stage: its attestation goes to the judicial authority, no points",
        lambda m: "stage judiciaire : son attestation va à l'autorité judiciaire, aucun point",
    ),
    (
        r"48SI notified on " + _DATE + r", on or before the stage's last day",
        lambda m: f"48SI notifiée le {_d(m, 1)}, au plus tard le dernier jour du stage",
    ),
    (
        r"stage (.+) \(first day " + _DATE + r"\) was credited less than (\d+) year\(s\) before: "
        r"next credit possible from " + _DATE,
        lambda m: (
            f"le stage {m.group(1)} (premier jour le {_d(m, 2)}) a déjà donné des points "
            f"il y a moins de {labels.plural(int(m.group(3)), 'an', 'ans')} : prochain stage "
            f"possible à partir du {_d(m, 4)}"
        ),
    ),
    (
        r"id (.+) was already used for a different line",
        lambda m: f"l'identifiant {m.group(1)} a déjà servi pour une autre commande",
    ),
)
# The journal's validation (pydantic's wording and ours) and the service's usage errors.
_VALIDATION: tuple[tuple[str, Rewrite], ...] = (
    (r"Input should be a valid integer.*", lambda m: "un nombre entier est attendu"),
    (r"Input should be a valid (date|boolean|string).*", lambda m: "valeur invalide"),
    (r"Field required|field required", lambda m: "champ obligatoire"),
    (r"Extra inputs are not permitted", lambda m: "champ inconnu"),
    (r"String should match pattern '\^\[0-9\]\{5\}\$'", lambda m: "5 chiffres attendus"),
    (r"String should have at most (\d+) characters?", lambda m: f"{m.group(1)} caractères au plus"),
    (r"a stage lasts 2 consecutive days", lambda m: "un stage dure 2 jours consécutifs"),
    (
        r"only for a non-probationary licence",
        lambda m: "seulement pour un permis non probatoire repris d'un ancien système",
    ),
    (
        r"offence '(.+)' is not in the catalogue: give both class .* and points",
        lambda m: (
            f"l'infraction « {m.group(1)} » n'est pas au barème : donnez sa classe et ses points"
        ),
    ),
    (
        r"--as-of " + _DATE + r" is later than the clock \(" + _DATE + r"\)",
        lambda m: f"le {_d(m, 1)} est postérieur à l'horloge du service ({_d(m, 2)})",
    ),
    (
        r"(last day|réalité established on) " + _DATE + r": at most (\d+) years after " + _DATE,
        lambda m: (
            ("dernier jour du stage" if m.group(1) == "last day" else "réalité établie le")
            + f" {_d(m, 2)} : au plus {m.group(3)} ans après le {_d(m, 4)}"
        ),
    ),
    (
        r"a stage advised on must start on or after " + _DATE,
        lambda m: f"un stage conseillé doit commencer au plus tôt le {_d(m, 1)}",
    ),
    (
        r"offence '(.+)' is not in the catalogue: give its class and points",
        lambda m: (
            f"l'infraction « {m.group(1)} » n'est pas au barème : donnez sa classe et ses points"
        ),
    ),
    (
        r"offence '(.+)' is not in the catalogue",
        lambda m: f"l'infraction « {m.group(1)} » n'est pas au barème",
    ),
    (
        _DATE + r": no value of (\w+) in force on " + _DATE + r".*",
        lambda m: (
            f"aucune règle en vigueur le {_d(m, 1)} : le service ne connaît pas le droit "
            "de cette date"
        ),
    ),
)
_COMPILED = tuple((re.compile(p), f) for p, f in _REFUSALS + _VALIDATION)
_RULE = re.compile(r"^(.*) \((R-[\d.]+)\)$")


def french(text: str) -> str:
    """A refusal in French: `reason (R-x.y)` becomes `raison (règle R-x.y)`."""
    rule = ""
    found = _RULE.match(text)
    if found:
        text, rule = found.group(1), found.group(2)
    for pattern, rewrite in _COMPILED:
        match = pattern.fullmatch(text)
        if match:
            text = rewrite(match)
            break
    return f"{text} (règle {rule})" if rule else text
