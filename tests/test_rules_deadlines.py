"""R-6 deadlines and non-compliance, R-0.6 breaches, R-7 invalidation, R-10.3 and R-10.5."""

from __future__ import annotations

import pytest
from desk import Desk

from domain.errors import CommandRefused
from domain.policy import Policy


def probationary_with_48n() -> Desk:
    desk = Desk()
    desk.issue("2022-01-10", "2022-01-10")
    desk.record("2022-03-10", "i1", "red_light", "2022-03-01")
    desk.establish("2022-04-04", "i1", "2022-04-01")
    desk.deliver("2022-04-08", "48N", "2022-04-07")
    return desk


def invalidated(delivered_on: str = "2024-05-10", at: str = "2024-05-13") -> Desk:
    desk = Desk()
    desk.issue("2024-01-02", "2005-03-01", probationary=False)
    desk.infraction("2024-01-05", "2024-02-05", offence="alcohol_delit", iid="a")
    desk.infraction("2024-03-01", "2024-03-22", offence="speeding_40_50", iid="b")
    desk.infraction("2024-04-02", "2024-05-06", offence="red_light", iid="c")
    desk.deliver(at, "48SI", delivered_on)
    return desk


def test_r6_1_mandatory_stage_missed_is_breached_and_flagged_15_days_after_the_due_date() -> None:
    """R-6.1: open until due + 15 days, then breached with the non-compliance flag (750 €, 3 years)."""
    desk = probationary_with_48n()
    desk.tick("2022-08-21")
    assert desk.view()["obligations"][0]["status"] == "open" and desk.view()["flags"] == []
    desk.tick("2022-08-22")
    view = desk.view()
    assert view["obligations"][0]["status"] == "breached"
    assert view["flags"] == [
        {
            "kind": "non_compliance",
            "raised_on": "2022-08-22",
            "fine_max_eur": 750,
            "suspension_max_years": 3,
        }
    ]
    assert view["balance"] == 2  # no points are withdrawn for it


def test_r6_1_and_r10_3_a_late_attestation_clears_the_flag_from_its_receipt() -> None:
    """R-6.1, R-10.3: the proven stage fulfils; the flag is cleared on the attestation's date."""
    desk = probationary_with_48n()
    desk.stage("2022-08-03", "s1", "2022-08-01", kind="mandatory")
    desk.tick("2022-08-22")
    assert desk.view()["flags"][0]["kind"] == "attestation_overdue"
    assert desk.view()["flags"][1]["kind"] == "non_compliance"
    desk.attest("2022-09-05", "s1", "2022-09-05")
    view = desk.view()
    assert (view["obligations"][0]["status"], view["flags"]) == ("fulfilled", [])
    assert [f["kind"] for f in desk.view(as_of="2022-09-01")["flags"]] == [
        "attestation_overdue",
        "non_compliance",
    ]


def test_r6_2_licence_not_returned_within_10_jours_francs() -> None:
    """R-6.2, R-0.4: due on notification + 11 days (next working day); breached the day after."""
    desk = invalidated()
    assert desk.view()["obligations"] == [
        {"kind": "licence_return", "due_on": "2024-05-21", "status": "open"}
    ]
    desk.tick("2024-05-21")
    assert desk.view()["flags"] == []
    desk.tick("2024-05-22")
    assert desk.view()["flags"] == [{"kind": "licence_not_returned", "raised_on": "2024-05-22"}]
    desk.give_back("2024-06-03")
    view = desk.view()
    assert (view["obligations"][0]["status"], view["flags"]) == ("fulfilled", [])
    assert view["new_licence_possible_on"] == "2024-12-03"


def test_r0_6_a_breach_known_late_keeps_its_legal_date_and_is_raised_when_known() -> None:
    """R-0.6, R-10.3: the acknowledgement arrives late: legal breach 2024-05-22, raised on receipt."""
    desk = invalidated(delivered_on="2024-05-10", at="2024-06-10")
    desk.tick("2024-06-10")
    assert desk.view()["flags"] == [{"kind": "licence_not_returned", "raised_on": "2024-06-10"}]
    breach = desk.events("ObligationBreached")[0]
    assert str(breach.effective_on) == "2024-05-22"


