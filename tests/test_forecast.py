"""The forecast (issue 18): every effect the tick will record, with its date, points within the
ceiling, rule and what would break it — exactly what the tick later records when nothing else
happens (R-0.5, R-1.4, R-1.5, R-4.1 to R-4.4, R-6.1 to R-6.3)."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from conftest import bench_journal
from desk import Desk, d
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import journal, play

from domain import forecast as fc
from domain.calendar import add_years
from domain.licence import Licence
from domain.what_if import Hypothesis, what_if
from infrastructure.settings import Settings
from services.bootstrap import build
from services.journal import parse_journal

HORIZON_YEARS = 11  # past the last 10-year return of anything decided before the clock


def recorded(history: list[Any]) -> list[tuple[date, str, str, int | None]]:
    """What the tick recorded: each event's legal date, kind, rule and points added."""
    return [(e.effective_on, type(e).__name__, e.rule, getattr(e, "points", None)) for e in history]


def forecast_as_recorded(items: list[fc.Forecasted]) -> list[tuple[date, str, str, int | None]]:
    """The forecast in the same form (a deadline's event has no points)."""
    return [(i.due_on, i.event, i.rule, i.points) for i in items]


def one_point_desk() -> Desk:
    """A 12-point licence; a 1-point withdrawal established on 2024-03-05."""
    desk = Desk()
    desk.issue("2024-01-02", "2009-05-04", probationary=False)
    desk.record("2024-03-05", "i1", "speeding_5_20_over50", "2024-02-10")
    desk.establish("2024-03-05", "i1", "2024-03-05")
    return desk


def test_r4_1_the_forecast_of_a_one_point_withdrawal() -> None:
    """R-4.1: the point comes back on the réalité + 6 months, broken by an infraction committed
    before then; R-4.2: the full restoration 2 years after it, though it adds nothing then."""
    desk = one_point_desk()
    assert desk.licence is not None
    items = fc.forecast(desk.licence, desk.law, desk.policy)
    first = items[0]
    assert (first.due_on, first.event, first.rule, first.points) == (
        d("2024-09-05"),
        "PointsRestored",
        "R-4.1",
        1,
    )
    assert (first.balance_after, first.ceiling_after, first.article) == (12, 12, "L223-6 al.3")
    assert first.breaks == (
        fc.Condition(fc.INFRACTION_IN_WINDOW, {"from": d("2024-03-05"), "before": d("2024-09-05")}),
    )
    assert [(i.due_on, i.rule, i.points) for i in items[1:]] == [(d("2026-03-05"), "R-4.2", 0)]


def test_r4_1_an_infraction_in_the_window_removes_the_forecast_restoration() -> None:
    """R-4.1, R-4.2: an infraction committed inside the window, once it withdraws points, takes
    the restoration out of the forecast; "what if" said so before, and forecast what came after."""
    desk = one_point_desk()
    assert desk.licence is not None
    foreseen = what_if(
        desk.licence,
        desk.law,
        desk.policy,
        d("2024-07-01"),
        Hypothesis("red_light", d("2024-06-01"), d("2024-07-01")),
    )
    assert [(i.due_on, i.rule) for i in foreseen.broken] == [
        (d("2024-09-05"), "R-4.1"),
        (d("2026-03-05"), "R-4.2"),
    ]
    desk.record("2024-07-01", "i2", "red_light", "2024-06-01")
    desk.establish("2024-07-01", "i2", "2024-07-01")
    after = fc.forecast(desk.licence, desk.law, desk.policy)
    assert all(i.rule != "R-4.1" for i in after)
    # What if = what happened (the hypothesis has an id of its own in the subjects).
    assert forecast_as_recorded(after) == forecast_as_recorded(list(foreseen.forecast_after))
    assert [i.balance_after for i in after] == [i.balance_after for i in foreseen.forecast_after]
    assert (foreseen.after.balance, foreseen.decisions[-1].letter) == (7, "48")


def test_r4_4_what_if_an_infraction_is_known_after_the_restoration() -> None:
    """R-4.4: an infraction committed inside a window that already gave its point back, known
    only later, revokes that restoration on the day it is decided."""
    desk = one_point_desk()
    desk.tick("2024-10-01")
    assert desk.licence is not None and desk.balance() == 12
    outcome = what_if(
        desk.licence,
        desk.law,
        desk.policy,
        d("2024-10-01"),
        Hypothesis("seat_belt", d("2024-06-01"), d("2024-10-01")),
    )
    assert [x.event for x in outcome.decisions] == [
        "InfractionRecorded",
        "RestorationRevoked",
        "PointsWithdrawn",
    ]
    assert outcome.decisions[1].rule == "R-4.4"
    assert (outcome.before.balance, outcome.after.balance) == (12, 8)


def test_what_if_refused_like_the_journal_line_would_be() -> None:
    """R-2.2: a réalité before the infraction is refused, and nothing follows from it."""
    desk = one_point_desk()
    assert desk.licence is not None
    outcome = what_if(
        desk.licence,
        desk.law,
        desk.policy,
        d("2024-07-01"),
        Hypothesis("red_light", d("2024-06-01"), d("2024-05-01")),
    )
    assert outcome.refusal is not None and outcome.refusal.rule == "R-2.2"
    assert outcome.decisions == () and outcome.broken == () and outcome.new == ()


