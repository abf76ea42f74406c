"""Deadlines and non-compliance: the process manager's rules (R-6, R-0.4, R-0.6)."""

from __future__ import annotations

from datetime import date

from domain import events as ev
from domain.calendar import add_days, add_months, jours_francs_deadline, next_working_day
from domain.glossary import FlagKind, LetterType, ObligationKind, ObligationStatus, StageKind
from domain.law import Law
from domain.policy import Policy
from domain.rules import Decide, Decision, Effect
from domain.state import LicenceState, Obligation

RANK = 30


def licence_return_due(notified_on: date, law: Law, policy: Policy | None = None) -> date:
    """The licence must be returned within 10 jours francs of the 48SI's notification (R-6.2, R-0.4)."""
    days = law.value("licence_return_jours_francs", notified_on)
    if policy is not None and not policy.jours_francs_extra_day:
        return next_working_day(add_days(notified_on, days))
    return jours_francs_deadline(notified_on, days)


def notification_deadline(letter: str, notified_on: date, law: Law, policy: Policy) -> date | None:
    """The deadline a notification starts: 4 months for a 48N (R-5.6), 10 jours francs for a 48SI (R-6.2)."""
    if letter == LetterType.L48N:
        return add_months(notified_on, law.value("mandatory_stage_months", notified_on))
    if letter == LetterType.L48SI:
        return licence_return_due(notified_on, law, policy)
    return None


def breach_date(kind: str, due_on: date, policy: Policy) -> date:
    """A breach comes the day after the deadline; a mandatory stage's after 15 more days (R-0.6, R-6.1)."""
    if kind == ObligationKind.MANDATORY_STAGE:
        return add_days(due_on, policy.mandatory_stage_grace_days)
    return add_days(due_on, 1)


def deadline_effects(state: LicenceState, policy: Policy) -> list[Effect]:
    """Open obligations past their deadline and attestations overdue (R-6.1, R-6.2, R-6.3, R-6.4)."""
    effects: list[Effect] = []
    for obligation in state.obligations.values():
        if obligation.due_on is None or obligation.breach_recorded:
            continue
        on = breach_date(obligation.kind, obligation.due_on, policy)
        if obligation.status != ObligationStatus.OPEN and not _settled_late(state, obligation, on):
            continue
        effects.append(
            Effect(
                on,
                RANK,
                f"breach:{obligation.obligation_id}",
                _breach(obligation.obligation_id, on),
            )
        )
    for stage in state.stages.values():
        if stage.kind not in (StageKind.VOLUNTARY, StageKind.MANDATORY):
            continue
        if stage.attestation_on is not None or f"stage:{stage.stage_id}" in state.flags:
            continue
        days = state.law.value("stage_attestation_days", stage.last_day)
        on = add_days(stage.last_day, days + 1)
        effects.append(
            Effect(on, RANK + 1, f"overdue:{stage.stage_id}", _overdue(stage.stage_id, on))
        )
    return effects


def _settled_late(state: LicenceState, obligation: Obligation, breach_on: date) -> bool:
    """Settled by what came only on or after the breach's day, though the service learnt the
    deadline after it (the notification recorded late): the breach still has its legal date, and
    its flag stands until what settled it (R-10.3, R-6.1, R-6.2)."""
    if obligation.status != ObligationStatus.FULFILLED:
        return False
    if obligation.kind == ObligationKind.LICENCE_RETURN:
        return obligation.settled_on is not None and obligation.settled_on >= breach_on
    stage = state.stages.get(obligation.settled_by or "")
    return stage is not None and (stage.attestation_on is None or stage.attestation_on >= breach_on)


def _breach(obligation_id: str, on: date) -> Decide:
    def decide(state: LicenceState) -> list[Decision]:
        obligation = state.obligations[obligation_id]
        law = state.law
        if obligation.kind == ObligationKind.MANDATORY_STAGE:
            # The delay in force on the notification that started it, the penalties on
            # the day of the breach.
            letter = state.letter(LetterType.L48N, obligation_id.partition(":")[2])
            notified_on = letter.delivered_on if letter and letter.delivered_on else on
            months = law.value("mandatory_stage_months", notified_on)
            fine = law.value("non_compliance_fine_max_eur", on)
            years = law.value("non_compliance_suspension_max_years", on)
            return [
                Decision(
                    ev.ObligationBreached,
                    on,
                    "R-6.1",
                    f"R223-4 II-III: no qualifying stage within {months} months of the 48N's "
                    f"notification (due {obligation.due_on}); 4th-class contravention, fine up to "
                    f"{fine} €, suspension up to {years} years",
                    {"obligation": obligation_id, "flag": FlagKind.NON_COMPLIANCE},
                )
            ]
        # The return obligation opens on the 48SI's notification (`domain.state._deliver`).
        days = law.value("licence_return_jours_francs", obligation.opened_on)
        return [
            Decision(
                ev.ObligationBreached,
                on,
                "R-6.2",
                f"L223-5 III, R223-3: licence not returned within {days} jours francs of the 48SI's "
                f"notification (due {obligation.due_on})",
                {"obligation": obligation_id, "flag": FlagKind.LICENCE_NOT_RETURNED},
            )
        ]

    return decide


def _overdue(stage_id: str, on: date) -> Decide:
    def decide(state: LicenceState) -> list[Decision]:
        stage = state.stages[stage_id]
        days = state.law.value("stage_attestation_days", stage.last_day)
        return [
            Decision(
                ev.AttestationOverdue,
                on,
                "R-6.3",
                f"R223-8 I: no attestation within {days} days of the stage's last day "
                f"({stage.last_day}) from centre {stage.centre or 'unknown'}",
                {"stage_id": stage_id},
            )
        ]

    return decide
