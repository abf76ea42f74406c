"""`make audit` (ops/audit.py, issue 19 item 1): a known vulnerability in the lock fails it; an
advisory database out of reach is said aloud (NOT AUDITED), and fails it only when asked to
(PERMIS_AUDIT_REQUIRED=true) — never a silent pass."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PINS = ["alembic==1.20.1", "starlette==0.50.0"]


def audit_module(monkeypatch: pytest.MonkeyPatch, report: list[dict[str, Any]]) -> ModuleType:
    path = Path(__file__).parent.parent / "ops" / "audit.py"
    spec = importlib.util.spec_from_file_location("ops_audit", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def export_lock(uv: str, target: Path) -> list[str]:
        target.write_text("\n".join(PINS) + "\n", encoding="utf-8")
        return PINS

    monkeypatch.setattr(module, "export_lock", export_lock)
    monkeypatch.setattr(module, "pip_audit", lambda requirements, timeout: report)
    monkeypatch.delenv("PERMIS_AUDIT_REQUIRED", raising=False)
    return module


UNREACHABLE: list[dict[str, Any]] = [
    {"name": "alembic", "version": "1.20.1", "skip_reason": "could not be audited"}
]
VULNERABLE: list[dict[str, Any]] = [
    {"name": "alembic", "version": "1.20.1", "vulns": []},
    {
        "name": "starlette",
        "version": "0.50.0",
        "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["0.50.1"]}],
    },
]


def test_issue_19_an_unreachable_database_is_said_not_passed_silently(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = audit_module(monkeypatch, UNREACHABLE)
    monkeypatch.setenv("CI", "true")
    assert module.main() == 0
    err = capsys.readouterr().err
    assert "NOT AUDITED" in err and "2 packages of uv.lock were not checked" in err
    assert "CI=true" in err
    monkeypatch.setenv("PERMIS_AUDIT_REQUIRED", "true")
    assert module.main() == 1


def test_issue_19_a_known_vulnerability_fails_the_audit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = audit_module(monkeypatch, VULNERABLE)
    assert module.main() == 1
    captured = capsys.readouterr()
    assert "vulnerable: starlette 0.50.0: GHSA-xxxx (fixed in 0.50.1)" in captured.err
    assert "2 locked package(s) checked, 1 with a known vulnerability" in captured.out


def test_issue_19_an_accepted_advisory_needs_its_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = audit_module(monkeypatch, VULNERABLE)
    accepted = tmp_path / "audit-ignore.txt"
    monkeypatch.setattr(module, "IGNORE_FILE", accepted)
    accepted.write_text("GHSA-xxxx  not reachable: we serve no multipart upload\n", "utf-8")
    assert module.main() == 0
    accepted.write_text("GHSA-xxxx\n", "utf-8")
    with pytest.raises(SystemExit, match="needs a reason"):
        module.main()
