"""R-5: stages (L223-6 al.4, R223-5 to R223-8, R223-4) and R-10.4, R-10.6."""

from __future__ import annotations

import pytest
from desk import Desk

from domain.errors import CommandRefused


def full_licence(at: str = "2023-01-02") -> Desk:
    desk = Desk()
    desk.issue(at, "1998-01-01", probationary=False)
    return desk


def test_r5_1_judicial_stages_never_give_points() -> None:
    """R-5.1: a composition pénale stage is recorded with a refusal and no points."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="red_light")
    desk.stage("2023-03-03", "s1", "2023-03-01", kind="composition_penale")
    desk.attest("2023-03-10", "s1")
    stage = desk.view()["stages"][0]
    assert stage["points_credited"] == 0 and "judicial" in stage["refusal"]
    assert desk.view()["balance"] == 8


def test_r5_2_an_attested_stage_is_listed_before_its_attestation() -> None:
    """R-5.2: attended but not attested: 0 points and no refusal."""
    desk = full_licence()
    desk.stage("2023-03-03", "s1", "2023-03-01")
    assert desk.view()["stages"] == [
        {
            "stage_id": "s1",
            "kind": "voluntary",
            "first_day": "2023-03-01",
            "last_day": "2023-03-02",
            "centre": "CENTRE-1",
            "attestation_received_on": None,
            "points_credited": 0,
            "refusal": None,
        }
    ]
    with pytest.raises(CommandRefused, match="not recorded"):
        desk.attest("2023-03-10", "s2")


def test_r5_3_credit_up_to_4_points_from_the_day_after_the_stage_with_letter_47() -> None:
    """R-5.3, R-3.2: effective the day after the last day, known when the attestation arrives."""
    desk = full_licence("2024-01-02")
    desk.infraction("2024-01-20", "2024-03-04", offence="red_light")
    desk.stage("2024-04-11", "s1", "2024-04-09")
    desk.attest("2024-04-30", "s1")
    assert desk.view()["balance"] == 12
    assert desk.letters() == ["48", "47"]
    assert desk.view(as_of="2024-04-10")["balance"] == 8
    assert desk.view(as_of="2024-04-11")["balance"] == 12


def test_r5_3_credit_applies_after_the_withdrawals_decided_the_same_day() -> None:
    """R-5.3: the credit is applied after every withdrawal decided on or before its date."""
    desk = full_licence("2024-01-02")
    desk.infraction("2024-01-03", "2024-01-05", offence="speeding_20_30", iid="a")  # 10
    desk.stage("2024-04-10", "s1", "2024-04-09")
    desk.infraction("2024-02-01", "2024-04-11", offence="red_light", iid="b")  # 6, 48M
    desk.attest("2024-04-20", "s1")
    assert desk.view()["stages"][0]["points_credited"] == 4
    assert desk.view()["balance"] == 10


def test_r5_4_one_credited_stage_a_year_from_the_first_days_anniversary() -> None:
    """R-5.4 POLICY: a stage is credited if its first day is on or after the previous one's anniversary."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="speeding_40_50", iid="a")
    desk.infraction("2023-02-05", "2023-03-01", offence="speeding_40_50", iid="b")
    desk.stage("2023-10-03", "s1", "2023-10-01")
    desk.attest("2023-10-10", "s1")
    desk.stage("2024-10-01", "s2", "2024-09-30")
    desk.attest("2024-10-05", "s2")
    desk.stage("2024-10-03", "s3", "2024-10-01")
    desk.attest("2024-10-08", "s3")
    stages = desk.view()["stages"]
    assert [s["points_credited"] for s in stages] == [4, 0, 4]
    assert "2024-10-01" in stages[1]["refusal"]


def test_r5_4_a_stage_at_the_ceiling_uses_the_years_right_without_letter_47() -> None:
    """R-5.4: credited with 0 points, refusal null, no letter 47; the next within a year is refused."""
    desk = full_licence()
    desk.stage("2023-03-03", "s1", "2023-03-01")
    desk.attest("2023-03-10", "s1")
    desk.infraction("2023-04-01", "2023-05-01")
    desk.stage("2023-06-03", "s2", "2023-06-01")
    desk.attest("2023-06-10", "s2")
    stages = desk.view()["stages"]
    assert (stages[0]["points_credited"], stages[0]["refusal"]) == (0, None)
    assert stages[1]["points_credited"] == 0 and stages[1]["refusal"]
    assert "47" not in desk.letters()


