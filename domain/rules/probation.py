"""Probation: yearly gains, its end, and the complementary training (R-1.3 to R-1.6, R223-1)."""

from __future__ import annotations

from datetime import date

from domain import events as ev
from domain.calendar import add_months, add_years
from domain.glossary import Status
from domain.rules import Decide, Decision, Effect
from domain.state import LicenceState

RANK = 10


def withdrawal_committed_between(
    state: LicenceState, start: date, end: date, exclude: frozenset[str] = frozenset()
) -> bool:
    """An infraction that gave rise to a withdrawal was committed in [start, end) (R-4, R-10.2),
    on whichever licence of the person it was recorded (R-10.18)."""
    return any(
        start <= w.committed_on < end
        for w in state.every_withdrawal()
        if w.infraction_id not in exclude
    )


def suspension_started_between(state: LicenceState, start: date, end: date) -> bool:
    """A suspension of the right to drive started in [start, end) (R-12.3, R-1.6)."""
    return any(start <= s.first_day < end for s in state.suspensions.values())


def training_is_eligible(state: LicenceState, completed_on: date) -> tuple[bool, str]:
    """A first licence's training between issue + 6 and + 12 months, since 2019 (R-1.6, R223-4-1)."""
    start = state.probation_started_on
    if not state.probationary or start is None:
        return False, "the licence is not probationary"
    if state.generation > 0:
        return False, "only a first licence can be shortened, not one obtained after invalidation"
    if state.law.value_or_none("training_window_start_months", completed_on) is None:
        since = state.law.parameters["training_window_start_months"][0].starts_on
        return False, f"the training counts only from {since}"
    first = add_months(start, state.law.value("training_window_start_months", completed_on))
    last = add_months(start, state.law.value("training_window_end_months", completed_on))
    if not first <= completed_on <= last:
        return False, f"completed outside the window {first} to {last}"
    return True, f"completed between {first} and {last}: probation may be shortened"


def probation_end(state: LicenceState) -> tuple[date, bool] | None:
    """The first day no longer probationary, and whether it was shortened (R-1.3, R-1.6)."""
    start = state.probation_started_on
    if not state.probationary or start is None:
        return None
    normal = add_years(start, state.law.value(f"probation_years_{state.route}", start))
    if state.training_eligible and state.training_on is not None:
        months = state.law.value(
            f"training_short_probation_months_{state.route}", state.training_on
        )
        short = add_months(start, months)
        # Unless an infraction gave rise to a withdrawal, or a suspension started, during the
        # shortened probation.
        # Judged on what was known on that day: a withdrawal decided later does not take the
        # shortening back, nor, decided again after a cancellation, does it.
        known = not any(
            start <= w.committed_on < short and w.decided_on is not None and w.decided_on < short
            for w in state.every_withdrawal()
        )
        if known and not suspension_started_between(state, start, short):
            return short, True
    return normal, False


def is_clean(state: LicenceState, until: date) -> bool:
    """No infraction that gave rise to a withdrawal committed since probation began (R-1.4)."""
    start = state.probation_started_on or state.issued_on
    return not withdrawal_committed_between(state, start, until)


def clean_as_known_on(state: LicenceState, anniversary: date) -> bool:
    """No infraction that gave rise to a withdrawal committed since probation began, as known on
    the anniversary: decided before that day, whose time-driven effects come first (R-1.4 POLICY
    no claw-back, R-0.5). Going forward in time every known decision is; a gain decided again
    late (a cancellation, R-11.3) is judged on what was known then."""
    start = state.probation_started_on or state.issued_on
    return not any(
        w.committed_on >= start and w.decided_on is not None and w.decided_on < anniversary
        for w in state.every_withdrawal()
    )


def probation_effects(state: LicenceState) -> list[Effect]:
    """The next yearly gain and the end of probation (R-1.4, R-1.5).

    Probation ends on its date whatever the licence's status, an invalidated licence included
    (R-10.11); a yearly gain goes to a valid licence only.
    """
    end = probation_end(state)
    if end is None or state.probation_started_on is None:
        return []
    end_on, shortened = end
    effects = [Effect(end_on, RANK + 1, "probation_end", _end(end_on, shortened))]
    credited = sum(1 for r in state.restorations_now() if r.rule == "R-1.4")
    anniversary = add_years(state.probation_started_on, credited + 1)
    valid = state.status == Status.VALID
    if valid and anniversary < end_on and clean_as_known_on(state, anniversary):
        effects.append(
            Effect(anniversary, RANK, f"gain:{credited + 1}", _gain(credited + 1, anniversary))
        )
    return effects


def _gain(number: int, on: date) -> Decide:
    def decide(state: LicenceState) -> list[Decision]:
        points = state.law.value(f"probation_yearly_gain_{state.route}", on)
        return [
            Decision(
                ev.YearlyGainCredited,
                on,
                "R-1.4",
                f"R223-1 III: anniversary {number} of a probationary licence ({state.route}) with no "
                f"infraction that gave rise to a withdrawal: +{points} points",
                {"anniversary": number, "points": points},
            )
        ]

    return decide


def _end(on: date, shortened: bool) -> Decide:
    def decide(state: LicenceState) -> list[Decision]:
        clean = is_clean(state, on)
        capital = state.law.value("capital_max", on)
        points = max(0, capital - state.balance) if clean else 0
        how = (
            "shortened by the complementary training (R-1.6)"
            if shortened
            else "after its full term"
        )
        last_gain = (
            f"; last yearly gain +{points} points" if clean else "; the balance is unchanged"
        )
        return [
            Decision(
                ev.ProbationEnded,
                on,
                "R-1.6" if shortened else "R-1.5",
                f"R223-1: probation ended {how}; the ceiling becomes {capital}{last_gain}",
                {"points": points, "shortened": shortened},
            )
        ]

    return decide
