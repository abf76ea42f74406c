"""Reasons that say what was applied (R-9.3, R-4.5; issue 11, item 3): every delay, cap or amount a
recorded reason quotes comes from the dated law in force on the date that decided it, never from a
literal of the code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from desk import Desk

from domain.calendar import add_months, add_years
from domain.law import Dated, Law, current_law

LAW = current_law()


def iso(day: date) -> str:
    return day.isoformat()


def full_licence(at: date, law: Law = LAW, points: int = 12) -> Desk:
    desk = Desk()
    desk.law = law
    desk.issue(iso(at), "1992-07-01", probationary=False, points=points)
    return desk


def restored(desk: Desk, rule: str) -> list[str]:
    return [e.reason for e in desk.events("PointsRestored") if e.rule == rule]


def given_back(on: date, offence: str, due: date, before: int, rule: str) -> str:
    """An offence established on `on` whose points come back on `due` under `rule`: the
    balance is `before` the day before, 12 that day; the restoration's reason."""
    desk = full_licence(on - timedelta(days=60))
    desk.record(iso(on), "i1", offence, iso(on - timedelta(days=10)))
    desk.establish(iso(on), "i1", iso(on))
    assert desk.balance(iso(due - timedelta(days=1))) == before
    assert desk.balance(iso(due)) == 12
    return restored(desk, rule)[0]


def single_point(on: date, months: int) -> str:
    """A 1-point withdrawal (C3) established on `on`: its point back after `months` (R-4.1)."""
    return given_back(on, "gloves", add_months(on, months), 11, "R-4.1")


def full_restoration(on: date, years: int) -> str:
    """A C2 withdrawal (3 points) established on `on`: 12 points after `years` (R-4.2)."""
    return given_back(on, "no_indicator", add_years(on, years), 9, "R-4.2")


def stage_interval(on: date, years: int) -> str:
    """A stage credited from `on`, another 6 months later: refused (R-5.4)."""
    desk = full_licence(on - timedelta(days=60))
    second = add_months(on, 6)
    desk.stage(iso(on + timedelta(days=2)), "s1", iso(on))
    desk.attest(iso(on + timedelta(days=3)), "s1")
    desk.stage(iso(second + timedelta(days=2)), "s2", iso(second))
    desk.attest(iso(second + timedelta(days=3)), "s2")
    refused = desk.events("StageCreditRefused")
    assert [e.rule for e in refused] == ["R-5.4"]
    assert f"next credit possible from {add_years(on, years)}" in refused[0].reason
    return str(refused[0].reason)


# Each parameter whose value changed over time, the history that applies it and what its reason
# says (the value in force filled in).
CHANGED: dict[str, tuple[Callable[[date, int], str], str]] = {
    "single_point_restoration_months": (single_point, "within {} months of the réalité"),
    "full_restoration_years": (full_restoration, "{} years since the last réalité"),
    "stage_interval_years": (stage_interval, "credited less than {} year(s) before"),
}


def test_r9_3_every_parameter_that_changed_is_quoted_with_the_value_then_in_force() -> None:
    """R-9.3, R-4.1, R-4.2, R-5.4: for each dated value of each parameter that changed, a history
    decided under it applies that value and its reason quotes it."""
    changed = {n for n, values in LAW.parameters.items() if len({v.value for v in values}) > 1}
    assert changed == set(CHANGED)  # a parameter that changes needs its history here
    for name, (history, quote) in CHANGED.items():
        for dated in LAW.parameters[name]:
            on = max(dated.starts_on, date(1992, 9, 1)) + timedelta(days=45)
            assert LAW.value(name, on) == dated.value
            assert quote.format(dated.value) in history(on, dated.value), (name, dated)


def test_r9_3_established_in_2008_given_back_after_the_delays_then_in_force() -> None:
    """R-9.3, R-4.1, R-4.2, R-4.5: a 1-point withdrawal established on 1 Mar 2008 comes back after
    12 months (2007-2010 regime) and the full restoration falls 3 years after (pre-2011), each
    reason saying so; one established in 2012 says 6 months and 2 years."""
    desk = full_licence(date(2008, 1, 2))
    desk.record("2008-03-01", "i1", "gloves", "2008-02-20")
    desk.establish("2008-03-01", "i1", "2008-03-01")
    assert desk.balance("2009-02-28") == 11
    assert desk.balance("2009-03-01") == 12
    desk.tick("2011-03-01")
    assert "within 12 months" in restored(desk, "R-4.1")[0]
    full = restored(desk, "R-4.2")
    assert len(full) == 1 and "3 years since the last réalité (2008-03-01)" in full[0]
    assert "6 months" not in restored(desk, "R-4.1")[0] and "2 years" not in full[0]

    later = full_licence(date(2012, 1, 2))
    later.record("2012-03-01", "i1", "gloves", "2012-02-20")
    later.establish("2012-03-01", "i1", "2012-03-01")
    later.tick("2014-03-01")
    assert "within 6 months" in restored(later, "R-4.1")[0]
    assert "2 years since the last réalité (2012-03-01)" in restored(later, "R-4.2")[0]


