"""The consultation code follows the store, not the working directory (R-8.1, R-3.4, CONTRACT §6
`permis licence code`, README: PERMIS_SECRET_KEY)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from infrastructure.settings import Settings
from infrastructure.users import SecretKeyError, load_secret_key
from services.web.app import context_from

PERMIS = str(Path(sys.executable).parent / "permis")
NEPH = "100000000001"
ISSUE = (
    '{"id":"c1","at":"2024-01-02","type":"licence.issue","neph":"100000000001",'
    '"issued_on":"2009-05-04","route":"traditional","probationary":false}\n'
)
KEY_VARIABLES = ("PERMIS_SECRET_KEY", "PERMIS_SECRET_KEY_FILE")


def permis(
    url: str, *args: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`permis` run from `cwd`, with no secret key in its environment."""
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env.update(PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING")
    return subprocess.run(
        [PERMIS, *args], input=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_r_8_1_the_same_code_from_any_directory_and_the_web_accepts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-8.1, CONTRACT §6: without PERMIS_SECRET_KEY, `permis licence code` prints the same code
    from two working directories on one SQLite store, and `permis serve` started from a third
    accepts it: the key is `secret.key` beside the database file, not under ./var."""
    store = tmp_path / "store"
    store.mkdir()
    url = f"sqlite:///{store / 'permis.sqlite'}"
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    assert permis(url, "import", "-", cwd=first, stdin=ISSUE).returncode == 0
    codes = [permis(url, "licence", "code", NEPH, cwd=folder) for folder in (first, second)]
    assert [c.returncode for c in codes] == [0, 0], [c.stderr for c in codes]
    assert codes[0].stdout == codes[1].stdout
    assert (store / "secret.key").is_file()
    assert not (first / "var").exists() and not (second / "var").exists()
    for variable in KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(third)
    web = context_from(Settings(database_url=url))  # what `permis serve` builds
    try:
        assert web.codes.matches(NEPH, codes[0].stdout.strip())
    finally:
        web.service.store.close()
        web.engine.dispose()


@pytest.mark.parametrize(
    "args", [("licence", "code", NEPH), ("serve", "--port", "1")], ids=["licence code", "serve"]
)
def test_a_postgresql_store_needs_a_secret_key(args: tuple[str, ...], tmp_path: Path) -> None:
    """CONTRACT §3 (exit 2: bad usage), README: on PostgreSQL no file can follow the store, so a
    missing PERMIS_SECRET_KEY / PERMIS_SECRET_KEY_FILE is a configuration error, said before the
    database is even reached."""
    result = permis("postgresql://nobody@127.0.0.1:1/permis", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "configuration: PERMIS_SECRET_KEY or PERMIS_SECRET_KEY_FILE must be set" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()


def test_the_key_comes_from_the_variable_or_the_file_it_names(tmp_path: Path) -> None:
    """README: PERMIS_SECRET_KEY, else PERMIS_SECRET_KEY_FILE, whatever the store; a file that
    cannot be read or is empty is a configuration error, never replaced by a new key."""
    postgres = "postgresql://permis@db/permis"
    key_file = tmp_path / "secret.key"
    key_file.write_text("from-the-file\n")
    assert load_secret_key(postgres, {"PERMIS_SECRET_KEY_FILE": str(key_file)}) == b"from-the-file"
    both = {"PERMIS_SECRET_KEY": "from-the-variable", "PERMIS_SECRET_KEY_FILE": str(key_file)}
    assert load_secret_key(postgres, both) == b"from-the-variable"
    with pytest.raises(SecretKeyError, match="cannot be read"):
        load_secret_key(postgres, {"PERMIS_SECRET_KEY_FILE": str(tmp_path / "missing")})
    key_file.write_text("\n")
    with pytest.raises(SecretKeyError, match="is empty"):
        load_secret_key(
            f"sqlite:///{tmp_path / 'permis.sqlite'}", {"PERMIS_SECRET_KEY_FILE": str(key_file)}
        )
    assert not (tmp_path / "missing").exists()


def test_r_8_1_first_runs_at_once_share_one_key_written_whole(tmp_path: Path) -> None:
    """Processes starting together on a new SQLite store all read the one key that was kept,
    never an empty file; no draft is left beside it."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_secret_key(url, {}), range(32)))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.key"]
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_the_key_lies_beside_the_file_the_store_opens(tmp_path: Path) -> None:
    """A percent-encoded path names the same directory for the store and for its key."""
    url = f"sqlite:///{tmp_path}/my%20dir/store.sqlite"
    load_secret_key(url, {})
    assert (tmp_path / "my dir" / "secret.key").is_file()


def test_an_empty_key_file_beside_the_store_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("")
    with pytest.raises(SecretKeyError, match="is empty: remove it or set PERMIS_SECRET_KEY"):
        load_secret_key(f"sqlite:///{tmp_path / 'store.sqlite'}", {})
