"""The licence's state on a legal date, as known at a recording date: a pure fold of its events.

The view *as of D, known at K* takes the events recorded on or before K, orders them by legal date
(then phase, then recording order) and applies those that took effect on or before D (R-9.1). The
live view is the same fold with everything known, so what the service showed on D can always be
reproduced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import singledispatch
from typing import TypeVar

from domain import events as ev
from domain.glossary import FlagKind, LetterType, ObligationKind, ObligationStatus, Status
from domain.law import Law

_Record = TypeVar("_Record")


@dataclass
class Infraction:
    infraction_id: str
    offence: str
    offence_class: str
    catalogue_points: int
    committed_on: date
    occasion: str | None
    generation: int  # the licence it was recorded on, then the one its points came off
    established_on: date | None = None
    decided_on: date | None = None
    basis: str | None = None
    points: int | None = None  # after the cap; None until established
    position: int = -1  # place of its withdrawal in the fold
    taken: int = 0  # what its withdrawal took off the balance (after the floor of)
    cancelled_on: date | None = None  # it counts as if never recorded
    ground: str | None = None
    reference: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_on is not None


@dataclass
class Letter:
    type: str
    ref: str
    sent_on: date
    delivered_on: date | None = None


@dataclass
class Obligation:
    obligation_id: str
    kind: str
    opened_on: date
    due_on: date | None
    status: str = ObligationStatus.OPEN
    settled_on: date | None = None
    settled_by: str | None = None  # the stage that fulfilled a mandatory stage
    breach_recorded: bool = False  # its breach was decided, whether or not it raised a flag


@dataclass
class Flag:
    flag_id: str
    kind: str
    raised_on: date
    legal_on: date


@dataclass
class Stage:
    stage_id: str
    kind: str
    first_day: date
    last_day: date
    centre: str | None
    attestation_on: date | None = None
    credited: bool = False
    points_credited: int = 0
    refusal: str | None = None


@dataclass
class Restoration:
    position: int  # place in the history, the reference a revocation cites
    rule: str
    effective_on: date
    points: int
    infraction_ids: list[str]
    window_start: date
    fold_order: int
    revoked: bool = False
    generation: int = 0  # the licence it gave points to
    applied: int = 0  # what it added to the balance in this fold (within the ceiling)


@dataclass
class Suspension:
    """A suspension of the right to drive, both days included (R-12.1, R-12.2)."""

    suspension_id: str
    kind: str
    first_day: date
    last_day: date  # the day before `lifted_on` once lifted early
    reference: str | None
    lifted_on: date | None = None


@dataclass
class Invalidation:
    ref: str
    decided_on: date
    generation: int
    notified_on: date | None = None
    returned_on: date | None = None
    new_licence_possible_on: date | None = None
    annulled: bool = False
    position: int = -1  # the event that decided it: a return recorded before it is not its own


@dataclass
class LicenceState:
    neph: str
    as_of: date
    law: Law
    generation: int = 0
    issued_on: date = date.min
    issued_dates: tuple[date, ...] = ()  # the issue date of each licence of the person, in order
    route: str = "traditional"
    probationary: bool = False
    probation_started_on: date | None = None
    probation_ended_on: date | None = None
    initial_points: int = 12
    gains: int = 0
    balance: int = 0
    status: str = Status.VALID
    training_on: date | None = None
    training_eligible: bool = False
    infractions: dict[str, Infraction] = field(default_factory=dict)
    letters: list[Letter] = field(default_factory=list)
    obligations: dict[str, Obligation] = field(default_factory=dict)
    flags: dict[str, Flag] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    restorations: list[Restoration] = field(default_factory=list)
    invalidations: list[Invalidation] = field(default_factory=list)
    suspensions: dict[str, Suspension] = field(default_factory=dict)
    # A withdrawal that brought the balance from above 0 to 0 without a 48SI, known to have done
    # so only once an invalidation before it was annulled: the infraction's id.
    unsent_invalidation: str | None = None
    # Acknowledgements folded before the letter they acknowledge is sent that same day:
    # replaced, never changed in place, so that states can share it.
    early_deliveries: dict[tuple[str, str], ev.LetterDelivered] = field(default_factory=dict)
    last_recorded_on: date = date.min
    points_given_back: bool = False  # a cancelled withdrawal's points came back
    fold_order: int = 0
    # The legal date and phase of the last event applied (events are applied in that order).
    last_applied: tuple[date, int] = (date.min, -1)
    # `withdrawals()` and `every_withdrawal()` once computed: the same until another event is
    # applied (`_take` drops them).
    _withdrawals: list[Infraction] | None = field(default=None, repr=False, compare=False)
    _every_withdrawal: list[Infraction] | None = field(default=None, repr=False, compare=False)

    @property
    def issued(self) -> bool:
        """A licence was issued by `as_of`, from what was known (its issue was folded)."""
        return self.issued_on != date.min

    @property
    def shown_status(self) -> str:
        """The status of the view: a licence otherwise valid is `suspended` from the first to the
        last day of a suspension (R-12.2); invalidation takes precedence (R-7.1)."""
        if self.status == Status.VALID and self.suspended_on(self.as_of):
            return Status.SUSPENDED
        return self.status

    def suspended_on(self, day: date) -> bool:
        """A suspension known to this state is in force on `day` (R-12.2)."""
        return any(s.first_day <= day <= s.last_day for s in self.suspensions.values())

    @property
    def ceiling(self) -> int:
        """12, or during probation 6 plus the gains actually credited (R-1.5)."""
        if self.probationary:
            return self.initial_points + self.gains
        return self.law.value("capital_max", self.as_of)

    @property
    def current_invalidation(self) -> Invalidation | None:
        """The invalidation of the current licence, unless annulled (R-7.1, R-5.5)."""
        number = self.current_invalidation_index
        return None if number is None else self.invalidations[number]

    @property
    def current_invalidation_index(self) -> int | None:
        """Where `current_invalidation` stands in `invalidations`."""
        for number in range(len(self.invalidations) - 1, -1, -1):
            invalidation = self.invalidations[number]
            if invalidation.generation == self.generation and not invalidation.annulled:
                return number
        return None

    def generation_on(self, day: date) -> int:
        """The licence of the person in force on `day`: the last one issued on or before it."""
        generation = 0
        for number, issued_on in enumerate(self.issued_dates):
            if issued_on <= day:
                generation = number
        return generation

    def restorations_now(self) -> list[Restoration]:
        """The restorations and gains of the current licence: a new one after an invalidation
        starts afresh (R-1.2), its history kept beside it (R-10.5)."""
        generation = self.generation
        return [r for r in self.restorations if r.generation == generation]

    def withdrawals(self) -> list[Infraction]:
        """Decisions of the current licence that gave rise to a withdrawal (R-10.2), in order.

        The rules ask for it many times on one state; the list is shared, never to be changed.
        """
        found = self._withdrawals
        if found is None:
            generation = self.generation
            decided = [
                i
                for i in self.infractions.values()
                if i.generation == generation
                and i.points is not None
                and i.points > 0
                and i.cancelled_on is None  # as if never recorded
            ]
            decided.sort(key=_position)
            found = self._withdrawals = decided
        return found

    def every_withdrawal(self) -> list[Infraction]:
        """Decisions that gave rise to a withdrawal (R-10.2) on any licence of the person, in
        order: an infraction committed inside a window breaks it whatever licence it was recorded
        on (R-10.18, R-10.5). Shared, never to be changed."""
        found = self._every_withdrawal
        if found is None:
            decided = [
                i
                for i in self.infractions.values()
                if i.points is not None and i.points > 0 and i.cancelled_on is None
            ]
            decided.sort(key=_position)
            found = self._every_withdrawal = decided
        return found

    def letter(self, letter_type: str, ref: str) -> Letter | None:
        index = self.letter_index(letter_type, ref)
        return None if index is None else self.letters[index]

    def letter_index(self, letter_type: str, ref: str) -> int | None:
        for index, letter in enumerate(self.letters):
            if letter.type == letter_type and letter.ref == ref:
                return index
        return None


def _position(infraction: Infraction) -> int:
    return infraction.position


def _send(state: LicenceState, letter: Letter) -> None:
    """List a letter among the others by the day it was sent, oldest first (CONTRACT §4)."""
    letters = state.letters
    index = len(letters)
    while index and letters[index - 1].sent_on > letter.sent_on:
        index -= 1
    letters.insert(index, letter)
    early = state.early_deliveries.get((letter.type, letter.ref))
    if early is not None:
        state.early_deliveries = {
            key: value for key, value in state.early_deliveries.items() if value is not early
        }
        _deliver(early, state, index)


def _set_balance(state: LicenceState, balance: int) -> None:
    state.balance = max(0, min(state.ceiling, balance))


# States share their records (a state extended from another, a state restated on another date), so a
# record is never changed where it is: an event that changes one replaces it by a changed copy.


def _own(records: dict[str, _Record], key: str) -> _Record:
    """The record `key` of this state, copied so that changing it changes no other state."""
    record = records[key] = _copied(records[key])
    return record


def _own_item(records: list[_Record], index: int) -> _Record:
    """The record at `index` of this state, copied so that changing it changes no other state."""
    record = records[index] = _copied(records[index])
    return record


@singledispatch
def _apply(event: ev.LicenceEvent, state: LicenceState, position: int) -> None:
    """Events that change nothing in the view (alerts) fall here."""


@_apply.register
def _issued(event: ev.LicenceIssued, state: LicenceState, position: int) -> None:
    state.issued_on = event.issued_on
    state.issued_dates = (event.issued_on,)
    state.route = event.route
    state.probationary = event.probationary
    state.probation_started_on = event.issued_on if event.probationary else None
    state.initial_points = (
        state.law.value("probation_initial_points", event.issued_on) if event.probationary else 12
    )
    state.balance = state.initial_points if event.probationary else event.points


@_apply.register
def _reissued(event: ev.LicenceReissued, state: LicenceState, position: int) -> None:
    state.generation += 1
    state.unsent_invalidation = None
    state.issued_on = event.issued_on
    state.issued_dates = (*state.issued_dates, event.issued_on)
    state.route = event.route
    state.probationary = True
    state.probation_started_on = event.issued_on
    state.probation_ended_on = None
    state.initial_points = state.law.value("probation_initial_points", event.issued_on)
    state.gains = 0
    state.balance = state.initial_points
    state.status = Status.VALID
    state.training_on = None
    state.training_eligible = False


@_apply.register
def _training(event: ev.ComplementaryTrainingCompleted, state: LicenceState, pos: int) -> None:
    state.training_on = event.completed_on
    state.training_eligible = event.eligible


@_apply.register
def _recorded(event: ev.InfractionRecorded, state: LicenceState, position: int) -> None:
    state.infractions[event.infraction_id] = Infraction(
        infraction_id=event.infraction_id,
        offence=event.offence,
        offence_class=event.offence_class,
        catalogue_points=event.catalogue_points,
        committed_on=event.committed_on,
        occasion=event.occasion,
        generation=state.generation,
    )


@_apply.register
def _withdrawn(event: ev.PointsWithdrawn, state: LicenceState, position: int) -> None:
    infraction = _own(state.infractions, event.infraction_id)
    # The points come off the licence of the decision, which may be a new one since the infraction
    # was recorded: its restorations are that licence's.
    infraction.generation = state.generation
    infraction.established_on = event.established_on
    infraction.decided_on = event.effective_on
    infraction.basis = event.basis
    infraction.points = event.points
    infraction.position = state.fold_order
    before = state.balance
    _set_balance(state, state.balance - event.points)
    infraction.taken = before - state.balance
    if before > 0 and state.balance == 0 and event.letter != LetterType.L48SI:
        state.unsent_invalidation = event.infraction_id
    if event.letter == LetterType.L48N:
        oid = f"48N:{event.infraction_id}"
        state.obligations[oid] = Obligation(
            oid, ObligationKind.MANDATORY_STAGE, event.effective_on, None
        )
    if event.letter == LetterType.L48SI:
        _invalidate(state, event.infraction_id, event.effective_on, position)
    if event.letter is not None:  # last: what its notification starts is there (`_deliver`)
        _send(state, Letter(event.letter, event.infraction_id, event.effective_on))


def _invalidate(state: LicenceState, ref: str, decided_on: date, position: int) -> None:
    """The balance reached 0: the licence's invalidation, pending its 48SI (R-7.1)."""
    state.status = Status.INVALIDATION_PENDING
    state.invalidations.append(Invalidation(ref, decided_on, state.generation, position=position))
    if state.unsent_invalidation == ref:
        state.unsent_invalidation = None