def test_r5_5_no_credit_when_the_48si_was_notified_before_the_stage_ended() -> None:
    """R-5.5: a stage whose last day is on or after the 48SI's notification gives nothing."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="alcohol_delit", iid="a")
    desk.infraction("2023-02-05", "2023-03-01", offence="drugs", iid="b")
    desk.deliver("2023-03-06", "48SI", "2023-03-04")
    desk.stage("2023-03-07", "s1", "2023-03-03")
    desk.attest("2023-03-10", "s1")
    view = desk.view()
    assert (view["balance"], view["status"]) == (0, "invalidated")
    assert "48SI" in view["stages"][0]["refusal"]


def test_r5_5_a_stage_before_the_notification_annuls_the_invalidation() -> None:
    """R-5.5 (CE 29/09/2023): the stage counts even at 0; above 0 the invalidation is annulled."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="alcohol_delit", iid="a")
    desk.infraction("2023-02-05", "2023-03-01", offence="drugs", iid="b")  # 48SI sent
    desk.stage("2023-03-03", "s1", "2023-03-01")
    desk.deliver("2023-03-08", "48SI", "2023-03-06")
    assert desk.view()["obligations"][0]["kind"] == "licence_return"
    desk.attest("2023-03-10", "s1")
    view = desk.view()
    assert (view["balance"], view["status"], view["obligations"]) == (4, "valid", [])
    assert [e.rule for e in desk.events("InvalidationAnnulled")] == ["R-5.5"]


def test_r5_6_the_mandatory_stage_within_4_months_of_the_48n_notification() -> None:
    """R-5.6: no due date until notified; due 4 months after; a qualifying stage fulfils it."""
    desk = Desk()
    desk.issue("2022-01-10", "2022-01-10")
    desk.infraction("2022-06-01", "2022-07-04", offence="phone_handheld")
    assert desk.view()["obligations"] == [
        {"kind": "mandatory_stage", "due_on": None, "status": "open"}
    ]
    desk.deliver("2022-07-11", "48N", "2022-07-08")
    assert desk.view()["obligations"][0]["due_on"] == "2022-11-08"
    desk.stage("2022-09-14", "s1", "2022-09-12", kind="mandatory")
    desk.attest("2022-09-21", "s1", "2022-09-20")
    assert desk.view()["obligations"][0]["status"] == "fulfilled"
    assert (desk.view()["balance"], desk.view()["stages"][0]["points_credited"]) == (6, 3)


def test_r5_6_policy_a_stage_refused_under_r5_4_still_fulfils_the_obligation() -> None:
    """R-5.6 POLICY: the once-a-year rule refuses the credit but the obligation is fulfilled."""
    desk = Desk()
    desk.issue("2022-01-10", "2022-01-10")
    desk.stage("2022-03-03", "s1", "2022-03-01")
    desk.attest("2022-03-10", "s1")
    desk.infraction("2022-05-01", "2022-06-01", offence="phone_handheld")
    desk.deliver("2022-06-10", "48N")
    desk.stage("2022-07-06", "s2", "2022-07-04", kind="mandatory")
    desk.attest("2022-07-10", "s2")
    view = desk.view()
    assert view["obligations"][0]["status"] == "fulfilled"
    assert view["stages"][1]["refusal"] and view["balance"] == 3


def test_r5_6_a_stage_before_the_48n_was_sent_does_not_qualify() -> None:
    """R-5.6: the stage's first day must be on or after the day the 48N was sent."""
    desk = Desk()
    desk.issue("2022-01-10", "2022-01-10")
    desk.stage("2022-05-03", "s1", "2022-05-01")
    desk.infraction("2022-05-02", "2022-05-20", offence="phone_handheld")
    desk.attest("2022-05-25", "s1")
    assert desk.view()["obligations"][0]["status"] == "open"


def test_r10_4_one_stage_fulfils_every_mandatory_stage_obligation() -> None:
    """R-10.4: one occasion can send two 48N; one qualifying stage fulfils both."""
    desk = Desk()
    desk.issue("2022-01-10", "2022-01-10")
    desk.record("2022-03-10", "a", "phone_handheld", "2022-03-01", occasion="o")
    desk.record("2022-03-10", "b", "seat_belt", "2022-03-01", occasion="o")
    desk.establish("2022-04-01", "a", "2022-04-01")
    desk.establish("2022-04-01", "b", "2022-04-01")
    assert desk.letters() == ["48N", "48SI"]
    other = Desk()
    other.issue("2022-01-10", "2022-01-10")
    other.training("2022-08-01", "2022-08-01")
    other.tick("2023-01-10")  # 8 points
    other.record("2023-03-10", "a", "phone_handheld", "2023-03-01", occasion="o")
    other.record("2023-03-10", "b", "seat_belt", "2023-03-01", occasion="o")
    other.establish("2023-04-03", "a", "2023-04-01")
    other.establish("2023-04-03", "b", "2023-04-01")
    assert other.letters() == ["48N", "48N"]
    other.stage("2023-05-03", "s1", "2023-05-01", kind="mandatory")
    other.attest("2023-05-10", "s1")
    assert [o["status"] for o in other.view()["obligations"]] == ["fulfilled", "fulfilled"]


