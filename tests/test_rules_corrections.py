"""R-11 corrections (a cancelled infraction) and R-12 suspensions, through the domain and the journal.

Each expectation is worked out by hand from RULES.md; the acceptance scenarios k01-k15 and u01-u08
(tests/scenarios) play the same rules through the whole service.
"""

from __future__ import annotations

import pytest
from desk import Desk, d

from domain.errors import CommandRefused
from services.journal import LineError, parse_journal, parse_object


def taken_over(points: int = 12, at: str = "2024-01-02") -> Desk:
    desk = Desk()
    desk.issue(at, "2010-01-01", probationary=False, points=points)
    return desk


# --- the command and its event ----------------------------------------------------------


def test_r11_1_a_cancellation_is_a_new_event_citing_its_ground_and_nothing_is_changed() -> None:
    """R-11.1, R-9.2: the history before the cancellation is the same, event for event; the new
    event states the decision's date, ground and reference."""
    desk = taken_over()
    desk.record("2024-01-15", "i1", "red_light", "2024-01-10")
    desk.establish("2024-02-05", "i1", "2024-02-01")
    assert desk.licence is not None
    before = [e.digest() for e in desk.licence.history]
    desk.cancel("2024-03-01", "i1", "2024-02-28", "administrative_annulment", "TA-1")
    after = desk.licence.history
    assert [e.digest() for e in after[: len(before)]] == before
    (cancelled,) = desk.events("InfractionCancelled")
    assert (cancelled.rule, cancelled.ground, cancelled.reference) == (
        "R-11.1",
        "administrative_annulment",
        "TA-1",
    )
    assert cancelled.cancelled_on == d("2024-02-28")
    assert cancelled.effective_on == d("2024-02-05")  # the withdrawal's decision
    assert "TA-1" in cancelled.reason and "annulled" in cancelled.reason


def test_r11_1_the_journal_reads_the_three_new_types() -> None:
    """R-11.1, R-12.1, CONTRACT §1: infraction.cancel, suspension.record and suspension.lift."""
    text = "\n".join(
        [
            '{"id":"a","at":"2024-01-02","type":"infraction.cancel","neph":"100000000001",'
            '"infraction_id":"i1","cancelled_on":"2024-01-01","ground":"designation",'
            '"reference":"D-1"}',
            '{"id":"b","at":"2024-01-02","type":"suspension.record","neph":"100000000001",'
            '"kind":"judicial","first_day":"2024-01-02","last_day":"2024-03-01"}',
            '{"id":"c","at":"2024-01-03","type":"suspension.lift","neph":"100000000001",'
            '"lifted_on":"2024-01-03"}',
        ]
    )
    lines, errors = parse_journal(text)
    assert errors == []
    assert [line.command.type for line in lines] == [
        "infraction.cancel",
        "suspension.record",
        "suspension.lift",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {
                "type": "infraction.cancel",
                "infraction_id": "i1",
                "cancelled_on": "2024-01-01",
                "ground": "mercy",
            },
            "ground",
        ),
        (
            {"type": "infraction.cancel", "infraction_id": "i1", "ground": "acquittal"},
            "cancelled_on",
        ),
        (
            {
                "type": "suspension.record",
                "kind": "medical",
                "first_day": "2024-01-01",
                "last_day": "2024-02-01",
            },
            "kind",
        ),
        ({"type": "suspension.record", "kind": "judicial", "first_day": "2024-01-01"}, "last_day"),
        ({"type": "suspension.lift", "lifted_on": "2024-02-30"}, "lifted_on"),
        ({"type": "suspension.lift", "lifted_on": "2024-02-01", "kind": "both"}, "kind"),
    ],
)
def test_r11_1_a_bad_ground_kind_or_date_is_malformed_with_its_line_number(
    line: dict[str, str], message: str
) -> None:
    """R-11.1, R-12.1, CONTRACT §3: a malformed line names its number and field."""
    raw = {"id": "x", "at": "2024-03-01", "neph": "100000000001", **line}
    error = parse_object(raw, 7)
    assert isinstance(error, LineError)
    assert str(error).startswith("line 7: ") and message in error.message


