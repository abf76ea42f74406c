"""The licence's events: facts in the past tense, each with its legal date, recording date and rule.

Every event carries `effective_on` (the legal date it takes effect), `recorded_on` (the date the
service recorded it: the journal's `at`, or the tick's date for time-driven effects), the `rule` it
applies, a `reason` an auditor can read, the `command_id` that caused it (None when time caused it),
the acting user, the fingerprint of the policy it was decided under, and the hash of the event
before it (tamper evidence). Topics are explicit and versioned: renaming a class never orphans data.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import field, fields
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar, Self
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

acting_user: ContextVar[str | None] = ContextVar("acting_user", default=None)

GENESIS_HASH = "0" * 64


# The canonical form an event's digest is taken on: compact JSON, keys sorted, UTF-8; orjson writes
# dates and datetimes in ISO 8601 and UUIDs in their canonical text. Anything else is refused.
_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


def _not_content(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not part of an event's content")


def _first_form(value: Any) -> Any:
    """Values JSON does not know, as the first canonical form wrote them: dates as ISO text,
    UUIDs as hex."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return value.hex
    return _not_content(value)


# The canonical form of the events recorded before 2026-12-01: the standard library's JSON, keys
# sorted, ", " and ": " between items, UUIDs in hex. Their successors carry digests in this form.
_FIRST_FORM = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=_first_form)


@cache
def _field_names(event_class: type) -> tuple[str, ...]:
    """The fields of an event class in their order (that of `__init__` and of the stored JSON)."""
    return tuple(f.name for f in fields(event_class))


class LicenceEvent(Aggregate.Event):
    """Base of every licence event."""

    TOPIC = "permis.licence.LicenceEvent.v1"
    # Within one legal date, stage credits come after every withdrawal decided that day.
    PHASE: ClassVar[int] = 0
    # Whether the event can change what falls due when (`domain.licence.pending_effects`).
    MOVES_DUE_DATES: ClassVar[bool] = True

    effective_on: date
    recorded_on: date
    rule: str
    reason: str
    command_id: str | None
    policy: str
    previous_hash: str
    actor: str | None = field(default_factory=acting_user.get, init=False)

    def apply(self, aggregate: Any) -> None:
        aggregate.history.append(self)

    @classmethod
    def build(cls, **values: Any) -> Self:
        """The event with exactly these field values, set as the library sets them when it reads
        an event back (`Mapper.to_domain_event`): a frozen dataclass's `__init__` sets its fields
        one by one, which costs more than the rest of recording the event."""
        names = _field_names(cls)
        if len(values) != len(names):
            missing, unknown = set(names) - set(values), set(values) - set(names)
            raise TypeError(f"{cls.__name__}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", {name: values[name] for name in names})
        return event

    def digest(self) -> str:
        """SHA-256 of the event's content: the next event carries it (tamper evidence)."""
        content = {"topic": self.TOPIC, **self.__dict__}
        canonical = orjson.dumps(content, default=_not_content, option=_CANONICAL)
        return hashlib.sha256(canonical).hexdigest()

    def has_digest(self, value: str) -> bool:
        """`value` is this event's digest, in today's canonical form or in the first one: a chain
        recorded before the form changed still holds, and events appended to it since too."""
        if value == self.digest():
            return True
        content = {"topic": self.TOPIC, **self.__dict__}
        return value == hashlib.sha256(_FIRST_FORM.encode(content).encode()).hexdigest()


class LicenceIssued(Aggregate.Created, LicenceEvent):
    """A licence was issued (R-1.2), or taken over from an older system."""

    TOPIC = "permis.licence.LicenceIssued.v1"
    neph: str
    issued_on: date
    route: str
    probationary: bool
    points: int
    holder: dict[str, str] | None

    def apply(self, aggregate: Any) -> None:
        aggregate.neph = self.neph
        aggregate.history = [self]


class LicenceReissued(LicenceEvent):
    """A new probationary licence after an invalidation, on the same NEPH (R-7.2, R-10.5)."""

    TOPIC = "permis.licence.LicenceReissued.v1"
    issued_on: date
    route: str


class ComplementaryTrainingCompleted(LicenceEvent):
    """The formation complémentaire was completed (R-1.6)."""

    TOPIC = "permis.licence.ComplementaryTrainingCompleted.v1"
    completed_on: date
    eligible: bool


class InfractionRecorded(LicenceEvent):
    """An infraction was reported; it withdraws nothing yet (R-2.1)."""

    TOPIC = "permis.licence.InfractionRecorded.v1"
    # Nothing is withdrawn until its réalité is established, and every time-driven rule
    # looks at infractions only once they gave rise to a withdrawal.
    MOVES_DUE_DATES = False
    infraction_id: str
    offence: str
    offence_class: str
    catalogue_points: int
    committed_on: date
    occasion: str | None


