"""Withdrawals of points and the letter each decision sends (R-2, R-3.1, R-4.4)."""

from __future__ import annotations

from datetime import date

from domain import events as ev
from domain.glossary import LetterType
from domain.policy import Policy
from domain.rules import Decision
from domain.rules.restoration import window_end
from domain.state import Infraction, LicenceState


def occasion_cap(state: LicenceState, infraction: Infraction) -> int:
    """At most 8 points for one occasion, 9 once a drugs-and-alcohol offence is in it (R-2.4, R-10.1)."""
    cap = state.law.value("simultaneous_cap", infraction.committed_on)
    same = [
        i
        for i in state.infractions.values()
        if i is infraction
        or (
            infraction.occasion is not None
            and i.occasion == infraction.occasion
            and i.points is not None
            and not i.cancelled  # as if never recorded
        )
    ]
    for member in same:
        if member.offence in state.law.offences:
            derogation = state.law.offence(member.offence).cap_on(member.committed_on)
            if derogation is not None:
                cap = max(cap, derogation)
    return cap


def points_after_cap(state: LicenceState, infraction: Infraction) -> int:
    """Each decision withdraws at most what is left under the occasion's cap (R-2.4, R-10.1)."""
    already = 0
    if infraction.occasion is not None:
        already = sum(
            i.points or 0
            for i in state.infractions.values()
            if i.occasion == infraction.occasion and i.points is not None and not i.cancelled
        )
    return max(0, min(infraction.catalogue_points, occasion_cap(state, infraction) - already))


def choose_letter(
    state: LicenceState,
    infraction: Infraction,
    points: int,
    policy: Policy,
    on: date,
    balance_before: int | None = None,
) -> str | None:
    """48SI, 48N, 48M or 48, in that order; none when nothing is withdrawn (R-3.1).

    `state` is the licence after the revocations the decision causes (R-4.4), `balance_before`
    its balance before them: a decision whose points and revocations together bring the balance
    from above 0 to 0 sends a 48SI (R-10.9).
    """
    before = state.balance if balance_before is None else balance_before
    if points == 0 or before == 0:
        return None
    withdrawn = min(points, state.balance)
    if state.balance - withdrawn == 0:
        return LetterType.L48SI
    start = state.probation_started_on
    # The threshold is read only for a probationary licence: it exists since probation does
    # (2004), and a withdrawal decided before then is still decided.
    if (
        state.probationary
        and start is not None
        and infraction.committed_on >= start
        and points >= state.law.value("mandatory_stage_threshold", on)
    ):
        return LetterType.L48N
    low = state.law.value("low_balance_threshold", on)
    if (
        not state.probationary
        and policy.letter_48m_for_low_balance
        and state.balance - withdrawn <= low
    ):
        return LetterType.L48M
    return LetterType.L48


def revocations(
    state: LicenceState, infraction: Infraction, on: date, policy: Policy
) -> list[Decision]:
    """Restorations whose window held this infraction are revoked when it is known (R-4.4, L223-6)."""
    if not policy.revoke_restorations_on_late_knowledge:
        return []
    decisions = []
    for r in state.restorations_now():
        if r.revoked:
            continue
        if r.rule in ("R-4.1", "R-4.2"):
            start, end = r.window_start, window_end(state, r)
        elif r.rule == "R-1.4" and policy.probation_gain_claw_back:
            start, end = state.probation_started_on or state.issued_on, r.effective_on
        else:
            continue
        if start <= infraction.committed_on < end:
            decisions.append(
                Decision(
                    ev.RestorationRevoked,
                    on,
                    "R-4.4",
                    f"L223-6: infraction {infraction.infraction_id}, committed on "
                    f"{infraction.committed_on} inside the window of the {r.rule} restoration of "
                    f"{r.effective_on}, is established only now: that restoration is revoked "
                    f"(-{r.points})",
                    {
                        "restoration": r.position,
                        "points": r.points,
                        "infraction_id": infraction.infraction_id,
                    },
                )
            )
    return decisions