# --- as if never recorded, from its decision date ---------------------------------------


def test_r11_2_points_back_from_the_decision_date_and_what_was_shown_stays_reproducible() -> None:
    """R-11.2, R-9.1: as of any date after the decision, with the cancellation known, the points
    are back; as known at a date before the cancellation was recorded, they are not."""
    desk = taken_over(points=10)
    desk.record("2024-01-15", "i1", "red_light", "2024-01-10")
    desk.establish("2024-02-05", "i1", "2024-02-01")
    desk.cancel("2024-03-01", "i1", "2024-02-28")
    assert desk.state("2024-02-10").balance == 10  # within the ceiling: 10, not 12
    assert desk.state("2024-02-10", known_at="2024-02-29").balance == 6
    assert desk.state("2024-02-04").balance == 10
    assert desk.letters() == ["48M"]  # no letter for a cancellation


def test_r11_2_the_cancelled_infraction_no_longer_counts_for_the_cap_of_its_occasion() -> None:
    """R-11.2, R-2.4: red_light (4) cancelled, then pedestrian_priority (6) of the same occasion
    withdraws its 6 points under the cap of 8."""
    desk = taken_over()
    desk.record("2024-01-15", "i1", "red_light", "2024-01-10", occasion="o")
    desk.record("2024-01-15", "i2", "pedestrian_priority", "2024-01-10", occasion="o")
    desk.establish("2024-02-05", "i1", "2024-02-01")
    desk.cancel("2024-03-01", "i1")
    desk.establish("2024-03-12", "i2", "2024-03-10")
    assert desk.balance() == 6


def test_r11_2_it_no_longer_breaks_a_window() -> None:
    """R-11.2, R-4.1: the 6-month restoration it had prevented is granted on its legal date."""
    desk = taken_over(at="2023-01-02")
    desk.record("2023-01-10", "w1", "gloves", "2023-01-05")
    desk.establish("2023-02-03", "w1", "2023-02-01")
    desk.record("2023-03-15", "i2", "phone_handheld", "2023-03-10")
    desk.establish("2023-04-03", "i2", "2023-04-01")
    assert desk.balance("2023-08-02") == 8
    desk.cancel("2023-09-15", "i2", "2023-09-12")
    (restored,) = desk.events("PointsRestored")
    assert (restored.rule, restored.effective_on) == ("R-4.1", d("2023-08-01"))
    assert "R-11.3" in restored.reason and restored.command_id == "cmd-2023-09-15"
    assert desk.state("2023-07-31").balance == 11
    assert desk.state("2023-08-01").balance == 12


# --- each consequence an event citing R-11 ----------------------------------------------


def test_r11_3_a_revoked_restoration_is_reinstated_from_the_revocation() -> None:
    """R-11.3, R-4.4: the restoration the cancelled infraction revoked stands again."""
    desk = taken_over(at="2023-01-02")
    desk.record("2023-01-10", "w1", "gloves", "2023-01-05")
    desk.establish("2023-02-03", "w1", "2023-02-01")
    assert desk.balance("2023-08-02") == 12
    desk.record("2023-08-20", "i2", "phone_handheld", "2023-03-10")
    desk.establish("2023-09-04", "i2", "2023-09-01")
    assert desk.balance() == 8
    desk.cancel("2023-10-02", "i2", "2023-10-01")
    (reinstated,) = desk.events("RestorationReinstated")
    assert (reinstated.rule, reinstated.effective_on, reinstated.points) == (
        "R-11.3",
        d("2023-09-04"),
        1,
    )
    assert desk.balance() == 12
    assert desk.state("2023-09-10").balance == 12