@_apply.register
def _decided(event: ev.InvalidationDecided, state: LicenceState, position: int) -> None:
    _invalidate(state, event.ref, event.effective_on, position)
    _send(state, Letter(event.letter, event.ref, max(event.effective_on, event.recorded_on)))


@_apply.register
def _delivered(event: ev.LetterDelivered, state: LicenceState, position: int) -> None:
    index = state.letter_index(event.letter, event.ref)
    if index is None:
        # Acknowledged on the day it is sent, the letter sent by an event the fold applies later
        # that day (a 47 goes with the day's stage credits, R-5.3): delivered once sent.
        state.early_deliveries = {**state.early_deliveries, (event.letter, event.ref): event}
        return
    _deliver(event, state, index)


def _deliver(event: ev.LetterDelivered, state: LicenceState, index: int) -> None:
    """The letter at `index` notified, with what its notification starts (R-3.3, R-5.6, R-6.2)."""
    _own_item(state.letters, index).delivered_on = event.delivered_on
    if event.letter == LetterType.L48N:
        oid = f"48N:{event.ref}"
        if oid in state.obligations:
            _own(state.obligations, oid).due_on = event.due_on
    if event.letter == LetterType.L48SI:
        for number, invalidation in enumerate(state.invalidations):
            if invalidation.ref == event.ref and not invalidation.annulled:
                invalidation = _own_item(state.invalidations, number)
                invalidation.notified_on = event.delivered_on
                if invalidation.generation == state.generation:
                    state.status = Status.INVALIDATED
                oid = f"48SI:{event.ref}"
                obligation = Obligation(
                    oid, ObligationKind.LICENCE_RETURN, event.delivered_on, event.due_on
                )
                if invalidation.returned_on is not None:
                    obligation.status = ObligationStatus.FULFILLED
                    obligation.settled_on = invalidation.returned_on
                state.obligations[oid] = obligation


