"""The licence view of CONTRACT §4, built from the folded state."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.glossary import FlagKind, Status
from domain.rules.probation import probation_end
from domain.state import Flag, LicenceState


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def licence_view(state: LicenceState) -> dict[str, Any]:
    """The JSON view of a licence on `state.as_of` (CONTRACT §4)."""
    end = probation_end(state) if state.probationary else None
    invalidation = state.current_invalidation
    possible_on = None
    # No date until the 48SI is notified: no new licence is possible before.
    if (
        invalidation is not None
        and state.status != Status.VALID
        and invalidation.notified_on is not None
    ):
        possible_on = invalidation.new_licence_possible_on
    as_of = state.as_of
    return {
        "neph": state.neph,
        "as_of": state.as_of.isoformat(),
        "status": str(state.shown_status),
        "balance": state.balance,
        "ceiling": state.ceiling,
        "probationary": state.probationary,
        "probation_ends_on": _iso(end[0]) if end else None,
        "letters": [
            {"type": x.type, "sent_on": _iso(x.sent_on), "delivered_on": _iso(x.delivered_on)}
            for x in state.letters
            if x.sent_on <= as_of  # sent by then: a 47 goes when the credit is known
        ],
        "obligations": [
            {"kind": o.kind, "due_on": _iso(o.due_on), "status": str(o.status)}
            for o in sorted(state.obligations.values(), key=lambda o: o.opened_on)
        ],
        "flags": [flag_item(state, f) for f in shown_flags(state)],
        "stages": [
            {
                "stage_id": s.stage_id,
                "kind": s.kind,
                "first_day": _iso(s.first_day),
                "last_day": _iso(s.last_day),
                "centre": s.centre,
                "attestation_received_on": _iso(s.attestation_on),
                "points_credited": s.points_credited,
                "refusal": s.refusal,
            }
            for s in state.stages.values()
        ],
        "new_licence_possible_on": _iso(possible_on),
        "suspensions": suspension_items(state),
        "issued_on": _iso(state.issued_on),
        "route": state.route,
        "infractions": [
            {
                "infraction_id": i.infraction_id,
                "offence": i.offence,
                "class": i.offence_class,
                "committed_on": _iso(i.committed_on),
                "established_on": _iso(i.established_on),
                "decided_on": _iso(i.decided_on),
                "points_withdrawn": i.points,
                "cancelled_on": _iso(i.cancelled_on),
                "cancellation_ground": i.ground,
            }
            for i in state.infractions.values()
        ],
    }


def suspension_items(state: LicenceState) -> list[dict[str, Any]]:
    """The suspensions known by `state.as_of`, oldest first, a lifted one ending the day before
    it was lifted (R-12.2, CONTRACT §4)."""
    return [
        {
            "kind": s.kind,
            "first_day": _iso(s.first_day),
            "last_day": _iso(s.last_day),
            "reference": s.reference,
            "lifted_on": _iso(s.lifted_on),
        }
        for s in sorted(state.suspensions.values(), key=lambda s: (s.first_day, s.suspension_id))
    ]


def shown_flags(state: LicenceState) -> list[Flag]:
    """The flags raised by `state.as_of` (a flag is raised when the service learns of the breach,
    possibly after its legal date), by the day raised, then by the legal date of the breach
    (R-10.12)."""
    raised = [f for f in state.flags.values() if f.raised_on <= state.as_of]
    return sorted(raised, key=_flag_order)


def _flag_order(flag: Flag) -> tuple[date, date]:
    return flag.raised_on, flag.legal_on


def flag_item(state: LicenceState, flag: Flag) -> dict[str, Any]:
    """A flag as the view lists it, with the legal maxima of a non-compliance (R-6.1)."""
    raised_on = flag.raised_on
    item: dict[str, Any] = {"kind": flag.kind, "raised_on": raised_on.isoformat()}
    if flag.kind == FlagKind.NON_COMPLIANCE:
        item["fine_max_eur"] = state.law.value("non_compliance_fine_max_eur", raised_on)
        item["suspension_max_years"] = state.law.value(
            "non_compliance_suspension_max_years", raised_on
        )
    return item


FULL_RECORD_KEYS = ("balance", "ceiling", "infractions", "letters", "stages")


def restricted_record(view: dict[str, Any]) -> dict[str, Any]:
    """The relevé restreint: existence and validity, never the points (R-8.2, L225-5, L223-7)."""
    return {
        "neph": view["neph"],
        "as_of": view["as_of"],
        "status": view["status"],
        "valid": view["status"] == Status.VALID,
        "issued_on": view["issued_on"],
        "probationary": view["probationary"],
        # Suspensions of the right to drive are shown, never points.
        "suspensions": [
            {"kind": s["kind"], "first_day": s["first_day"], "last_day": s["last_day"]}
            for s in view.get("suspensions", [])
        ],
    }