def test_r11_3_another_late_infraction_in_the_window_revokes_it_again() -> None:
    """R-11.3, R-4.4: reinstated from the first revocation, revoked again by the other infraction
    committed inside the window when that one was decided."""
    desk = taken_over(at="2023-01-02")
    desk.record("2023-01-10", "w1", "gloves", "2023-01-05")
    desk.establish("2023-02-03", "w1", "2023-02-01")
    desk.record("2023-08-20", "i2", "phone_handheld", "2023-03-10")
    desk.record("2023-08-20", "i3", "gloves", "2023-04-10")
    desk.establish("2023-09-04", "i2", "2023-09-01")  # revokes (-1), then -3: 8
    desk.establish("2023-09-11", "i3", "2023-09-08")  # already revoked: -1: 7
    assert desk.balance() == 7
    desk.cancel("2023-10-02", "i2", "2023-10-01")
    revoked = [e for e in desk.events("RestorationRevoked") if e.infraction_id == "i3"]
    assert [(e.rule, e.effective_on) for e in revoked] == [("R-4.4", d("2023-09-11"))]
    assert desk.state("2023-09-05").balance == 12
    assert desk.state("2023-09-11").balance == 10  # 12 - 1 (revoked again) - 1 (i3)
    assert desk.balance() == 10


def test_r11_3_its_48N_obligation_is_dropped_with_its_flag_another_stays() -> None:
    """R-11.3, R-10.4: only the cancelled infraction's mandatory stage goes."""
    desk = Desk()
    desk.issue("2022-01-03", "2022-01-03")
    desk.record("2023-03-08", "i1", "seat_belt", "2023-03-01")
    desk.record("2023-03-08", "i2", "phone_handheld", "2023-03-05")
    desk.establish("2023-03-22", "i1", "2023-03-20")
    desk.establish("2023-03-27", "i2", "2023-03-25")
    assert len(desk.view()["obligations"]) == 2
    desk.cancel("2023-04-03", "i1", "2023-04-01")
    (dropped,) = desk.events("ObligationDropped")
    assert (dropped.rule, dropped.obligation) == ("R-11.3", "48N:i1")
    assert [o["status"] for o in desk.view()["obligations"]] == ["open"]
    assert desk.balance() == 5


def test_r11_3_an_invalidation_is_annulled_retroactively_and_the_48SI_stays() -> None:
    """R-11.3: the invalidation never stood as of any date with the cancellation known; as known
    before, it did. No return obligation, no new-licence date, the 48SI listed."""
    desk = taken_over(points=6)
    desk.record("2024-01-10", "i1", "alcohol_delit", "2024-01-05")
    desk.establish("2024-02-05", "i1", "2024-02-01", "final_conviction")
    desk.deliver("2024-02-12", "48SI", "2024-02-09")
    desk.give_back("2024-02-15")
    desk.cancel("2024-05-10", "i1", "2024-05-06", "administrative_annulment")
    (annulled,) = desk.events("InvalidationAnnulledOnCancellation")
    assert (annulled.rule, annulled.effective_on) == ("R-11.3", d("2024-02-05"))
    view = desk.view()
    assert (view["status"], view["balance"], view["obligations"]) == ("valid", 6, [])
    assert view["new_licence_possible_on"] is None and desk.letters() == ["48SI"]
    assert desk.state("2024-03-01").status == "valid"
    assert desk.state("2024-03-01", known_at="2024-05-09").status == "invalidated"


def test_r11_3_a_later_zeroing_withdrawal_becomes_a_new_invalidation() -> None:
    """R-11.3, R-10.17: with the first invalidation annulled, the decision made on a balance of 0
    now brings it from 6 to 0: a new invalidation with its own 48SI."""
    desk = taken_over(points=6)
    desk.record("2024-01-10", "i1", "alcohol_delit", "2024-01-05")
    desk.establish("2024-02-05", "i1", "2024-02-01", "final_conviction")
    desk.record("2024-02-20", "i2", "alcohol_test_refusal", "2024-02-10")
    desk.establish("2024-03-04", "i2", "2024-03-01", "final_conviction")
    desk.cancel("2024-04-02", "i1", "2024-03-29", "administrative_annulment")
    (decided,) = desk.events("InvalidationDecided")
    assert decided.effective_on == d("2024-03-04") and "R-11.3" in decided.reason
    assert desk.letters() == ["48SI", "48SI"]
    assert desk.view()["status"] == "invalidation_pending"


