"""Property-based tests over random journals (hypothesis): the invariants of the rule book."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from desk import Desk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import CommandRefused
from domain.law import current_law

OFFENCES = sorted(current_law().offences)
START = date(2019, 1, 7)

operation = st.one_of(
    st.tuples(
        st.just("infraction"),
        st.sampled_from(OFFENCES),
        st.integers(0, 90),
        st.sampled_from([None, "o1", "o2"]),
    ),
    st.tuples(
        st.just("deliver"), st.sampled_from(["48", "48M", "48N", "48SI", "47"]), st.integers(0, 10)
    ),
    st.tuples(
        st.just("stage"),
        st.sampled_from(["voluntary", "mandatory", "composition_penale"]),
        st.integers(2, 20),
    ),
    st.tuples(st.just("attest"), st.integers(0, 5), st.integers(0, 40)),
    st.tuples(st.just("return"), st.integers(0, 5)),
    st.tuples(st.just("reissue"), st.sampled_from(["traditional", "aac"])),
    st.tuples(st.just("training"), st.integers(0, 3)),
)
journal = st.tuples(
    st.booleans(),
    st.sampled_from(["traditional", "aac", "supervised"]),
    st.lists(st.tuples(st.integers(0, 240), operation), min_size=1, max_size=25),
)


def play(
    probationary: bool, route: str, steps: list[tuple[int, Any]]
) -> tuple[Desk, list[tuple[str, dict[str, Any]]]]:
    """Apply a random journal; return the desk and what was shown after each day's lines."""
    desk = Desk()
    issued = START - timedelta(days=0 if probationary else 4000)
    desk.issue(START.isoformat(), issued.isoformat(), route=route, probationary=probationary)
    day, shown = START, []
    for count, (gap, op) in enumerate(steps, start=1):
        day += timedelta(days=gap)
        at = day.isoformat()
        try:
            apply(desk, op, day, count)
        except CommandRefused:
            desk.tick(at)
        shown.append((at, desk.view()))
    return desk, shown


def apply(desk: Desk, op: tuple[Any, ...], day: date, n: int) -> None:
    at = day.isoformat()
    kind = op[0]
    if kind == "infraction":
        committed = (day - timedelta(days=op[2])).isoformat()
        desk.record(at, f"i{n}", op[1], committed, occasion=op[3])
        desk.establish(at, f"i{n}", at)
    elif kind == "deliver":
        desk.deliver(at, op[1], (day - timedelta(days=op[2])).isoformat())
    elif kind == "stage":
        desk.stage(at, f"s{n}", (day - timedelta(days=op[2])).isoformat(), kind=op[1])
    elif kind == "attest":
        stages = list(desk.state().stages.values())
        if not stages:
            raise CommandRefused("no stage")
        stage = stages[op[1] % len(stages)]
        received = max(stage.last_day, day - timedelta(days=op[2]))
        desk.attest(at, stage.stage_id, received.isoformat())
    elif kind == "return":
        desk.give_back(at, (day - timedelta(days=op[1])).isoformat())
    elif kind == "reissue":
        desk.issue(at, at, route=op[1])
    else:
        desk.training(at, (day - timedelta(days=op[1])).isoformat())


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(journal)
def test_r1_1_r1_5_r2_5_balance_within_zero_and_the_ceiling(case: tuple[bool, str, Any]) -> None:
    """R-1.1, R-1.5, R-2.5: 0 <= balance <= ceiling <= 12 on every date shown."""
    _, shown = play(*case)
    for _, view in shown:
        assert 0 <= view["balance"] <= view["ceiling"] <= 12


@SETTINGS
@given(journal)
def test_r9_1_as_of_d_known_at_d_reproduces_what_was_shown_on_d(
    case: tuple[bool, str, Any],
) -> None:
    """R-9.1: for every date D shown, the view as of D known at D is what was shown on D."""
    desk, shown = play(*case)
    last_of_each_day = dict(shown)  # what the service showed at the end of each day
    for at, view in last_of_each_day.items():
        assert desk.view(as_of=at, known_at=at) == view


@SETTINGS
@given(journal, st.integers(0, 3000))
def test_r6_4_catching_up_later_equals_ticking_now(case: tuple[bool, str, Any], later: int) -> None:
    """R-6.4: one tick over a long gap reaches the state of ticks in between."""
    desk, _ = play(*case)
    assert desk.clock is not None
    end = desk.clock + timedelta(days=later)
    twin, _ = play(*case)
    middle = desk.clock + timedelta(days=later // 2)
    twin.tick(middle.isoformat())
    twin.tick(end.isoformat())
    desk.tick(end.isoformat())
    assert desk.view() == twin.view()
