"""Events built by `LicenceEvent.build` are the events their dataclass `__init__` builds (R-9.2).

The licence records its events without the frozen dataclass's `__init__` (`Licence._trigger`):
every event of real histories (the scenarios and a generated journal), whatever its class, is built both ways and compared, fields and
their order (the order of the stored JSON) included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import real_licences

from domain import events as ev


def test_r9_2_built_events_equal_constructed_ones(tmp_path: Path) -> None:
    """R-9.2: the recorded facts do not depend on how the event object was made."""
    events = [e for licence in real_licences(tmp_path, 300, 2, 4000) for e in licence.history]
    kinds = {type(e) for e in events}
    assert len(kinds) >= 16  # the journals reach most kinds of event
    for event in events:
        values = vars(event)
        built = type(event).build(**values)
        constructed = type(event)(**{k: v for k, v in values.items() if k != "actor"})
        object.__setattr__(constructed, "actor", values["actor"])
        assert list(vars(built)) == list(vars(constructed))  # the order of the stored JSON
        assert vars(built) == vars(constructed) == values


def test_build_refuses_missing_or_unknown_fields() -> None:
    """A misspelt or forgotten field is an error, never silently dropped or left unset."""
    with pytest.raises(TypeError, match="missing"):
        ev.FlagsCleared.build(flags=[])
