"""The Licence aggregate: one per NEPH, its whole history as events (R-10.5).

Commands check the rules on the state folded from the history (`domain.state`), then record the
decisions of the rules engine (`domain.rules`) as events. Nothing is ever edited: a correction is a
new event that cites its reason (R-9.2).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import events as ev
from domain.errors import CommandRefused
from domain.glossary import LetterType
from domain.law import Law
from domain.policy import Policy
from domain.rules import Decision, Effect
from domain.rules.corrections import (
    cancel,
    invalidation_annulled,
    lift,
    obligations_dropped,
    own_restorations_revoked,
    probation_end_revoked,
    reinstatements,
    suspension,
)
from domain.rules.deadlines import deadline_effects, notification_deadline
from domain.rules.invalidation import (
    check_reissue,
    new_invalidation,
    new_licence_delay,
    new_licence_months,
)
from domain.rules.probation import probation_effects, training_is_eligible
from domain.rules.restoration import restoration_effects
from domain.rules.stages import (
    annulment,
    credit,
    credit_date,
    fulfilled_obligations,
    refusal_reason,
)
from domain.rules.withdrawal import choose_letter, occasion_cap, points_after_cap, revocations
from domain.state import LicenceState, Stage, extended, fold, restated

NEPH_NAMESPACE = UUID("6f1c8a52-2f55-4d43-9a8e-2b1d0c5e7a10")
FAR_FUTURE = date(9000, 1, 1)


class Mark(NamedTuple):
    """A licence's history and unsaved events at a point, and its version then (`Licence.undo`)."""

    history: int
    pending: int
    version: int
    modified_on: datetime


class Context(NamedTuple):
    """What every decision needs besides the licence: when it is recorded, why, under which law."""

    recorded_on: date
    command_id: str | None
    law: Law
    policy: Policy


# Holding the policy keeps its id from being reused by another object. A process has one policy
# (its settings) and a test run a few hundred, so the table stays that small.
_FINGERPRINTS: dict[int, tuple[Policy, str]] = {}


def _fingerprint(policy: Policy) -> str:
    """The policy's fingerprint, computed once per policy object (it hashes its JSON); found by
    identity, since hashing a frozen dataclass hashes all its fields on every event."""
    hit = _FINGERPRINTS.get(id(policy))
    if hit is None or hit[0] is not policy:
        hit = _FINGERPRINTS[id(policy)] = (policy, policy.fingerprint())
    return hit[1]


@lru_cache(maxsize=65_536)
def licence_id(neph: str) -> UUID:
    """The aggregate id derived from the NEPH: no lookup table, the same across re-issues."""
    return uuid5(NEPH_NAMESPACE, neph)


_DUE_ORDER = itemgetter(0, 1, 2)  # an effect's due date, rank, key


def pending_effects(state: LicenceState, policy: Policy) -> list[Effect]:
    """Every time-driven effect still to come for this licence, in the order they fall due."""
    effects = [
        *probation_effects(state),
        *restoration_effects(state),
        *deadline_effects(state, policy),
    ]
    return sorted(effects, key=_DUE_ORDER)


