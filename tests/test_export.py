"""Exports for auditors: `permis export` (the journal lines of a date range, replayable) and
`permis audit NEPH --format json|csv` (R-9.1: every event with its dates, rule and reason)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pg_server import fresh_database
from test_projections import all_scenarios, dump, import_, nephs_of, run_scenario

from infrastructure.settings import Settings
from projections.catch_up import catch_up
from projections.export import iter_journal
from projections.view import ReadModels
from services.bootstrap import build
from services.cli_projections import AUDIT_COLUMNS, audit_trail
from services.journal import canonical
from services.licensing import Licensing

PERMIS = Path(sys.executable).parent / "permis"
FIRST, LAST = date(2000, 1, 1), date(2100, 1, 1)
# Differ between two stores fed the same journal: wall-clock timestamps, and the hashes over them.
WALL_CLOCK = frozenset({"timestamp", "hash", "previous_hash", "head_hash", "as_of"})
_replays = itertools.count()


@pytest.fixture
def empty_url(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second empty store on the same backend, to replay into."""
    if store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'replay.sqlite'}"
    base = request.getfixturevalue("postgres_base_url")
    return fresh_database(base, f"permis_replay_{os.getpid()}_{next(_replays)}")


@pytest.fixture
def scenario() -> dict[str, Any]:
    return all_scenarios()


@pytest.fixture
def source(service: Licensing, view: ReadModels, scenario: dict[str, Any]) -> Licensing:
    """Every public scenario in one store, driven as CONTRACT §5 does, read models current."""
    run_scenario(service, scenario, lambda: catch_up(service, view))
    return service


def _views(service: Licensing, nephs: list[str], checks: list[dict[str, Any]]) -> dict[str, Any]:
    """Each licence on the clock, and each check's date as shown then (--as-of D --known-at D)."""
    views: dict[str, Any] = {neph: service.view(neph) for neph in nephs}
    for check in checks:
        on = date.fromisoformat(check["on"])
        views[f"{check['neph']}@{on}"] = service.view(check["neph"], on, on)
    return views


def _refused(service: Licensing, view: ReadModels) -> list[tuple[str, str]]:
    """The refused lines' ids and reasons, from their receipts."""
    ids = [json.loads(line)["id"] for line in iter_journal(view.engine, FIRST, LAST)]
    receipts = service.store.permis.select_receipts(ids)
    return sorted((r.command_id, r.reason) for r in receipts.values() if r.outcome == "refused")


# --- export, then replay ------------------------------------------------------------------------


def test_export_then_replay_into_an_empty_store_gives_the_same_views(
    source: Licensing, view: ReadModels, scenario: dict[str, Any], empty_url: str
) -> None:
    """The journal lines, refused ones included, replayed and ticked to the source's clock: the
    same licence views (now and as shown on each check's date), refusals and read models."""
    exported = list(iter_journal(view.engine, FIRST, LAST))
    assert len(exported) == len(scenario["journal"])
    replay = build(Settings(database_url=empty_url))
    replayed = ReadModels.open(empty_url)
    try:
        refused = import_(replay, [json.loads(line) for line in exported])
        clock = source.clock()
        assert clock is not None
        replay.tick(clock)
        catch_up(replay, replayed)
        assert sorted(refused) == sorted(i for i, _ in _refused(source, view))
        assert _refused(replay, replayed) == _refused(source, view)
        nephs = nephs_of(scenario)
        assert _views(replay, nephs, scenario["checks"]) == _views(
            source, nephs, scenario["checks"]
        )
        assert dump(replayed.engine, WALL_CLOCK) == dump(view.engine, WALL_CLOCK)
    finally:
        replayed.close()
        replay.store.close()