def test_r6_3_attestation_overdue_raised_the_day_after_15_days_and_cleared_on_arrival() -> None:
    """R-6.3: due last day + 15; flagged the next day against the organiser; cleared when it comes."""
    desk = Desk()
    desk.issue("2023-01-02", "2000-01-01", probationary=False)
    desk.stage("2023-03-03", "s1", "2023-03-01")  # last day 2023-03-02
    desk.tick("2023-03-17")
    assert desk.view()["flags"] == []
    desk.tick("2023-03-18")
    assert desk.view()["flags"] == [{"kind": "attestation_overdue", "raised_on": "2023-03-18"}]
    desk.attest("2023-03-25", "s1")
    assert desk.view()["flags"] == []


def test_r6_4_catching_up_a_long_gap_equals_ticking_every_day() -> None:
    """R-6.4: deadlines are 'due and still open' on every run: one late run catches up in order."""
    once, daily = probationary_with_48n(), probationary_with_48n()
    once.tick("2025-02-01")
    day = 0
    from datetime import date, timedelta

    start = date(2022, 4, 9)
    while start + timedelta(days=day) <= date(2025, 2, 1):
        daily.tick((start + timedelta(days=day)).isoformat())
        day += 7
    daily.tick("2025-02-01")
    assert once.view() == daily.view()


def test_r7_1_invalidation_pending_until_the_48si_is_notified() -> None:
    """R-7.1: balance 0: `invalidation_pending`, then `invalidated` once notified."""
    desk = Desk()
    desk.issue("2024-01-02", "2005-03-01", probationary=False)
    desk.infraction("2024-01-05", "2024-02-05", offence="alcohol_delit", iid="a")
    desk.infraction("2024-01-06", "2024-02-06", offence="drugs", iid="b")
    assert desk.view()["status"] == "invalidation_pending"
    desk.deliver("2024-02-12", "48SI", "2024-02-09")
    assert desk.view()["status"] == "invalidated"
    assert desk.view(as_of="2024-02-08")["status"] == "invalidation_pending"


def test_r7_2_a_new_licence_after_the_return_and_6_months() -> None:
    """R-7.2, R-1.2, R-10.5: refused before the return or the delay, or non-probationary."""
    desk = invalidated()
    with pytest.raises(CommandRefused, match="not been returned"):
        desk.issue("2024-06-01", "2024-06-01")
    desk.give_back("2024-05-17")
    with pytest.raises(CommandRefused, match="2024-11-17"):
        desk.issue("2024-11-16", "2024-11-16")
    with pytest.raises(CommandRefused, match="probationary"):
        desk.issue("2024-11-18", "2024-11-18", probationary=False)
    desk.issue("2024-11-18", "2024-11-18", route="aac")
    view = desk.view()
    assert (view["status"], view["balance"], view["ceiling"], view["probationary"]) == (
        "valid",
        6,
        6,
        True,
    )
    assert view["probation_ends_on"] == "2026-11-18"
    assert [x["type"] for x in view["letters"]] == ["48M", "48M", "48SI"]
    assert view["new_licence_possible_on"] is None


def test_r7_2_one_year_after_a_second_invalidation_within_5_years() -> None:
    """R-7.2 (L223-5 II): the delay is 1 year when another invalidation took effect within 5 years."""
    desk = invalidated()
    desk.give_back("2024-05-17")
    desk.issue("2024-11-18", "2024-11-18")
    desk.infraction("2024-12-01", "2025-01-06", offence="alcohol_delit", iid="d")
    desk.deliver("2025-01-10", "48SI", "2025-01-09")
    desk.give_back("2025-01-15")
    assert desk.view()["new_licence_possible_on"] == "2026-01-15"


