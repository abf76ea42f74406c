"""The forecast: every time-driven effect still to come, as the tick will record it if nothing else
happens (R-1.4, R-1.5, R-1.6, R-4.1 to R-4.3, R-6.1 to R-6.3).

No rule is restated here: a scratch copy of the licence is advanced from one due date to the next by
`Licence.advance`, the very code the tick runs, and each event it decides becomes a line of the
forecast, with its date, the points it adds within the ceiling, its rule and what would break it.
What would break it is a key and its values (`Condition`); the prose is rendered when read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, cast

from domain import events as ev
from domain.calendar import add_days
from domain.glossary import ObligationKind
from domain.law import Law
from domain.licence import Context, Licence
from domain.policy import Policy
from domain.rules.citations import article_of
from domain.state import LicenceState

MAX_EFFECTS = 200
"""A guard: a licence has a handful of pending effects (the 10-year returns come last)."""

# What would break or prevent a forecast effect (the keys of `Condition`):
INFRACTION_IN_WINDOW = "infraction_in_window"  # committed in [from, before)
WITHDRAWAL_IN_PROBATION = "withdrawal_in_probation"  # decided before `before`
SHORTENING_LOST = "shortening_lost"  # an infraction in [from, before) defers the end
INVALIDATION = "invalidation"  # only an invalidation before `before`
STAGE_BY = "stage_by"  # a qualifying stage in [from, to] prevents the breach
RETURN_BY = "return_by"  # returning the licence by `by` prevents it
ATTESTATION_BY = "attestation_by"  # the attestation received by `by` prevents it
NOTHING = "nothing"  # only time: the end of probation always comes on its date


@dataclass(frozen=True)
class Condition:
    """What would break (or, for a deadline, prevent) a forecast effect: a key and its values."""

    key: str
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Forecasted:
    """One effect the tick will record on `due_on` if nothing else happens."""

    due_on: date
    event: str  # the event class the tick records
    rule: str
    article: str
    points: int | None  # added within the ceiling; None for a deadline
    balance_after: int  # at the end of that day
    ceiling_after: int
    subject: str  # what it is about: infractions, an obligation, a stage, an anniversary
    reason: str  # the engine's own reason, as the audit trail will give it
    breaks: tuple[Condition, ...]

    @property
    def key(self) -> tuple[date, str, str, str]:
        """The same effect in two forecasts (before and after a hypothesis, `domain.what_if`)."""
        return (self.due_on, self.event, self.rule, self.subject)


def scratch_copy(licence: Licence) -> Licence:
    """The licence rebuilt from its events, as the repository rebuilds it: deciding on the copy
    changes nothing of the original, and nothing of it is ever saved."""
    copy: Licence | None = None
    for event in licence.history:
        copy = event.mutate(copy)
    assert copy is not None
    return copy


def decided(scratch: Licence) -> list[ev.LicenceEvent]:
    """The events `scratch` decided since it was copied or last asked (the library's
    `collect_events`: nothing of a scratch copy is ever saved)."""
    return cast(list[ev.LicenceEvent], scratch.collect_events())


def forecast(
    licence: Licence, law: Law, policy: Policy, until: date | None = None
) -> list[Forecasted]:
    """Every effect due from now on (up to `until`), in the order the tick applies them."""
    return advance_and_read(scratch_copy(licence), law, policy, until)


def advance_and_read(
    scratch: Licence, law: Law, policy: Policy, until: date | None = None
) -> list[Forecasted]:
    """Advance `scratch` (a copy: it is changed) from one due date to the next and read what each
    day decides (R-0.5, R-6.4: the same effects, whether ticked day by day or at once)."""
    decided(scratch)  # decided before: not part of the forecast
    found: list[Forecasted] = []
    while len(found) < MAX_EFFECTS:
        due = scratch.next_due(law, policy)
        if due is None or (until is not None and due > until):
            break
        before = scratch.state(law, due)
        scratch.advance(Context(due, None, law, policy), due)
        after = scratch.state(law, due)
        found.extend(_read(event, before, after) for event in decided(scratch))
    return found


def _read(event: ev.LicenceEvent, before: LicenceState, after: LicenceState) -> Forecasted:
    points = getattr(event, "points", None)
    return Forecasted(
        due_on=event.effective_on,
        event=type(event).__name__,
        rule=event.rule,
        article=article_of(event.rule),
        points=points if isinstance(event, _ADDS_POINTS) else None,
        balance_after=after.balance,
        ceiling_after=after.ceiling,
        subject=_subject(event),
        reason=event.reason,
        breaks=tuple(_breaks(event, before)),
    )


_ADDS_POINTS = (ev.PointsRestored, ev.YearlyGainCredited, ev.ProbationEnded)


def _subject(event: ev.LicenceEvent) -> str:
    if isinstance(event, ev.PointsRestored):
        return ",".join(event.infraction_ids)
    if isinstance(event, ev.YearlyGainCredited):
        return f"anniversary:{event.anniversary}"
    if isinstance(event, ev.ObligationBreached):
        return str(event.obligation)
    if isinstance(event, ev.AttestationOverdue):
        return f"stage:{event.stage_id}"
    return ""


def _breaks(event: ev.LicenceEvent, before: LicenceState) -> Iterable[Condition]:
    """What the rule that decided `event` says would have stopped it (the keys above)."""
    on = event.effective_on
    start = before.probation_started_on or before.issued_on
    if isinstance(event, ev.PointsRestored):
        if event.rule == "R-4.3":  # never broken by an infraction (L223-6 al.5)
            yield Condition(INVALIDATION, {"before": on})
        else:  # the window [réalité, due date)
            yield Condition(INFRACTION_IN_WINDOW, {"from": event.window_start, "before": on})
    elif isinstance(event, ev.YearlyGainCredited):
        yield Condition(WITHDRAWAL_IN_PROBATION, {"from": start, "before": on})
    elif isinstance(event, ev.ProbationEnded):
        if event.shortened:
            yield Condition(SHORTENING_LOST, {"from": start, "before": on})
        if event.points > 0:
            yield Condition(WITHDRAWAL_IN_PROBATION, {"from": start, "before": on})
        if not event.shortened and event.points == 0:
            yield Condition(NOTHING)
    elif isinstance(event, ev.ObligationBreached):
        obligation = before.obligations[event.obligation]
        if obligation.kind == ObligationKind.MANDATORY_STAGE:
            yield Condition(STAGE_BY, {"from": obligation.opened_on, "to": obligation.due_on})
        else:
            yield Condition(RETURN_BY, {"by": obligation.due_on})
    elif isinstance(event, ev.AttestationOverdue):
        yield Condition(ATTESTATION_BY, {"stage_id": event.stage_id, "by": add_days(on, -1)})