def test_export_keeps_the_lines_recorded_in_the_range_in_recording_order(
    source: Licensing, view: ReadModels, scenario: dict[str, Any]
) -> None:
    whole = list(iter_journal(view.engine, FIRST, LAST))
    assert whole == [canonical(line) for line in scenario["journal"]]
    start, end = date(2024, 1, 1), date(2024, 3, 31)
    part = list(iter_journal(view.engine, start, end))
    expected = [
        canonical(line)
        for line in scenario["journal"]
        if start <= date.fromisoformat(line["at"]) <= end
    ]
    assert part == expected and 0 < len(part) < len(whole)
    assert list(iter_journal(view.engine, date(1990, 1, 1), date(1990, 12, 31))) == []


# --- the command line -----------------------------------------------------------------------------


def _permis(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING")
    return subprocess.run(
        [str(PERMIS), *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def test_permis_export_then_permis_import_and_tick(
    source: Licensing, store_url: str, empty_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "export.jsonl"
    done = _permis(store_url, "export", "--from", "2000-01-01", "--to", "2100-01-01",
                   "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    clock = source.clock()
    assert f"the store's clock is {clock}" in done.stderr
    assert _permis(empty_url, "import", str(out)).returncode == 1  # p10's refusals again
    assert _permis(empty_url, "tick", "--to", str(clock)).returncode == 0
    for neph in ("050000000001", "060000000001", "080000000001"):  # 48N missed, 48SI, stages
        shown = [
            _permis(url, "licence", "show", neph, "--json").stdout for url in (store_url, empty_url)
        ]
        assert json.loads(shown[0]) == json.loads(shown[1])
    assert _permis(empty_url, "verify", "--chain").returncode == 0


def test_permis_export_refuses_a_range_that_ends_before_it_starts(store_url: str) -> None:
    done = _permis(store_url, "export", "--from", "2024-02-01", "--to", "2024-01-01")
    assert done.returncode == 2
    assert "--to 2024-01-01 is before --from 2024-02-01" in done.stderr


def test_permis_export_help_says_what_it_exports(store_url: str) -> None:
    text = " ".join(_permis(store_url, "export", "--help").stdout.split())
    assert "journal lines recorded" in text and "refused ones included" in text


# --- permis audit --format ------------------------------------------------------------------------


def test_audit_from_the_read_models_is_the_audit_from_the_events(
    source: Licensing, scenario: dict[str, Any]
) -> None:
    """R-9.1: the trail read from `rm_audit` is exactly the one folded from the licence's events."""
    for neph in nephs_of(scenario):
        assert audit_trail(source, neph) == source.audit(neph)


def test_audit_falls_back_to_the_events_while_the_read_models_lag(
    service: Licensing, scenario: dict[str, Any]
) -> None:
    run_scenario(service, scenario)  # no catch-up: the read models are empty
    neph = nephs_of(scenario)[0]
    assert audit_trail(service, neph) == service.audit(neph)


def test_permis_audit_json_and_csv(source: Licensing, store_url: str) -> None:
    neph = "060000000001"  # p06: withdrawals, a 48SI, a return
    trail = source.audit(neph)
    as_json = _permis(store_url, "audit", neph, "--format", "json")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout) == trail
    assert json.loads(_permis(store_url, "audit", neph, "--json").stdout) == trail
    as_csv = _permis(store_url, "audit", neph, "--format", "csv")
    assert as_csv.returncode == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(rows[0]) == list(AUDIT_COLUMNS)
    assert [int(r["position"]) for r in rows] == [item["position"] for item in trail]
    for row, item in zip(rows, trail, strict=True):
        assert (row["event"], row["effective_on"], row["recorded_on"], row["rule"]) == (
            item["event"],
            item["effective_on"],
            item["recorded_on"],
            item["rule"],
        )
        assert row["reason"] == item["reason"] and json.loads(row["details"]) == item["details"]
    assert _permis(store_url, "audit", neph, "--format", "xml").returncode == 2
    assert _permis(store_url, "audit", "999999999999", "--format", "csv").returncode == 1