def test_r7_2_returning_a_valid_licence_is_refused() -> None:
    """R-7.2: nothing to return when the licence is not invalidated."""
    desk = Desk()
    desk.issue("2024-01-02", "2005-03-01", probationary=False)
    with pytest.raises(CommandRefused, match="not invalidated"):
        desk.give_back("2024-02-01")


def test_r0_4_policy_jours_francs_can_be_counted_without_the_extra_day() -> None:
    """R-0.4 POLICY: with the extra day (default) receipt + 11; without it receipt + 10."""
    default = invalidated(delivered_on="2024-05-13", at="2024-05-14")
    assert default.view()["obligations"][0]["due_on"] == "2024-05-24"
    plain = Desk(policy=Policy(jours_francs_extra_day=False))
    plain.issue("2024-01-02", "2005-03-01", probationary=False)
    plain.infraction("2024-01-05", "2024-02-05", offence="alcohol_delit", iid="a")
    plain.infraction("2024-01-06", "2024-02-06", offence="drugs", iid="b")
    plain.deliver("2024-05-14", "48SI", "2024-05-13")
    assert plain.view()["obligations"][0]["due_on"] == "2024-05-23"


def test_r6_1_policy_the_grace_period_is_a_setting() -> None:
    """R-6.1 POLICY: the mandatory stage stays open `mandatory_stage_grace_days` after its due date."""
    desk = Desk(policy=Policy(mandatory_stage_grace_days=30))
    desk.issue("2022-01-10", "2022-01-10")
    desk.record("2022-03-10", "i1", "red_light", "2022-03-01")
    desk.establish("2022-04-04", "i1", "2022-04-01")
    desk.deliver("2022-04-08", "48N", "2022-04-07")
    desk.tick("2022-09-05")
    assert desk.view()["obligations"][0]["status"] == "open"
    desk.tick("2022-09-06")
    assert desk.view()["flags"][0]["raised_on"] == "2022-09-06"


def test_r10_12_flags_by_raised_on_then_legal_date_and_only_once_raised() -> None:
    """R-10.12, R-0.6, R-6.2, R-6.3: the 48SI's notification (return due 5 Dec 2022) is learnt on
    2 Jan 2023: licence_not_returned, legal date 6 Dec, is raised that day, after the
    attestation_overdue raised on 10 Dec; as of a date before 2 Jan it is not listed."""
    desk = Desk()
    desk.issue("2021-11-03", "2021-11-02", route="aac")
    desk.record("2022-08-21", "i1", "no_lights_night", "2022-06-22")
    desk.establish("2022-08-21", "i1", "2022-08-06")
    desk.record("2022-11-18", "i2", "drugs_and_alcohol", "2022-11-03")
    desk.establish("2022-11-18", "i2", "2022-11-13")
    desk.stage("2022-11-24", "s1", "2022-11-23", kind="mandatory", centre="centre-A")
    desk.tick("2022-12-10")
    assert desk.view()["flags"] == [{"kind": "attestation_overdue", "raised_on": "2022-12-10"}]
    desk.deliver("2023-01-02", "48SI", "2022-11-23")
    view = desk.view()
    assert view["flags"] == [
        {"kind": "attestation_overdue", "raised_on": "2022-12-10"},
        {"kind": "licence_not_returned", "raised_on": "2023-01-02"},
    ]
    assert view["obligations"][1] == {
        "kind": "licence_return",
        "due_on": "2022-12-05",
        "status": "breached",
    }
    before = desk.view(as_of="2022-12-20")
    assert before["obligations"][1]["status"] == "breached"  # its legal date
    assert [f["kind"] for f in before["flags"]] == ["attestation_overdue"]


def second_invalidation_notified_on(delivered_on: str) -> Desk:
    """A first 48SI notified on 29 Feb 2016; a second one, on a licence re-issued since,
    notified on `delivered_on`, the licence returned on 2 Mar 2021."""
    desk = Desk()
    desk.issue("2016-01-04", "2005-03-01", probationary=False, points=6)
    desk.infraction("2016-01-10", "2016-02-26", offence="alcohol_delit", iid="a")
    desk.deliver("2016-03-01", "48SI", "2016-02-29")
    desk.give_back("2016-03-01")
    desk.issue("2016-09-01", "2016-09-01")
    assert desk.balance("2019-09-01") == 12  # a clean probation
    desk.infraction("2021-01-10", "2021-02-22", offence="alcohol_delit", iid="b")
    desk.infraction("2021-01-11", "2021-02-22", offence="hit_and_run", iid="c")
    desk.deliver("2021-03-01", "48SI", delivered_on)
    desk.give_back("2021-03-02")
    return desk


