"""Settings read by pydantic-settings (issue 19 item 4): every PERMIS_* name kept, `*_FILE`
values, booleans checked, and one error naming every bad variable at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from domain.policy import Policy
from infrastructure.settings import SettingsError, load_settings

PERMIS = str(Path(sys.executable).parent / "permis")


def test_issue_19_every_existing_setting_name_is_read() -> None:
    """The variables of README and ops/RUNBOOK.md, each changing its setting."""
    settings = load_settings(
        {
            "PERMIS_DATABASE_URL": "postgresql://permis@db/permis",
            "PERMIS_BATCH_SIZE": "7",
            "PERMIS_SNAPSHOT_INTERVAL": "9",
            "PERMIS_IMPORT_PROCESSES": "3",
            "PERMIS_PUBLIC_URL": "https://permis.example",
            "PERMIS_LOGIN_MAX_ATTEMPTS": "4",
            "PERMIS_LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "40",
            "PERMIS_LOGIN_LOCK_MINUTES": "30",
            "PERMIS_POLICY_MANDATORY_STAGE_GRACE_DAYS": "30",
            "PERMIS_POLICY_JOURS_FRANCS_EXTRA_DAY": "false",
        }
    )
    assert settings.database_url == "postgresql://permis@db/permis"
    assert (settings.batch_size, settings.snapshot_interval, settings.import_processes) == (7, 9, 3)
    assert settings.public_url == "https://permis.example"
    assert settings.login_max_attempts == 4
    assert settings.login_max_attempts_per_address == 40
    assert settings.login_lock_minutes == 30
    assert settings.policy.mandatory_stage_grace_days == 30
    assert settings.policy.jours_francs_extra_day is False


def test_issue_19_every_policy_has_its_variable() -> None:
    """R-0.4 … R-8.3: each POLICY of domain/policy.py is PERMIS_POLICY_<NAME>."""
    for field in fields(Policy):
        default = getattr(Policy(), field.name)
        flipped = not default if isinstance(default, bool) else default + 1
        variable = f"PERMIS_POLICY_{field.name.upper()}"
        policy = load_settings({variable: str(flipped).lower()}).policy
        assert getattr(policy, field.name) == flipped, variable


def test_issue_19_a_file_variable_holds_the_value(tmp_path: Path) -> None:
    """PERMIS_<NAME>_FILE: the value from a file (a URL with a password kept out of the
    environment); PERMIS_<NAME> itself wins over it."""
    secret = tmp_path / "url"
    secret.write_text("postgresql://permis:s3cret@db/permis\n", encoding="utf-8")
    assert (
        load_settings({"PERMIS_DATABASE_URL_FILE": str(secret)}).database_url
        == "postgresql://permis:s3cret@db/permis"
    )
    both = {"PERMIS_DATABASE_URL_FILE": str(secret), "PERMIS_DATABASE_URL": "sqlite:///x.db"}
    assert load_settings(both).database_url == "sqlite:///x.db"


@pytest.mark.parametrize("value", ["1", "0", "true", "False", "yes", "no", "on", "off"])
def test_issue_19_booleans_read_as_people_write_them(value: str) -> None:
    expected = value.lower() in ("1", "true", "yes", "on")
    variable = "PERMIS_POLICY_PROBATION_GAIN_CLAW_BACK"
    assert load_settings({variable: value}).policy.probation_gain_claw_back is expected


def test_issue_19_one_error_names_every_bad_setting(tmp_path: Path) -> None:
    """Not the first only: the operator fixes them all in one go."""
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {
                "PERMIS_BATCH_SIZE": "many",
                "PERMIS_POLICY_JOURS_FRANCS_EXTRA_DAY": "maybe",
                "PERMIS_LOGIN_LOCK_MINUTES": "0",
                "PERMIS_LOG_LEVEL": "loud",
                "PERMIS_SECRET_KEY_FILE": str(tmp_path / "missing"),
            }
        )
    message = str(raised.value)
    assert message.startswith("5 settings are wrong:")
    assert "PERMIS_BATCH_SIZE: 'many' is not a whole number" in message
    assert "PERMIS_POLICY_JOURS_FRANCS_EXTRA_DAY: 'maybe' is not a boolean" in message
    assert "PERMIS_LOGIN_LOCK_MINUTES: '0' must be at least 1" in message
    assert "PERMIS_LOG_LEVEL: 'loud' must be one of" in message
    assert f"PERMIS_SECRET_KEY_FILE: {tmp_path / 'missing'}: cannot be read" in message


def test_issue_19_the_command_stops_with_every_bad_setting(sqlite_url: str) -> None:
    """Exit 2 before anything is opened, each bad variable on its own line, no traceback."""
    env = {
        **os.environ,
        "PERMIS_DATABASE_URL": sqlite_url,
        "PERMIS_BATCH_SIZE": "-3",
        "PERMIS_POLICY_LETTER_48M_FOR_LOW_BALANCE": "perhaps",
    }
    done = subprocess.run(
        [PERMIS, "tick", "--to", "2024-01-02"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "configuration: 2 settings are wrong:" in done.stderr
    assert "PERMIS_BATCH_SIZE: '-3' must be at least 1" in done.stderr
    assert "PERMIS_POLICY_LETTER_48M_FOR_LOW_BALANCE: 'perhaps' is not a boolean" in done.stderr
    assert "Traceback" not in done.stderr
    assert not Path(sqlite_url[len("sqlite:///") :]).exists()
