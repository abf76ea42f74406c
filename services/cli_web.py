"""`permis serve`, `permis users add`, `permis licence code` (CONTRACT §6)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from infrastructure.users import ConsultationCodes, UserStore
    from services.licensing import Licensing

# `permis` imports this module on every run: the users' table (SQLAlchemy, Argon2), the store and
# the web app (FastAPI, Uvicorn) are imported by the commands that use them.

users_app = typer.Typer(help="Back-office users.", no_args_is_help=True)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _store(existing: bool = True) -> UserStore:
    """The users' table; on a store that does not exist, only `users add` creates it."""
    from infrastructure.settings import load_settings
    from infrastructure.store import check_exists
    from infrastructure.users import UserStore
    from projections.database import engine_for
    from services.cli import _configured

    def open_store() -> UserStore:
        url = load_settings().database_url
        if existing:
            check_exists(url)
        return UserStore(engine_for(url))

    return _configured(open_store)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The login.")],
    role: Annotated[str, typer.Option("--role", help="operator, auditor or admin")],
) -> None:
    """Create a back-office user; the password is read from standard input (first line)."""
    import structlog

    from infrastructure.users import UserError

    password = _password()
    try:
        user = _store(existing=False).add(name, role, password, by=_actor())
    except UserError as error:
        _err(f"users add: {error}")
        raise typer.Exit(1 if "already exists" in str(error) else 2) from None
    structlog.get_logger("permis").info("users.added", user=user.name, role=str(user.role))
    typer.echo(f"user {user.name} ({user.role}) created")


def _password() -> str:
    """A password from the terminal, or the first line of standard input."""
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _actor() -> str:
    """Who runs the command, for the users' history: PERMIS_ACTOR or the login, via the CLI."""
    from domain.events import acting_user

    return f"{acting_user.get() or 'cli'} (cli)"[:64]


def _change(name: str, change: Callable[[UserStore], None], done: str) -> None:
    """A change of a user, then every session of that user ended (`permis users …`)."""
    from infrastructure.sessions import Sessions
    from infrastructure.users import UserError, utcnow

    store = _store()
    try:
        change(store)
    except UserError as error:
        _err(f"users: {error}")
        raise typer.Exit(1 if "does not exist" in str(error) else 2) from None
    if done != "enabled":
        Sessions(store.engine, timedelta(hours=8)).revoke_all(name, utcnow())
    typer.echo(f"user {name} {done}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="The login.")]) -> None:
    """Disable a user: no login, and every open session ends."""
    _change(name, lambda s: s.set_disabled(name, True, _actor()), "disabled")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="The login.")]) -> None:
    """Enable a disabled user again."""
    _change(name, lambda s: s.set_disabled(name, False, _actor()), "enabled")


@users_app.command("reset-password")
def users_reset_password(name: Annotated[str, typer.Argument(help="The login.")]) -> None:
    """Give a user a new password (standard input, first line); their sessions end."""
    password = _password()
    _change(name, lambda s: s.reset_password(name, password, _actor()), "password reset")


@users_app.command("list")
def users_list() -> None:
    """Every user: name, role, active or disabled, created (UTC)."""
    for account in _store().accounts():
        state = "disabled" if account.disabled else "active"
        created = account.created_at.isoformat(sep=" ", timespec="minutes")
        typer.echo(f"{account.name:24} {account.role!s:9} {state:9} {created}")


def licence_code(
    neph: Annotated[str, typer.Argument(help="The licence's NEPH (12 digits).")],
) -> None:
    """Print the holder's confidential consultation code (an operator action, logged; R-8.1)."""
    from services.cli import _configured, _neph

    _neph(neph, "licence code")
    import structlog

    from domain.events import acting_user
    from services.licensing import UnknownLicence

    service, codes = _configured(_service_and_codes)
    try:
        service.licence(neph)
    except UnknownLicence as error:
        _err(str(error))
        raise typer.Exit(1) from None
    # Who asked, as the web's `consultation.code_printed` says: PERMIS_ACTOR or the login; and in
    # the licence's audit trail, as every view of a code (infrastructure.desk).
    from infrastructure.desk import Desk
    from infrastructure.settings import load_settings
    from infrastructure.users import utcnow
    from projections.database import engine_for

    actor = acting_user.get() or "cli"
    desk = Desk(engine_for(load_settings().database_url))
    desk.code_shown(neph, "permis licence code", actor, utcnow(), via="cli")
    structlog.get_logger("permis").warning(
        "consultation.code_shown", neph=neph, via="cli", user=actor
    )
    typer.echo(codes.code(neph))


def _service_and_codes() -> tuple[Licensing, ConsultationCodes]:
    """The store and its consultation codes; the key first, so that a missing one is reported
    before the store is opened."""
    from infrastructure.settings import load_settings
    from infrastructure.store import check_exists
    from infrastructure.users import ConsultationCodes, load_secret_key
    from services.bootstrap import build

    settings = load_settings()
    check_exists(settings.database_url)  # before the key, which a SQLite store keeps beside it
    codes = ConsultationCodes(load_secret_key(settings.database_url))
    return build(settings, existing=True), codes


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """The web back-office and the HTTP API (its OpenAPI document at /openapi.json)."""
    import uvicorn

    from infrastructure.logging import configure_logging
    from services.cli import _configured
    from services.web.app import context_from, create_app

    configure_logging(service=True)  # JSON lines, Uvicorn's and Alembic's too, with request ids
    app = create_app(_configured(context_from))
    typer.echo(
        f"permis: back-office on http://{host}:{port}/ (API: http://{host}:{port}/openapi.json)"
    )
    # log_config=None: Uvicorn's loggers keep the handler configure_logging gave them.
    uvicorn.run(app, host=host, port=port, log_config=None)


def register(app: typer.Typer) -> None:
    """Attach the web commands to the `permis` application."""
    from services.cli import licence_app

    app.add_typer(users_app, name="users")
    app.command("serve")(serve)
    licence_app.command("code")(licence_code)