def test_r11_3_withheld_gains_and_the_shortening_are_granted_on_their_dates() -> None:
    """R-11.3, R-1.4, R-1.6: the gain of the first anniversary comes on that day; probation ends
    again on its shortened date."""
    desk = Desk()
    desk.issue("2022-01-03", "2022-01-03")
    desk.training("2022-08-01", "2022-08-01")
    desk.record("2022-09-05", "i1", "continuous_line_straddling", "2022-09-01")
    desk.establish("2022-09-22", "i1", "2022-09-20")
    desk.tick("2023-05-01")
    assert desk.view()["probation_ends_on"] == "2025-01-03"
    desk.cancel("2023-06-01", "i1", "2023-05-30", "designation")
    (gain,) = desk.events("YearlyGainCredited")
    assert (gain.effective_on, gain.points) == (d("2023-01-03"), 2) and "R-11.3" in gain.reason
    assert desk.view()["probation_ends_on"] == "2024-01-03"
    assert desk.balance("2024-01-05") == 12


def test_r11_3_an_end_of_probation_decided_while_it_counted_is_decided_again() -> None:
    """R-11.3, R-1.4, R-1.5: probation ended with 3 points; without the infraction it ended with
    the last gain, after two yearly gains."""
    desk = Desk()
    desk.issue("2020-01-06", "2020-01-06")
    desk.record("2020-03-05", "i1", "screen_in_view", "2020-03-01")
    desk.establish("2020-04-03", "i1", "2020-04-01")
    assert desk.balance("2023-01-10") == 3
    desk.cancel("2023-02-01", "i1", "2023-01-31")
    assert [e.rule for e in desk.events("ProbationEndRevoked")] == ["R-11.3"]
    assert desk.balance() == 12
    assert desk.state("2021-06-01").balance == 8
    assert desk.state("2022-06-01", known_at="2023-01-31").balance == 3


# --- refusals ---------------------------------------------------------------------------


def test_r11_4_refusals_change_nothing() -> None:
    """R-11.4, R-2.6: unknown, already cancelled, dated after its recording, then established."""
    desk = taken_over()
    desk.record("2024-01-15", "i1", "red_light", "2024-01-10")
    assert desk.licence is not None
    with pytest.raises(CommandRefused, match="not recorded") as refused:
        desk.cancel("2024-02-01", "nope")
    assert refused.value.rule == "R-11.4"
    with pytest.raises(CommandRefused, match="after the day it is recorded"):
        desk.cancel("2024-02-01", "i1", "2024-02-02")
    desk.cancel("2024-02-01", "i1", ground="designation")
    count = len(desk.licence.history)
    with pytest.raises(CommandRefused, match="already cancelled"):
        desk.cancel("2024-02-10", "i1")
    with pytest.raises(CommandRefused, match="can no longer be established") as refused:
        desk.establish("2024-03-01", "i1", "2024-02-20")
    assert refused.value.rule == "R-11.4"
    assert len(desk.licence.history) == count
    assert desk.view()["infractions"][0]["cancelled_on"] == "2024-02-01"
    assert desk.balance() == 12


def test_r11_4_an_infraction_of_a_replaced_licence_cannot_be_cancelled() -> None:
    """R-11.4: the licence it belongs to was replaced after its invalidation."""
    desk = taken_over(points=4, at="2023-01-02")
    desk.record("2023-01-10", "i1", "red_light", "2023-01-05")
    desk.establish("2023-02-03", "i1", "2023-02-01")
    desk.deliver("2023-02-10", "48SI", "2023-02-08")
    desk.give_back("2023-02-15")
    desk.issue("2023-09-01", "2023-09-01")
    with pytest.raises(CommandRefused, match="previous licence") as refused:
        desk.cancel("2023-10-02", "i1", "2023-09-29")
    assert refused.value.rule == "R-11.4"
    assert desk.balance() == 6


# --- suspensions --------------------------------------------------------------------------


def test_r12_1_a_suspension_has_no_effect_on_points() -> None:
    """R-12.1: recorded with its kind, days and reference; the balance is untouched."""
    desk = taken_over(points=9)
    desk.suspend("2024-02-01", "judicial", "2024-02-01", "2024-07-31", "TJ-1")
    (recorded,) = desk.events("SuspensionRecorded")
    assert (recorded.rule, recorded.kind, recorded.reference) == ("R-12.1", "judicial", "TJ-1")
    assert desk.balance("2024-03-01") == 9


