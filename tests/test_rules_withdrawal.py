"""R-2 infractions and withdrawals, R-3 letters, R-10.1 and R-10.2."""

from __future__ import annotations

import pytest
from desk import Desk

from domain.errors import CommandRefused


def full_licence(issued_on: str = "2001-01-01", at: str = "2024-01-02") -> Desk:
    desk = Desk()
    desk.issue(at, issued_on, probationary=False)
    return desk


def test_r2_1_recording_withdraws_nothing() -> None:
    """R-2.1: an infraction recorded but not established withdraws no point and sends no letter."""
    desk = full_licence()
    desk.record("2024-02-20", "i1", "red_light", "2024-02-10")
    desk.tick("2025-01-01")
    assert (desk.view()["balance"], desk.letters()) == (12, [])


def test_r2_2_four_dates_and_the_withdrawal_takes_effect_on_the_decision() -> None:
    """R-2.2: committed, established, decided and notified dates; effect from the decision date."""
    desk = full_licence()
    desk.record("2024-02-20", "i1", "red_light", "2024-02-10")
    desk.establish("2024-03-05", "i1", "2024-03-01")
    desk.deliver("2024-03-12", "48", "2024-03-09")
    infraction = desk.view()["infractions"][0]
    assert (infraction["committed_on"], infraction["established_on"], infraction["decided_on"]) == (
        "2024-02-10",
        "2024-03-01",
        "2024-03-05",
    )
    assert desk.view()["letters"][0]["delivered_on"] == "2024-03-09"
    assert desk.view(as_of="2024-03-04")["balance"] == 12
    assert desk.view(as_of="2024-03-05")["balance"] == 8


def test_r2_3_points_are_those_in_force_on_the_day_committed() -> None:
    """R-2.3, R-9.3: pedestrian priority cost 4 points until 2018-09-17, 6 from 2018-09-18."""
    desk = full_licence(at="2019-01-02")
    desk.infraction("2018-09-17", "2019-01-10", offence="pedestrian_priority", iid="before")
    desk.infraction("2018-09-18", "2019-01-11", offence="pedestrian_priority", iid="after")
    withdrawn = {i["infraction_id"]: i["points_withdrawn"] for i in desk.view()["infractions"]}
    assert withdrawn == {"before": 4, "after": 6}


def test_r2_3_small_speeding_costs_nothing_since_2024() -> None:
    """R-2.3: speeding by less than 5 km/h above 50 km/h: 1 point before 2024, 0 after."""
    desk = full_licence(at="2023-06-01")
    desk.infraction("2023-12-31", "2024-02-01", offence="speeding_lt5_over50", iid="old")
    desk.infraction("2024-01-01", "2024-02-02", offence="speeding_lt5_over50", iid="new")
    assert [i["points_withdrawn"] for i in desk.view()["infractions"]] == [1, 0]
    assert desk.letters() == ["48"]


def test_r2_4_simultaneous_infractions_lose_at_most_8_points() -> None:
    """R-2.4, R-10.1: 6 + 3 + 3 of one occasion cost 8, in decision order; the third sends nothing."""
    desk = full_licence()
    desk.record("2024-06-10", "i1", "alcohol_delit", "2024-06-01", occasion="o1")
    desk.record("2024-06-10", "i2", "phone_handheld", "2024-06-01", occasion="o1")
    desk.record("2024-06-10", "i3", "seat_belt", "2024-06-01", occasion="o1")
    for iid in ("i1", "i2", "i3"):
        desk.establish("2024-07-03", iid, "2024-07-01")
    assert [i["points_withdrawn"] for i in desk.view()["infractions"]] == [6, 2, 0]
    assert (desk.view()["balance"], desk.letters()) == (4, ["48M", "48M"])