@_apply.register
def _attended(event: ev.StageAttended, state: LicenceState, position: int) -> None:
    state.stages[event.stage_id] = Stage(
        event.stage_id, event.kind, event.first_day, event.last_day, event.centre
    )


@_apply.register
def _attestation(event: ev.AttestationReceived, state: LicenceState, position: int) -> None:
    if event.stage_id in state.stages:
        _own(state.stages, event.stage_id).attestation_on = event.received_on
    state.flags.pop(f"stage:{event.stage_id}", None)
    # It proves the mandatory stage that stage fulfilled: that breach's flag goes.
    for obligation in state.obligations.values():
        if obligation.settled_by == event.stage_id:
            state.flags.pop(obligation.obligation_id, None)


def stage_credit_points(state: LicenceState, stage: Stage) -> int:
    """Up to the stage's points, within the ceiling of the state the credit applies to (R-5.3)."""
    maximum = state.law.value("stage_max_points", stage.last_day)
    return max(0, min(maximum, state.ceiling - state.balance))


def letter_47_sent_on(event: ev.StageCredited) -> date:
    """The 47 goes when the points come back (R-3.2): on the credit's date, or on the day the
    attestation is received if later (R-5.3)."""
    return max(event.effective_on, event.recorded_on)


@_apply.register
def _credited(event: ev.StageCredited, state: LicenceState, position: int) -> None:
    stage = _own(state.stages, event.stage_id)
    stage.credited = True
    stage.refusal = None  # a refusal under decided again after a cancellation
    # After every withdrawal decided on or before the credit's date: one decided that day
    # but recorded after the attestation counts too, so the points, and whether a 47 goes (none
    # for 0 points, R-5.4), are the fold's to say, not only what was known when it was recorded.
    added = stage_credit_points(state, stage)
    stage.points_credited = added
    _set_balance(state, state.balance + added)
    # A 47 already sent stays in the history when a cancellation's points leave the stage nothing
    # to add.
    if added > 0 or (event.letter is not None and state.points_given_back):
        _send(state, Letter(LetterType.L47, event.stage_id, letter_47_sent_on(event)))


