"""`permis anchor` (R-9.2): a digest kept outside the service finds what `verify --chain` cannot,
an event altered by someone who also wrote every later hash again and rebuilt the read models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_verify
from test_cli import ESTABLISH, ISSUE, RECORD, permis, write
from test_verify import NEPH, Tamper

from infrastructure.settings import Settings
from projections.anchor import Anchor, take
from projections.catch_up import rebuild
from projections.verify import verify
from projections.view import ReadModels
from services.bootstrap import build
from services.journal import parse_journal
from services.licensing import Licensing

built = test_verify.built  # the fixture: a store with scenario p06, read models current


def _rewrite_chain_after(url: str, tamper: Tamper, version: int) -> None:
    """What a forger does after altering event `version`: every later event carries the new hash
    of the one before it, read back from the store each time."""
    last = len(build(Settings(database_url=url)).licence(NEPH).history)
    for later in range(version + 1, last + 1):
        reader = build(Settings(database_url=url))  # no cache: the events as stored now
        history = reader.licence(NEPH).history
        tamper.edit(NEPH, later, previous_hash=history[later - 2].digest())
        reader.store.close()


def test_r9_2_an_anchor_still_holds_when_events_are_only_added(
    built: Licensing, view: ReadModels
) -> None:
    kept = take(built.store.recorder)
    assert kept.events == kept.notification_id == len(built.licence(NEPH).history)
    clock = built.clock()
    assert clock is not None
    issue = {
        "id": "later-1",
        "at": clock.isoformat(),
        "type": "licence.issue",
        "neph": "100000000002",
        "issued_on": clock.isoformat(),
        "route": "traditional",
    }
    lines, errors = parse_journal(json.dumps(issue) + "\n")
    assert not errors and built.import_lines(lines).applied == 1
    assert take(built.store.recorder, kept.notification_id) == kept
    assert take(built.store.recorder).events > kept.events
    assert Anchor.parse(kept.line()) == kept


def test_r9_2_a_rewritten_chain_passes_verify_but_not_the_anchor(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    kept = take(built.store.recorder)
    tamper = Tamper(view, store_url)
    tamper.edit(NEPH, 3, reason="nothing was withdrawn")
    _rewrite_chain_after(store_url, tamper, 3)
    forged = build(Settings(database_url=store_url))
    try:
        rebuild(forged, view)
        assert list(verify(forged, view, chain=True)) == []  # the chain alone is fooled
        assert take(forged.store.recorder, kept.notification_id) != kept
    finally:
        forged.store.close()


def test_r9_2_a_removed_event_changes_the_anchor(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    kept = take(built.store.recorder)
    Tamper(view, store_url).delete(NEPH, kept.events)
    now = take(built.store.recorder, kept.notification_id)
    assert (now.events, now == kept) == (kept.events - 1, False)


def test_an_anchor_of_another_form_is_refused_with_its_reason() -> None:
    with pytest.raises(ValueError, match="form 'permis-anchor-0'"):
        Anchor.parse(
            '{"notification_id": 1, "events": 1, "sha256": "00", "form": "permis-anchor-0"}'
        )
    with pytest.raises(ValueError, match="not an anchor printed by `permis anchor`"):
        Anchor.parse("{not json")


def test_permis_anchor_prints_a_line_that_check_takes_back(sqlite_url: str, tmp_path: Path) -> None:
    """The command: a line to keep; `--check` exit 0 when unchanged, 2 for a line that is not one."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE, RECORD, ESTABLISH)).returncode == 0
    printed = permis(sqlite_url, "anchor")
    assert printed.returncode == 0, printed.stderr
    kept = Anchor.parse(printed.stdout.strip())
    assert kept.events == 3
    checked = permis(sqlite_url, "anchor", "--check", printed.stdout.strip())
    assert (checked.returncode, checked.stdout.strip()) == (
        0,
        "the 3 event(s) up to notification 3 are as anchored",
    )
    assert permis(sqlite_url, "anchor", "--check", "{}").returncode == 2
