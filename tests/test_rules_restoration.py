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