@_apply.register
def _credit_refused(event: ev.StageCreditRefused, state: LicenceState, position: int) -> None:
    _own(state.stages, event.stage_id).refusal = event.refusal


@_apply.register
def _fulfilled(event: ev.MandatoryStageFulfilled, state: LicenceState, position: int) -> None:
    for oid in event.obligations:
        if oid in state.obligations:
            obligation = _own(state.obligations, oid)
            obligation.status = ObligationStatus.FULFILLED
            obligation.settled_on = event.effective_on
            obligation.settled_by = event.stage_id


@_apply.register
def _cleared(event: ev.FlagsCleared, state: LicenceState, position: int) -> None:
    for flag_id in event.flags:
        state.flags.pop(flag_id, None)


@_apply.register
def _breached(event: ev.ObligationBreached, state: LicenceState, position: int) -> None:
    obligation = state.obligations.get(event.obligation)
    if obligation is None:
        return
    obligation = _own(state.obligations, event.obligation)
    obligation.breach_recorded = True
    if _cleared_before(state, obligation):
        return
    # A fulfilment proved later keeps its earlier legal date, but the flag stood until the
    # attestation cleared it.
    if obligation.status != ObligationStatus.FULFILLED:
        obligation.status = ObligationStatus.BREACHED
        obligation.settled_on = event.effective_on
    state.flags[event.obligation] = Flag(
        event.obligation, event.flag, event.raised_on, event.effective_on
    )