def test_r2_4_drugs_and_alcohol_cost_9_points_since_2025_07_11() -> None:
    """R-2.4, R-10.1: the derogation: 9 points, and an occasion that includes it is capped at 9."""
    desk = full_licence(at="2025-07-01")
    desk.record("2025-08-10", "i1", "red_light", "2025-08-01", occasion="o1")
    desk.record("2025-08-10", "i2", "drugs_and_alcohol", "2025-08-01", occasion="o1")
    desk.establish("2025-09-01", "i1", "2025-09-01")
    desk.establish("2025-09-02", "i2", "2025-09-02")
    assert [i["points_withdrawn"] for i in desk.view()["infractions"]] == [4, 5]
    assert desk.view()["balance"] == 3


def test_r2_4_drugs_and_alcohol_before_the_derogation_cost_6() -> None:
    """R-2.4, R-9.3: committed before 2025-07-11 the offence costs 6 and the cap stays 8."""
    desk = full_licence(at="2025-01-02")
    desk.infraction("2025-07-10", "2025-08-01", offence="drugs_and_alcohol")
    assert desk.view()["balance"] == 6


def test_r2_5_the_balance_never_goes_below_zero() -> None:
    """R-2.5: a withdrawal larger than the balance brings it to 0."""
    desk = full_licence()
    desk.infraction("2024-01-05", "2024-02-01", offence="alcohol_delit", iid="a")
    desk.infraction("2024-02-05", "2024-03-01", offence="drugs", iid="b")
    desk.infraction("2024-03-05", "2024-04-01", offence="red_light", iid="c")
    assert desk.view()["balance"] == 0


def test_r2_6_establishing_an_unknown_or_established_infraction_is_refused() -> None:
    """R-2.6: refused with a clear reason, and nothing changes."""
    desk = full_licence()
    with pytest.raises(CommandRefused, match="not recorded"):
        desk.establish("2024-02-01", "nope", "2024-01-30")
    desk.infraction("2024-01-05", "2024-02-01")
    assert desk.licence is not None
    before = len(desk.licence.history)
    with pytest.raises(CommandRefused, match="already established"):
        desk.establish("2024-02-02", "i-2024-01-05-red_light", "2024-02-01")
    assert len(desk.licence.history) == before


def test_r2_7_the_class_of_every_withdrawal_is_kept() -> None:
    """R-2.7: the class is kept with the withdrawal (it decides R-4.2 and R-4.3)."""
    desk = full_licence()
    desk.infraction("2024-01-05", "2024-02-01", offence="no_indicator")
    assert desk.view()["infractions"][0]["class"] == "C2"


def test_r3_1_letter_48_48m_and_48si_in_order() -> None:
    """R-3.1: 48 above 6, 48M at 6 or less (non-probationary), 48SI at 0."""
    desk = full_licence()
    desk.infraction("2024-01-05", "2024-02-01", offence="speeding_20_30", iid="a")  # 10
    desk.infraction("2024-02-05", "2024-03-01", offence="red_light", iid="b")  # 6
    desk.infraction("2024-03-05", "2024-04-01", offence="alcohol_delit", iid="c")  # 0
    assert desk.letters() == ["48", "48M", "48SI"]


def test_r3_1_48n_for_one_infraction_of_3_points_not_a_sum_of_small_ones() -> None:
    """R-3.1: 48N needs a single infraction of 3 points or more, committed during probation."""
    desk = Desk()
    desk.issue("2022-01-10", "2022-01-10")
    desk.infraction("2022-02-01", "2022-03-01", offence="speeding_20_30", iid="a")
    desk.infraction("2022-03-05", "2022-04-01", offence="speeding_20_30", iid="b")
    assert desk.letters() == ["48", "48"]
    desk.infraction("2022-04-05", "2022-05-01", offence="phone_handheld", iid="c")
    assert desk.letters() == ["48", "48", "48SI"]
    other = Desk()
    other.issue("2022-01-10", "2022-01-10")
    other.infraction("2022-02-01", "2022-03-01", offence="phone_handheld")
    assert other.letters() == ["48N"]
    assert other.view()["obligations"] == [
        {"kind": "mandatory_stage", "due_on": None, "status": "open"}
    ]