def test_r10_15_within_5_years_counts_forward_from_the_earlier_notification() -> None:
    """R-10.15, R-7.2, R-0.2, R-0.3: 29 Feb 2016 + 5 years = 28 Feb 2021 (R-0.2), inclusive: a
    second notification on that day is within (1 year), one on 1 Mar 2021 is not (6 months)."""
    within = second_invalidation_notified_on("2021-02-28")
    assert within.view()["new_licence_possible_on"] == "2022-03-02"
    assert "12 months" in within.events("LicenceReturned")[-1].reason
    after = second_invalidation_notified_on("2021-03-01")
    assert after.view()["new_licence_possible_on"] == "2021-09-02"
    assert "6 months" in after.events("LicenceReturned")[-1].reason


def test_r10_16_no_new_licence_before_the_48si_is_notified() -> None:
    """R-10.16, R-7.1, R-7.2: returned, the delay passed, but the 48SI not acknowledged: a new
    licence is refused; once the delivery is recorded it is issued. A return dated before the
    decision that zeroed the balance is refused."""
    desk = Desk()
    desk.issue("2019-01-10", "2018-12-31", route="supervised")
    desk.record("2019-08-19", "i1", "hit_and_run", "2019-01-27")
    with pytest.raises(CommandRefused, match="not invalidated"):
        desk.give_back("2019-08-19", "2019-08-18")
    desk.establish("2019-08-19", "i1", "2019-02-26", basis="increased_fine_title")
    with pytest.raises(CommandRefused, match="before the invalidation"):
        desk.give_back("2019-08-20", "2019-08-18")
    desk.give_back("2019-09-05", "2019-09-01")
    with pytest.raises(CommandRefused, match="not notified") as refused:
        desk.issue("2020-03-01", "2020-03-01")
    assert refused.value.rule == "R-10.16"
    assert desk.view()["status"] == "invalidation_pending"
    desk.deliver("2020-03-02", "48SI", "2019-08-22")
    desk.issue("2020-03-02", "2020-03-02")
    view = desk.view()
    assert (view["status"], view["balance"], view["probation_ends_on"]) == (
        "valid",
        6,
        "2023-03-02",
    )


def test_r10_20_no_new_licence_date_until_the_48si_is_notified() -> None:
    """R-10.20, R-7.2: returned on 20 May 2021 before its 48SI is notified: no date; notified on
    25 May, within 5 years of the first notification (15 Feb 2020): 1 year from the return."""
    desk = Desk()
    desk.issue("2020-01-02", "2010-05-05", probationary=False, points=6)
    desk.infraction("2020-01-10", "2020-02-10", offence="alcohol_delit", iid="i1")
    desk.deliver("2020-02-16", "48SI", "2020-02-15")
    desk.give_back("2020-02-20")
    assert desk.view()["new_licence_possible_on"] == "2020-08-20"
    desk.issue("2021-03-01", "2021-03-01")
    desk.infraction("2021-04-01", "2021-05-10", offence="hit_and_run", iid="i2")
    desk.give_back("2021-05-20")
    view = desk.view()
    assert (view["status"], view["new_licence_possible_on"]) == ("invalidation_pending", None)
    desk.deliver("2021-05-26", "48SI", "2021-05-25")
    view = desk.view()
    assert (view["status"], view["new_licence_possible_on"]) == ("invalidated", "2022-05-20")
    assert desk.view(as_of="2021-05-22")["new_licence_possible_on"] is None
    assert desk.view(as_of="2021-05-25")["new_licence_possible_on"] == "2022-05-20"
