"""The glossary: the legal terms of art of the permis à points and their English names in the code.

| code name                 | French legal term                                  | rule   |
|---------------------------|----------------------------------------------------|--------|
| licence                   | permis de conduire (one capital per person)        | R-1.1  |
| neph                      | numéro NEPH, the licence's lifelong identifier     | R-8.1  |
| balance                   | solde de points                                    | R-1.1  |
| ceiling                   | plafond (12, or the probation ceiling)             | R-1.5  |
| probation                 | permis probatoire                                  | R-1.2  |
| aac route                 | apprentissage anticipé de la conduite              | R-1.3  |
| complementary training    | formation complémentaire                           | R-1.6  |
| committed_on              | date de l'infraction                               | R-2.2  |
| established_on            | date de la réalité de l'infraction (date de valeur)| R-2.2  |
| decided_on                | date of the withdrawal decision (retrait)          | R-2.2  |
| notified_on/delivered_on  | date de notification (receipt or presentation)    | R-3.3  |
| basis                     | how the réalité was established (AF paid, …)       | R-2.1  |
| occasion                  | infractions commises simultanément                 | R-2.4  |
| withdrawal                | retrait de points                                  | R-2    |
| restoration               | reconstitution automatique du capital              | R-4    |
| full restoration          | reconstitution intégrale (2 or 3 years)            | R-4.2  |
| stage                     | stage de sensibilisation à la sécurité routière    | R-5    |
| attestation               | attestation de suivi de stage                      | R-5.2  |
| credit                    | reconstitution de points après stage               | R-5.3  |
| invalidation              | invalidation du permis (solde nul), lettre 48SI    | R-7    |
| licence return            | restitution du permis au préfet                    | R-6.2  |
| jours francs              | delay excluding its first and last day             | R-0.4  |
| recorded_on               | date the service recorded a fact (journal `at`)    | R-9.1  |
| effective_on              | legal date a fact takes effect                     | R-9.1  |
"""

from __future__ import annotations

from enum import StrEnum


class Route(StrEnum):
    """How the licence was learnt (R-1.3)."""

    TRADITIONAL = "traditional"
    AAC = "aac"
    SUPERVISED = "supervised"


class Basis(StrEnum):
    """How the réalité of an infraction is established (R-2.1, L223-1)."""

    FINE_PAID = "fine_paid"
    INCREASED_FINE_TITLE = "increased_fine_title"
    COMPOSITION_PENALE = "composition_penale"
    FINAL_CONVICTION = "final_conviction"


class StageKind(StrEnum):
    """Kinds of stage (R-5.1)."""

    VOLUNTARY = "voluntary"
    MANDATORY = "mandatory"
    COMPOSITION_PENALE = "composition_penale"
    COMPLEMENTARY_PENALTY = "complementary_penalty"

    @property
    def is_judicial(self) -> bool:
        """The judicial kinds never give points (R-5.1)."""
        return self in (StageKind.COMPOSITION_PENALE, StageKind.COMPLEMENTARY_PENALTY)


class LetterType(StrEnum):
    """The letters of R-3."""

    L48 = "48"
    L48M = "48M"
    L48N = "48N"
    L48SI = "48SI"
    L47 = "47"


class Status(StrEnum):
    """Validity of the licence (R-7.1)."""

    VALID = "valid"
    INVALIDATION_PENDING = "invalidation_pending"
    INVALIDATED = "invalidated"
    SUSPENDED = "suspended"


class ObligationKind(StrEnum):
    """What the holder must do (R-5.6, R-6.2)."""

    MANDATORY_STAGE = "mandatory_stage"
    LICENCE_RETURN = "licence_return"


class ObligationStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    BREACHED = "breached"


class FlagKind(StrEnum):
    """Non-compliance flags (R-6)."""

    NON_COMPLIANCE = "non_compliance"
    LICENCE_NOT_RETURNED = "licence_not_returned"
    ATTESTATION_OVERDUE = "attestation_overdue"


OFFENCE_CLASSES = ("C1", "C2", "C3", "C4", "C5", "D")
SERIOUS_CLASSES = frozenset({"C4", "C5", "D"})  # 3-year full restoration
TEN_YEAR_CLASSES = frozenset({"C1", "C2", "C3", "C4"})