class Licence(Aggregate):
    """A driving licence and its points, identified by its NEPH."""

    TOPIC = "permis.licence.Licence"

    class Created(Aggregate.Created):
        TOPIC = "permis.licence.Licence.Created.v1"

    # Folds of the current history, kept in a slot rather than in vars(): not state, so never in a
    # snapshot nor in equality. Events are only appended, so the history's length versions it.
    __slots__ = ("_folds",)

    if TYPE_CHECKING:  # set by LicenceIssued.apply; not constructor arguments
        history: list[ev.LicenceEvent]
        neph: str
        _folds: tuple[list[ev.LicenceEvent], int, dict[Any, Any]]

    # --- queries -------------------------------------------------------------------------------

    def _cache(self) -> dict[Any, Any]:
        """What was folded from the history as it is now (emptied when an event is added)."""
        history = self.history
        try:
            cache = self._folds
        except AttributeError:
            cache = None
        if cache is None or cache[0] is not history or cache[1] != len(history):
            fresh: dict[Any, Any] = {}
            if cache is not None and cache[0] is history and cache[1] < len(history):
                # The latest state before the new events, to extend rather than fold again.
                fresh["before"] = (cache[1], cache[2].get(("state", FAR_FUTURE)))
                if not any(type(e).MOVES_DUE_DATES for e in history[cache[1] :]):
                    # Nor do the pending effects change (`tests/test_fold_shortcuts.py`).
                    fresh.update(
                        (key, hit) for key, hit in cache[2].items() if key[:1] == ("effects",)
                    )
            cache = self._folds = (history, len(history), fresh)
        return cache[2]

    def state(self, law: Law, as_of: date, known_at: date | None = None) -> LicenceState:
        """The state on the legal date `as_of`, as known at `known_at` (R-9.1)."""
        cache = self._cache()
        if as_of == FAR_FUTURE and known_at is None:
            return self._latest(law, cache)
        key = ("state", id(law), as_of, known_at)
        hit = cache.get(key)
        if hit is None or hit[0] is not law:
            state = None
            if known_at is None:
                latest = self._latest(law, cache)
                if as_of >= latest.last_applied[0]:
                    state = restated(latest, as_of)  # the same events apply
            if state is None:
                state = fold(self.neph, self.history, law, as_of, known_at)
            hit = cache[key] = (law, state)
        found: LicenceState = hit[1]
        return found

    def _latest(self, law: Law, cache: dict[Any, Any]) -> LicenceState:
        """Everything known, with every event applied: extended from the state before the last
        events when they come last in legal order, else folded."""
        key = ("state", FAR_FUTURE)
        hit = cache.get(key)
        if hit is None or hit[0] is not law:
            state = None
            start, before = cache.get("before", (0, None))
            if before is not None and before[0] is law:
                state = extended(before[1], self.history, start)
            if state is None:
                state = fold(self.neph, self.history, law, FAR_FUTURE)
            hit = cache[key] = (law, state)
        latest: LicenceState = hit[1]
        return latest

    def _pending(self, law: Law, policy: Policy) -> list[Effect]:
        """The time-driven effects still to come (`pending_effects`), once per history."""
        cache = self._cache()
        key = ("effects", id(law), id(policy))
        hit = cache.get(key)
        if hit is None or hit[0] is not law or hit[1] is not policy:
            state = self._latest(law, cache)
            hit = cache[key] = (law, policy, pending_effects(state, policy))
        effects: list[Effect] = hit[2]
        return effects

    @property
    def last_recorded_on(self) -> date:
        return max(e.recorded_on for e in self.history)

    def next_due(self, law: Law, policy: Policy) -> date | None:
        """The date of the next time-driven effect, for the due-date index."""
        effects = self._pending(law, policy)
        return effects[0].due_on if effects else None

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def issue(
        cls,
        ctx: Context,
        neph: str,
        issued_on: date,
        route: str,
        probationary: bool,
        points: int,
        holder: dict[str, str] | None,
    ) -> Licence:
        """A licence issued, probationary with 6 points, or taken over with its balance (R-1.2)."""
        if issued_on > ctx.recorded_on:
            raise CommandRefused(f"issued on {issued_on}, after the day it is recorded", "R-1.2")
        if probationary:
            kind = f"probationary, {ctx.law.value('probation_initial_points', issued_on)} points"
        else:
            kind = f"not probationary, {points} points"
        licence = cls._create(
            ev.LicenceIssued,
            id=licence_id(neph),
            neph=neph,
            issued_on=issued_on,
            route=route,
            probationary=probationary,
            points=points,
            holder=holder,
            **cls._base(ctx, issued_on, "R-1.2", f"L223-1: licence issued ({route}, {kind})"),
            previous_hash=ev.GENESIS_HASH,
        )
        return licence

    def update_holder(self, ctx: Context, changes: dict[str, Any]) -> None:
        """The holder's new details (a postal address) from the day recorded: letters go there
        (letters.md: every letter shows the holder's address; R-3.3 presents it there)."""
        self._record(
            ctx,
            Decision(
                ev.HolderUpdated,
                ctx.recorded_on,
                "R-3.3",
                f"holder details changed: {', '.join(sorted(changes))}",
                {"holder": changes},
            ),
        )

    def reissue(self, ctx: Context, issued_on: date, route: str, probationary: bool) -> None:
        """A new probationary licence on the same NEPH after an invalidation (R-7.2, R-1.2)."""
        check_reissue(self.state(ctx.law, ctx.recorded_on), issued_on, probationary)
        if issued_on > ctx.recorded_on:
            raise CommandRefused(f"issued on {issued_on}, after the day it is recorded", "R-1.2")
        self._record(
            ctx,
            Decision(
                ev.LicenceReissued,
                issued_on,
                "R-7.2",
                f"L223-5 II: new probationary licence ({route}) after the invalidation",
                {"issued_on": issued_on, "route": route},
            ),
        )

    def complete_training(self, ctx: Context, completed_on: date) -> None:
        """The complementary training, which may shorten probation (R-1.6)."""
        state = self.state(ctx.law, ctx.recorded_on)
        if state.training_on is not None:
            raise CommandRefused("the complementary training is already recorded", "R-1.6")
        self._not_after(ctx, completed_on, "training completed")
        # Judged on the licence as it stood when the training was completed, however late the
        # service learns of it: probation may have ended since.
        eligible, why = training_is_eligible(self.state(ctx.law, completed_on), completed_on)
        self._record(
            ctx,
            Decision(
                ev.ComplementaryTrainingCompleted,
                completed_on,
                "R-1.6",
                f"R223-1 II: formation complémentaire {why}",
                {"completed_on": completed_on, "eligible": eligible},
            ),
        )

    def record_infraction(
        self,
        ctx: Context,
        infraction_id: str,
        offence: str,
        committed_on: date,
        occasion: str | None,
        offence_class: str | None,
        points: int | None,
    ) -> None:
        """An infraction reported: it withdraws nothing yet (R-2.1); its points are dated (R-2.3)."""
        state = self.state(ctx.law, ctx.recorded_on)
        if infraction_id in state.infractions:
            raise CommandRefused(f"infraction {infraction_id} is already recorded", "R-2.6")
        self._not_after(ctx, committed_on, "infraction committed")
        if offence in ctx.law.offences:
            entry = ctx.law.offence(offence)
            offence_class, points = entry.offence_class, entry.points_on(committed_on)
            source = f"catalogue: {entry.label}, {entry.source}"
        else:
            source = "given by the journal (offence outside the catalogue)"
        assert offence_class is not None and points is not None  # checked at the boundary
        self._record(
            ctx,
            Decision(
                ev.InfractionRecorded,
                ctx.recorded_on,
                "R-2.1",
                f"L223-1: {offence} ({offence_class}, {points} points, {source}) committed on "
                f"{committed_on} recorded; nothing is withdrawn until its réalité is established",
                {
                    "infraction_id": infraction_id,
                    "offence": offence,
                    "offence_class": offence_class,
                    "catalogue_points": points,
                    "committed_on": committed_on,
                    "occasion": occasion,
                },
            ),
        )

    def establish(self, ctx: Context, infraction_id: str, established_on: date, basis: str) -> None:
        """The réalité established: the withdrawal is decided today, with its letter (R-2, R-3.1)."""
        on = ctx.recorded_on
        state = self.state(ctx.law, on)
        infraction = state.infractions.get(infraction_id)
        if infraction is None:
            raise CommandRefused(f"infraction {infraction_id} is not recorded", "R-2.6")
        if infraction.cancelled:
            raise CommandRefused(
                f"infraction {infraction_id} was cancelled on {infraction.cancelled_on} "
                f"({infraction.ground}): it can no longer be established",
                "R-11.4",
            )
        if infraction.points is not None:
            raise CommandRefused(
                f"infraction {infraction_id} was already established on {infraction.established_on}",
                "R-2.6",
            )
        if established_on < infraction.committed_on:
            raise CommandRefused(
                f"réalité on {established_on}, before the infraction ({infraction.committed_on})",
                "R-2.2",
            )
        self._not_after(ctx, established_on, "réalité established")
        points = points_after_cap(state, infraction)
        credits = [x.stage_id for x in state.stages.values() if x.credited and credit_date(x) == on]
        before = self._before_credits(ctx, on, credits).balance
        if points > 0:
            for revocation in revocations(state, infraction, on, ctx.policy):
                self._record(ctx, revocation)
        state = self._before_credits(ctx, on, credits)
        infraction = state.infractions[infraction_id]
        later = ""
        if credits:
            later = f"; the credit of stage(s) {', '.join(credits)} of today comes after (R-5.3)"
        letter = choose_letter(state, infraction, points, ctx.policy, on, before)
        after = max(0, state.balance - points)
        capped = ""
        if points != infraction.catalogue_points:
            cap = occasion_cap(state, infraction)
            capped = f" ({points} under the cap of {cap} points of the occasion, R-2.4)"
        revoked = ""
        if before != state.balance:
            revoked = f"{before} → {state.balance} by the revocations (R-4.4, R-10.9) "
        self._record(
            ctx,
            Decision(
                ev.PointsWithdrawn,
                on,
                "R-2.2",
                f"L223-1: réalité of {infraction_id} ({infraction.offence}, "
                f"{infraction.offence_class}) established on {established_on} by {basis}; "
                f"{infraction.catalogue_points} point(s){capped} withdrawn on the decision of {on}: "
                f"balance {revoked}{state.balance} → {after}; "
                + (f"letter {letter} (R-3.1)" if letter else "no letter, nothing withdrawn (R-3.1)")
                + later,
                {
                    "infraction_id": infraction_id,
                    "established_on": established_on,
                    "basis": basis,
                    "points": points,
                    "balance_after": after,
                    "letter": letter,
                },
            ),
        )
        if letter == LetterType.L48SI:
            self._annul_by_a_later_credit(ctx, on)

    def _before_credits(self, ctx: Context, on: date, credits: list[str]) -> LicenceState:
        """The licence on `on`; before the stage credits of that day when there are (`credits`),
        recorded earlier but coming after the day's withdrawals (R-5.3)."""
        if not credits:
            return self.state(ctx.law, on)
        return fold(self.neph, self.history, ctx.law, on, before_phase=ev.StageCredited.PHASE)

    def _annul_by_a_later_credit(self, ctx: Context, on: date) -> None:
        """A stage credited from `on` or later, recorded before today's zeroing decision, comes
        after it (R-5.3) and, ending before any notification, annuls the invalidation (R-5.5)."""
        state_now = self.state(ctx.law, FAR_FUTURE)
        later = [x for x in state_now.stages.values() if x.credited and credit_date(x) >= on]
        for stage in sorted(later, key=credit_date):
            if self._annul(ctx, stage):
                return

    def _annul(self, ctx: Context, stage: Stage) -> bool:
        """The invalidation annulled when the balance is above 0 on the stage's credit date, with
        the withdrawals decided on or before it (R-5.5, R-10.17); then a withdrawal decided later
        that brought the balance back to 0 is a new invalidation, with its own 48SI."""
        invalidation = self.state(ctx.law, FAR_FUTURE).current_invalidation
        if invalidation is None:
            return False
        on = max(credit_date(stage), invalidation.decided_on)
        cancel = annulment(self.state(ctx.law, on), stage)
        if cancel is None:
            return False
        self._record(ctx, cancel)
        state_now = self.state(ctx.law, FAR_FUTURE)
        decision = new_invalidation(state_now)
        if decision is not None:
            self._record(ctx, decision)
        return True

    def acknowledge_delivery(self, ctx: Context, letter: str, delivered_on: date) -> None:
        """The notification of the latest undelivered letter of that type (R-3.3)."""
        state = self.state(ctx.law, ctx.recorded_on)
        waiting = [x for x in state.letters if x.type == letter and x.delivered_on is None]
        if not waiting:
            raise CommandRefused(f"no letter {letter} is waiting for its acknowledgement", "R-3.3")
        target = waiting[-1]
        if delivered_on < target.sent_on:
            raise CommandRefused(
                f"delivered on {delivered_on}, before the letter was sent ({target.sent_on})",
                "R-3.3",
            )
        self._not_after(ctx, delivered_on, "letter delivered")
        due_on = notification_deadline(letter, delivered_on, ctx.law, ctx.policy)
        starts = f"; deadline {due_on}" if due_on else ""
        self._record(
            ctx,
            Decision(
                ev.LetterDelivered,
                delivered_on,
                "R-3.3",
                f"CE 17/04/2025 n° 492072: letter {letter} of {target.sent_on} notified on "
                f"{delivered_on}{starts}",
                {
                    "letter": letter,
                    "ref": target.ref,
                    "delivered_on": delivered_on,
                    "due_on": due_on,
                },
            ),
        )
        if letter == "48SI":
            credited = [
                s for s in state.stages.values() if s.credited and s.last_day >= delivered_on
            ]
            for stage in credited:
                self._record(
                    ctx,
                    Decision(
                        ev.OperatorAlerted,
                        ctx.recorded_on,
                        "R-10.6",
                        f"stage {stage.stage_id} (last day {stage.last_day}) was credited, but the "
                        f"48SI turns out notified on {delivered_on}: the credit stands, to review",
                        {"subject": f"stage:{stage.stage_id}"},
                    ),
                )
            self._revise_new_licence_date(ctx, letter, delivered_on)

    def _revise_new_licence_date(self, ctx: Context, letter: str, delivered_on: date) -> None:
        """The delay of a new licence compares the notification dates (R-7.2): one learnt after
        the licence was returned may move the date the return fixed."""
        state_now = self.state(ctx.law, FAR_FUTURE)
        invalidation = state_now.current_invalidation
        if invalidation is None or invalidation.returned_on is None:
            return
        before = invalidation.new_licence_possible_on
        after = new_licence_delay(state_now, invalidation, invalidation.returned_on)
        if after == before:
            return
        self._record(
            ctx,
            Decision(
                ev.NewLicenceDateRevised,
                max(delivered_on, invalidation.returned_on),
                "R-7.2",
                f"L223-5 II: the {letter} notified on {delivered_on}, learnt after the return of "
                f"{invalidation.returned_on}, changes the delay to "
                f"{new_licence_months(state_now, invalidation, invalidation.returned_on)} months: "
                f"a new licence is possible from {after}, not {before}",
                {"ref": invalidation.ref, "new_licence_possible_on": after},
            ),
        )

    def complete_stage(
        self,
        ctx: Context,
        stage_id: str,
        kind: str,
        first_day: date,
        last_day: date,
        centre: str | None,
    ) -> None:
        """An organiser declares a stage attended in full (R-5.2)."""
        state = self.state(ctx.law, ctx.recorded_on)
        if stage_id in state.stages:
            raise CommandRefused(f"stage {stage_id} is already recorded", "R-5.2")
        self._not_after(ctx, last_day, "stage last day")
        self._record(
            ctx,
            Decision(
                ev.StageAttended,
                last_day,
                "R-5.2",
                f"R223-5: {kind} stage attended in full from {first_day} to {last_day}"
                + (f" at {centre}" if centre else ""),
                {
                    "stage_id": stage_id,
                    "kind": kind,
                    "first_day": first_day,
                    "last_day": last_day,
                    "centre": centre,
                },
            ),
        )

    def receive_attestation(self, ctx: Context, stage_id: str, received_on: date) -> None:
        """The attestation arrives: credit or refusal, obligations, flags (R-5.3 to R-5.6)."""
        state = self.state(ctx.law, ctx.recorded_on)
        stage = state.stages.get(stage_id)
        if stage is None:
            raise CommandRefused(f"stage {stage_id} is not recorded", "R-5.2")
        if stage.attestation_on is not None:
            raise CommandRefused(
                f"the attestation of stage {stage_id} was received on {stage.attestation_on}",
                "R-5.3",
            )
        if received_on < stage.last_day:
            raise CommandRefused(
                f"attestation received on {received_on}, before the stage ended ({stage.last_day})",
                "R-5.2",
            )
        self._not_after(ctx, received_on, "attestation received")
        self._record(
            ctx,
            Decision(
                ev.AttestationReceived,
                received_on,
                "R-5.3",
                f"R223-8: attestation of stage {stage_id} received on {received_on}",
                {"stage_id": stage_id, "received_on": received_on},
            ),
        )
        state = self.state(ctx.law, ctx.recorded_on)
        refused = refusal_reason(state, stage, ctx.policy)
        on = credit_date(stage)
        if refused is not None:
            rule, why = refused
            decision = Decision(
                ev.StageCreditRefused, on, rule, why, {"stage_id": stage_id, "refusal": why}
            )
            self._record(ctx, decision)
        else:
            self._record(ctx, credit(self.state(ctx.law, on), stage, on))
        self._fulfil_obligations(ctx, stage_id, received_on, refused)
        if refused is None:
            self._annul(ctx, stage)

    def _fulfil_obligations(
        self, ctx: Context, stage_id: str, received_on: date, refused: tuple[str, str] | None
    ) -> None:
        # blocks the points, not the fulfilment; neither, by POLICY.
        # A judicial stage never fulfils it (`fulfilled_obligations`).
        if (
            refused is not None
            and refused[0] == "R-5.4"
            and not ctx.policy.mandatory_stage_fulfilled_without_credit
        ):
            return
        state = self.state(ctx.law, ctx.recorded_on)
        stage = state.stages[stage_id]
        fulfilled = fulfilled_obligations(state, stage)
        if not fulfilled:
            return
        self._record(
            ctx,
            Decision(
                ev.MandatoryStageFulfilled,
                stage.last_day,
                "R-5.6",
                f"R223-4 I: stage {stage_id} ({stage.first_day} to {stage.last_day}) fulfils the "
                f"mandatory stage; the fine of the infraction may be refunded",
                {"stage_id": stage_id, "obligations": fulfilled},
            ),
        )
        flags = [f for f in fulfilled if f in state.flags]
        if flags:
            self._record(
                ctx,
                Decision(
                    ev.FlagsCleared,
                    received_on,
                    "R-6.1",
                    f"R223-4: the attestation of stage {stage_id} proves the mandatory stage",
                    {"flags": flags},
                ),
            )

    def return_licence(self, ctx: Context, returned_on: date) -> None:
        """The invalidated licence handed back; a new one possible after the delay (R-7.2)."""
        state = self.state(ctx.law, ctx.recorded_on)
        invalidation = state.current_invalidation
        if invalidation is None:
            raise CommandRefused("the licence is not invalidated: nothing to return", "R-7.2")
        if invalidation.returned_on is not None:
            raise CommandRefused(f"the licence was returned on {invalidation.returned_on}", "R-7.2")
        if returned_on < invalidation.decided_on:
            raise CommandRefused(
                f"returned on {returned_on}, before the invalidation ({invalidation.decided_on})",
                "R-7.2",
            )
        self._not_after(ctx, returned_on, "licence returned")
        months = new_licence_months(state, invalidation, returned_on)
        possible_on = new_licence_delay(state, invalidation, returned_on)
        pending = ""
        if invalidation.notified_on is None:
            pending = "; not shown until the 48SI is notified, which may change it (R-10.20)"
        flag = state.flags.get(f"48SI:{invalidation.ref}")
        if flag is None:
            breach = ""
        elif returned_on < flag.legal_on:
            breach = (
                f"; in time: the breach of {flag.legal_on}, raised before the return was known, "
                "is void (R-10.3)"
            )
        else:
            breach = f"; late: the flag raised on {flag.raised_on} is cleared (R-6.2)"
        self._record(
            ctx,
            Decision(
                ev.LicenceReturned,
                returned_on,
                "R-7.2",
                f"L223-5 II: licence returned on {returned_on}; a new licence is possible "
                f"{months} months later, from {possible_on}, after a medical and psychotechnical "
                f"examination{pending}{breach}",
                {"returned_on": returned_on, "new_licence_possible_on": possible_on},
            ),
        )

    def advance(self, ctx: Context, to: date, cause: str = "") -> int:
        """Apply, in date order, every time-driven effect due on or before `to` (R-0.5, R-6.4).

        With `cause`, the effects are a correction's consequences (R-11.3): each reason says why,
        and the correction's command caused them."""
        applied = 0
        while True:
            effects = self._pending(ctx.law, ctx.policy)
            if not effects or effects[0].due_on > to:
                return applied
            effect = effects[0]
            decisions = effect.decide(self.state(ctx.law, effect.due_on))
            if not decisions:  # a rule that falls due must decide something, or it would loop
                raise RuntimeError(f"effect {effect.key} due {effect.due_on} decided nothing")
            recorded_on = max(effect.due_on, self._latest(ctx.law, self._cache()).last_recorded_on)
            command_id = ctx.command_id if cause else None
            for decision in decisions:
                if cause:
                    decision = decision._replace(reason=f"{decision.reason}; {cause}")
                self._record(Context(recorded_on, command_id, ctx.law, ctx.policy), decision)
            applied += len(decisions)

    # --- corrections and suspensions (R-11, R-12) -------------------------------------------

    def cancel_infraction(
        self,
        ctx: Context,
        infraction_id: str,
        cancelled_on: date,
        ground: str,
        reference: str | None,
    ) -> None:
        """The infraction counts as if never recorded; what it changed is decided again, each
        consequence an event with its own legal date (R-11, `domain.rules.corrections`)."""
        state = self.state(ctx.law, ctx.recorded_on)
        listed_on = max(
            (
                e.effective_on
                for e in self.history
                if isinstance(e, ev.InfractionRecorded) and e.infraction_id == infraction_id
            ),
            default=cancelled_on,
        )
        cancellation = cancel(
            state, infraction_id, cancelled_on, ground, reference, ctx.recorded_on, listed_on
        )
        self._record(ctx, cancellation)
        infraction = state.infractions[infraction_id]
        if infraction.points is None:
            return  # recorded, never established: only its listing changes
        why = f"R-11.3: infraction {infraction_id} cancelled on {cancelled_on} ({ground})"
        for decision in reinstatements(
            self.state(ctx.law, FAR_FUTURE), self.history, infraction_id
        ):
            self._record(ctx, decision)
        self._revoke_again(ctx, infraction_id, why)
        for decision in own_restorations_revoked(self.state(ctx.law, FAR_FUTURE), infraction_id):
            self._record(ctx, decision)
        for decision in obligations_dropped(self.state(ctx.law, FAR_FUTURE), infraction_id):
            self._record(ctx, decision)
        state_now = self.state(ctx.law, FAR_FUTURE)
        invalidation = state_now.current_invalidation
        if invalidation is not None:
            annulled = invalidation_annulled(
                self.state(ctx.law, invalidation.decided_on), infraction_id
            )
            if annulled is not None:
                self._record(ctx, annulled)
                self._credit_refused_stages(ctx, why)
                again = new_invalidation(self.state(ctx.law, FAR_FUTURE))
                if again is not None:
                    self._record(ctx, again._replace(reason=f"{again.reason}; {why}"))
        # A later withdrawal that, without what it no longer gives, brings the balance from above 0
        # to 0 is a new invalidation with its own 48SI.
        again = new_invalidation(self.state(ctx.law, FAR_FUTURE))
        if again is not None:
            self._record(ctx, again._replace(reason=f"{again.reason}; {why}"))
        revoked_end = probation_end_revoked(
            self.state(ctx.law, FAR_FUTURE), self.history, infraction
        )
        if revoked_end is not None:
            self._record(ctx, revoked_end)
        # Restorations, yearly gains and the end of probation it had prevented fall due again,
        # on their legal dates: decided now, as a late decision is.
        self.advance(ctx, ctx.recorded_on, cause=why)

    def _credit_refused_stages(self, ctx: Context, why: str) -> None:
        """A stage refused its points because the 48SI had been notified (R-5.5) is credited on
        its own date once that invalidation never stood (R-11.3), unless another rule refuses it."""
        refused = {
            e.stage_id
            for e in self.history
            if isinstance(e, ev.StageCreditRefused) and e.rule == "R-5.5"
        }
        for stage_id in sorted(refused):
            state_now = self.state(ctx.law, FAR_FUTURE)
            stage = state_now.stages.get(stage_id)
            if stage is None or stage.credited or refusal_reason(state_now, stage, ctx.policy):
                continue
            on = credit_date(stage)
            decision = credit(self.state(ctx.law, on), stage, on)
            self._record(ctx, decision._replace(rule="R-11.3", reason=f"{decision.reason}; {why}"))

    def _revoke_again(self, ctx: Context, infraction_id: str, why: str) -> None:
        """A restoration reinstated (R-11.3) that another infraction, known late, committed inside
        its window would have revoked stays revoked from that one's decision (R-4.4)."""
        reinstated = {
            e.restoration
            for e in self.history
            if isinstance(e, ev.RestorationReinstated) and e.infraction_id == infraction_id
        }
        for position in sorted(reinstated):
            latest = self.state(ctx.law, FAR_FUTURE)
            for other in latest.withdrawals():
                if other.decided_on is None:
                    continue
                found = [
                    x
                    for x in revocations(
                        self.state(ctx.law, other.decided_on), other, other.decided_on, ctx.policy
                    )
                    if x.fields["restoration"] == position
                ]
                if found:
                    self._record(ctx, found[0]._replace(reason=f"{found[0].reason}; {why}"))
                    break

    def record_suspension(
        self, ctx: Context, kind: str, first_day: date, last_day: date, reference: str | None
    ) -> None:
        """The right to drive suspended between two days, without effect on points (R-12)."""
        decision = suspension(
            self.state(ctx.law, ctx.recorded_on),
            self.state(ctx.law, FAR_FUTURE),
            kind,
            first_day,
            last_day,
            reference,
        )
        self._record(ctx, decision)

    def lift_suspension(self, ctx: Context, lifted_on: date, kind: str | None) -> None:
        """The suspensions in force on `lifted_on` end the day before (R-12.1)."""
        self._record(ctx, lift(self.state(ctx.law, FAR_FUTURE), lifted_on, kind))

    # --- undoing a refused command ---------------------------------------------------------------

    def mark(self) -> Mark:
        """Where the licence stands, so that a command refused midway can be undone (`undo`)."""
        return Mark(len(self.history), len(self._pending_events), self.version, self.modified_on)

    def undo(self, mark: Mark) -> None:
        """Drop what was recorded since `mark`: events not yet saved, so never seen by anyone.

        A command checks its rules before it records, but a rule may still refuse midway (a date
        before the engine's law, R-9.3): the line is refused and nothing of it stays (CONTRACT §3).
        """
        if len(self._pending_events) - mark.pending != len(self.history) - mark.history:
            raise RuntimeError("only events not yet saved can be undone")
        del self.history[mark.history :]
        del self._pending_events[mark.pending :]
        self._version = mark.version
        self._modified_on = mark.modified_on
        # The folds are versioned by the history's length, which the next events could bring back.
        with suppress(AttributeError):
            del self._folds

    # --- recording -----------------------------------------------------------------------------

    @staticmethod
    def _base(ctx: Context, effective_on: date, rule: str, reason: str) -> dict[str, Any]:
        return {
            "effective_on": effective_on,
            "recorded_on": ctx.recorded_on,
            "rule": rule,
            "reason": reason,
            "command_id": ctx.command_id,
            "policy": _fingerprint(ctx.policy),
        }

    @staticmethod
    def _not_after(ctx: Context, day: date, what: str) -> None:
        if day > ctx.recorded_on:
            raise CommandRefused(
                f"{what} on {day}, after the day it is recorded ({ctx.recorded_on})"
            )

    def _trigger(self, event_class: type[ev.LicenceEvent], **fields: Any) -> None:
        """The library's `trigger_event`, the event built by `LicenceEvent.build`: the next in the
        licence's sequence, applied to it and pending until saved."""
        event = event_class.build(
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=event_class.create_timestamp(),
            actor=ev.acting_user.get(),
            **fields,
        )
        event.mutate(self)
        self._pending_events.append(event)

    def _record(self, ctx: Context, decision: Decision) -> None:
        event, fields = decision.event, decision.fields
        if "raised_on" in event.__dataclass_fields__ and "raised_on" not in fields:
            # A flag is raised the day the service raises it, or when the facts became known.
            fields = {**fields, "raised_on": max(decision.effective_on, ctx.recorded_on)}
        self._trigger(
            event,
            **self._base(ctx, decision.effective_on, decision.rule, decision.reason),
            previous_hash=self.history[-1].digest(),
            **fields,
        )
