"""R-1: capital and probation (L223-1, R223-1, R223-4-1)."""

from __future__ import annotations

from desk import Desk, d

from domain.policy import Policy


def test_r1_1_the_capital_is_12_points_at_most() -> None:
    """R-1.1: a full licence never exceeds 12, whatever is credited."""
    desk = Desk()
    desk.issue("2024-01-02", "2001-01-01", probationary=False)
    desk.stage("2024-02-03", "s1", "2024-02-01")
    desk.attest("2024-02-10", "s1")
    view = desk.view()
    assert (view["balance"], view["ceiling"]) == (12, 12)
    assert view["stages"][0]["points_credited"] == 0


def test_r1_2_a_first_licence_starts_probationary_with_6_points() -> None:
    """R-1.2: probationary, 6 points, ceiling 6 on the day of issue."""
    desk = Desk()
    desk.issue("2024-01-10", "2024-01-10")
    view = desk.view()
    assert (view["balance"], view["ceiling"], view["probationary"]) == (6, 6, True)


def test_r1_3_probation_lasts_3_years_or_2_for_aac() -> None:
    """R-1.3: 3 years for the traditional and supervised routes, 2 for AAC."""
    for route, end in (
        ("traditional", "2027-01-10"),
        ("supervised", "2027-01-10"),
        ("aac", "2026-01-10"),
    ):
        desk = Desk()
        desk.issue("2024-01-10", "2024-01-10", route=route)
        assert desk.view()["probation_ends_on"] == end


def test_r1_4_yearly_gains_and_r1_5_end_of_probation_for_aac() -> None:
    """R-1.4: +3 a year for AAC; R-1.5: 12 at the end for a licence without infraction."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10", route="aac")
    assert desk.balance("2022-01-09") == 6
    assert desk.balance("2022-01-10") == 9
    desk.tick("2023-01-10")
    view = desk.view()
    assert (view["balance"], view["ceiling"], view["probationary"]) == (12, 12, False)


def test_r1_4_no_gain_after_an_infraction_with_withdrawal_and_r1_5_frozen_ceiling() -> None:
    """R-1.4, R-1.5: no gain once an infraction gave rise to a withdrawal; the ceiling stays frozen."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10")
    desk.record("2021-05-10", "i1", "speeding_20_30", "2021-05-01")
    desk.establish("2021-06-01", "i1", "2021-06-01")
    desk.tick("2023-01-10")
    assert (desk.view()["balance"], desk.view()["ceiling"]) == (4, 6)
    desk.tick("2024-01-10")  # probation ends: the ceiling becomes 12, the balance is unchanged
    view = desk.view()
    assert (view["balance"], view["ceiling"], view["probationary"]) == (4, 12, False)


def test_r1_4_a_zero_point_offence_does_not_stop_the_gains() -> None:
    """R-1.4, R-10.2: an offence that withdrew 0 points never counts as a withdrawal."""
    desk = Desk()
    desk.issue("2024-01-10", "2024-01-10")
    desk.infraction("2024-03-01", "2024-03-10", offence="speeding_lt5_over50")  # 0 since 2024
    assert desk.balance("2025-01-10") == 8
    assert desk.letters() == []


