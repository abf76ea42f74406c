"""The stage advisor (issue 18): when a stage could be credited (R-5.4, R-10.14), what it would
really add under the ceiling (R-5.3), and how a 48SI (R-5.5) or a 48N deadline (R-5.6) changes
the answer — each answer then checked against what the engine does with the real stage."""

from __future__ import annotations

from desk import Desk, d

from domain.calendar import add_days
from domain.stage_advice import Advice, StageDatesRefused, stage_advice


def advise(desk: Desk, last_day: str | None = None) -> Advice:
    assert desk.licence is not None and desk.clock is not None
    return stage_advice(
        desk.licence, desk.law, desk.policy, desk.clock, d(last_day) if last_day else None
    )


def attend(desk: Desk, advice: Advice, stage_id: str = "real") -> None:
    """The stage advised on, attended for real, its attestation received on its credit date."""
    on = advice.credit_on.isoformat()
    desk.stage(on, stage_id, advice.first_day.isoformat())
    desk.attest(on, stage_id, on)


def credited_desk() -> Desk:
    """12 points, a 4-point withdrawal, a stage from 2025-10-01 credited +4 (balance 12 again),
    then a 3-point withdrawal: 9 points on 2026-01-15."""
    desk = Desk()
    desk.issue("2025-01-02", "2009-05-04", probationary=False)
    desk.infraction("2025-08-01", "2025-09-01", offence="red_light")
    desk.stage("2025-10-02", "s1", "2025-10-01")
    desk.attest("2025-10-10", "s1")
    desk.infraction("2026-01-02", "2026-01-15", offence="speeding_30_40")
    return desk


def test_r5_4_r10_14_the_first_day_a_stage_can_be_credited() -> None:
    """R-5.4, R-10.14: a year after the first day of the credited stage; the engine refuses a
    stage starting the day before and credits one starting that day."""
    desk = credited_desk()
    advice = advise(desk)
    assert (
        advice.earliest_first_day,
        advice.blocking_stage and advice.blocking_stage.stage_id,
    ) == (
        d("2026-10-01"),
        "s1",
    )
    assert (advice.first_day, advice.last_day, advice.credit_on) == (
        d("2026-10-01"),
        d("2026-10-02"),
        d("2026-10-03"),
    )
    day_before = advise(desk, "2026-10-01")
    assert not day_before.credited and day_before.refusal is not None
    assert day_before.refusal[0] == "R-5.4"
    assert advice.credited and advice.refusal is None


def test_r5_3_the_points_it_would_really_add_are_those_credited() -> None:
    """R-5.3: up to 4 points within the ceiling on the credit date; the real stage gets them."""
    desk = credited_desk()
    advice = advise(desk, "2026-10-02")
    assert (advice.balance_before, advice.points, advice.balance_after) == (9, 3, 12)
    attend(desk, advice)
    stage = desk.state().stages["real"]
    assert (stage.points_credited, desk.balance()) == (advice.points, advice.balance_after)


def test_r5_3_restorations_due_before_the_credit_date_come_first() -> None:
    """R-0.5, R-5.3: a 6-month point back before the credit date leaves less room under the
    ceiling: the advice counts it, as the fold will."""
    desk = Desk()
    desk.issue("2025-01-02", "2009-05-04", probationary=False)
    desk.infraction("2025-01-10", "2025-02-01", offence="speeding_5_20_over50")  # 11 points
    desk.infraction("2025-01-10", "2025-02-01", offence="red_light", iid="i-red")  # 7 points
    desk.tick("2025-03-01")  # the 1 point comes back on 2025-08-01
    assert advise(desk, "2025-07-30").balance_before == 7
    advice = advise(desk, "2025-08-10")
    assert (advice.balance_before, advice.points, advice.balance_after) == (8, 4, 12)
    attend(desk, advice)
    assert desk.balance() == advice.balance_after


def test_r5_5_a_notified_48si_means_no_points() -> None:
    """R-5.5: once the 48SI is notified, a stage ending afterwards gives nothing."""
    desk = Desk()
    desk.issue("2025-01-02", "2025-01-02")  # probationary, 6 points
    desk.infraction("2025-02-01", "2025-03-01", offence="alcohol_delit")  # 6 points: 48SI
    desk.deliver("2025-03-10", "48SI", "2025-03-08")
    advice = advise(desk)
    assert (advice.credited, advice.points) == (False, 0)
    assert advice.refusal is not None and advice.refusal[0] == "R-5.5"
    assert advice.invalidation is not None
    assert (advice.invalidation.notified_on, advice.invalidation.annulled) == (
        d("2025-03-08"),
        False,
    )


def test_r5_5_a_stage_before_the_notification_annuls_the_invalidation() -> None:
    """R-5.5, R-10.17: before the 48SI is notified, a stage that brings the balance above 0
    annuls the invalidation; the real stage does."""
    desk = Desk()
    desk.issue("2025-01-02", "2025-01-02")
    desk.infraction("2025-02-01", "2025-03-01", offence="alcohol_delit")
    advice = advise(desk)
    assert (advice.credited, advice.points, advice.balance_after) == (True, 4, 4)
    assert advice.invalidation is not None and advice.invalidation.annulled
    attend(desk, advice)
    assert desk.view()["status"] == "valid"


def test_r5_6_the_48n_deadline_says_which_stage_fulfils_the_obligation() -> None:
    """R-5.6: a stage ending by the 48N's due date fulfils the mandatory stage, one ending after
    it does not, whatever points it gives."""
    desk = Desk()
    desk.issue("2025-01-02", "2025-01-02")
    desk.infraction("2025-02-01", "2025-03-01", offence="red_light")  # 4 points: 48N
    desk.deliver("2025-03-10", "48N", "2025-03-08")  # due 2025-07-08
    in_time = advise(desk, "2025-07-08")
    late = advise(desk, "2025-07-09")
    assert [(x.due_on, x.fulfilled) for x in in_time.deadlines] == [(d("2025-07-08"), True)]
    assert [(x.due_on, x.fulfilled) for x in late.deadlines] == [(d("2025-07-08"), False)]
    assert in_time.points == late.points == 4
    attend(desk, in_time)
    assert [o["status"] for o in desk.view()["obligations"]] == ["fulfilled"]


def test_r5_6_a_stage_refused_under_r5_4_still_fulfils_the_48n() -> None:
    """R-5.6 POLICY: when the once a year of R-5.4 refuses the points, the stage still fulfils
    the mandatory stage: the advice says both."""
    desk = Desk()
    desk.issue("2025-01-02", "2025-01-02")
    desk.stage("2025-01-20", "s1", "2025-01-15")
    desk.attest("2025-01-20", "s1")
    desk.infraction("2025-02-01", "2025-03-01", offence="red_light")
    desk.deliver("2025-03-10", "48N", "2025-03-08")
    advice = advise(desk, "2025-05-02")
    assert advice.refusal is not None and advice.refusal[0] == "R-5.4"
    assert [x.fulfilled for x in advice.deadlines] == [True]


def test_a_stage_in_the_past_is_not_advised_on() -> None:
    desk = credited_desk()
    assert desk.clock is not None
    try:
        advise(desk, add_days(desk.clock, -1).isoformat())
    except StageDatesRefused:
        return
    raise AssertionError("a stage that started before today was advised on")
