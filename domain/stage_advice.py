"""The stage advisor: when a stage could be credited, and what it would really add (R-5).

The first day a stage could be credited is a year after the first day of every credited stage
(R-5.4, R-10.14). What a stage ending on a given day would
add is not computed here: a hypothetical voluntary stage and its attestation are recorded on a
scratch copy of the licence, on the credit's date, by the licence's own commands, so the ceiling,
the withdrawals decided by then (R-5.3), a notified 48SI (R-5.5), the annulment of an invalidation
not yet notified (R-5.5, R-10.17) and the 48N obligations it fulfils (R-5.6) are the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain import events as ev
from domain.calendar import add_days, add_years
from domain.errors import CommandRefused
from domain.forecast import decided, scratch_copy
from domain.glossary import ObligationKind, ObligationStatus, StageKind, Status
from domain.law import Law
from domain.licence import Context, Licence
from domain.policy import Policy
from domain.rules.stages import credit_date
from domain.state import LicenceState, Stage

STAGE_ID = "stage-envisage"
"""The id the hypothetical stage is recorded under on the copy."""


@dataclass(frozen=True)
class Deadline:
    """An open mandatory-stage obligation (R-5.6): a stage in [from_day, due_on] fulfils it."""

    obligation: str
    from_day: date  # the day the 48N was sent
    due_on: date | None  # None until the 48N is notified
    fulfilled: bool  # by the stage advised on


@dataclass(frozen=True)
class Invalidation:
    """The invalidation a stage may annul (R-5.5) or cannot help (once notified)."""

    decided_on: date
    notified_on: date | None
    annulled: bool  # by the stage advised on


@dataclass(frozen=True)
class Advice:
    today: date
    earliest_first_day: date  # R-10.14 (never before today)
    blocking_stage: Stage | None  # the credited stage that sets it, if any
    awaiting: tuple[Stage, ...]  # attended, attestation awaited: credited, they would block too
    first_day: date  # the stage advised on
    last_day: date
    credit_on: date  # the day after its last day
    credited: bool
    points: int  # what it would really add, within the ceiling of `credit_on`
    refusal: tuple[str, str] | None  # (rule, reason) when it gives nothing
    balance_before: int  # on `credit_on`, before the credit
    balance_after: int
    ceiling: int
    deadlines: tuple[Deadline, ...]
    invalidation: Invalidation | None


class StageDatesRefused(ValueError):
    """A stage that cannot be advised on as asked (in the past, or before the licence)."""


def stage_advice(
    licence: Licence,
    law: Law,
    policy: Policy,
    today: date,
    last_day: date | None = None,
) -> Advice:
    """The first day a stage could be credited and, for a stage ending on `last_day` (default the
    earliest), what it would add if nothing else happens until its credit date."""
    state = licence.state(law, today)
    earliest, blocking = _earliest(state, today, law)
    if last_day is None:
        last_day = add_days(earliest, 1)
    first_day = add_days(last_day, -1)  # a stage lasts 2 consecutive days
    if first_day < today:
        raise StageDatesRefused(f"a stage advised on must start on or after {today}")
    on = add_days(last_day, 1)
    scratch = scratch_copy(licence)
    ctx = Context(on, STAGE_ID, law, policy)
    scratch.advance(ctx, on)  # the effects due up to the credit date come first
    decided(scratch)
    before = scratch.state(law, on)
    stage_id = STAGE_ID
    while stage_id in before.stages:  # refuses a stage recorded twice
        stage_id += "+"
    try:
        scratch.complete_stage(ctx, stage_id, StageKind.VOLUNTARY, first_day, last_day, None)
        scratch.receive_attestation(ctx, stage_id, on)
    except CommandRefused as refused:  # nothing to attend on an invalidated licence
        raise StageDatesRefused(refused.reason) from None
    events = decided(scratch)
    after = scratch.state(law, on)
    stage = after.stages[stage_id]
    fulfilled = {
        oid for e in events if isinstance(e, ev.MandatoryStageFulfilled) for oid in e.obligations
    }
    annulled = any(isinstance(e, ev.InvalidationAnnulled) for e in events)
    refusal = next(
        ((e.rule, e.refusal) for e in events if isinstance(e, ev.StageCreditRefused)), None
    )
    return Advice(
        today=today,
        earliest_first_day=earliest,
        blocking_stage=blocking,
        awaiting=tuple(
            s
            for s in state.stages.values()
            if s.attestation_on is None and not StageKind(s.kind).is_judicial
        ),
        first_day=first_day,
        last_day=last_day,
        credit_on=credit_date(stage),
        credited=stage.credited,
        points=stage.points_credited,
        refusal=refusal,
        balance_before=before.balance,
        balance_after=after.balance,
        ceiling=after.ceiling,
        deadlines=tuple(_deadlines(before, fulfilled)),
        invalidation=_invalidation(before, annulled),
    )


def _earliest(state: LicenceState, today: date, law: Law) -> tuple[date, Stage | None]:
    """The first day, from `today`, a stage may start for the once a year of R-5.4 to let it be
    credited: a year after the first day of every credited stage (R-10.14). The tests check that
    the engine refuses a stage starting the day before and credits one starting on this day."""
    earliest, blocking = today, None
    for stage in state.stages.values():
        if not stage.credited:
            continue
        free_on = add_years(stage.first_day, law.value("stage_interval_years", stage.first_day))
        if free_on > earliest:
            earliest, blocking = free_on, stage
    return earliest, blocking


def _deadlines(state: LicenceState, fulfilled: set[str]) -> list[Deadline]:
    return [
        Deadline(o.obligation_id, o.opened_on, o.due_on, o.obligation_id in fulfilled)
        for o in sorted(state.obligations.values(), key=lambda o: o.opened_on)
        if o.kind == ObligationKind.MANDATORY_STAGE and o.status == ObligationStatus.OPEN
    ]


def _invalidation(state: LicenceState, annulled: bool) -> Invalidation | None:
    invalidation = state.current_invalidation
    if invalidation is None or state.status == Status.VALID:
        return None
    return Invalidation(invalidation.decided_on, invalidation.notified_on, annulled)