def test_r2_3_an_offence_whose_points_changed_is_recorded_with_the_points_then_in_force() -> None:
    """R-2.3, R-9.3: for every offence of the catalogue whose points changed, the infraction's
    reason and its withdrawal quote the points in force on the day it was committed."""
    changing = [o for o in LAW.offences.values() if len({p.value for p in o.points}) > 1]
    assert changing
    for offence in changing:
        for dated in offence.points:
            committed = max(dated.starts_on, date(1992, 9, 1)) + timedelta(days=1)
            desk = full_licence(committed)
            desk.record(iso(committed), "i1", offence.key, iso(committed))
            recorded = desk.events("InfractionRecorded")[0]
            assert f"({offence.offence_class}, {dated.value} points," in recorded.reason
            assert recorded.catalogue_points == dated.value, (offence.key, dated)


def altered(**values: int) -> Law:
    """The shipped law with these parameters given one other value since 1992."""
    parameters = dict(LAW.parameters)
    for name, value in values.items():
        parameters[name] = (Dated(date(1992, 7, 1), value, "test"),)
    return Law(parameters=parameters, offences=LAW.offences)


def test_r9_3_no_quoted_delay_cap_or_amount_is_a_literal() -> None:
    """R-9.3: under a law whose delays, caps and amounts differ from today's, every reason quotes
    that law's values: the initial points, the 48N's delay, the penalties, the attestation's
    delay, a stage's points, the cap of an occasion, the return's jours francs, the new licence's
    delay, the 10 years of R-4.3."""
    law = altered(
        probation_initial_points=5,
        mandatory_stage_months=5,
        non_compliance_fine_max_eur=800,
        non_compliance_suspension_max_years=4,
        stage_attestation_days=13,
        stage_max_points=3,
        simultaneous_cap=7,
        licence_return_jours_francs=9,
        new_licence_delay_months=7,
        ten_year_restoration_years=11,
        full_restoration_years=20,
        full_restoration_years_serious=20,
    )
    young = Desk()
    young.law = law
    young.issue("2020-01-15", "2020-01-15")
    assert "probationary, 5 points" in young.events("LicenceIssued")[0].reason
    young.record("2020-03-05", "i1", "red_light", "2020-03-01")
    young.establish("2020-04-10", "i1", "2020-04-05")
    young.deliver("2020-04-16", "48N", "2020-04-15")
    young.tick("2020-10-01")  # due 15 Sep (5 months), breached 15 days later
    breach = young.events("ObligationBreached")[0].reason
    assert "within 5 months" in breach and "800 €" in breach and "4 years" in breach
    young.stage("2020-10-20", "s1", "2020-10-01")
    young.tick("2020-10-20")
    assert "within 13 days" in young.events("AttestationOverdue")[0].reason
    young.attest("2020-10-21", "s1")
    assert "up to 3" in young.events("StageCredited")[0].reason

    old = full_licence(date(2000, 1, 3), law, points=8)
    old.record("2000-02-01", "a", "red_light", "2000-01-10", occasion="o1")
    old.record("2000-02-01", "b", "speeding_40_50", "2000-01-10", occasion="o1")
    old.establish("2000-02-01", "a", "2000-02-01")
    old.establish("2000-02-01", "b", "2000-02-01")
    assert "under the cap of 7 points" in old.events("PointsWithdrawn")[1].reason
    assert old.balance("2011-01-31") == 1
    assert old.balance("2011-02-01") == 8  # both C4: their points, 11 years after the réalité
    ten = restored(old, "R-4.3")
    assert len(ten) == 2 and all("11 years since the réalité" in reason for reason in ten)
    old.infraction("2011-02-05", "2011-03-01", offence="alcohol_delit", iid="c")
    old.infraction("2011-02-06", "2011-03-01", offence="drugs", iid="d")
    old.deliver("2011-03-03", "48SI", "2011-03-02")
    old.tick("2011-03-20")
    assert "within 9 jours francs" in old.events("ObligationBreached")[0].reason
    old.give_back("2011-03-21")
    assert "7 months later" in old.events("LicenceReturned")[0].reason