class PointsWithdrawn(LicenceEvent):
    """The réalité of an infraction was established and its points withdrawn (R-2.2, R-3.1)."""

    TOPIC = "permis.licence.PointsWithdrawn.v1"
    infraction_id: str
    established_on: date
    basis: str
    points: int  # after the cap of, before the floor of 
    balance_after: int
    letter: str | None


class LetterDelivered(LicenceEvent):
    """The post acknowledged a letter: the notification date (R-3.3)."""

    TOPIC = "permis.licence.LetterDelivered.v1"
    letter: str
    ref: str
    delivered_on: date
    due_on: date | None  # the deadline the notification starts: 48N, 48SI


class StageAttended(LicenceEvent):
    """An organiser declared a stage attended in full (R-5.2)."""

    TOPIC = "permis.licence.StageAttended.v1"
    stage_id: str
    kind: str
    first_day: date
    last_day: date
    centre: str | None


class AttestationReceived(LicenceEvent):
    """The service received a stage's attestation (R-5.3, R-6.3)."""

    TOPIC = "permis.licence.AttestationReceived.v1"
    stage_id: str
    received_on: date


class StageCredited(LicenceEvent):
    """Points reconstituted after a stage, from the day after its last day (R-5.3, R-3.2)."""

    TOPIC = "permis.licence.StageCredited.v1"
    PHASE = 1
    stage_id: str
    points: int
    letter: str | None


class StageCreditRefused(LicenceEvent):
    """A stage gave no points, for the reason given (R-5.1, R-5.4, R-5.5)."""

    TOPIC = "permis.licence.StageCreditRefused.v1"
    PHASE = 1
    stage_id: str
    refusal: str


class MandatoryStageFulfilled(LicenceEvent):
    """A qualifying stage fulfilled the mandatory-stage obligations (R-5.6, R-10.4)."""

    TOPIC = "permis.licence.MandatoryStageFulfilled.v1"
    stage_id: str
    obligations: list[str]


class FlagsCleared(LicenceEvent):
    """Flags cleared on the legal date of what cleared them (R-6.1, R-10.3)."""

    TOPIC = "permis.licence.FlagsCleared.v1"
    flags: list[str]


class ObligationBreached(LicenceEvent):
    """An obligation's deadline passed: breached and flagged (R-6.1, R-6.2, R-0.6)."""

    TOPIC = "permis.licence.ObligationBreached.v1"
    obligation: str
    flag: str
    raised_on: date


class AttestationOverdue(LicenceEvent):
    """A stage's attestation did not arrive in time: flagged against the organiser (R-6.3)."""

    TOPIC = "permis.licence.AttestationOverdue.v1"
    stage_id: str
    raised_on: date


class YearlyGainCredited(LicenceEvent):
    """A probation anniversary without infraction gave points (R-1.4)."""

    TOPIC = "permis.licence.YearlyGainCredited.v1"
    anniversary: int
    points: int


class ProbationEnded(LicenceEvent):
    """Probation ended: the ceiling becomes 12 (R-1.5, R-1.6)."""

    TOPIC = "permis.licence.ProbationEnded.v1"
    points: int
    shortened: bool


class PointsRestored(LicenceEvent):
    """An automatic restoration (R-4.1, R-4.2, R-4.3), with the points actually added (R-4.5)."""

    TOPIC = "permis.licence.PointsRestored.v1"
    points: int
    infraction_ids: list[str]
    window_start: date


class RestorationRevoked(LicenceEvent):
    """A restoration (or gain) revoked because of an infraction known late (R-4.4, L223-6)."""

    TOPIC = "permis.licence.RestorationRevoked.v1"
    restoration: int  # the position in the history of the revoked event
    points: int
    infraction_id: str


class LicenceReturned(LicenceEvent):
    """The invalidated licence was handed back (R-7.2, R-6.2)."""

    TOPIC = "permis.licence.LicenceReturned.v1"
    returned_on: date
    new_licence_possible_on: date


class NewLicenceDateRevised(LicenceEvent):
    """A notification learnt after the return moved the date of a new licence (R-7.2)."""

    TOPIC = "permis.licence.NewLicenceDateRevised.v1"
    ref: str
    new_licence_possible_on: date


class InvalidationAnnulled(LicenceEvent):
    """A stage before the 48SI's notification brought the balance above 0 (R-5.5)."""

    TOPIC = "permis.licence.InvalidationAnnulled.v1"
    PHASE = 2
    ref: str
    stage_id: str


