"""Letter 47 (R-3.2, R-5.3): it goes when the points come back, and its printable letter is found
whatever the order in which the attestation and the day's withdrawals were recorded."""

from __future__ import annotations

from datetime import date

from desk import Desk

from services.web.letters import letter


def _sent(desk: Desk, on: str) -> list[tuple[str, str]]:
    return [(x["type"], x["sent_on"]) for x in desk.view(on)["letters"]]


def test_r3_2_a_47_recorded_before_its_credit_date_is_sent_that_date_and_printable() -> None:
    """Attestation on the stage's last day: the points, and the 47, come the day after."""
    desk = Desk()
    desk.issue("2024-01-02", "1998-03-01", probationary=False, points=8)
    desk.stage("2024-03-05", "s1", "2024-03-04")
    desk.attest("2024-03-05", "s1")
    assert _sent(desk, "2024-03-05") == []
    desk.tick("2024-03-06")
    assert _sent(desk, "2024-03-06") == [("47", "2024-03-06")]
    assert desk.licence is not None
    doc = letter(desk.licence, desk.law, desk.policy, date(2024, 3, 6), 0)
    assert (doc.type, doc.sent_on, doc.balance) == ("47", date(2024, 3, 6), 12)


def test_r5_3_a_credit_of_nothing_when_recorded_sends_a_47_once_the_day_makes_room() -> None:
    """At the ceiling when the attestation is recorded (+0, no 47); a délit decided on the credit
    day comes first, so the credit gives 4 (6 -> 10, after a 48M) and the 47 goes, printable."""
    desk = Desk()
    desk.issue("2024-01-02", "1998-03-01", probationary=False, points=12)
    desk.record("2024-02-01", "i1", "alcohol_delit", "2024-01-20")
    desk.stage("2024-03-05", "s1", "2024-03-04")
    desk.attest("2024-03-05", "s1")
    desk.establish("2024-03-06", "i1", "2024-03-06", "final_conviction")
    assert desk.balance("2024-03-06") == 10
    assert _sent(desk, "2024-03-06") == [("48M", "2024-03-06"), ("47", "2024-03-06")]
    assert desk.licence is not None
    doc = letter(desk.licence, desk.law, desk.policy, date(2024, 3, 6), 1)
    assert (doc.type, doc.ref) == ("47", "s1")