def _cleared_before(state: LicenceState, obligation: Obligation) -> bool:
    """What would clear the breach's flag had already happened on its legal date, though the
    service learnt of it only after raising the flag: the licence returned (R-6.2), or the
    attestation of the stage that fulfilled the mandatory stage received (R-6.1). A flag is
    cleared on the legal date of what clears it (R-10.3): here, before it was due to be raised.
    """
    if obligation.status != ObligationStatus.FULFILLED:
        return False
    if obligation.kind == ObligationKind.LICENCE_RETURN:
        return True
    stage = state.stages.get(obligation.settled_by or "")
    return stage is not None and stage.attestation_on is not None


@_apply.register
def _overdue(event: ev.AttestationOverdue, state: LicenceState, position: int) -> None:
    stage = state.stages.get(event.stage_id)
    if stage is not None and stage.attestation_on is None:
        flag_id = f"stage:{event.stage_id}"
        state.flags[flag_id] = Flag(
            flag_id, FlagKind.ATTESTATION_OVERDUE, event.raised_on, event.effective_on
        )


@_apply.register
def _gain(event: ev.YearlyGainCredited, state: LicenceState, position: int) -> None:
    before = state.balance
    state.gains += event.points
    _set_balance(state, state.balance + event.points)
    state.restorations.append(
        Restoration(
            position,
            event.rule,
            event.effective_on,
            event.points,
            [],
            event.effective_on,
            state.fold_order,
            generation=state.generation,
            applied=state.balance - before,
        )
    )


@_apply.register
def _probation_ended(event: ev.ProbationEnded, state: LicenceState, position: int) -> None:
    state.probationary = False
    state.probation_ended_on = event.effective_on
    _set_balance(state, state.balance + event.points)


@_apply.register
def _restored(event: ev.PointsRestored, state: LicenceState, position: int) -> None:
    before = state.balance
    _set_balance(state, state.balance + event.points)
    state.restorations.append(
        Restoration(
            position,
            event.rule,
            event.effective_on,
            event.points,
            list(event.infraction_ids),
            event.window_start,
            state.fold_order,
            generation=state.generation,
            applied=state.balance - before,
        )
    )


@_apply.register
def _revoked(event: ev.RestorationRevoked, state: LicenceState, position: int) -> None:
    for number, restoration in enumerate(state.restorations):
        if restoration.position == event.restoration:
            if restoration.revoked:
                # Revoked already, by a cancellation's consequence: a restoration's
                # points are taken back once.
                return
            _own_item(state.restorations, number).revoked = True
            if restoration.rule == "R-1.4":
                state.gains -= restoration.points
            # What it added in this fold goes, no more: a restoration decided on a lower balance
            # may add less once a cancelled withdrawal's points are back.
            _set_balance(state, state.balance - restoration.applied)
            return
    _set_balance(state, state.balance - event.points)