def test_r3_1_and_r10_2_no_letter_when_nothing_is_withdrawn() -> None:
    """R-3.1, R-10.2: a decision on a balance at 0 sends no letter but still counts."""
    desk = full_licence()
    desk.infraction("2024-01-05", "2024-02-01", offence="alcohol_delit", iid="a")
    desk.infraction("2024-02-05", "2024-03-01", offence="drugs", iid="b")
    desk.infraction("2024-03-05", "2024-04-01", offence="red_light", iid="c")
    assert desk.letters() == ["48M", "48SI"]
    assert [i["points_withdrawn"] for i in desk.view()["infractions"]] == [6, 6, 4]


def test_r3_3_the_notification_date_is_the_acknowledged_delivery() -> None:
    """R-3.3: `letter.delivered` dates the latest undelivered letter of that type."""
    desk = full_licence()
    desk.infraction("2024-01-05", "2024-02-01", offence="red_light", iid="a")
    desk.infraction("2024-02-05", "2024-03-01", offence="red_light", iid="b")
    desk.deliver("2024-03-10", "48M", "2024-03-07")
    assert [x["delivered_on"] for x in desk.view()["letters"]] == [None, "2024-03-07"]
    with pytest.raises(CommandRefused, match="no letter 48SI"):
        desk.deliver("2024-03-11", "48SI")


def test_r10_9_a_decision_whose_revocation_brings_the_balance_to_0_sends_a_48si() -> None:
    """R-10.9, R-4.4, R-3.1, R-7.1: the full restoration of 1 Feb 2023 (+4) is revoked by a délit
    committed inside its window and decided on 1 Sep 2023: 2 - 4 → 0 by the revocation, then 6
    withdrawn: the decision sends a 48SI and the licence is invalidation_pending."""
    desk = full_licence("2010-05-05", "2020-01-02")
    desk.record("2020-01-20", "i1", "red_light", "2020-01-10")
    desk.establish("2020-02-05", "i1", "2020-02-01")
    desk.record("2021-06-05", "i2", "hit_and_run", "2021-06-01")
    assert desk.balance("2023-02-01") == 12
    desk.record("2023-03-05", "i3", "alcohol_delit", "2023-03-01")
    desk.establish("2023-04-05", "i3", "2023-04-01", basis="final_conviction")
    desk.record("2023-05-05", "i4", "speeding_40_50", "2023-05-01")
    desk.establish("2023-06-05", "i4", "2023-06-01")
    assert (desk.balance(), desk.letters()) == (2, ["48", "48M", "48M"])
    desk.establish("2023-09-01", "i2", "2021-07-01", basis="final_conviction")
    assert [e.points for e in desk.events("RestorationRevoked")] == [4]
    withdrawn = desk.events("PointsWithdrawn")[-1]
    assert (withdrawn.letter, withdrawn.balance_after) == ("48SI", 0)
    assert "2 → 0 by the revocations" in withdrawn.reason
    view = desk.view()
    assert (view["balance"], view["status"]) == (0, "invalidation_pending")
    assert desk.letters() == ["48", "48M", "48M", "48SI"]
    desk.deliver("2023-09-08", "48SI", "2023-09-07")
    assert desk.view()["status"] == "invalidated"


def test_r10_10_a_letter_acknowledged_on_the_day_it_is_sent_is_delivered_that_day() -> None:
    """R-10.10, R-3.3: the 47 of a credit is sent on 12 Oct 2026 (the day after the stage, the
    attestation received that day) and acknowledged as delivered the same day."""
    desk = full_licence("2019-03-11", "2024-05-10")
    desk.record("2026-05-28", "i1", "red_light", "2026-05-24")
    desk.establish("2026-06-28", "i1", "2026-06-23")
    desk.stage("2026-10-11", "s1", "2026-10-10")
    desk.attest("2026-10-12", "s1", "2026-10-12")
    desk.deliver("2026-10-13", "47", "2026-10-12")
    letters = desk.view()["letters"]
    assert letters[1] == {"type": "47", "sent_on": "2026-10-12", "delivered_on": "2026-10-12"}
    assert desk.view(as_of="2026-10-12")["letters"][1]["delivered_on"] == "2026-10-12"
    assert (
        desk.view(as_of="2026-10-12", known_at="2026-10-12")["letters"][1]["delivered_on"] is None
    )
