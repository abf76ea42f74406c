"""The fold's shortcuts give what folding again gives (R-9.1).

`Licence.state` does not always fold the whole history: it extends the previous state with the
events just appended when they come last in legal order (`domain.state.extended`), and moves the
latest state to a later date when no event takes effect after it (`domain.state.restated`). These
tests replay real histories (the acceptance scenarios and a generated journal) prefix by prefix and
compare each shortcut with a fresh `fold`, so a change to the fold that the shortcuts do not know of
fails here rather than in a view.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path

from conftest import real_licences

from domain.law import current_law
from domain.licence import FAR_FUTURE, pending_effects
from domain.policy import Policy
from domain.state import extended, fold, restated


def test_r9_1_extending_and_moving_the_latest_state_equal_a_fresh_fold(tmp_path: Path) -> None:
    """R-9.1: every shortcut state equals the fold of the same events on the same date."""
    law = current_law()
    extensions = moves = 0
    for licence in real_licences(tmp_path, 150, 3, 400):
        history = licence.history
        for end in range(1, len(history) + 1):
            events = history[:end]
            latest = fold(licence.neph, events, law, FAR_FUTURE)
            for start in range(max(1, end - 3), end):
                before = fold(licence.neph, events[:start], law, FAR_FUTURE)
                untouched = copy.deepcopy(before)
                grown = extended(before, events, start)
                assert before == untouched  # the state extended from is left as it was
                if grown is not None:
                    extensions += 1
                    assert grown == latest
            last = max(e.effective_on for e in events)
            for day in (last, last + timedelta(days=1), date(2040, 1, 1)):
                moved = restated(latest, day)
                if moved is not None:
                    moves += 1
                    assert moved == fold(licence.neph, events, law, day)
        for day in (licence.last_recorded_on, FAR_FUTURE):
            assert licence.state(law, day) == fold(licence.neph, history, law, day)
    assert extensions > 1000 and moves > 1000  # the shortcuts were exercised, not skipped


def test_r2_1_events_that_move_no_due_date_leave_the_pending_effects_as_they_were(
    tmp_path: Path,
) -> None:
    """R-2.1: after an event marked as moving no due date (an infraction recorded, withdrawing
    nothing yet), the pending effects are those before it, and decide the same."""
    law, policy = current_law(), Policy()
    checked = 0
    for licence in real_licences(tmp_path, 150, 3, 400):
        history = licence.history
        for end in range(2, len(history) + 1):
            if type(history[end - 1]).MOVES_DUE_DATES:
                continue
            before = pending_effects(
                fold(licence.neph, history[: end - 1], law, FAR_FUTURE), policy
            )
            after = pending_effects(fold(licence.neph, history[:end], law, FAR_FUTURE), policy)
            assert [e[:3] for e in before] == [e[:3] for e in after]
            for old, new in zip(before, after, strict=True):
                on_due = fold(licence.neph, history[:end], law, new.due_on)
                assert old.decide(on_due) == new.decide(on_due)
            checked += 1
    assert checked > 100