@_apply.register
def _returned(event: ev.LicenceReturned, state: LicenceState, position: int) -> None:
    number = state.current_invalidation_index
    if number is None or state.invalidations[number].position > position:
        # the return was recorded for an invalidation since annulled; the one that took
        # its place, decided after the return was recorded, needs a return of its own.
        return
    invalidation = _own_item(state.invalidations, number)
    invalidation.returned_on = event.returned_on
    invalidation.new_licence_possible_on = event.new_licence_possible_on
    oid = f"48SI:{invalidation.ref}"
    if oid in state.obligations:
        obligation = _own(state.obligations, oid)
        obligation.status = ObligationStatus.FULFILLED
        obligation.settled_on = event.returned_on
    state.flags.pop(oid, None)


@_apply.register
def _revised(event: ev.NewLicenceDateRevised, state: LicenceState, position: int) -> None:
    for number, invalidation in enumerate(state.invalidations):
        if invalidation.ref == event.ref:
            _own_item(
                state.invalidations, number
            ).new_licence_possible_on = event.new_licence_possible_on


@_apply.register
def _annulled(event: ev.InvalidationAnnulled, state: LicenceState, position: int) -> None:
    for number, invalidation in enumerate(state.invalidations):
        if invalidation.ref == event.ref:
            _own_item(state.invalidations, number).annulled = True
    state.obligations.pop(f"48SI:{event.ref}", None)
    state.flags.pop(f"48SI:{event.ref}", None)
    if state.status in (Status.INVALIDATION_PENDING, Status.INVALIDATED):
        state.status = Status.VALID


@_apply.register
def _cancelled(event: ev.InfractionCancelled, state: LicenceState, position: int) -> None:
    """Its withdrawal annulled from its own decision date, where this event takes effect: the
    points it took come back within the ceiling, and no rule counts it from then on (R-11.2)."""
    if event.infraction_id not in state.infractions:
        return  # not listed yet on this legal date (it takes effect once listed)
    infraction = _own(state.infractions, event.infraction_id)
    infraction.cancelled_on = event.cancelled_on
    infraction.ground = event.ground
    infraction.reference = event.reference
    if infraction.points is not None:
        _set_balance(state, state.balance + infraction.taken)
        state.points_given_back = True
    if state.unsent_invalidation == event.infraction_id:
        state.unsent_invalidation = None


@_apply.register
def _reinstated(event: ev.RestorationReinstated, state: LicenceState, position: int) -> None:
    for number, restoration in enumerate(state.restorations):
        if restoration.position == event.restoration:
            _own_item(state.restorations, number).revoked = False
            if restoration.rule == "R-1.4":
                state.gains += restoration.points
            _set_balance(state, state.balance + restoration.applied)  # what the revocation took
            return
    _set_balance(state, state.balance + event.points)


@_apply.register
def _dropped(event: ev.ObligationDropped, state: LicenceState, position: int) -> None:
    state.obligations.pop(event.obligation, None)
    state.flags.pop(event.obligation, None)


@_apply.register
def _suspended(event: ev.SuspensionRecorded, state: LicenceState, position: int) -> None:
    state.suspensions[event.suspension_id] = Suspension(
        event.suspension_id, event.kind, event.first_day, event.last_day, event.reference
    )


@_apply.register
def _lifted(event: ev.SuspensionLifted, state: LicenceState, position: int) -> None:
    for suspension_id in event.suspensions:
        if suspension_id in state.suspensions:
            suspension = _own(state.suspensions, suspension_id)
            suspension.last_day = min(suspension.last_day, event.lifted_on - timedelta(days=1))
            suspension.lifted_on = event.lifted_on