def test_r10_6_a_credit_stands_when_the_48si_notification_is_learnt_later() -> None:
    """R-10.6: the credit is not undone; the case is flagged to an operator in the audit trail."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="alcohol_delit", iid="a")
    desk.infraction("2023-02-05", "2023-03-01", offence="drugs", iid="b")
    desk.stage("2023-03-05", "s1", "2023-03-03")
    desk.attest("2023-03-10", "s1")
    desk.deliver("2023-03-20", "48SI", "2023-03-02")
    assert desk.view()["stages"][0]["points_credited"] == 4
    assert [e.rule for e in desk.events("OperatorAlerted")] == ["R-10.6"]


def test_r10_12_an_as_of_view_lists_only_the_letters_sent_by_then() -> None:
    """R-10.12, R-3.2, R-5.3: the credit of a January stage takes effect on 12 Jan but its 47 is
    sent when the attestation is recorded (15 Feb): as of 1 Feb the points, not the letter."""
    desk = Desk()
    desk.issue("2020-11-02", "2010-05-05", probationary=False)
    desk.record("2020-11-05", "i1", "red_light", "2020-11-01")
    desk.establish("2020-11-10", "i1", "2020-11-09")
    desk.stage("2021-01-12", "s1", "2021-01-10")
    desk.attest("2021-02-15", "s1", "2021-01-20")
    assert (desk.view()["balance"], desk.letters()) == (12, ["48", "47"])
    then = desk.view(as_of="2021-02-01")
    assert (then["balance"], [x["type"] for x in then["letters"]]) == (12, ["48"])
    assert desk.view(as_of="2021-02-15")["letters"][1]["sent_on"] == "2021-02-15"


def test_r10_13_a_stage_refused_under_r5_5_still_fulfils_the_48n() -> None:
    """R-10.13, R-5.5, R-5.6: a mandatory stage ending after the 48SI's notification gives no
    points, but its dates qualify: the 48N obligation is fulfilled and never breached."""
    desk = Desk()
    desk.issue("2020-01-15", "2020-01-15")
    desk.record("2020-03-05", "i1", "red_light", "2020-03-01")
    desk.establish("2020-04-10", "i1", "2020-04-05")
    desk.deliver("2020-04-16", "48N", "2020-04-15")
    desk.record("2020-05-05", "i2", "hit_and_run", "2020-05-01")
    desk.establish("2020-06-10", "i2", "2020-06-05", basis="final_conviction")
    desk.deliver("2020-06-13", "48SI", "2020-06-12")
    desk.give_back("2020-06-20")
    desk.stage("2020-07-03", "s1", "2020-07-01", kind="mandatory")
    desk.attest("2020-07-05", "s1")
    view = desk.view()
    assert (view["status"], view["balance"]) == ("invalidated", 0)
    stage = view["stages"][0]
    assert stage["points_credited"] == 0 and "48SI notified on 2020-06-12" in stage["refusal"]
    assert [(o["kind"], o["due_on"], o["status"]) for o in view["obligations"]] == [
        ("mandatory_stage", "2020-08-15", "fulfilled"),
        ("licence_return", "2020-06-23", "fulfilled"),
    ]
    desk.tick("2020-09-01")
    assert desk.view()["flags"] == []
    assert desk.view()["obligations"][0]["status"] == "fulfilled"


def test_r10_14_a_stage_is_compared_with_every_credited_stage_before_or_after_it() -> None:
    """R-10.14, R-5.4: s1 (first day 1 Mar 2023) is attested after s2 (1 Sep 2023) was credited:
    s2 lies within a year after it, so s1 is refused though it came first; s3 on s2's anniversary
    is credited."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="speeding_40_50", iid="a")
    desk.infraction("2023-01-06", "2023-02-02", offence="speeding_40_50", iid="b")
    desk.stage("2023-03-03", "s1", "2023-03-01")
    desk.stage("2023-09-03", "s2", "2023-09-01")
    desk.attest("2023-09-05", "s2")
    desk.attest("2023-09-10", "s1")
    stages = {s["stage_id"]: s for s in desk.view()["stages"]}
    assert (stages["s2"]["points_credited"], stages["s1"]["points_credited"]) == (4, 0)
    assert "stage s2 (first day 2023-09-01)" in stages["s1"]["refusal"]
    assert desk.balance() == 8
    desk.infraction("2024-02-01", "2024-03-01", offence="speeding_40_50", iid="c")
    desk.stage("2024-09-03", "s3", "2024-09-01")
    desk.attest("2024-09-05", "s3")
    stages = {s["stage_id"]: s for s in desk.view()["stages"]}
    assert (stages["s3"]["points_credited"], stages["s3"]["refusal"]) == (4, None)


