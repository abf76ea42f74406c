"""Stages: credit, once a year, validity, the mandatory stage (R-5, L223-6 al.4, R223-5 to R223-8)."""

from __future__ import annotations

from datetime import date

from domain import events as ev
from domain.calendar import add_days, add_years
from domain.glossary import LetterType, ObligationKind, ObligationStatus, StageKind, Status
from domain.policy import Policy
from domain.rules import Decision
from domain.state import LicenceState, Stage, stage_credit_points


def credit_date(stage: Stage) -> date:
    """The credit takes effect the day after the stage's last day (R-5.3, R223-8 III)."""
    return add_days(stage.last_day, 1)


def refusal_reason(state: LicenceState, stage: Stage, policy: Policy) -> tuple[str, str] | None:
    """Why a stage gives no points, with the rule; None when it can be credited (R-5.1, R-5.4, R-5.5)."""
    if StageKind(stage.kind).is_judicial:
        return "R-5.1", "judicial stage: its attestation goes to the judicial authority, no points"
    # The 48SI of the licence in force on the stage's last day, even when a new licence has been
    # issued since and the attestation comes after it.
    generation = state.generation_on(stage.last_day)
    for invalidation in state.invalidations:
        if invalidation.generation != generation or invalidation.annulled:
            continue
        if invalidation.notified_on is not None and invalidation.notified_on <= stage.last_day:
            return (
                "R-5.5",
                f"48SI notified on {invalidation.notified_on}, on or before the stage's last day",
            )
    for other in state.stages.values():
        if other.stage_id == stage.stage_id or not other.credited:
            continue
        years = state.law.value("stage_interval_years", stage.first_day)
        earlier, later = sorted((other.first_day, stage.first_day))
        if later < add_years(earlier, years):
            return "R-5.4", (
                f"stage {other.stage_id} (first day {other.first_day}) was credited less than "
                f"{years} year(s) before: next credit possible from {add_years(other.first_day, years)}"
            )
    return None


def credit(state_on_credit_date: LicenceState, stage: Stage, on: date) -> Decision:
    """Up to 4 points within the ceiling on the day after the stage; a letter 47 if any (R-5.3)."""
    state = state_on_credit_date
    points = stage_credit_points(state, stage)
    maximum = state.law.value("stage_max_points", stage.last_day)
    letter = LetterType.L47 if points > 0 else None
    return Decision(
        ev.StageCredited,
        on,
        "R-5.3",
        f"L223-6 al.4, R223-8 III: stage {stage.stage_id} ({stage.first_day} to {stage.last_day}) "
        f"credited +{points} point(s), up to {maximum}, within the ceiling of {state.ceiling}"
        + ("" if letter else "; no letter 47 since nothing was added"),
        {"stage_id": stage.stage_id, "points": points, "letter": letter},
    )


def fulfilled_obligations(state: LicenceState, stage: Stage) -> list[str]:
    """Mandatory-stage obligations this stage fulfils (R-5.6, R-10.4)."""
    if stage.kind not in (StageKind.VOLUNTARY, StageKind.MANDATORY):
        return []
    fulfilled = []
    for obligation in state.obligations.values():
        if obligation.kind != ObligationKind.MANDATORY_STAGE:
            continue
        if obligation.status == ObligationStatus.FULFILLED and not (
            # an earlier qualifying stage attested later fulfils it from its own last day
            obligation.settled_on is not None and stage.last_day < obligation.settled_on
        ):
            continue
        if stage.first_day < obligation.opened_on:
            continue
        if obligation.due_on is not None and stage.last_day > obligation.due_on:
            continue
        fulfilled.append(obligation.obligation_id)
    return fulfilled


def annulment(state_then: LicenceState, stage: Stage) -> Decision | None:
    """A stage before the 48SI's notification that lifts the balance above 0 annuls it (R-5.5).

    `state_then` is the licence on the stage's credit date, or on the invalidation's decision if
    later: R-5.5's "then", with the withdrawals decided on or before it (R-10.17).
    """
    invalidation = state_then.current_invalidation
    if invalidation is None or state_then.balance <= 0:
        return None
    if state_then.status not in (Status.INVALIDATION_PENDING, Status.INVALIDATED):
        return None
    on = max(credit_date(stage), invalidation.decided_on)
    return Decision(
        ev.InvalidationAnnulled,
        on,
        "R-5.5",
        f"CE 29/09/2023 n° 461479: stage {stage.stage_id} ended before the 48SI was notified and "
        f"brings the balance to {state_then.balance} on {on}: the invalidation is annulled, with "
        "its return obligation and flag",
        {"ref": invalidation.ref, "stage_id": stage.stage_id},
    )
