"""R-4: automatic restorations (L223-6), R-0.5 order within a day, R-9 time and knowledge."""

from __future__ import annotations

from desk import Desk


def full_licence(at: str = "2023-01-02") -> Desk:
    desk = Desk()
    desk.issue(at, "1999-01-01", probationary=False)
    return desk


def test_r4_1_one_point_back_after_six_months() -> None:
    """R-4.1: the point of a 1-point withdrawal comes back on established_on + 6 months."""
    desk = full_licence()
    desk.record("2023-05-20", "i1", "speeding_5_20_over50", "2023-05-10")
    desk.establish("2023-06-05", "i1", "2023-06-01")
    assert desk.balance("2023-11-30") == 11
    assert desk.balance("2023-12-01") == 12


def test_r4_1_six_months_from_a_month_end() -> None:
    """R-4.1, R-0.2: established on 31 August, the point is back on the last day of February."""
    desk = full_licence()
    desk.record("2023-08-20", "i1", "speeding_5_20_over50", "2023-08-10")
    desk.establish("2023-09-04", "i1", "2023-08-31")
    assert desk.balance("2024-02-28") == 11
    assert desk.balance("2024-02-29") == 12


def test_r4_1_broken_by_an_infraction_committed_in_the_window() -> None:
    """R-4.1, R-4.2: a new infraction committed inside the window stops it; then 3 years (C4)."""
    desk = full_licence()
    desk.record("2023-01-15", "i1", "speeding_5_20_over50", "2023-01-05")
    desk.establish("2023-02-03", "i1", "2023-02-01")
    desk.record("2023-05-10", "i2", "speeding_20_30", "2023-05-01")
    desk.establish("2023-06-05", "i2", "2023-06-01")
    assert desk.balance("2023-08-01") == 9
    assert desk.balance("2026-05-31") == 9
    assert desk.balance("2026-06-01") == 12


def test_r4_1_an_older_infraction_established_in_the_window_does_not_break_it() -> None:
    """R-4.1 (CE 04/12/2017 n° 402423): committed before the window, it starts its own delay only."""
    desk = full_licence()
    desk.record("2023-01-10", "i1", "speeding_5_20_over50", "2023-01-05")
    desk.record("2023-01-25", "i2", "speeding_5_20_over50", "2023-01-20")
    desk.establish("2023-02-03", "i1", "2023-02-01")
    desk.establish("2023-03-03", "i2", "2023-03-01")
    assert desk.balance("2023-07-31") == 10
    assert desk.balance("2023-08-01") == 11
    assert desk.balance("2023-09-01") == 12


def test_r4_2_full_restoration_after_2_years_for_minor_classes() -> None:
    """R-4.2: only C1-C3 withdrawals since the last full restoration: 2 years."""
    desk = full_licence()
    desk.infraction("2023-02-20", "2023-03-01", offence="no_indicator")  # C2, 3 points
    assert desk.balance("2025-02-28") == 9
    assert desk.balance("2025-03-01") == 12


def test_r4_2_three_years_after_a_delit_or_a_c4_c5() -> None:
    """R-4.2 (CE 15/06/2016 n° 393522): 3 years when a withdrawal was a délit, C4 or C5."""
    desk = full_licence()
    desk.infraction("2023-02-20", "2023-03-01", offence="red_light")
    assert desk.balance("2026-02-28") == 8
    assert desk.balance("2026-03-01") == 12


def test_r4_3_ten_years_for_c1_to_c4_when_no_full_restoration_happened() -> None:
    """R-4.3: the points of a C4 withdrawal come back after 10 years of repeated small offences."""
    desk = Desk()
    desk.issue("2010-01-04", "2005-01-01", probationary=False)
    desk.infraction("2010-02-01", "2010-03-01", offence="red_light", iid="red")
    for year in (2012, 2014, 2016, 2018, 2020):
        desk.infraction(
            f"{year}-01-01", f"{year}-02-01", offence="speeding_5_20_over50", iid=f"s{year}"
        )
    assert desk.balance("2020-02-29") == 7
    assert desk.balance("2020-03-01") == 11
    ten = [e for e in desk.events("PointsRestored") if e.rule == "R-4.3"]
    assert [(e.infraction_ids, e.points) for e in ten][-1] == (["red"], 4)
    assert not [e for e in desk.events("PointsRestored") if e.rule == "R-4.2"]


def test_r4_3_not_after_a_full_restoration() -> None:
    """R-4.3: a full restoration since the withdrawal cancels its 10-year restoration."""
    desk = full_licence()
    desk.infraction("2013-01-01", "2023-03-01", offence="gloves")  # C3, 1 point
    desk.tick("2034-01-01")
    rules = [e.rule for e in desk.events("PointsRestored")]
    assert "R-4.3" not in rules and "R-4.2" in rules


