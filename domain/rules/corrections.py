"""Corrections (R-11: a cancelled infraction) and suspensions of the right to drive (R-12).

A cancellation is the mirror of R-4.4's late knowledge. There, an infraction learnt late revokes,
by explicit events, what it would have prevented. Here, the cancelled infraction counts from its
withdrawal's decision date as if it had never been recorded (`domain.state._cancelled`), and what
it had changed is decided again, each consequence an explicit event citing R-11.3 with its own
legal date:

- what it had revoked (R-4.4) is reinstated from the revocation's date (`reinstatements`), unless
  another infraction known late would have revoked it (`Licence._revoke_again`);
- restorations that gave back its own points, or counted from its réalité, no longer stand
  (`own_restorations_revoked`), and are decided again without it;
- its 48N's obligation is dropped with its flag (`obligations_dropped`);
- an invalidation it caused is annulled when the balance is above 0 without it
  (`invalidation_annulled`), a later zeroing withdrawal becoming a new invalidation (R-10.17);
- an end of probation decided while it counted no longer stands (`probation_end_revoked`);
- then the restorations, yearly gains and end of probation it had prevented fall due on their
  legal dates, decided at once as any late decision is (`Licence.advance`).
Nothing recorded before is changed: as known at a date before the cancellation, every view is
what it was (R-9.1, R-9.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from domain import events as ev
from domain.errors import CommandRefused
from domain.rules import Decision
from domain.rules.probation import probation_end
from domain.state import Infraction, LicenceState, superseded

GROUNDS = {
    "acquittal": "relaxe or acquittal: the réalité fell",
    "administrative_annulment": "withdrawal withdrawn on a recours or annulled by the court",
    "designation": "another driver designated",
    "recording_error": "recorded on the wrong licence by error",
}


def cancel(
    state: LicenceState,
    infraction_id: str,
    cancelled_on: date,
    ground: str,
    reference: str | None,
    recorded_on: date,
    listed_on: date,
) -> Decision:
    """The cancellation, or its refusal with the reason (R-11.1, R-11.4); `listed_on` is the
    legal date the infraction was recorded."""
    infraction = state.infractions.get(infraction_id)
    if infraction is None:
        raise CommandRefused(f"infraction {infraction_id} is not recorded", "R-11.4")
    if infraction.cancelled:
        raise CommandRefused(
            f"infraction {infraction_id} was already cancelled on {infraction.cancelled_on} "
            f"({infraction.ground})",
            "R-11.4",
        )
    if cancelled_on > recorded_on:
        raise CommandRefused(
            f"cancelled on {cancelled_on}, after the day it is recorded ({recorded_on})", "R-11.4"
        )
    if infraction.generation < state.generation:
        raise CommandRefused(
            f"infraction {infraction_id} belongs to a previous licence, replaced after its "
            "invalidation: reinstating it is for a judge's injunction",
            "R-11.4",
        )
    ref = f", reference {reference}" if reference else ""
    what = f"L223-1, L225-1: infraction {infraction_id} ({infraction.offence}, committed on "
    what += f"{infraction.committed_on}) cancelled on {cancelled_on}: {GROUNDS[ground]}{ref}; "
    if infraction.points is None or infraction.decided_on is None:
        on = max(cancelled_on, listed_on)  # its listing changes once it is listed
        what += "never established, only its listing changes (R-11.4)"
    else:
        on = infraction.decided_on
        what += (
            f"its withdrawal of {infraction.points} point(s) decided on {on} is annulled from that "
            f"date (R-11.2): +{infraction.taken} point(s) within the ceiling; no letter (R-11.3)"
        )
    return Decision(
        ev.InfractionCancelled,
        on,
        "R-11.1",
        what,
        {
            "infraction_id": infraction_id,
            "cancelled_on": cancelled_on,
            "ground": ground,
            "reference": reference,
        },
    )


def reinstatements(
    state_now: LicenceState, history: Sequence[ev.LicenceEvent], infraction_id: str
) -> list[Decision]:
    """Restorations the cancelled infraction had revoked (R-4.4) stand again from that day."""
    decisions = []
    seen: set[int] = set()
    for event in history:
        if not isinstance(event, ev.RestorationRevoked) or event.infraction_id != infraction_id:
            continue
        restoration = next(
            (r for r in state_now.restorations if r.position == event.restoration), None
        )
        if restoration is None or not restoration.revoked or event.restoration in seen:
            continue
        seen.add(event.restoration)
        decisions.append(
            Decision(
                ev.RestorationReinstated,
                event.effective_on,
                "R-11.3",
                f"L223-6: the {restoration.rule} restoration of {restoration.effective_on} had "
                f"been revoked on {event.effective_on} only because of infraction {infraction_id}, "
                f"now cancelled: it stands again (+{event.points})",
                {
                    "restoration": event.restoration,
                    "points": event.points,
                    "infraction_id": infraction_id,
                },
            )
        )
    return decisions


def own_restorations_revoked(state_now: LicenceState, infraction_id: str) -> list[Decision]:
    """Restorations that gave back the cancelled infraction's own points (R-4.1, R-4.3), or the
    last full restoration that counted it (R-4.2), no longer stand from their own date: its points
    came back with the cancellation, and a full restoration is decided again without it."""
    infraction = state_now.infractions[infraction_id]
    decisions = []
    restorations = [r for r in state_now.restorations_now() if not r.revoked]
    # The one clock of counts from the last full restoration: the first that counted it
    # and every later one are decided again, in order (`domain.rules.restoration._full`).
    full = sorted((r for r in restorations if r.rule == "R-4.2"), key=lambda r: r.fold_order)
    counted = [n for n, r in enumerate(full) if infraction_id in r.infraction_ids]
    again = {id(r) for r in full[counted[0] :]} if counted else set()
    for r in restorations:
        if r.rule == "R-4.2":
            if id(r) not in again:
                continue
        elif r.rule not in ("R-4.1", "R-4.3") or infraction_id not in r.infraction_ids:
            continue
        decisions.append(
            Decision(
                ev.RestorationRevoked,
                r.effective_on,
                "R-11.3",
                f"L223-6: the {r.rule} restoration of {r.effective_on} counted, or came after one "
                f"that counted, infraction {infraction_id} ({infraction.offence}), now cancelled: "
                "it no longer stands "
                f"(-{r.points})" + ("; decided again without it" if r.rule == "R-4.2" else ""),
                {"restoration": r.position, "points": r.points, "infraction_id": infraction_id},
            )
        )
    return decisions


def obligations_dropped(state_now: LicenceState, infraction_id: str) -> list[Decision]:
    """The mandatory stage that only this infraction's 48N opened, dropped with its flag, from
    the day it was opened; another 48N's obligation stays (R-11.3, R-10.4)."""
    oid = f"48N:{infraction_id}"
    obligation = state_now.obligations.get(oid)
    if obligation is None:
        return []
    return [
        Decision(
            ev.ObligationDropped,
            obligation.opened_on,
            "R-11.3",
            f"R223-4: the mandatory stage opened by the 48N of infraction {infraction_id}, now "
            f"cancelled, is dropped with its flag (status was {obligation.status})",
            {"obligation": oid, "infraction_id": infraction_id},
        )
    ]