def test_r1_4_policy_no_claw_back_of_a_gain_already_credited() -> None:
    """R-1.4 POLICY: an infraction before the anniversary, established after it, keeps the gain."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10")
    desk.record("2021-12-10", "i1", "speeding_20_30", "2021-12-01")
    assert desk.balance("2022-01-10") == 8
    desk.establish("2022-02-01", "i1", "2022-02-01")
    assert (desk.view()["balance"], desk.view()["ceiling"]) == (6, 8)
    assert desk.balance("2023-01-10") == 6  # no further gain


def test_r1_4_claw_back_when_the_policy_asks_for_it() -> None:
    """R-1.4 POLICY set to claw back: the gain is revoked by an explicit event (R-4.4)."""
    desk = Desk(policy=Policy(probation_gain_claw_back=True))
    desk.issue("2021-01-10", "2021-01-10")
    desk.record("2021-12-10", "i1", "speeding_20_30", "2021-12-01")
    desk.tick("2022-01-10")
    desk.establish("2022-02-01", "i1", "2022-02-01")
    assert (desk.view()["balance"], desk.view()["ceiling"]) == (4, 6)
    assert [e.rule for e in desk.events("RestorationRevoked")] == ["R-4.4"]


def test_r1_6_complementary_training_shortens_probation_traditional() -> None:
    """R-1.6: training between 6 and 12 months: 8 at year 1, 12 at year 2."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10")
    desk.training("2021-08-02", "2021-08-01")
    assert desk.view()["probation_ends_on"] == "2023-01-10"
    assert desk.balance("2022-01-10") == 8
    desk.tick("2023-01-10")
    view = desk.view()
    assert (view["balance"], view["probationary"]) == (12, False)


def test_r1_6_complementary_training_aac_ends_at_18_months() -> None:
    """R-1.6: AAC with the training: 9 at year 1, 12 at 18 months."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10", route="aac")
    desk.training("2021-09-02", "2021-09-01")
    assert desk.balance("2022-01-10") == 9
    assert desk.balance("2022-07-09") == 9
    desk.tick("2022-07-10")
    assert (desk.view()["balance"], desk.view()["probationary"]) == (12, False)


def test_r1_6_training_outside_the_window_or_before_2019_does_not_shorten() -> None:
    """R-1.6: the window is issue + 6 to + 12 months; the training counts from 2019-01-01."""
    early = Desk()
    early.issue("2021-01-10", "2021-01-10")
    early.training("2021-06-02", "2021-06-01")
    assert early.view()["probation_ends_on"] == "2024-01-10"
    old = Desk()
    old.issue("2017-06-01", "2017-06-01")
    old.training("2018-01-16", "2018-01-15")
    assert old.view()["probation_ends_on"] == "2020-06-01"


def test_r1_6_an_infraction_in_the_shortened_period_restores_the_full_term() -> None:
    """R-1.6: no shortening when an infraction gave rise to a withdrawal during that period."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10")
    desk.training("2021-08-02", "2021-08-01")
    desk.infraction("2022-03-01", "2022-04-01", offence="speeding_20_30")
    desk.tick("2023-01-10")
    view = desk.view()
    assert (view["probationary"], view["probation_ends_on"]) == (True, "2024-01-10")


