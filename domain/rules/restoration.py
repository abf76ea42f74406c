"""Automatic restorations of points (R-4, L223-6 in force since 2011-03-16)."""

from __future__ import annotations

from datetime import date

from domain import events as ev
from domain.calendar import add_months, add_years
from domain.glossary import SERIOUS_CLASSES, TEN_YEAR_CLASSES, Status
from domain.rules import Decide, Decision, Effect
from domain.rules.probation import probation_end, withdrawal_committed_between
from domain.state import Infraction, LicenceState, Restoration

RANK = 20


class _Past:
    """What the restorations so far settle: withdrawals already restored, full restorations."""

    def __init__(self, restorations: list[Restoration]) -> None:
        self.single: set[str] = set()  # revoked or not: a point comes back once
        self.single_back: set[str] = set()  # not revoked: that point is back
        self.ten_years: set[str] = set()  # revoked or not
        self.full: list[Restoration] = []  # not revoked, in order
        for r in restorations:
            if r.rule == "R-4.1":
                self.single.update(r.infraction_ids)
                if not r.revoked:
                    self.single_back.update(r.infraction_ids)
            elif r.rule == "R-4.3":
                self.ten_years.update(r.infraction_ids)
            elif r.rule == "R-4.2" and not r.revoked:
                self.full.append(r)


def restoration_effects(state: LicenceState) -> list[Effect]:
    """Restorations pending on a valid licence, each with its due date (R-4.1, R-4.2, R-4.3)."""
    if state.status != Status.VALID:
        return []
    withdrawals = state.withdrawals()
    if not withdrawals:  # every restoration gives back the points of a withdrawal
        return []
    past = _Past(state.restorations_now())
    return [
        *_single_point(state, withdrawals, past),
        *_full(state, withdrawals, past),
        *_ten_years(state, withdrawals, past),
    ]


def _single_point(state: LicenceState, withdrawals: list[Infraction], past: _Past) -> list[Effect]:
    """R-4.1 (L223-6 al.3): a 1-point withdrawal comes back after 6 months without a new infraction."""
    done = past.single
    effects = []
    for w in withdrawals:
        if w.points != 1 or w.infraction_id in done or w.established_on is None:
            continue
        months = state.law.value_or_none("single_point_restoration_months", w.established_on)
        if months is None:
            continue
        due = add_months(w.established_on, months)
        own = frozenset({w.infraction_id})
        if withdrawal_committed_between(state, w.established_on, due, own):
            continue
        on = _once_decided(due, [w])
        decide = _restore_single(w, months, on, _late(due, on))
        effects.append(Effect(on, RANK, f"single:{w.infraction_id}", decide))
    return effects


def _once_decided(due: date, withdrawals: list[Infraction]) -> date:
    """A restoration's date: its due date, or the day the last of the withdrawals it gives back
    was decided if later, since points come back only once withdrawn (R-2.2, R-4.5)."""
    decided = [w.decided_on for w in withdrawals if w.decided_on is not None]
    return max([due, *decided])


def _late(due: date, on: date) -> str:
    """What a reason adds when the withdrawal was decided after its restoration fell due."""
    if on == due:
        return ""
    return f"; due on {due}, but decided only on {on}: the points come back that day"


def _restore_single(w: Infraction, months: int, on: date, late: str) -> Decide:
    def decide(state: LicenceState) -> list[Decision]:
        points = max(0, min(1, state.ceiling - state.balance))
        return [
            Decision(
                ev.PointsRestored,
                on,
                "R-4.1",
                f"L223-6 al.3: no infraction committed within {months} months of the réalité of "
                f"{w.infraction_id} ({w.established_on}): its point comes back (+{points}){late}",
                {
                    "points": points,
                    "infraction_ids": [w.infraction_id],
                    "window_start": w.established_on,
                },
            )
        ]

    return decide


def _full(state: LicenceState, withdrawals: list[Infraction], past: _Past) -> list[Effect]:
    """R-4.2 (L223-6 al.1-2): 12 points after 2 years (3 after a délit, C4 or C5) without infraction.

    One clock (R-10.8): the last réalité among the withdrawals since the last full restoration,
    whatever the order they were decided in. A withdrawal decided after that restoration with an
    older réalité than the one it counted from has no window of its own: the clock stays there.
    """
    previous = past.full[-1] if past.full else None
    since = [w for w in withdrawals if previous is None or w.position > previous.fold_order]
    if not since:
        return []
    since = _decided_by_due(state, since, previous)
    last_established = max(w.established_on or date.min for w in since)
    ids = frozenset(w.infraction_id for w in since)
    starts = ids
    if previous is not None and previous.window_start > last_established:
        last_established = previous.window_start
        starts = ids | frozenset(previous.infraction_ids)
    serious = any(w.offence_class in SERIOUS_CLASSES for w in since)
    due = full_restoration_due(state, last_established, serious)
    # The withdrawals the window counts from do not break it, even committed on its first day.
    if withdrawal_committed_between(state, last_established, due, starts):
        return []
    on = _once_decided(due, since)
    decide = _restore_full(sorted(ids), last_established, serious, on, _late(due, on))
    return [Effect(on, RANK + 1, "full", decide)]


