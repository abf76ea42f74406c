"""Settings from the environment: the store's URL, the POLICY values, the batch sizes."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, Field

from domain.policy import Policy

POLICY_PREFIX = "PERMIS_POLICY_"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # `permis serve`'s default address


class StoreUrlError(ValueError):
    """PERMIS_DATABASE_URL is not a store this service knows."""


def store_kind(url: str) -> Literal["sqlite", "postgresql"]:
    """ "sqlite" or "postgresql": the kind of store `url` names, checked once for every user of
    it (the event store, the read models, the users' table)."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
            raise StoreUrlError(f"{url!r}: expected sqlite:///PATH")
        return "sqlite"
    if scheme in POSTGRES_SCHEMES:
        return "postgresql"
    raise StoreUrlError(f"{url!r}: PERMIS_DATABASE_URL must start with sqlite:/// or postgresql://")


def sqlite_path(url: str) -> Path:
    """The database file a `sqlite:///PATH` URL names, as the event store opens it."""
    return Path(unquote(url[len("sqlite:///") :]))


class Prefecture(BaseModel):
    """Who sends the letters (letters.md: "the issuing service"): its name, postal address and
    signatory, printed on every letter. Set per deployment (PERMIS_PREFECTURE_*, see
    ops/systemd/permis.env.example); the defaults are the demonstration's."""

    name: str = "Préfecture de démonstration — Service des permis de conduire"
    address: tuple[str, ...] = ("1 place de la République", "75003 Paris")
    signatory: str = "Claire Dumont"
    signatory_title: str = "Pour le préfet et par délégation, la cheffe du bureau des permis"

    model_config = {"frozen": True}


class Settings(BaseModel):
    """Everything configurable, read once at start-up (pydantic validates it)."""

    database_url: str = Field(default_factory=lambda: f"sqlite:///{Path('var') / 'permis.sqlite'}")
    policy: Policy = Field(default_factory=Policy)
    batch_size: int = 500
    snapshot_interval: int = 50
    # Processes a large `permis import` may use (`services.parallel_import`): the machine's CPUs.
    import_processes: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 8), ge=1)
    # Where the public verification page of issued documents is (`/verifier`), for their QR codes.
    public_url: str = DEFAULT_PUBLIC_URL
    # The operators' logins, throttled as the holders' consultation is: wrong passwords
    # per user, and per address (a prefecture's offices may share one), then a lock.
    login_max_attempts: int = Field(default=5, ge=1)
    login_max_attempts_per_address: int = Field(default=20, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    prefecture: Prefecture = Field(default_factory=Prefecture)

    model_config = {"arbitrary_types_allowed": True, "frozen": True}


def policy_from_env(environ: dict[str, str]) -> Policy:
    """Each POLICY is overridden by PERMIS_POLICY_<NAME> (e.g. PERMIS_POLICY_MANDATORY_STAGE_GRACE_DAYS)."""
    values: dict[str, Any] = {}
    for f in fields(Policy):
        raw = environ.get(POLICY_PREFIX + f.name.upper())
        if raw is None:
            continue
        if f.type in ("bool", bool):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "y", "n"):
                raise ValueError(f"{POLICY_PREFIX}{f.name.upper()}: {raw!r} is not a boolean")
            values[f.name] = raw.lower() in ("1", "true", "yes", "y")
        else:
            try:
                values[f.name] = int(raw)
            except ValueError:
                raise ValueError(
                    f"{POLICY_PREFIX}{f.name.upper()}: {raw!r} is not a whole number"
                ) from None
    return Policy(**values)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """The settings of this process, from PERMIS_* variables."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {"policy": policy_from_env(env)}
    if env.get("PERMIS_DATABASE_URL"):
        values["database_url"] = env["PERMIS_DATABASE_URL"]
    if env.get("PERMIS_BATCH_SIZE"):
        values["batch_size"] = int(env["PERMIS_BATCH_SIZE"])
    if env.get("PERMIS_SNAPSHOT_INTERVAL"):
        values["snapshot_interval"] = int(env["PERMIS_SNAPSHOT_INTERVAL"])
    if env.get("PERMIS_IMPORT_PROCESSES"):
        values["import_processes"] = int(env["PERMIS_IMPORT_PROCESSES"])
    if env.get("PERMIS_PUBLIC_URL"):
        values["public_url"] = env["PERMIS_PUBLIC_URL"]
    prefecture: dict[str, Any] = {
        name: env[f"PERMIS_PREFECTURE_{name.upper()}"]
        for name in ("name", "address", "signatory", "signatory_title")
        if env.get(f"PERMIS_PREFECTURE_{name.upper()}")
    }
    if "address" in prefecture:  # lines separated by "|"
        prefecture["address"] = tuple(x.strip() for x in prefecture["address"].split("|"))
    if prefecture:
        values["prefecture"] = Prefecture(**prefecture)
    for name in ("login_max_attempts", "login_max_attempts_per_address", "login_lock_minutes"):
        if env.get(f"PERMIS_{name.upper()}"):
            values[name] = int(env[f"PERMIS_{name.upper()}"])
    return Settings(**values)