def superseded(history: Sequence[ev.LicenceEvent], known_at: date | None) -> frozenset[int]:
    """Positions of the events that no longer stand, as known at `known_at`: an end of probation
    decided while a since-cancelled infraction counted (R-11.3). As of any date, with the
    cancellation known, it never happened; as known at an earlier date, it did (R-9.1)."""
    return frozenset(
        e.revoked
        for e in history
        if isinstance(e, ev.ProbationEndRevoked) and (known_at is None or e.recorded_on <= known_at)
    )


def ordered(history: Sequence[ev.LicenceEvent]) -> list[tuple[int, ev.LicenceEvent]]:
    """The events with their positions, in legal order: date, then phase, then recording order."""
    indexed = list(enumerate(history))
    return sorted(indexed, key=lambda pair: (pair[1].effective_on, pair[1].PHASE, pair[0]))


def restated(state: LicenceState, as_of: date) -> LicenceState | None:
    """`state` on the legal date `as_of` when folding again would apply the same events (R-9.1).

    A fold depends on its date only through the events it stops before and the capital that caps
    the balance (R-1.1, `ceiling`): when the caller knows that no event takes effect after `as_of`
    and the capital is the same, the fold on `as_of` is `state` with its date changed (what it holds
    is shared, never changed). None when it must be folded.
    """
    law = state.law
    if law.value_or_none("capital_max", as_of) != law.value_or_none("capital_max", state.as_of):
        return None
    moved = _copied(state)  # what `replace` gives, without running __init__ again
    moved.as_of = as_of
    return moved


def extended(
    state: LicenceState, history: Sequence[ev.LicenceEvent], start: int
) -> LicenceState | None:
    """The fold of `history`, from `state`: the fold of `history[:start]` with everything known.

    Events are only appended; when those from `start` on come last in legal order and take effect
    by `state.as_of`, folding again would apply the same events to the same state, then these
    (R-9.1). `state` itself is left as it is. None when it must be folded.
    """
    last = state.last_applied
    if any(isinstance(e, ev.ProbationEndRevoked) for e in history[start:]):
        return None  # it changes what came before (`superseded`)
    for event in history[start:]:
        key = (event.effective_on, event.PHASE)
        if key < last or event.effective_on > state.as_of:
            return None
        last = key
    new = _detached(state)
    for position in range(start, len(history)):
        _take(new, history[position], position)
    return new


def _detached(state: LicenceState) -> LicenceState:
    """A copy whose collections can change without changing `state`'s (records are copied on
    write, see `_own`)."""
    new = _copied(state)
    new.infractions = state.infractions.copy()
    new.letters = state.letters.copy()
    new.obligations = state.obligations.copy()
    new.flags = state.flags.copy()
    new.stages = state.stages.copy()
    new.restorations = state.restorations.copy()
    new.invalidations = state.invalidations.copy()
    new.suspensions = state.suspensions.copy()
    return new


def _copied(record: _Record) -> _Record:
    """A shallow copy of a dataclass instance: `copy.copy`, without its generic protocol."""
    new = object.__new__(type(record))
    vars(new).update(vars(record))
    return new


def _take(state: LicenceState, event: ev.LicenceEvent, position: int) -> None:
    state._withdrawals = None
    state._every_withdrawal = None
    state.last_recorded_on = max(state.last_recorded_on, event.recorded_on)
    state.last_applied = (event.effective_on, event.PHASE)  # events are applied in legal order
    _apply(event, state, position)
    state.fold_order += 1


def fold(
    neph: str,
    history: Sequence[ev.LicenceEvent],
    law: Law,
    as_of: date,
    known_at: date | None = None,
    before_phase: int | None = None,
) -> LicenceState:
    """The state on the legal date `as_of`, from what was recorded by `known_at` (R-9.1); with
    `before_phase`, before the events of that phase or later on `as_of` (the day's stage credits,
    which come after its withdrawals, R-5.3)."""
    state = LicenceState(neph=neph, as_of=as_of, law=law)
    known: Iterable[tuple[int, ev.LicenceEvent]] = ordered(history)
    gone = superseded(history, known_at)
    for position, event in known:
        if known_at is not None and event.recorded_on > known_at:
            continue
        if position in gone:
            continue
        if event.effective_on > as_of:
            break
        if before_phase is not None and event.effective_on == as_of and before_phase <= event.PHASE:
            break
        _take(state, event, position)
    return state
