"""Find, or start, a PostgreSQL server for the tests.

`postgres_url()` returns the URL of a server the tests may use:

1. `PERMIS_TEST_POSTGRES_URL` (default `postgresql://postgres@127.0.0.1:5432/postgres`) when a
   connection to it succeeds;
2. else a throwaway cluster under `<repo>/var/pg-test`, started with the PostgreSQL server
   binaries found on this machine (and stopped when the interpreter exits), or reused when one is
   already running there;
3. else None, so that callers skip, except when `CI=true`, where a RuntimeError is raised.

`fresh_database(base_url, name)` (re)creates an empty database and returns its URL.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ENV_VAR = "PERMIS_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT = 3

REPO_ROOT = Path(__file__).resolve().parent.parent
CLUSTER_DIR = REPO_ROOT / "var" / "pg-test"
DATA_DIR = CLUSTER_DIR / "data"
SOCKET_DIR = CLUSTER_DIR / "socket"
LOG_FILE = CLUSTER_DIR / "server.log"

_OS_USER = "postgres"  # the OS user that owns the cluster when the tests run as root
_SUPERUSER = "postgres"  # the database superuser of the throwaway cluster
_START_ATTEMPTS = 3  # the free port may be taken between picking it and binding it


def _can_connect(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def _throwaway_url(port: int) -> str:
    return f"postgresql://{_SUPERUSER}@127.0.0.1:{port}/postgres"


def _find_binaries() -> tuple[Path, Path] | None:
    """`(initdb, pg_ctl)` from PATH, else from the newest /usr/lib/postgresql/*/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve(), Path(pg_ctl).resolve()

    def major(bin_dir: str) -> int:
        found = re.search(r"/postgresql/(\d+)", bin_dir)
        return int(found.group(1)) if found else -1

    for bin_dir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major, reverse=True):
        initdb_path, pg_ctl_path = Path(bin_dir, "initdb"), Path(bin_dir, "pg_ctl")
        if os.access(initdb_path, os.X_OK) and os.access(pg_ctl_path, os.X_OK):
            return initdb_path, pg_ctl_path
    return None


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a server binary, as the `postgres` OS user when we are root (initdb refuses root)."""
    if _as_root():
        if shutil.which("runuser"):
            command = ["runuser", "-u", _OS_USER, "--", *command]
        else:
            command = ["su", _OS_USER, "-s", "/bin/sh", "-c", shlex.join(command)]
    # cwd: the server user may not be allowed into the caller's working directory.
    return subprocess.run(
        command, cwd=CLUSTER_DIR, capture_output=True, text=True, check=False, timeout=120
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _running_cluster_port() -> int | None:
    """Port of the cluster whose postmaster.pid in DATA_DIR names a live process, if any."""
    try:
        lines = (DATA_DIR / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, IndexError, ValueError):
        return None
    return port if _pid_alive(pid) else None


def _major_version(binary: Path) -> str | None:
    output = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"\)\s*(\d+)", output)
    return found.group(1) if found else None


def _prepare_folder(initdb: Path) -> None:
    """Create CLUSTER_DIR (owned by the server user) and drop a half-made or foreign data dir."""
    CLUSTER_DIR.mkdir(parents=True, exist_ok=True)
    if DATA_DIR.exists():
        version_file = DATA_DIR / "PG_VERSION"
        version = version_file.read_text().strip() if version_file.exists() else None
        if version is None or version != _major_version(initdb):
            shutil.rmtree(DATA_DIR)
    SOCKET_DIR.mkdir(exist_ok=True)
    if _as_root():
        account = pwd.getpwnam(_OS_USER)
        for folder, _dirs, files in os.walk(CLUSTER_DIR):
            os.chown(folder, account.pw_uid, account.pw_gid)
            for name in files:
                os.chown(os.path.join(folder, name), account.pw_uid, account.pw_gid)


def _stop_cluster(pg_ctl: Path) -> None:
    _run([str(pg_ctl), "-D", str(DATA_DIR), "-m", "fast", "-w", "stop"])


def _start_cluster() -> str | None:
    """Start (or reuse) the throwaway cluster; None when there are no server binaries."""
    binaries = _find_binaries()
    if binaries is None:
        return None
    initdb, pg_ctl = binaries
    if _as_root():
        try:
            pwd.getpwnam(_OS_USER)
        except KeyError:
            warnings.warn(f"running as root and there is no {_OS_USER!r} OS user", stacklevel=3)
            return None

    port = _running_cluster_port()
    if port is not None and _can_connect(_throwaway_url(port)):
        return _throwaway_url(port)  # someone else's: they stop it

    _prepare_folder(initdb)
    if not (DATA_DIR / "PG_VERSION").exists():
        done = _run(
            [
                str(initdb),
                "-D",
                str(DATA_DIR),
                "--auth=trust",
                f"--username={_SUPERUSER}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        if done.returncode != 0:
            warnings.warn(f"initdb failed:\n{done.stdout}{done.stderr}", stacklevel=3)
            return None

    failure = ""
    for _attempt in range(_START_ATTEMPTS):
        port = _free_port()
        options = [
            f"-p {port}",
            f"-k {shlex.quote(str(SOCKET_DIR))}",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ]
        command = [str(pg_ctl), "-D", str(DATA_DIR), "-l", str(LOG_FILE), "-w", "-t", "60"]
        done = _run([*command, "-o", " ".join(options), "start"])
        if done.returncode == 0:
            atexit.register(_stop_cluster, pg_ctl)
            url = _throwaway_url(port)
            if _can_connect(url):
                return url
            failure = f"started on port {port} but refused connections"
            break
        failure = f"{done.stdout}{done.stderr}"
        with contextlib.suppress(OSError):
            failure += LOG_FILE.read_text()[-2000:]
    warnings.warn(f"could not start the throwaway PostgreSQL cluster:\n{failure}", stacklevel=3)
    return None


@functools.cache
def postgres_url() -> str | None:
    """URL of a PostgreSQL server for the tests, or None (RuntimeError when CI=true).

    Cached for the life of the process.
    """
    url = os.environ.get(ENV_VAR) or DEFAULT_URL
    if _can_connect(url):
        return url
    started = _start_cluster()
    if started is not None:
        return started
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(
            f"CI=true but no PostgreSQL server is usable: could not connect to {url!r} "
            f"(set {ENV_VAR}) and could not start a throwaway cluster under {CLUSTER_DIR} "
            "(no working initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin)"
        )
    return None


def _database_url(base_url: str, name: str) -> str:
    """`base_url` pointing at database `name` (a key=value conninfo stays a conninfo)."""
    parts = urlsplit(base_url)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(path="/" + quote(name, safe="")))
    return make_conninfo(base_url, dbname=name)


def fresh_database(base_url: str, name: str) -> str:
    """Drop (forcing out its sessions) and recreate database `name`; return its URL."""
    with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _database_url(base_url, name)
