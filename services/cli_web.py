"""`permis serve`, `permis users add`, `permis licence code` (CONTRACT §6)."""

from __future__ import annotations

import getpass
import sys
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


def _store() -> UserStore:
    from infrastructure.settings import load_settings
    from infrastructure.users import UserStore
    from projections.database import engine_for
    from services.cli import _configured

    return _configured(lambda: UserStore(engine_for(load_settings().database_url)))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The login.")],
    role: Annotated[str, typer.Option("--role", help="operator or auditor")],
) -> None:
    """Create a back-office user; the password is read from standard input (first line)."""
    import structlog

    from infrastructure.users import UserError

    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = _store().add(name, role, password)
    except UserError as error:
        _err(f"users add: {error}")
        raise typer.Exit(1 if "already exists" in str(error) else 2) from None
    structlog.get_logger("permis").info("users.added", user=user.name, role=str(user.role))
    typer.echo(f"user {user.name} ({user.role}) created")


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
    # Who asked, as the web's `consultation.code_printed` says: PERMIS_ACTOR or the login.
    structlog.get_logger("permis").warning(
        "consultation.code_shown", neph=neph, via="cli", user=acting_user.get()
    )
    typer.echo(codes.code(neph))


def _service_and_codes() -> tuple[Licensing, ConsultationCodes]:
    """The store and its consultation codes; the key first, so that a missing one is reported
    before the store is opened."""
    from infrastructure.settings import load_settings
    from infrastructure.users import ConsultationCodes, load_secret_key
    from services.bootstrap import build

    settings = load_settings()
    codes = ConsultationCodes(load_secret_key(settings.database_url))
    return build(settings), codes


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """The web back-office and the HTTP API (its OpenAPI document at /openapi.json)."""
    import uvicorn

    from services.cli import _configured
    from services.web.app import context_from, create_app

    app = create_app(_configured(context_from))
    typer.echo(
        f"permis: back-office on http://{host}:{port}/ (API: http://{host}:{port}/openapi.json)"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Attach the web commands to the `permis` application."""
    from services.cli import licence_app

    app.add_typer(users_app, name="users")
    app.command("serve")(serve)
    licence_app.command("code")(licence_code)