def invalidation_annulled(state_then: LicenceState, infraction_id: str) -> Decision | None:
    """Without the cancelled withdrawal the balance is above 0 on the day the invalidation took
    effect: it is annulled from that day, its return obligation and flag dropped (R-11.3)."""
    invalidation = state_then.current_invalidation
    if invalidation is None or state_then.balance <= 0:
        return None
    ref, decided_on, balance = invalidation.ref, invalidation.decided_on, state_then.balance
    return Decision(
        ev.InvalidationAnnulledOnCancellation,
        decided_on,
        "R-11.3",
        f"L223-1, R223-3: without the withdrawal of infraction {infraction_id}, now cancelled, the "
        f"balance is {balance} on {decided_on}: the invalidation never stood; its return "
        "obligation and flag are dropped and its return no longer counts (R-7.2); the 48SI stays "
        "in the history",
        {"ref": ref, "stage_id": "", "infraction_id": infraction_id},
    )


def probation_end_revoked(
    state_now: LicenceState, history: Sequence[ev.LicenceEvent], infraction: Infraction
) -> Decision | None:
    """The end of probation decided while the cancelled infraction counted (committed during
    probation, decided by then) no longer stands when, without it, it would be decided otherwise:
    the yearly gains, the shortening and the last gain are decided again (R-1.4, R-1.6, R-11.3)."""
    ended_on, start = state_now.probation_ended_on, state_now.probation_started_on
    if state_now.probationary or ended_on is None or start is None:
        return None
    if infraction.generation != state_now.generation or infraction.decided_on is None:
        return None
    if not start <= infraction.committed_on < ended_on or infraction.decided_on > ended_on:
        return None
    gone = superseded(history, None)
    ended = [
        (position, e)
        for position, e in enumerate(history)
        if isinstance(e, ev.ProbationEnded) and e.effective_on == ended_on and position not in gone
    ]
    if not ended:
        return None
    position, event = ended[-1]
    again = replace(state_now, probationary=True)
    end = probation_end(again)
    if end is None:
        return None
    clean = not any(
        w.committed_on >= start and w.decided_on is not None and w.decided_on < end[0]
        for w in again.every_withdrawal()
    )
    if (end[0], end[1]) == (ended_on, event.shortened) and not clean:
        return None  # decided the same without it, on what was known then
    return Decision(
        ev.ProbationEndRevoked,
        ended_on,
        "R-11.3",
        f"R223-1: probation ended on {ended_on} while infraction {infraction.infraction_id}, now "
        f"cancelled, counted; without it the end falls on {end[0]}"
        + (" (shortened, R-1.6)" if end[1] else "")
        + ": the end, its gains and its last gain are decided again",
        {"revoked": position, "infraction_id": infraction.infraction_id},
    )


