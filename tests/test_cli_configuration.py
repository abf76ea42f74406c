"""Every `permis` command reports a bad configuration the same way: `configuration: …`, exit 2, no
traceback (CONTRACT §3: 2 is bad usage; ops/RUNBOOK.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PERMIS = str(Path(sys.executable).parent / "permis")
NEPH = "100000000001"
LINE = (
    '{"id":"c1","at":"2024-01-02","type":"licence.issue","neph":"100000000001",'
    '"issued_on":"2009-05-04","route":"traditional","probationary":false}\n'
)

COMMANDS = {
    "import": ("import", "-"),
    "tick": ("tick", "--to", "2024-01-02"),
    "licence show": ("licence", "show", NEPH),
    "licence code": ("licence", "code", NEPH),
    "audit": ("audit", NEPH),
    "report compliance": ("report", "compliance", "--as-of", "2024-01-02"),
    "worker": ("worker", "--once", "--today", "2024-01-02"),
    "projections rebuild": ("projections", "rebuild"),
    "verify": ("verify", "--chain"),
    "export": ("export", "--from", "2024-01-01", "--to", "2024-12-31"),
    "users add": ("users", "add", "bob", "--role", "operator"),
    "serve": ("serve", "--port", "1"),  # never reached: the configuration is refused first
}
BAD = {
    "unknown store": (
        {"PERMIS_DATABASE_URL": "mysql://x/y"},
        "configuration: 'mysql://x/y': PERMIS_DATABASE_URL must start with",
    ),
    "policy not a number": (
        {"PERMIS_POLICY_CONSULTATION_LOCK_MINUTES": "-x"},
        "configuration: PERMIS_POLICY_CONSULTATION_LOCK_MINUTES: '-x' is not a whole number",
    ),
}


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_bad_setting_is_a_configuration_error_for_every_command(
    args: tuple[str, ...], bad: tuple[dict[str, str], str], sqlite_url: str
) -> None:
    """CONTRACT §3 (exit 2: bad usage), ops/RUNBOOK.md: every command, whatever it opens (the event
    store, the read models, the users' table, the web app), says what is wrong with the setting."""
    settings, message = bad
    env = {
        **os.environ,
        "PERMIS_DATABASE_URL": sqlite_url,
        "PERMIS_LOG_LEVEL": "WARNING",
        "PERMIS_SECRET_KEY": "configuration-tests",
        **settings,
    }
    stdin = LINE if args[0] == "import" else "a-long-password\n"
    result = subprocess.run(
        [PERMIS, *args], input=stdin, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
