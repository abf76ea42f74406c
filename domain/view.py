"""The licence view of CONTRACT §4, built from the folded state."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.glossary import FlagKind, Status
from domain.rules.probation import probation_end
from domain.state import LicenceState


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def licence_view(state: LicenceState) -> dict[str, Any]:
    """The JSON view of a licence on `state.as_of` (CONTRACT §4)."""
    end = probation_end(state) if state.probationary else None
    invalidation = state.current_invalidation
    possible_on = None
    if invalidation is not None and state.status != Status.VALID:
        possible_on = invalidation.new_licence_possible_on
    return {
        "neph": state.neph,
        "as_of": state.as_of.isoformat(),
        "status": str(state.status),
        "balance": state.balance,
        "ceiling": state.ceiling,
        "probationary": state.probationary,
        "probation_ends_on": _iso(end[0]) if end else None,
        "letters": [
            {"type": x.type, "sent_on": _iso(x.sent_on), "delivered_on": _iso(x.delivered_on)}
            for x in state.letters
        ],
        "obligations": [
            {"kind": o.kind, "due_on": _iso(o.due_on), "status": str(o.status)}
            for o in sorted(state.obligations.values(), key=lambda o: o.opened_on)
        ],
        "flags": [_flag(state, f.kind, f.raised_on) for f in state.flags.values()],
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
            }
            for i in state.infractions.values()
        ],
    }


def _flag(state: LicenceState, kind: str, raised_on: date) -> dict[str, Any]:
    flag: dict[str, Any] = {"kind": kind, "raised_on": raised_on.isoformat()}
    if kind == FlagKind.NON_COMPLIANCE:
        flag["fine_max_eur"] = state.law.value("non_compliance_fine_max_eur", raised_on)
        flag["suspension_max_years"] = state.law.value(
            "non_compliance_suspension_max_years", raised_on
        )
    return flag


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
    }
