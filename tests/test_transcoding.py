"""The stored bytes: orjson writes exactly what the library's JSON transcoder writes (R-9.2).

A store written by `OrjsonTranscoder` must stay readable by the plain library, and by this service
after a change of encoder: every event and every snapshot of real histories is encoded both ways
and compared byte for byte, then read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import passing_public_scenarios
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex

from infrastructure.settings import Settings
from infrastructure.transcoding import OrjsonTranscoder
from services.bootstrap import build
from services.journal import parse_journal


def _mapper(transcoder: JSONTranscoder, store: object) -> Mapper:
    # The registrations the store makes (dates, events), on the given transcoder.
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    store.register_transcodings(transcoder)  # type: ignore[attr-defined]
    return Mapper(transcoder=transcoder)


@pytest.mark.parametrize("path", passing_public_scenarios(), ids=lambda p: p.stem)
def test_events_and_snapshots_are_the_library_bytes_R_9_2(path: Path, tmp_path: Path) -> None:
    """R-9.2: every stored event and snapshot is the library's JSON, byte for byte."""
    scenario = json.loads(path.read_text(encoding="utf-8"))
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in scenario["journal"])
    service = build(Settings(database_url=f"sqlite:///{tmp_path / 's.sqlite'}"))
    lines, errors = parse_journal(text + "\n")
    assert not errors
    service.import_lines(lines)
    plain = _mapper(JSONTranscoder(), service.store)
    fast = _mapper(OrjsonTranscoder(), service.store)
    nephs = service.store.permis.select_nephs("", 1000)
    checked = 0
    for neph in nephs:
        licence = service.licence(neph)
        for item in [*licence.history, Snapshot.take(licence)]:
            expected = plain.to_stored_event(item)
            stored = fast.to_stored_event(item)
            assert stored.state == expected.state
            assert vars(fast.to_domain_event(stored)) == vars(item)
            checked += 1
    assert checked > len(nephs)
    service.store.close()