def test_r4_4_a_restoration_revoked_when_a_window_infraction_is_known_late() -> None:
    """R-4.4: revoked by an explicit event citing L223-6, effective on the revealing decision."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="speeding_5_20_over50", iid="i1")
    assert desk.balance("2023-08-01") == 12
    desk.record("2023-09-10", "i2", "speeding_20_30", "2023-05-01")
    desk.establish("2023-10-02", "i2", "2023-10-02")
    revoked = desk.events("RestorationRevoked")
    assert [(e.rule, e.points, str(e.effective_on)) for e in revoked] == [
        ("R-4.4", 1, "2023-10-02")
    ]
    assert "L223-6" in revoked[0].reason
    assert desk.view()["balance"] == 9
    assert desk.view(as_of="2023-09-01")["balance"] == 12
    assert len(desk.events("PointsRestored")) == 1  # nothing rewritten


def test_r4_5_a_restoration_states_its_rule_and_the_points_actually_added() -> None:
    """R-4.5: a restoration at the ceiling is recorded with 0 points added."""
    desk = full_licence()
    desk.infraction("2023-01-05", "2023-02-01", offence="speeding_5_20_over50")
    desk.stage("2023-03-03", "s1", "2023-03-01")
    desk.attest("2023-03-10", "s1")
    desk.tick("2023-08-01")
    restored = desk.events("PointsRestored")
    assert [(e.rule, e.points, str(e.effective_on)) for e in restored] == [
        ("R-4.1", 0, "2023-08-01")
    ]


def test_r0_5_time_driven_effects_come_before_the_days_lines() -> None:
    """R-0.5: a restoration due on D applies before a withdrawal decided on D."""
    desk = full_licence()
    desk.infraction("2023-01-01", "2023-01-02", offence="red_light", iid="a")
    desk.record("2023-01-02", "b", "red_light", "2022-12-30")
    desk.establish("2026-01-02", "b", "2026-01-02")
    assert desk.view()["balance"] == 8
    assert desk.letters() == ["48", "48"]


def test_r9_1_as_of_and_known_at_reproduce_what_was_shown() -> None:
    """R-9.1: the view as of D, known at D, equals what the service showed on D."""
    desk = full_licence("2024-01-02")
    desk.record("2024-02-01", "i1", "red_light", "2024-01-20")
    desk.establish("2024-03-04", "i1", "2024-03-01")
    desk.stage("2024-04-11", "s1", "2024-04-09")
    desk.tick("2024-04-20")
    shown = desk.view()
    desk.attest("2024-04-30", "s1")
    assert desk.view(as_of="2024-04-20", known_at="2024-04-20") == shown
    assert desk.view(as_of="2024-04-20")["balance"] == 12
    assert desk.view(as_of="2024-04-10")["balance"] == 8


def test_r9_3_restoration_regime_by_established_on() -> None:
    """R-9.3: before 2011 the single point came back after 1 year, not 6 months."""
    desk = Desk()
    desk.issue("2010-01-04", "2001-01-01", probationary=False)
    desk.infraction("2010-05-01", "2010-06-01", offence="gloves")
    assert desk.balance("2010-12-01") == 11
    assert desk.balance("2011-06-01") == 12


def test_r10_7_a_late_single_point_restoration_keeps_the_window_of_its_due_date() -> None:
    """R-10.7, R-4.1, R-4.4: a point due on 16 Sep 2023 comes back on its late decision (10 Apr
    2024); an infraction committed between the due date and that decision does not revoke it, one
    committed before the due date does."""
    desk = full_licence()
    desk.record("2024-03-19", "i2", "red_light", "2023-11-28")  # after the due date
    desk.record("2024-04-10", "i1", "gloves", "2023-03-06")  # C3, 1 point
    desk.establish("2024-04-10", "i1", "2023-03-16")
    restored = desk.events("PointsRestored")
    assert [(e.rule, str(e.effective_on), e.points) for e in restored] == [
        ("R-4.1", "2024-04-10", 1)
    ]
    assert "due on 2023-09-16" in restored[0].reason
    assert desk.balance() == 12
    desk.establish("2024-06-16", "i2", "2024-06-16")
    assert desk.events("RestorationRevoked") == []
    assert (desk.view()["balance"], desk.letters()) == (8, ["48", "48"])

    inside = full_licence()
    inside.record("2024-03-19", "i2", "red_light", "2023-09-15")  # the day before the due date
    inside.record("2024-04-10", "i1", "gloves", "2023-03-06")
    inside.establish("2024-04-10", "i1", "2023-03-16")
    inside.establish("2024-06-16", "i2", "2024-06-16")
    revoked = inside.events("RestorationRevoked")
    assert [(str(e.effective_on), e.points) for e in revoked] == [("2024-06-16", 1)]
    assert inside.view()["balance"] == 7


def test_r10_7_a_late_full_restoration_keeps_the_window_of_its_due_date() -> None:
    """R-10.7, R-4.2: a délit established on 20 Jul 2020 and decided on 3 Dec 2025 is given back
    that day (due 20 Jul 2023, 3 years); an infraction committed on 1 Dec 2025 does not revoke it."""
    desk = Desk()
    desk.issue("2025-12-01", "2010-05-05", probationary=False)
    desk.record("2025-12-01", "j1", "driving_while_suspended", "2020-06-05")
    desk.establish("2025-12-03", "j1", "2020-07-20", basis="increased_fine_title")
    full = [e for e in desk.events("PointsRestored") if e.rule == "R-4.2"]
    assert [(str(e.effective_on), e.points, str(e.window_start)) for e in full] == [
        ("2025-12-03", 6, "2020-07-20")
    ]
    assert (desk.balance(), desk.letters()) == (12, ["48M"])
    desk.record("2025-12-04", "j2", "speeding_30_40", "2025-12-01")
    desk.establish("2026-01-16", "j2", "2026-01-15")
    assert desk.events("RestorationRevoked") == []
    view = desk.view()
    assert (view["balance"], view["status"], desk.letters()) == (9, "valid", ["48M", "48"])


def older_realite_decided_same_day(first: str, second: str) -> Desk:
    desk = Desk()
    desk.issue("2024-04-12", "2010-04-06", probationary=False)
    desk.record("2024-04-12", "i1", "no_indicator", "2018-09-19")  # C2, 3 points
    desk.record("2024-04-12", "i2", "speeding_50_plus_repeat", "2017-08-12")  # D, 6 points
    realite = {"i1": "2018-10-19", "i2": "2017-09-11"}
    desk.establish("2024-04-12", first, realite[first])
    desk.establish("2024-04-12", second, realite[second])
    return desk


def test_r10_8_one_clock_whatever_the_order_of_the_decisions() -> None:
    """R-10.8, R-4.2: two old infractions decided the same day, in either order: the clock is the
    last réalité (19 Oct 2018), 3 years for the délit, no infraction committed since: 12 points."""
    for first, second in (("i1", "i2"), ("i2", "i1")):
        desk = older_realite_decided_same_day(first, second)
        full = [e for e in desk.events("PointsRestored") if e.rule == "R-4.2"]
        assert str(full[-1].window_start) == "2018-10-19", first
        assert "3 years" in full[-1].reason
        assert desk.balance() == 12, first
        assert desk.balance("2025-06-01") == 12, first
    # Decided i2 then i1, i1 (committed 19 Sep 2018) broke i2's own window: revoked, then given
    # back with the one clock.
    desk = older_realite_decided_same_day("i2", "i1")
    assert [e.points for e in desk.events("RestorationRevoked")] == [6]


def test_r10_18_an_infraction_of_the_previous_licence_breaks_a_window() -> None:
    """R-10.18, R-4.1, R-10.5: a 1-point infraction (réalité 30 Sep 2025) decided on the new
    licence; another committed on 7 Dec 2025 and withdrawn from the previous licence broke its
    6-month window: the point does not come back."""
    desk = Desk()
    desk.issue("2023-06-14", "2023-04-15", probationary=False, points=10)
    desk.record("2024-09-13", "i1", "gloves", "2024-08-26")
    desk.record("2025-10-06", "i2", "speeding_50_plus_repeat", "2025-09-18")
    desk.record("2025-12-22", "i3", "speeding_50_plus", "2025-12-07")
    desk.establish("2025-12-22", "i3", "2025-12-17", basis="final_conviction")
    desk.establish("2026-05-21", "i2", "2025-11-02")
    desk.deliver("2026-05-26", "48SI", "2026-05-25")
    desk.give_back("2026-06-01")
    desk.issue("2026-12-01", "2026-12-01", route="supervised")
    assert desk.view()["balance"] == 6
    desk.establish("2027-08-31", "i1", "2025-09-30", basis="final_conviction")
    assert desk.balance() == 5
    assert desk.balance("2027-11-30") == 5
    assert not [e for e in desk.events("PointsRestored") if e.rule == "R-4.1"]


def test_r10_21_a_restoration_due_under_an_annulled_invalidation_is_granted() -> None:
    """R-10.21, R-5.5: the full restoration fell due (on the late decision) while the invalidation
    stood; once a stage annuls the invalidation it is granted on that date: 12, the stage adds 0
    and sends no 47."""
    desk = Desk()
    desk.issue("2023-04-28", "2017-08-01", route="supervised", probationary=False, points=4)
    desk.record("2023-04-28", "i1", "alcohol_test_refusal", "2018-09-18")
    desk.establish("2023-04-28", "i1", "2018-10-18")
    desk.deliver("2023-05-01", "48SI", "2023-05-01")
    assert (desk.view()["status"], desk.balance()) == ("invalidated", 0)
    desk.stage("2023-05-04", "s1", "2023-04-29", kind="mandatory")
    desk.attest("2023-05-18", "s1", "2023-05-16")
    full = [e for e in desk.events("PointsRestored") if e.rule == "R-4.2"]
    assert [(str(e.effective_on), e.points) for e in full] == [("2023-04-28", 12)]
    view = desk.view()
    assert (view["status"], view["balance"], desk.letters()) == ("valid", 12, ["48SI"])
    assert (view["stages"][0]["points_credited"], view["stages"][0]["refusal"]) == (0, None)
    assert desk.view(as_of="2023-04-29")["balance"] == 12
