"""Invalidation, return of the licence and a new licence (R-7, L223-5)."""

from __future__ import annotations

from datetime import date

from domain import events as ev
from domain.calendar import add_months, add_years
from domain.errors import CommandRefused
from domain.glossary import LetterType, Status
from domain.rules import Decision
from domain.state import Invalidation, LicenceState


def new_licence_months(state: LicenceState, invalidation: Invalidation, returned_on: date) -> int:
    """6 months, or 1 year after another invalidation within 5 years, in the law in force on the
    return (R-7.2, L223-5 II). "Within" counts forward from the earlier notification, R-0.2 and
    R-0.3 inclusive (R-10.15); until this one is notified its decision stands in (R-10.20)."""
    this = invalidation.notified_on or invalidation.decided_on
    window = state.law.value("repeat_invalidation_window_years", this)
    repeated = any(
        other is not invalidation
        and not other.annulled
        and other.notified_on is not None
        and add_years(other.notified_on, window) >= this  # "within", inclusive
        and other.notified_on <= this
        for other in state.invalidations
    )
    name = "new_licence_delay_months_repeat" if repeated else "new_licence_delay_months"
    return state.law.value(name, returned_on)


def new_licence_delay(state: LicenceState, invalidation: Invalidation, returned_on: date) -> date:
    """The first day a new licence is possible: the return + `new_licence_months` (R-7.2)."""
    return add_months(returned_on, new_licence_months(state, invalidation, returned_on))


def check_reissue(state: LicenceState, issued_on: date, probationary: bool) -> None:
    """A new licence only after the return and its delay, and always probationary (R-7.2, R-1.2)."""
    invalidation = state.current_invalidation
    if state.status == Status.VALID or invalidation is None:
        raise CommandRefused("a valid licence already exists for this NEPH", "R-7.2")
    if invalidation.notified_on is None:
        raise CommandRefused(
            "the invalidation is not notified yet (invalidation_pending): record the 48SI's "
            "delivery first",
            "R-10.16",
        )
    if invalidation.returned_on is None or invalidation.new_licence_possible_on is None:
        raise CommandRefused("the invalidated licence has not been returned", "R-7.2")
    if issued_on < invalidation.new_licence_possible_on:
        raise CommandRefused(
            f"a new licence is possible only from {invalidation.new_licence_possible_on}", "R-7.2"
        )
    if not probationary:
        raise CommandRefused("a licence obtained after an invalidation is probationary", "R-1.2")


def new_invalidation(state_now: LicenceState) -> Decision | None:
    """Once an invalidation is annulled (R-5.5), a withdrawal decided after it when the balance
    was known to be 0 may turn out to have brought it from above 0 to 0: that decision is a new
    invalidation, effective on its date, with its own 48SI (R-10.17, R-3.1)."""
    ref = state_now.unsent_invalidation
    if ref is None or state_now.status != Status.VALID or state_now.balance > 0:
        return None
    infraction = state_now.infractions[ref]
    decided_on = infraction.decided_on
    assert decided_on is not None  # it withdrew points
    return Decision(
        ev.InvalidationDecided,
        decided_on,
        "R-10.17",
        f"R223-3: with the invalidation annulled, the withdrawal of {ref} decided on {decided_on} "
        f"({infraction.points} point(s)) brought the balance from above 0 to 0: a new "
        f"invalidation, letter {LetterType.L48SI} (R-3.1)",
        {"ref": ref, "letter": LetterType.L48SI},
    )