def test_r12_1_a_lift_ends_the_suspensions_in_force_of_its_kind() -> None:
    """R-12.1: lifted on 1 Mar 2024, the judicial one ends on 29 Feb; the other kind stands."""
    desk = taken_over()
    desk.suspend("2024-02-01", "administrative", "2024-02-01", "2024-07-31")
    desk.suspend("2024-02-10", "judicial", "2024-02-10", "2025-02-09")
    desk.lift("2024-03-01", kind="judicial")
    items = desk.view()["suspensions"]
    assert [(s["kind"], s["last_day"]) for s in items] == [
        ("administrative", "2024-07-31"),
        ("judicial", "2024-02-29"),
    ]
    desk.lift("2024-03-05")
    assert desk.view()["suspensions"][0]["last_day"] == "2024-03-04"
    assert desk.view()["status"] == "valid"


def test_r12_2_suspended_between_its_days_and_invalidation_takes_precedence() -> None:
    """R-12.2: suspended on the first and the last day, valid the day after; an invalidation
    shows as such even during a suspension."""
    desk = taken_over(points=4)
    desk.suspend("2024-02-01", "administrative", "2024-02-01", "2024-04-30")
    assert desk.view("2024-02-01")["status"] == "suspended"
    assert desk.view("2024-01-31")["status"] == "valid"
    desk.tick("2024-05-01")
    assert desk.view("2024-04-30")["status"] == "suspended"
    assert desk.view("2024-05-01")["status"] == "valid"
    desk.suspend("2024-05-02", "judicial", "2024-05-02", "2024-12-31")
    desk.record("2024-05-10", "i1", "red_light", "2024-05-03")
    desk.establish("2024-06-05", "i1", "2024-06-01")
    assert desk.view()["status"] == "invalidation_pending"


def test_r12_2_the_restricted_record_shows_suspensions_never_points() -> None:
    """R-12.2, R-8.2: validity and suspensions; no balance."""
    from domain.view import restricted_record

    desk = taken_over()
    desk.suspend("2024-02-01", "administrative", "2024-02-01", "2024-04-30")
    record = restricted_record(desk.view())
    assert record["status"] == "suspended"
    assert record["suspensions"] == [
        {"kind": "administrative", "first_day": "2024-02-01", "last_day": "2024-04-30"}
    ]
    assert "balance" not in record and "ceiling" not in record


def test_r12_3_a_suspension_during_the_shortened_probation_cancels_it() -> None:
    """R-12.3, R-1.6: the probation then runs its full term; gains are not moved."""
    desk = Desk()
    desk.issue("2023-01-02", "2023-01-02", route="aac")
    desk.training("2023-09-01", "2023-09-01")
    assert desk.balance("2024-01-05") == 9
    assert desk.view()["probation_ends_on"] == "2024-07-02"
    desk.suspend("2024-03-04", "administrative", "2024-03-01", "2024-04-30")
    assert desk.view()["probation_ends_on"] == "2025-01-02"
    assert desk.view("2024-02-28")["probation_ends_on"] == "2024-07-02"
    assert desk.balance("2024-07-05") == 9
    assert desk.balance("2025-01-05") == 12


def test_r12_3_a_suspension_moves_no_restoration() -> None:
    """R-12.3: the point of a 1-point withdrawal comes back on its date while suspended."""
    desk = taken_over(at="2023-01-02")
    desk.record("2023-01-10", "w1", "gloves", "2023-01-05")
    desk.establish("2023-02-03", "w1", "2023-02-01")
    desk.suspend("2023-03-01", "administrative", "2023-03-01", "2023-09-30")
    assert desk.balance("2023-07-31") == 11
    assert desk.balance("2023-08-01") == 12
    assert desk.view()["status"] == "suspended"