# --- suspensions (R-12) -----------------------------------------------------------------------


def suspension(
    state: LicenceState,
    latest: LicenceState,
    kind: str,
    first_day: date,
    last_day: date,
    reference: str | None,
) -> Decision:
    """A suspension between two days, or its refusal (R-12.1, R-12.4)."""
    if not state.issued_dates or first_day < state.issued_dates[0]:
        raise CommandRefused(
            f"no licence was issued on {first_day}, the suspension's first day", "R-12.4"
        )
    if state.current_invalidation is not None:
        raise CommandRefused(
            f"the licence is {state.status}: there is no right to drive to suspend", "R-12.4"
        )
    if last_day < first_day:
        raise CommandRefused(f"last day {last_day} is before the first day {first_day}", "R-12.4")
    for other in latest.suspensions.values():
        if other.kind == kind and other.first_day <= last_day and first_day <= other.last_day:
            raise CommandRefused(
                f"it overlaps the {kind} suspension from {other.first_day} to {other.last_day}",
                "R-12.4",
            )
    article = "L224-2, L224-8" if kind == "administrative" else "L224-12, CP 131-6"
    ref = f", reference {reference}" if reference else ""
    return Decision(
        ev.SuspensionRecorded,
        first_day,
        "R-12.1",
        f"{article}: {kind} suspension of the right to drive from {first_day} to {last_day}"
        f"{ref}; no effect on points, restorations or deadlines (R-12.3)",
        {
            "suspension_id": f"s{len(latest.suspensions) + 1}",
            "kind": kind,
            "first_day": first_day,
            "last_day": last_day,
            "reference": reference,
        },
    )


def lift(latest: LicenceState, lifted_on: date, kind: str | None) -> Decision:
    """The suspensions in force on `lifted_on` (of `kind` when given) end early (R-12.1, R-12.4)."""
    in_force = [
        s
        for s in latest.suspensions.values()
        if (kind is None or s.kind == kind) and s.first_day <= lifted_on <= s.last_day
    ]
    if not in_force:
        which = f"{kind} suspension" if kind else "suspension"
        raise CommandRefused(f"no {which} is in force on {lifted_on}", "R-12.4")
    listed = ", ".join(f"{s.kind} {s.first_day} to {s.last_day}" for s in in_force)
    return Decision(
        ev.SuspensionLifted,
        lifted_on,
        "R-12.1",
        f"L224-1 to L224-8: suspension(s) lifted on {lifted_on} ({listed}): the right to drive "
        f"is restored; they end on the day before",
        {"lifted_on": lifted_on, "kind": kind, "suspensions": [s.suspension_id for s in in_force]},
    )
