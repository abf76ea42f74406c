"""Invalidation, return of the licence and a new licence (R-7, L223-5)."""

from __future__ import annotations

from datetime import date

from domain.calendar import add_months, add_years
from domain.errors import CommandRefused
from domain.glossary import Status
from domain.state import Invalidation, LicenceState


def new_licence_delay(state: LicenceState, invalidation: Invalidation, returned_on: date) -> date:
    """6 months from the return, 1 year after another invalidation within 5 years (R-7.2, L223-5 II)."""
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
    return add_months(returned_on, state.law.value(name, returned_on))


def check_reissue(state: LicenceState, issued_on: date, probationary: bool) -> None:
    """A new licence only after the return and its delay, and always probationary (R-7.2, R-1.2)."""
    invalidation = state.current_invalidation
    if state.status == Status.VALID or invalidation is None:
        raise CommandRefused("a valid licence already exists for this NEPH", "R-7.2")
    if invalidation.returned_on is None or invalidation.new_licence_possible_on is None:
        raise CommandRefused("the invalidated licence has not been returned", "R-7.2")
    if issued_on < invalidation.new_licence_possible_on:
        raise CommandRefused(
            f"a new licence is possible only from {invalidation.new_licence_possible_on}", "R-7.2"
        )
    if not probationary:
        raise CommandRefused("a licence obtained after an invalidation is probationary", "R-1.2")