def test_r1_4_r1_5_probation_gains_and_end_with_what_breaks_them() -> None:
    """R-1.4, R-1.5: a clean probationary licence gains 2 points on each anniversary and reaches
    12 at the end; a withdrawal decided before each date would stop it."""
    desk = Desk()
    desk.issue("2024-01-02", "2024-01-02")
    assert desk.licence is not None
    items = fc.forecast(desk.licence, desk.law, desk.policy)
    assert [(i.due_on, i.event, i.points, i.balance_after) for i in items] == [
        (d("2025-01-02"), "YearlyGainCredited", 2, 8),
        (d("2026-01-02"), "YearlyGainCredited", 2, 10),
        (d("2027-01-02"), "ProbationEnded", 2, 12),
    ]
    assert items[0].breaks == (
        fc.Condition(
            fc.WITHDRAWAL_IN_PROBATION, {"from": d("2024-01-02"), "before": d("2025-01-02")}
        ),
    )


def test_r6_1_r6_3_deadlines_are_forecast_with_what_prevents_them() -> None:
    """R-6.1, R-6.3: the breach of a mandatory stage (due date + 15 days) and an overdue
    attestation are forecast, each with what would prevent it."""
    desk = Desk()
    desk.issue("2024-01-02", "2024-01-02")
    desk.infraction("2024-02-01", "2024-03-01", offence="red_light")  # 4 points: 48N
    desk.deliver("2024-03-05", "48N", "2024-03-04")
    desk.stage("2024-03-20", "s1", "2024-03-18", kind="composition_penale")
    desk.stage("2024-03-21", "s2", "2024-03-19")
    assert desk.licence is not None
    items = {i.event: i for i in fc.forecast(desk.licence, desk.law, desk.policy)}
    breach = items["ObligationBreached"]
    assert (breach.due_on, breach.rule, breach.points) == (d("2024-07-19"), "R-6.1", None)
    assert breach.breaks == (
        fc.Condition(fc.STAGE_BY, {"from": d("2024-03-01"), "to": d("2024-07-04")}),
    )
    overdue = items["AttestationOverdue"]
    assert (overdue.due_on, overdue.subject) == (d("2024-04-05"), "stage:s2")


def _compare_with_the_tick(desk: Desk) -> None:
    assert desk.licence is not None and desk.clock is not None
    horizon = add_years(desk.clock, HORIZON_YEARS)
    items = fc.forecast(desk.licence, desk.law, desk.policy, until=horizon)
    before = len(desk.licence.history)
    desk.tick(horizon.isoformat())
    ticked = desk.licence.history[before:]
    assert forecast_as_recorded(items) == recorded(ticked)
    for item in items:
        assert desk.state(item.due_on.isoformat()).balance == item.balance_after


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journal)
def test_the_forecast_is_what_the_tick_records_over_random_journals(
    case: tuple[bool, str, Any],
) -> None:
    """R-0.5, R-6.4: over random journals (stages, letters, returns, re-issues, training), the
    forecast's dates, events, rules and points are those the tick records afterwards, and its
    balances those of the view on each date."""
    desk, _ = play(*case)
    _compare_with_the_tick(desk)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 100_000))
def test_the_forecast_is_what_the_store_tick_records_over_generated_journals(seed: int) -> None:
    """The same through the store, on realistic journals (`ops/bench/journal.py`): forecast every
    licence at the clock, tick the store 11 years on, and compare each licence's new events."""
    lines = list(bench_journal().generate(40, 8, seed))
    with tempfile.TemporaryDirectory() as folder:
        service = build(Settings(database_url=f"sqlite:///{Path(folder) / 'store.sqlite'}"))
        parsed, errors = parse_journal("".join(json.dumps(line) + "\n" for line in lines))
        assert not errors
        service.import_lines(parsed)
        clock = service.clock()
        assert clock is not None
        horizon = add_years(clock, HORIZON_YEARS)
        nephs = sorted({line["neph"] for line in lines})
        expected: dict[str, tuple[int, list[Any]]] = {}
        for neph in nephs:
            licence: Licence = service.licence(neph)
            items = fc.forecast(licence, service.law, service.policy, until=horizon)
            expected[neph] = (len(licence.history), forecast_as_recorded(items))
        service.tick(horizon)
        effects = 0
        for neph in nephs:
            start, foreseen = expected[neph]
            assert recorded(service.licence(neph).history[start:]) == foreseen, neph
            effects += len(foreseen)
        service.store.close()
    assert effects > 0


def test_the_forecast_changes_nothing_of_the_licence() -> None:
    """A forecast advances a copy: the licence keeps its history and has nothing to save."""
    desk = one_point_desk()
    assert desk.licence is not None
    desk.licence.collect_events()
    history = list(desk.licence.history)
    fc.forecast(desk.licence, desk.law, desk.policy)
    what_if(
        desk.licence,
        desk.law,
        desk.policy,
        d("2024-07-01"),
        Hypothesis("red_light", d("2024-06-01"), d("2024-07-01")),
    )
    assert desk.licence.history == history
    assert desk.licence.collect_events() == []
    assert desk.licence.version == len(history)
