"""R-8.2: the full record goes to the holder; the restricted record never shows points."""

from __future__ import annotations

from desk import Desk

from domain.view import FULL_RECORD_KEYS, restricted_record


def test_r8_2_the_holders_full_record_and_the_restricted_record() -> None:
    """R-8.2 (L225-4, L225-5, L223-7): points, infractions, letters and stages only in the full one."""
    desk = Desk()
    desk.issue("2024-01-02", "2009-05-04", probationary=False)
    desk.infraction("2024-02-10", "2024-03-05")
    full = desk.view()
    assert all(key in full for key in FULL_RECORD_KEYS)
    assert (full["balance"], len(full["infractions"]), len(full["letters"])) == (8, 1, 1)
    restricted = restricted_record(full)
    assert restricted == {
        "neph": "100000000001",
        "as_of": "2024-03-05",
        "status": "valid",
        "valid": True,
        "issued_on": "2009-05-04",
        "probationary": False,
        "suspensions": [],  # shown in both relevés, never a point
    }
    assert not set(FULL_RECORD_KEYS) & set(restricted)
