"""Settings from the environment: the store's URL, the POLICY values, the batch sizes, the secret
key, the logs (pydantic-settings, issue 19).

Every setting is a `PERMIS_…` variable; `PERMIS_<NAME>_FILE` names a file holding the value
instead (secrets: `PERMIS_SECRET_KEY_FILE`, or a database URL with its password). Every variable
is validated at once: a command started with bad settings stops before doing anything, with one
error naming each bad variable and why (`SettingsError`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, Field, ValidationError, create_model, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from domain.policy import Policy

PREFIX = "PERMIS_"
POLICY_PREFIX = "PERMIS_POLICY_"
FILE_SUFFIX = "_FILE"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # `permis serve`'s default address
DEFAULT_DATABASE_URL = f"sqlite:///{Path('var') / 'permis.sqlite'}"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class StoreUrlError(ValueError):
    """PERMIS_DATABASE_URL is not a store this service knows."""


class SettingsError(ValueError):
    """One or more PERMIS_* variables are wrong: `problems` names each, as `VARIABLE: why`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            listed = "".join(f"\n  {problem}" for problem in problems)
            super().__init__(f"{len(problems)} settings are wrong:{listed}")


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
    """Everything configurable, read once at start-up (`load_settings`), or built by a program
    (tests, benchmarks), which then reads no variable."""

    database_url: str = DEFAULT_DATABASE_URL
    policy: Policy = Field(default_factory=Policy)
    batch_size: int = Field(default=500, ge=1)
    snapshot_interval: int = Field(default=50, ge=1)
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


class _FileValues(PydanticBaseSettingsSource):
    """`PERMIS_<NAME>_FILE`: the value of PERMIS_<NAME> read from that file (its content without
    the trailing newline), unless PERMIS_<NAME> itself is set."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ
        self.unreadable: list[str] = []

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # every value comes from __call__

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            variable = PREFIX + name.upper()
            path = self.environ.get(variable + FILE_SUFFIX)
            if not path or self.environ.get(variable):
                continue
            try:
                values[name] = Path(path).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or str(error)
                self.unreadable.append(
                    f"{variable}{FILE_SUFFIX}: {path}: cannot be read ({reason})"
                )
        return values


class _Variables(BaseSettings):
    """The PERMIS_* variables as pydantic-settings reads and validates them (every setting name of
    the service, unchanged); the policy's fields are added below, one variable each."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", case_sensitive=False)

    database_url: str = DEFAULT_DATABASE_URL
    batch_size: int = Field(default=500, ge=1)
    snapshot_interval: int = Field(default=50, ge=1)
    import_processes: int | None = Field(default=None, ge=1)
    public_url: str = DEFAULT_PUBLIC_URL
    login_max_attempts: int = Field(default=5, ge=1)
    login_max_attempts_per_address: int = Field(default=20, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    # Read where they are used (`infrastructure.users.load_secret_key`, `infrastructure.logging`,
    # `services.cli`), and checked here with the others.
    secret_key: str | None = None
    log_level: LogLevel = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    actor: str | None = None
    # Who sends the letters (`Prefecture`); the address's lines separated by "|".
    prefecture_name: str | None = None
    prefecture_address: str | None = None
    prefecture_signatory: str | None = None
    prefecture_signatory_title: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_store(cls, url: str) -> str:
        store_kind(url)
        return url

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, level: Any) -> Any:
        return level.upper() if isinstance(level, str) else level

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only the values given (the variables, read by `load_settings`): no .env file, no
        # secrets directory, so that what a process does never depends on a file lying about.
        return (init_settings,)


# The policy's fields, one variable each (PERMIS_POLICY_<NAME>), typed as the policy's defaults.
_AllVariables = create_model(
    "_AllVariables",
    __base__=_Variables,
    **{f"policy_{f.name}": (type(f.default), f.default) for f in fields(Policy)},  # type: ignore[call-overload]
)


def _variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The PERMIS_* variables, by field name (lower case, without the prefix), files read."""
    found = {
        key[len(PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.upper().startswith(PREFIX) and value != ""
    }
    return found


def _problem(error: Any, given: Mapping[str, str]) -> str:
    """One validation error as the operator reads it: the variable, its value, what it must be."""
    name = str(error["loc"][0]) if error["loc"] else "?"
    variable = PREFIX + name.upper()
    value = given.get(name)
    kind = error["type"]
    if kind in ("int_parsing", "int_from_float", "int_type"):
        why = "is not a whole number"
    elif kind in ("bool_parsing", "bool_type"):
        why = "is not a boolean (true or false)"
    elif kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        why = "is not a date YYYY-MM-DD"
    elif kind == "greater_than_equal":
        why = f"must be at least {error['ctx']['ge']}"
    elif kind == "literal_error":
        why = f"must be one of {error['ctx']['expected']}"
    elif kind == "value_error":
        return str(error["ctx"]["error"])
    else:
        why = str(error["msg"])
    return f"{variable}: {value!r} {why}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of this process, from PERMIS_* variables (`SettingsError` naming every bad
    one)."""
    env = os.environ if environ is None else environ
    given = _variables(env)
    files = _FileValues(_AllVariables, env)
    from_files = files()
    problems = list(files.unreadable)
    try:
        values = _AllVariables(**{**from_files, **given})
    except ValidationError as error:
        problems.extend(_problem(e, {**from_files, **given}) for e in error.errors())
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    policy = Policy(
        **{f.name: getattr(values, f"policy_{f.name}") for f in fields(Policy)},
    )
    chosen: dict[str, Any] = {
        name: getattr(values, name)
        for name in Settings.model_fields
        if name not in ("policy", "import_processes", "prefecture")
    }
    if values.import_processes is not None:
        chosen["import_processes"] = values.import_processes
    prefecture: dict[str, Any] = {
        name: getattr(values, f"prefecture_{name}")
        for name in ("name", "address", "signatory", "signatory_title")
        if getattr(values, f"prefecture_{name}")
    }
    if "address" in prefecture:  # lines separated by "|"
        prefecture["address"] = tuple(x.strip() for x in prefecture["address"].split("|"))
    chosen["prefecture"] = Prefecture(**prefecture)
    return Settings(policy=policy, **chosen)


def policy_from_env(environ: Mapping[str, str]) -> Policy:
    """Each POLICY is overridden by PERMIS_POLICY_<NAME> (e.g. PERMIS_POLICY_MANDATORY_STAGE_GRACE_DAYS)."""
    return load_settings(
        {k: v for k, v in environ.items() if k.upper().startswith(POLICY_PREFIX)}
    ).policy
