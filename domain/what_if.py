"""What if: a hypothetical infraction run through the licence's own commands on a scratch copy.

The operator gives an offence, the day it was committed and the day its réalité is established;
the copy records and establishes it as `permis import` would (R-0.5: the effects due that day come
first, R-2.2: the withdrawal is decided on the day the service records it, never before the clock),
and the balance, the letter, the obligations and the forecast that follow are read from the copy.
The licence itself is never changed, and the copy is never saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from domain import events as ev
from domain.errors import CommandRefused
from domain.forecast import Forecasted, advance_and_read, decided, scratch_copy
from domain.glossary import Basis
from domain.law import Law
from domain.licence import Context, Licence
from domain.policy import Policy
from domain.state import LicenceState

HYPOTHESIS_ID = "hypothese"
"""The id the hypothetical infraction is recorded under on the copy."""


@dataclass(frozen=True)
class Hypothesis:
    """An infraction that has not happened (or is not recorded): what the operator enters."""

    offence: str
    committed_on: date
    established_on: date
    occasion: str | None = None
    offence_class: str | None = None  # only for an offence outside the catalogue (CONTRACT §1)
    points: int | None = None
    basis: str = Basis.FINE_PAID


@dataclass(frozen=True)
class Decided:
    """An event the hypothesis would make the service record."""

    event: str
    effective_on: date
    rule: str
    reason: str
    points: int | None
    letter: str | None
    values: Mapping[str, Any] = field(default_factory=dict)  # the event's own fields (its motif)


@dataclass(frozen=True)
class Outcome:
    """Before and after the hypothetical decision, and the forecasts either side of it."""

    decided_on: date
    refusal: CommandRefused | None
    before: LicenceState  # on `decided_on`, the day's effects applied, without the hypothesis
    after: LicenceState  # the same day, with it
    decisions: tuple[Decided, ...]
    forecast_before: tuple[Forecasted, ...]  # from `today`, nothing happening
    forecast_after: tuple[Forecasted, ...]  # from `today`, with the hypothesis

    @property
    def broken(self) -> tuple[Forecasted, ...]:
        """Forecast effects that the hypothesis takes away (R-1.4, R-4.1, R-4.2, R-4.4)."""
        after = {item.key for item in self.forecast_after}
        return tuple(item for item in self.forecast_before if item.key not in after)

    @property
    def new(self) -> tuple[Forecasted, ...]:
        """Forecast effects that come only with the hypothesis (a new restoration, a deadline)."""
        before = {item.key for item in self.forecast_before}
        return tuple(item for item in self.forecast_after if item.key not in before)


def what_if(
    licence: Licence, law: Law, policy: Policy, today: date, hypothesis: Hypothesis
) -> Outcome:
    """The hypothesis decided on a scratch copy of `licence` whose clock is at `today`."""
    baseline = tuple(advance_and_read(scratch_copy(licence), law, policy))
    decided_on = max(today, hypothesis.established_on)
    scratch = scratch_copy(licence)
    ctx = Context(decided_on, HYPOTHESIS_ID, law, policy)
    scratch.advance(ctx, decided_on)  # the effects due that day come first
    decided(scratch)
    before = scratch.state(law, decided_on)
    infraction_id = _free_id(before)
    refusal: CommandRefused | None = None
    decisions: tuple[Decided, ...] = ()
    try:
        scratch.record_infraction(
            ctx,
            infraction_id,
            hypothesis.offence,
            hypothesis.committed_on,
            hypothesis.occasion,
            hypothesis.offence_class,
            hypothesis.points,
        )
        scratch.establish(ctx, infraction_id, hypothesis.established_on, hypothesis.basis)
        scratch.advance(ctx, decided_on)  # what the line makes due that day (as in import)
        decisions = tuple(_decided(e) for e in decided(scratch))
    except CommandRefused as refused:  # as `permis import` would refuse the line: nothing of it
        refusal = refused
        scratch = scratch_copy(licence)
        scratch.advance(ctx, decided_on)
    after = scratch.state(law, decided_on)
    applied_first = tuple(item for item in baseline if item.due_on <= decided_on)
    later = tuple(advance_and_read(scratch, law, policy))
    return Outcome(
        decided_on=decided_on,
        refusal=refusal,
        before=before,
        after=after,
        decisions=decisions,
        forecast_before=baseline,
        forecast_after=applied_first + later,
    )


def _decided(event: ev.LicenceEvent) -> Decided:
    own = (
        set(vars(event))
        - set(vars(ev.LicenceEvent))
        - {
            "originator_id",
            "originator_version",
            "timestamp",
            "effective_on",
            "recorded_on",
            "rule",
            "reason",
            "command_id",
            "policy",
            "previous_hash",
            "actor",
        }
    )
    return Decided(
        type(event).__name__,
        event.effective_on,
        event.rule,
        event.reason,
        getattr(event, "points", None),
        getattr(event, "letter", None),
        MappingProxyType({name: vars(event)[name] for name in sorted(own)}),
    )


def _free_id(state: LicenceState) -> str:
    """An infraction id the licence does not use (R-2.6 refuses one recorded twice)."""
    candidate, number = HYPOTHESIS_ID, 1
    while candidate in state.infractions:
        number += 1
        candidate = f"{HYPOTHESIS_ID}-{number}"
    return candidate