def test_r12_4_refusals_change_nothing() -> None:
    """R-12.4: days in the wrong order, an overlap of the same kind, a lift with nothing in force,
    an invalidated licence."""
    desk = taken_over(points=4)
    with pytest.raises(CommandRefused, match="before the first day") as refused:
        desk.suspend("2024-02-01", "administrative", "2024-02-10", "2024-02-05")
    assert refused.value.rule == "R-12.4"
    desk.suspend("2024-02-01", "administrative", "2024-02-01", "2024-03-31")
    with pytest.raises(CommandRefused, match="overlaps"):
        desk.suspend("2024-02-15", "administrative", "2024-03-15", "2024-05-31")
    desk.suspend("2024-02-15", "judicial", "2024-03-15", "2024-05-31")
    with pytest.raises(CommandRefused, match="no suspension is in force"):
        desk.lift("2024-06-10")
    with pytest.raises(CommandRefused, match="no administrative suspension"):
        desk.lift("2024-06-10", "2024-05-01", "administrative")
    desk.record("2024-06-10", "i1", "red_light", "2024-06-05")
    desk.establish("2024-07-05", "i1", "2024-07-01")
    with pytest.raises(CommandRefused, match="invalidation_pending"):
        desk.suspend("2024-07-06", "judicial", "2024-07-06", "2024-08-06")
    assert len(desk.view()["suspensions"]) == 2


def test_r11_4_a_cancellation_dated_before_the_recording_of_its_infraction() -> None:
    """R-11.4, R-9.1: an infraction recorded on 10 Mar but not established, cancelled by a decision
    of 5 Mar (known on 12 Mar): listed as cancelled from its listing, never withdrawn."""
    desk = taken_over()
    desk.record("2024-03-10", "i1", "red_light", "2024-03-01")
    desk.cancel("2024-03-12", "i1", "2024-03-05", "designation")
    (cancelled,) = desk.events("InfractionCancelled")
    assert cancelled.effective_on == d("2024-03-10")
    assert desk.view("2024-03-10")["infractions"][0]["cancelled_on"] == "2024-03-05"
    assert desk.view("2024-03-09")["infractions"] == []
    assert desk.balance() == 12


def test_r12_2_both_releves_show_suspensions_and_the_full_one_a_cancellation() -> None:
    """R-12.2, R-8.2, R-11.1: the restricted relevé shows validity and suspensions, never points;
    the full one shows the cancelled infraction as such."""
    from services.records import RecordKind, content_of

    desk = taken_over()
    desk.record("2024-01-15", "i1", "red_light", "2024-01-10")
    desk.establish("2024-02-05", "i1", "2024-02-01")
    desk.cancel("2024-03-01", "i1", "2024-02-28")
    desk.suspend("2024-03-02", "judicial", "2024-03-02", "2024-09-01")
    assert desk.licence is not None
    on = d("2024-03-02")
    restricted = content_of(desk.licence, desk.law, RecordKind.RESTRICTED, on, on)
    full = content_of(desk.licence, desk.law, RecordKind.INTEGRAL, on, on)
    expected = [{"kind": "judicial", "first_day": "2024-03-02", "last_day": "2024-09-01"}]
    assert restricted["suspensions"] == full["suspensions"] == expected
    assert restricted["status"] == "suspended" and "balance" not in restricted
    assert full["balance"] == 12
    assert full["infractions"][0]["cancelled_on"] == "2024-02-28"


def test_r12_2_the_read_model_knows_when_a_suspension_ends() -> None:
    """R-12.2: the licence row says `suspended` and changes on the day after the last day, a date
    no event carries, so that the worker writes it again then (`projections.rows`)."""
    from projections.rows import rows_for

    desk = taken_over()
    desk.suspend("2024-02-01", "administrative", "2024-02-01", "2024-04-30")
    assert desk.licence is not None
    rows = rows_for(desk.neph, desk.licence.history, desk.law, d("2024-02-01"))
    assert rows.licence["status"] == "suspended"
    assert rows.licence["changes_on"] == d("2024-05-01")
    later = rows_for(desk.neph, desk.licence.history, desk.law, d("2024-05-01"))
    assert (later.licence["status"], later.licence["changes_on"]) == ("valid", None)
