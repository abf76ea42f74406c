"""Acceptance scenarios through the application service, on both stores: the public ones
(shared/scenarios) and the project's own (tests/scenarios: the rule book's finer points, each
expectation worked out by hand from RULES.md, each scenario naming its rules).

The same checks as `shared/tools/scenarios` (CONTRACT §5), in-process: each check after importing the
lines up to its date and ticking to it, then again `--as-of D --known-at D`, the `as_of_checks`, the
refusals, and a second import of the whole journal that changes nothing.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS, ServiceFactory, pending_scenarios

from services.journal import JournalLine, parse_object
from services.licensing import Licensing

FILES = sorted(SCENARIOS.glob("*.json"))
OURS = sorted((Path(__file__).parent / "scenarios").glob("*.json"))
PENDING = pending_scenarios()


def params(paths: list[Path]) -> list[object]:
    """The scenarios as parameters, those still pending marked as strict expected failures."""
    reason = "listed in tests/scenarios_pending.txt: its issue is not done yet"
    return [
        pytest.param(p, id=p.stem, marks=pytest.mark.xfail(strict=True, reason=reason))
        if p.stem in PENDING
        else pytest.param(p, id=p.stem)
        for p in paths
    ]


def matches(expect: dict[str, Any], view: dict[str, Any]) -> list[str]:
    problems = []
    for key, want in expect.items():
        got = view[key]
        if isinstance(want, list) and all(isinstance(w, str) for w in want):
            got = [g.get("type", g.get("kind")) for g in got]
        elif isinstance(want, list):
            got = [{k: g.get(k) for k in w} for w, g in zip(want, got, strict=False)]
            if len(view[key]) != len(want):
                got = view[key]
        if got != want:
            problems.append(f"{key}: expected {want}, got {got}")
    return problems


def load(lines: list[dict[str, Any]]) -> list[JournalLine]:
    parsed = [parse_object(raw, n) for n, raw in enumerate(lines, start=1)]
    assert all(isinstance(p, JournalLine) for p in parsed), parsed
    return [p for p in parsed if isinstance(p, JournalLine)]


def run(service: Licensing, scenario: dict[str, Any]) -> list[str]:
    journal, refused = scenario["journal"], set(scenario.get("refused", []))
    problems: list[str] = []
    done = 0
    checks = sorted(scenario["checks"], key=lambda c: c["on"])
    for check in checks:
        batch = []
        while done < len(journal) and journal[done]["at"] <= check["on"]:
            batch.append(journal[done])
            done += 1
        report = service.import_lines(load(batch))
        assert {r.command_id for r in report.refusals} == {x["id"] for x in batch} & refused
        service.tick(date.fromisoformat(check["on"]))
        problems += matches(check["expect"], service.view(check["neph"]))
    service.import_lines(load(journal[done:]))
    for check in checks:
        on = date.fromisoformat(check["on"])
        problems += matches(check["expect"], service.view(check["neph"], on, on))
    for check in scenario.get("as_of_checks", []):
        problems += matches(
            check["expect"], service.view(check["neph"], date.fromisoformat(check["on"]))
        )
    before = {c["neph"]: service.view(c["neph"]) for c in checks}
    again = service.import_lines(load(journal))
    assert again.applied == 0
    assert {c["neph"]: service.view(c["neph"]) for c in checks} == before
    return problems


@pytest.mark.parametrize("path", params(FILES))
def test_public_scenario(make_service: ServiceFactory, path: Path) -> None:
    """Each scenario names the rules it checks (its `rules` field): R-1 to R-7, R-9."""
    scenario = json.loads(path.read_text(encoding="utf-8"))
    assert run(make_service(), scenario) == []


@pytest.mark.parametrize("path", params(FILES[:4]))
def test_public_scenario_in_small_batches(make_service: ServiceFactory, path: Path) -> None:
    """Batches of 2 licences per transaction reach the same views (design hint 4)."""
    scenario = json.loads(path.read_text(encoding="utf-8"))
    assert run(make_service(batch_size=1), scenario) == []


@pytest.mark.parametrize("path", params(OURS))
def test_rule_book_scenario(make_service: ServiceFactory, path: Path) -> None:
    """Each scenario names the rules it checks (its `rules` field), from R-0 to R-10."""
    scenario = json.loads(path.read_text(encoding="utf-8"))
    assert scenario["rules"]
    assert run(make_service(), scenario) == []