def test_r10_17_a_later_withdrawal_back_to_0_after_an_annulment_is_a_new_invalidation() -> None:
    """R-10.17, R-5.5, R-3.1: the stage of 17-18 Jan 2013 ended before the 48SI's notification
    (19 Jan) and, credited on 19 Jan, brings the balance to 4 then: the invalidation is annulled
    with its return obligation and flag. The délit decided on 30 Jan (no letter: 0 was known then)
    brings 4 back to 0: a new invalidation of 30 Jan, its 48SI sent when decided (21 Mar)."""
    desk = Desk()
    desk.issue("2012-04-30", "2012-04-30", route="supervised")
    desk.record("2013-01-16", "i1", "alcohol_test_refusal", "2012-12-27")
    desk.establish("2013-01-16", "i1", "2013-01-06")
    desk.stage("2013-01-19", "s1", "2013-01-17")
    desk.deliver("2013-01-22", "48SI", "2013-01-19")
    desk.record("2013-01-30", "i2", "hit_and_run", "2012-10-26")
    desk.establish("2013-01-30", "i2", "2013-01-24", basis="increased_fine_title")
    assert desk.events("PointsWithdrawn")[-1].letter is None
    desk.tick("2013-02-01")  # return due 30 Jan (19 Jan + 11)
    assert [f["kind"] for f in desk.view()["flags"]] == ["licence_not_returned"]
    desk.attest("2013-03-21", "s1", "2013-03-19")
    annulled = desk.events("InvalidationAnnulled")
    assert [(e.ref, str(e.effective_on)) for e in annulled] == [("i1", "2013-01-19")]
    decided = desk.events("InvalidationDecided")
    assert [(e.ref, e.letter, str(e.effective_on)) for e in decided] == [
        ("i2", "48SI", "2013-01-30")
    ]
    view = desk.view()
    assert (view["status"], view["balance"], view["obligations"], view["flags"]) == (
        "invalidation_pending",
        0,
        [],
        [],
    )
    assert [(x["type"], x["sent_on"]) for x in view["letters"]] == [
        ("48SI", "2013-01-16"),
        ("47", "2013-03-21"),
        ("48SI", "2013-03-21"),
    ]
    between = desk.view(as_of="2013-02-01")
    assert (between["status"], between["balance"], len(between["letters"])) == (
        "invalidation_pending",
        0,
        1,
    )
    assert desk.view(as_of="2013-01-25")["balance"] == 4
    with pytest.raises(CommandRefused, match="before the invalidation"):
        desk.give_back("2013-03-22", "2013-01-29")
    desk.deliver("2013-03-25", "48SI", "2013-03-25")
    view = desk.view()
    assert view["status"] == "invalidated"
    assert [(o["kind"], o["due_on"]) for o in view["obligations"]] == [
        ("licence_return", "2013-04-05")
    ]


def test_r10_22_r5_5_holds_across_a_re_issue() -> None:
    """R-10.22, R-5.5, R-10.5: a stage attended before the re-issue but after the old licence's
    48SI was notified gives no points and no 47, though attested after the new licence is issued."""
    desk = Desk()
    desk.issue("2013-01-02", "2010-05-05", probationary=False, points=6)
    desk.record("2013-02-20", "i1", "alcohol_delit", "2013-01-10")
    desk.establish("2013-02-20", "i1", "2013-02-01", basis="final_conviction")
    desk.deliver("2013-03-01", "48SI", "2013-02-28")
    desk.give_back("2013-03-01")
    desk.issue("2013-09-03", "2013-09-03")
    desk.stage("2013-09-13", "s1", "2013-08-23")
    desk.attest("2013-09-15", "s1", "2013-08-29")
    view = desk.view()
    assert (view["status"], view["balance"], desk.letters()) == ("valid", 6, ["48SI"])
    stage = view["stages"][0]
    assert stage["points_credited"] == 0 and "48SI notified on 2013-02-28" in stage["refusal"]
    assert [e.rule for e in desk.events("StageCreditRefused")] == ["R-5.5"]
