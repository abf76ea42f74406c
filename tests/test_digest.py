"""The digest each event's successor carries (R-9.2): its bytes are pinned, since changing them
would make every chain already recorded fail `permis verify --chain`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from domain import events as ev

EVENT = ev.PointsWithdrawn.build(
    originator_id=UUID("7d24dd78-7daf-5b59-8f2e-2be5ccaa3388"),
    originator_version=3,
    timestamp=datetime(2024, 3, 5, 9, 30, 0, 123456, tzinfo=UTC),
    effective_on=date(2024, 3, 5),
    recorded_on=date(2024, 3, 5),
    rule="R-2.2",
    reason="réalité établie",
    command_id="c3",
    policy="ffb85af70cab",
    previous_hash="0" * 64,
    actor="cli:root",
    infraction_id="i1",
    established_on=date(2024, 3, 1),
    basis="fine_paid",
    points=4,
    balance_after=8,
    letter="48",
)
TODAY_FORM = "275192f0ced1c07f23db9f1df0f705c674708c35ae9efebebe132f5a4649673d"
# What the first canonical form (before 2026-12-01, commit 85a5466) gave for the same event.
FIRST_FORM = "ea8f92237ea94403bb33ea6d0d57ebf0cbf86c1bd988f1e535d902b4de0cdcab"


def test_r9_2_the_digest_of_an_event_is_pinned() -> None:
    assert EVENT.digest() == TODAY_FORM


def test_r9_2_a_digest_in_the_first_form_is_still_the_events() -> None:
    """Chains recorded before the canonical form changed still hold."""
    assert EVENT.has_digest(TODAY_FORM)
    assert EVENT.has_digest(FIRST_FORM)


def test_r9_2_any_other_value_is_not_its_digest() -> None:
    altered = ev.PointsWithdrawn.build(**{**vars(EVENT), "points": 1})
    assert not altered.has_digest(TODAY_FORM)
    assert not altered.has_digest(FIRST_FORM)
    assert not EVENT.has_digest("0" * 64)