def _decided_by_due(
    state: LicenceState, since: list[Infraction], previous: Restoration | None
) -> list[Infraction]:
    """The withdrawals the clock counts: those decided by the day the full restoration they give
    falls due. Going forward in time they all are; a restoration decided again late (an
    invalidation annulled, R-10.21; a cancelled infraction, R-11.3) falls due before withdrawals
    decided after it, which start a delay of their own once it is granted (R-10.8)."""
    for count in range(1, len(since)):
        first = since[:count]
        start = max(w.established_on or date.min for w in first)
        starts = frozenset(w.infraction_id for w in first)
        if previous is not None and previous.window_start > start:
            start = previous.window_start
            starts |= frozenset(previous.infraction_ids)
        serious = any(w.offence_class in SERIOUS_CLASSES for w in first)
        due = full_restoration_due(state, start, serious)
        if withdrawal_committed_between(state, start, due, starts):
            continue  # broken: the clock goes on with the next withdrawals
        if all((w.decided_on or date.min) > _once_decided(due, first) for w in since[count:]):
            return first
    return since


def full_restoration_years(state: LicenceState, start: date, serious: bool) -> int:
    """2 years, or 3 after a délit or a C4/C5, in the law in force on the last réalité (R-4.2, R-9.3)."""
    name = "full_restoration_years_serious" if serious else "full_restoration_years"
    return state.law.value(name, start)


def full_restoration_due(state: LicenceState, start: date, serious: bool) -> date:
    """The full restoration's due date: the last réalité + 2 or 3 years, or the end of probation
    when that falls later (R-4.2, R-1.7); the window is [start, due) (R-10.7)."""
    due = add_years(start, full_restoration_years(state, start, serious))
    pending_end = probation_end(state)
    end = pending_end[0] if pending_end else state.probation_ended_on
    if end is not None and due < end:
        due = end  # not during probation: on the day it ends
    return due


def window_end(state: LicenceState, restoration: Restoration) -> date:
    """The end (excluded) of a 6-month or full restoration's window: its due date, whatever day it
    was decided (R-10.7); an infraction committed from then on neither breaks nor revokes it."""
    start = restoration.window_start
    if restoration.rule == "R-4.1":
        months = state.law.value("single_point_restoration_months", start)
        due = add_months(start, months)
    elif restoration.rule == "R-4.2":
        serious = any(
            state.infractions[i].offence_class in SERIOUS_CLASSES
            for i in restoration.infraction_ids
            if i in state.infractions
        )
        due = full_restoration_due(state, start, serious)
    else:
        return restoration.effective_on
    return min(due, restoration.effective_on)


def _restore_full(ids: list[str], start: date, serious: bool, on: date, late: str) -> Decide:
    def decide(state: LicenceState) -> list[Decision]:
        points = max(0, state.ceiling - state.balance)
        years = full_restoration_years(state, start, serious)
        delay = f"{years} years" + (
            " (a délit or a 4th/5th-class contravention)" if serious else ""
        )
        return [
            Decision(
                ev.PointsRestored,
                on,
                "R-4.2",
                f"L223-6 al.1-2: {delay} since the last réalité ({start}) without a new infraction: "
                f"the balance becomes {state.ceiling} (+{points}){late}",
                {"points": points, "infraction_ids": ids, "window_start": start},
            )
        ]

    return decide


def _ten_years(state: LicenceState, withdrawals: list[Infraction], past: _Past) -> list[Effect]:
    """R-4.3 (L223-6 al.5): a C1-C4 withdrawal comes back 10 years after its réalité."""
    done, full = past.ten_years, past.full
    effects = []
    for w in withdrawals:
        if w.offence_class not in TEN_YEAR_CLASSES or w.infraction_id in done:
            continue
        if w.infraction_id in past.single_back:  # its point came back after 6 months
            continue
        if w.established_on is None or any(r.fold_order > w.position for r in full):
            continue
        years = state.law.value("ten_year_restoration_years", w.established_on)
        due = add_years(w.established_on, years)
        on = _once_decided(due, [w])
        decide = _restore_ten(w, years, on, _late(due, on))
        effects.append(Effect(on, RANK + 2, f"ten:{w.infraction_id}", decide))
    return effects


def _restore_ten(w: Infraction, years: int, on: date, late: str) -> Decide:
    def decide(state: LicenceState) -> list[Decision]:
        points = max(0, min(w.points or 0, state.ceiling - state.balance))
        return [
            Decision(
                ev.PointsRestored,
                on,
                "R-4.3",
                f"L223-6 al.5: {years} years since the réalité of {w.infraction_id} "
                f"({w.offence_class}, {w.established_on}): its points come back (+{points}){late}",
                {
                    "points": points,
                    "infraction_ids": [w.infraction_id],
                    "window_start": w.established_on,
                },
            )
        ]

    return decide