class InvalidationDecided(LicenceEvent):
    """A withdrawal decided when the balance was known to be 0 turns out, once an invalidation is
    annulled (R-5.5), to have brought it from above 0 to 0: a new invalidation, effective on that
    decision, with its own 48SI, sent when the service decides it (R-10.17)."""

    TOPIC = "permis.licence.InvalidationDecided.v1"
    ref: str  # the infraction whose withdrawal brought the balance to 0
    letter: str  # 48SI


class OperatorAlerted(LicenceEvent):
    """A case an operator must look at, kept in the audit trail (R-10.6)."""

    TOPIC = "permis.licence.OperatorAlerted.v1"
    MOVES_DUE_DATES = False  # it changes nothing in the state
    subject: str


class InfractionCancelled(LicenceEvent):
    """An infraction's réalité fell, its withdrawal was annulled, or it was recorded on the wrong
    licence (R-11.1): from its withdrawal's decision date (retroactive, R-11.2), or from
    `cancelled_on` when it was never established, it counts as if never recorded."""

    TOPIC = "permis.licence.InfractionCancelled.v1"
    infraction_id: str
    cancelled_on: date
    ground: str  # acquittal | administrative_annulment | designation | recording_error
    reference: str | None


class RestorationReinstated(LicenceEvent):
    """A restoration (or gain) revoked under R-4.4 by an infraction since cancelled stands again,
    from the date it was revoked (R-11.3)."""

    TOPIC = "permis.licence.RestorationReinstated.v1"
    restoration: int  # the position in the history of the reinstated restoration
    points: int
    infraction_id: str  # the cancelled infraction that had revoked it


class ObligationDropped(LicenceEvent):
    """A mandatory-stage obligation that only a cancelled infraction's 48N had opened is dropped
    with its flag, from the day it was opened (R-11.3, R-10.4)."""

    TOPIC = "permis.licence.ObligationDropped.v1"
    obligation: str
    infraction_id: str


class ProbationEndRevoked(LicenceEvent):
    """The end of probation decided while a since-cancelled infraction counted no longer stands:
    as of any date, with the cancellation known, it never happened; the end is decided again
    without that infraction, with its own legal date (R-11.3, R-1.4, R-1.6)."""

    TOPIC = "permis.licence.ProbationEndRevoked.v1"
    revoked: int  # the position in the history of the ProbationEnded that no longer stands
    infraction_id: str


class InvalidationAnnulledOnCancellation(InvalidationAnnulled):
    """Without a cancelled infraction's withdrawal the balance is above 0 on the day the
    invalidation took effect: it never stood (R-11.3, retroactive unlike R-5.5)."""

    TOPIC = "permis.licence.InvalidationAnnulledOnCancellation.v1"
    infraction_id: str


class SuspensionRecorded(LicenceEvent):
    """The right to drive suspended from `first_day` to `last_day`, both included, without any
    effect on points (R-12.1, L224-1 to L224-8; CP 131-6)."""

    TOPIC = "permis.licence.SuspensionRecorded.v1"
    suspension_id: str
    kind: str  # administrative | judicial
    first_day: date
    last_day: date
    reference: str | None


class SuspensionLifted(LicenceEvent):
    """The suspensions in force on `lifted_on` (of `kind` when given) end the day before (R-12.1)."""

    TOPIC = "permis.licence.SuspensionLifted.v1"
    lifted_on: date
    kind: str | None
    suspensions: list[str]


class HolderUpdated(LicenceEvent):
    """The holder's details changed (a new postal address): letters go there from then on."""

    TOPIC = "permis.licence.HolderUpdated.v1"
    MOVES_DUE_DATES = False  # it changes nothing in the state
    holder: dict[str, Any]  # the fields that changed, as the journal gave them


ALL_EVENTS: tuple[type[LicenceEvent], ...] = (
    LicenceIssued,
    LicenceReissued,
    ComplementaryTrainingCompleted,
    InfractionRecorded,
    PointsWithdrawn,
    LetterDelivered,
    StageAttended,
    AttestationReceived,
    StageCredited,
    StageCreditRefused,
    MandatoryStageFulfilled,
    FlagsCleared,
    ObligationBreached,
    AttestationOverdue,
    YearlyGainCredited,
    ProbationEnded,
    PointsRestored,
    RestorationRevoked,
    LicenceReturned,
    NewLicenceDateRevised,
    InvalidationAnnulled,
    InvalidationDecided,
    OperatorAlerted,
    InfractionCancelled,
    RestorationReinstated,
    ObligationDropped,
    ProbationEndRevoked,
    InvalidationAnnulledOnCancellation,
    SuspensionRecorded,
    SuspensionLifted,
    HolderUpdated,
)

register_topic(LicenceEvent.TOPIC, LicenceEvent)
for _event_class in ALL_EVENTS:
    register_topic(_event_class.TOPIC, _event_class)