def test_r1_7_full_restoration_waits_for_the_end_of_probation() -> None:
    """R-1.7, R-4.2: a 2-year full restoration due during probation applies the day it ends."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10")
    desk.record("2021-02-10", "i1", "no_indicator", "2021-02-01")  # C2, 3 points
    desk.establish("2021-03-01", "i1", "2021-03-01")
    assert desk.balance("2023-03-01") == 3
    assert desk.balance("2024-01-09") == 3
    desk.tick("2024-01-10")
    assert [e.rule for e in desk.events("PointsRestored")] == ["R-4.2"]
    assert desk.view()["balance"] == 12


def test_r1_7_the_six_month_restoration_applies_during_probation() -> None:
    """R-1.7, R-4.1: the 1-point restoration still applies during probation."""
    desk = Desk()
    desk.issue("2021-01-10", "2021-01-10")
    desk.infraction("2021-02-01", "2021-03-01", offence="speeding_5_20_over50")
    assert desk.balance("2021-08-31") == 5
    assert desk.balance("2021-09-01") == 6


def test_r1_2_probation_ends_on_is_null_once_ended() -> None:
    """R-1.2, R-1.5: after probation `probation_ends_on` is null."""
    desk = Desk()
    desk.issue("2020-01-10", "2020-01-10")
    desk.tick("2023-01-10")
    assert desk.view()["probation_ends_on"] is None
    assert desk.state().as_of == d("2023-01-10")


def test_r10_11_probation_ends_on_its_date_while_invalidated() -> None:
    """R-10.11, R-1.5, R-7.1: invalidated in its first year, the licence stops being probationary
    on its 3rd anniversary: ceiling 12 from then on; its balance stays 0 (an infraction with a
    withdrawal was committed during probation)."""
    desk = Desk()
    desk.issue("2020-01-15", "2020-01-15")
    desk.record("2020-03-05", "i1", "alcohol_delit", "2020-03-01")
    desk.establish("2020-04-10", "i1", "2020-04-01", basis="final_conviction")
    desk.deliver("2020-04-16", "48SI", "2020-04-15")
    desk.tick("2023-01-14")
    view = desk.view()
    assert (view["status"], view["probationary"], view["ceiling"]) == ("invalidated", True, 6)
    assert view["probation_ends_on"] == "2023-01-15"
    desk.tick("2023-01-16")
    view = desk.view()
    assert (view["status"], view["balance"], view["probationary"]) == ("invalidated", 0, False)
    assert (view["probation_ends_on"], view["ceiling"]) == (None, 12)
    ended = desk.events("ProbationEnded")
    assert [(str(e.effective_on), e.points) for e in ended] == [("2023-01-15", 0)]


def test_r10_11_a_probation_without_infraction_during_it_ends_with_12_points() -> None:
    """R-10.11, R-1.4, R-1.5: on a licence re-issued after an invalidation, an infraction committed
    before this probation began takes 4 points (6 → 2): the probation is still clean, so +2 on each
    anniversary and 12 at its end, whatever the balance."""
    desk = Desk()
    desk.issue("2020-01-02", "2005-03-01", probationary=False, points=6)
    desk.record("2020-01-20", "old", "red_light", "2020-01-05")
    desk.infraction("2020-01-10", "2020-02-05", offence="alcohol_delit", iid="a")
    desk.deliver("2020-02-10", "48SI", "2020-02-10")
    desk.give_back("2020-02-12")
    desk.issue("2020-08-12", "2020-08-12")
    desk.establish("2020-09-01", "old", "2020-09-01")
    assert (desk.balance(), desk.letters()[-1]) == (2, "48")
    assert desk.balance("2021-08-12") == 4
    assert desk.balance("2023-08-11") == 6
    assert desk.balance("2023-08-12") == 12
    assert desk.view()["ceiling"] == 12


def test_r10_23_as_of_before_the_decision_a_shortened_probation_stands() -> None:
    """R-10.23, R-1.6, R-9.1: a training completed on 15 Mar 2019 (recorded only in July 2020)
    shortens an AAC probation to 18 months; the infraction committed on 27 Jun 2019 counts from its
    decision (5 Sep 2019): as of 31 Jul 2019 the probation still ends on 2 Jan 2020."""
    desk = Desk()
    desk.issue("2018-07-02", "2018-07-02", route="aac")
    desk.record("2019-09-05", "i1", "driving_left", "2019-06-27")
    desk.establish("2019-09-05", "i1", "2019-06-27")
    assert desk.view()["probation_ends_on"] == "2020-07-02"
    desk.training("2020-07-27", "2019-03-15")
    training = desk.events("ComplementaryTrainingCompleted")[0]
    assert training.eligible  # judged on the licence of 15 Mar 2019, still probationary
    assert desk.view(as_of="2019-07-31")["probation_ends_on"] == "2020-01-02"
    assert desk.view(as_of="2019-09-05")["probation_ends_on"] == "2020-07-02"
    assert desk.view(as_of="2019-09-05", known_at="2019-09-05")["probation_ends_on"] == (
        "2020-07-02"
    )
    view = desk.view()
    assert (view["probationary"], view["balance"], view["ceiling"]) == (False, 6, 12)
