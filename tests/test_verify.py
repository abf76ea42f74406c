"""`permis verify [--chain]` (CONTRACT §6): read models against the events, and tamper evidence.

R-9.2: nothing is ever edited. Each licence's events form a hash chain; an event altered or removed
directly in the database is detected from the events table (never from a snapshot, which holds the
whole history), a removed last event by the head the read models kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import text, update
from test_projections import SCENARIO_FILES, all_scenarios, load, run_scenario

from domain.events import LicenceEvent
from domain.licence import licence_id
from infrastructure.settings import Settings
from projections.catch_up import catch_up, rebuild
from projections.schema import rm_licences, rm_obligations
from projections.verify import Difference, verify
from projections.view import ReadModels
from services.bootstrap import build
from services.licensing import Licensing

PERMIS = Path(sys.executable).parent / "permis"
NEPH = "100000000001"
P06 = next(p for p in SCENARIO_FILES if p.stem.startswith("p06"))  # nine events, a 48SI


@pytest.fixture
def built(service: Licensing, view: ReadModels) -> Licensing:
    """A store built from a public scenario, read models current."""
    run_scenario(service, load(P06), lambda: catch_up(service, view))
    return service


class Tamper:
    """Edits the events table directly, as someone with database access could."""

    def __init__(self, view: ReadModels, url: str) -> None:
        self.engine = view.engine
        sqlite = url.startswith("sqlite")
        self.table = "stored_events" if sqlite else "licences_events"
        self.sqlite = sqlite

    def _key(self, neph: str) -> str:
        key = licence_id(neph)
        return key.hex if self.sqlite else str(key)

    def _where(self) -> str:
        key = ":id" if self.sqlite else "CAST(:id AS uuid)"
        return f"originator_id = {key} AND originator_version = :version"

    def delete(self, neph: str, version: int) -> None:
        with self.engine.begin() as connection:
            result = connection.execute(
                text(f"DELETE FROM {self.table} WHERE {self._where()}"),
                {"id": self._key(neph), "version": version},
            )
            assert result.rowcount == 1

    def overwrite(self, neph: str, version: int, state: bytes) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                text(f"UPDATE {self.table} SET state = :state WHERE {self._where()}"),
                {"id": self._key(neph), "version": version, "state": state},
            )

    def edit(self, neph: str, version: int, **changes: object) -> None:
        with self.engine.begin() as connection:
            params = {"id": self._key(neph), "version": version}
            state = connection.execute(
                text(f"SELECT state FROM {self.table} WHERE {self._where()}"), params
            ).scalar_one()
            payload = json.loads(bytes(state))
            assert set(changes) <= set(payload)
            payload.update(changes)
            connection.execute(
                text(f"UPDATE {self.table} SET state = :state WHERE {self._where()}"),
                {**params, "state": json.dumps(payload).encode()},
            )


def _versions(service: Licensing) -> dict[str, int]:
    """Version of each event type in the licence's history (p06 has each once or more)."""
    found: dict[str, int] = {}
    for event in service.licence(NEPH).history:
        found.setdefault(type(event).__name__, event.originator_version)
    return found


def _chain_findings(service: Licensing, view: ReadModels) -> list[Difference]:
    return [d for d in verify(service, view, chain=True) if d.neph == NEPH]


# --- all agree ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_public_scenario_verifies_with_its_chain(
    service: Licensing, view: ReadModels, path: Path
) -> None:
    run_scenario(service, load(path), lambda: catch_up(service, view))
    assert list(verify(service, view, chain=True)) == []


# --- tampering with the events ------------------------------------------------------------------


def test_an_altered_event_is_detected_by_the_chain(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    """R-9.2: 4 points withdrawn rewritten as 1: the next event no longer carries its hash."""
    version = _versions(built)["PointsWithdrawn"]
    Tamper(view, store_url).edit(NEPH, version, points=1)
    found = [str(d) for d in _chain_findings(built, view)]
    assert (
        f"{NEPH}: event v{version + 1} does not carry the hash of v{version}: an event was "
        "altered or removed" in found
    )


def test_an_altered_last_event_is_detected_by_the_head_the_read_models_kept(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    last = len(built.licence(NEPH).history)
    Tamper(view, store_url).edit(NEPH, last, reason="nothing happened")
    found = [str(d) for d in _chain_findings(built, view)]
    assert (
        f"{NEPH}: the last event v{last} differs from the head the read models recorded: "
        "altered" in found
    )


def _first_form_digest(event: LicenceEvent) -> str:
    """The digest as the first canonical form wrote it (before 2026-12-01): stdlib JSON, UUIDs hex."""

    def known(value: object) -> str:
        if isinstance(value, UUID):
            return value.hex
        assert isinstance(value, date | datetime)
        return value.isoformat()

    content = {"topic": event.TOPIC, **vars(event)}
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, default=known)
    return hashlib.sha256(encoded.encode()).hexdigest()


def test_r9_2_a_chain_recorded_in_the_first_form_still_verifies(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    """A store written before the digest's canonical form changed: its chains verify as they were
    recorded (its read models rebuilt once, ops/RUNBOOK.md), and an event altered in it is found."""
    tamper, history = Tamper(view, store_url), built.licence(NEPH).history
    previous = history[0]
    for event in history[1:]:
        rewritten = type(event).build(
            **{**vars(event), "previous_hash": _first_form_digest(previous)}
        )
        tamper.edit(NEPH, event.originator_version, previous_hash=rewritten.previous_hash)
        previous = rewritten
    rebuild(built, view)  # the read models of a store upgraded since, in today's form
    assert list(verify(built, view, chain=True)) == []
    tamper.edit(NEPH, 2, reason="nothing happened")
    found = [str(d) for d in _chain_findings(built, view)]
    assert f"{NEPH}: event v3 does not carry the hash of v2: an event was altered or removed" in (
        found
    )


def test_a_removed_event_is_detected(built: Licensing, view: ReadModels, store_url: str) -> None:
    version = _versions(built)["PointsWithdrawn"]
    Tamper(view, store_url).delete(NEPH, version)
    found = [str(d) for d in _chain_findings(built, view)]
    assert f"{NEPH}: event(s) v{version} missing: removed from the store" in found
    assert (
        f"{NEPH}: event v{version + 1} does not carry the hash of v{version - 1}: an event "
        "was altered or removed" in found
    )


def test_a_removed_last_event_is_detected_by_the_head_the_read_models_kept(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    last = len(built.licence(NEPH).history)
    Tamper(view, store_url).delete(NEPH, last)
    found = [str(d) for d in _chain_findings(built, view)]
    assert (
        f"{NEPH}: the read models saw v{last}, the last stored event is v{last - 1}: "
        "event(s) removed" in found
    )


def test_an_unreadable_event_is_reported_not_raised(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    Tamper(view, store_url).overwrite(NEPH, 2, b"\x00 not an event")
    found = [str(d) for d in _chain_findings(built, view)]
    assert f"{NEPH}: event v2 cannot be read: altered" in found
    assert f"{NEPH}: event(s) v2 missing: removed from the store" in found


def test_the_chain_is_checked_on_the_events_table_not_on_snapshots(
    view: ReadModels, store_url: str
) -> None:
    """A snapshot after every event holds the whole history: a removed event still shows."""
    snapshotting = build(Settings(database_url=store_url, snapshot_interval=1))
    try:
        run_scenario(snapshotting, load(P06), lambda: catch_up(snapshotting, view))
        version = _versions(snapshotting)["PointsWithdrawn"]
        Tamper(view, store_url).delete(NEPH, version)
        loaded = snapshotting.licence(NEPH)  # from its last snapshot: nothing seems amiss
        assert loaded.history[version - 1].originator_version == version
        found = [str(d) for d in _chain_findings(snapshotting, view)]
        assert f"{NEPH}: event(s) v{version} missing: removed from the store" in found
    finally:
        snapshotting.store.close()


# --- read models against the events -------------------------------------------------------------


def test_a_read_model_changed_by_hand_is_a_difference_until_rebuilt(
    built: Licensing, view: ReadModels
) -> None:
    with view.engine.begin() as connection:
        connection.execute(update(rm_licences).values(balance=rm_licences.c.balance + 3))
        connection.execute(update(rm_obligations).values(status="fulfilled"))
    found = [str(d) for d in verify(built, view)]
    balance = built.view(NEPH)["balance"]
    assert any(
        f"{NEPH}: rm_licences: read models differ: balance {balance + 3} (events: {balance})" in f
        for f in found
    )
    assert any(f.startswith(f"{NEPH}: rm_obligations 48SI:") and "status" in f for f in found)
    rebuild(built, view)
    assert list(verify(built, view, chain=True)) == []


def test_a_licence_missing_from_the_read_models_is_a_difference(
    service: Licensing, view: ReadModels
) -> None:
    scenario = all_scenarios()
    run_scenario(service, scenario, lambda: catch_up(service, view))
    with view.engine.begin() as connection:
        connection.execute(rm_licences.delete().where(rm_licences.c.neph == "050000000001"))
    found = [str(d) for d in verify(service, view)]
    assert found == [
        "050000000001: events are stored, but the licence is missing from the read models"
    ]


def test_read_models_behind_the_event_store_are_a_difference(
    service: Licensing, view: ReadModels
) -> None:
    run_scenario(service, load(P06))  # no catch-up
    found = [str(d) for d in verify(service, view)]
    head = service.store.recorder.max_notification_id()
    assert found[0] == f"read models: at notification 0, the event store at {head}: not caught up"
    assert f"{NEPH}: events are stored, but the licence is missing from the read models" in found


# --- the command line (CONTRACT §6) ---------------------------------------------------------------


def _permis(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING")
    return subprocess.run(
        [str(PERMIS), *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_permis_rebuild_verify_and_chain_then_a_deleted_row(
    built: Licensing, view: ReadModels, store_url: str
) -> None:
    """On a store built from a public scenario: rebuild, verify and verify --chain exit 0; after
    deleting one stored event row, verify --chain exits 1 and names the licence."""
    for args in (("projections", "rebuild"), ("verify",), ("verify", "--chain")):
        done = _permis(store_url, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert (
        "read models rebuilt: 9 event(s), 1 licence(s)"
        in _permis(store_url, "projections", "rebuild").stdout
    )
    Tamper(view, store_url).delete(NEPH, 4)
    done = _permis(store_url, "verify", "--chain")
    assert done.returncode == 1
    assert f"{NEPH}: event(s) v4 missing: removed from the store" in done.stdout
    assert "difference(s) between the events, read models and hash chains" in done.stdout
