"""The `permis` command (CONTRACT §3): exit 0 success, 1 refused by the rules, 2 bad input.

Batch scripts run `permis` hundreds of times, so start-up stays light: this module and the
command groups it registers import only Typer and Rich; each command imports the store, the
read models (SQLAlchemy) or the web app when it runs, and only the ones it uses.
"""

from __future__ import annotations

import getpass
import inspect
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from services.cli_projections import AuditFormat, after_write, audit_trail, write_audit
from services.formats import NotADate, is_neph, iso_date

if TYPE_CHECKING:
    from services.licensing import Licensing

app = typer.Typer(
    help="Back-office of the French points-based driving licence (permis à points).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
licence_app = typer.Typer(help="Licences.", no_args_is_help=True)
app.add_typer(licence_app, name="licence")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


T = TypeVar("T")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return iso_date(value)
    except NotADate:
        err.print(f"{option}: {value!r} is not a date YYYY-MM-DD")
        raise typer.Exit(2) from None


def _neph(value: str, command: str) -> str:
    """A NEPH is exactly 12 digits (CONTRACT §1): anything else is bad usage, exit 2."""
    if not is_neph(value):
        err.print(f"{command}: {value!r} is not a NEPH (12 digits)", markup=False)
        raise typer.Exit(2)
    return value


def _configured(wire: Callable[[], T]) -> T:
    """`wire()` builds something from the PERMIS_* settings; a bad one (a ValueError: an unknown
    store URL, a policy that is not a number, a missing secret key) is bad usage, exit 2
    (CONTRACT §3), the same for every command."""
    from infrastructure.store import NoStore

    try:
        return wire()
    except NoStore as error:
        err.print(str(error), markup=False)
        raise typer.Exit(2) from None
    except ValueError as error:
        err.print(f"configuration: {error}", markup=False)
        raise typer.Exit(2) from None


def _service(create: bool = False) -> Licensing:
    """The application service; a command that only reads (`create` false) on a store that
    does not exist stops with exit 2 rather than create an empty one (issue 19)."""
    from services.bootstrap import build

    return _configured(lambda: build(existing=not create))


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("permis")
        except PackageNotFoundError:  # run from a checkout that was not installed
            installed = "unknown (not installed)"
        out.print(f"permis {installed}", markup=False)
        raise typer.Exit(0)


@app.callback()
def _main(
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version of permis and stop.",
            callback=_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    from domain.events import acting_user
    from infrastructure.logging import configure_logging

    configure_logging()
    # Every write records who made it (issue 6, R-9.1): the operator running the command.
    acting_user.set(os.environ.get("PERMIS_ACTOR") or _login())


def _login() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="A JSON Lines journal, or - for standard input.")],
) -> None:
    """Validate every line of a journal, then apply them in order.

    Exit 0 when every line applied; 1 when the rules refused some (each is printed with its line
    number, the others still apply); 2 when a line is malformed (nothing is applied).
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="permis-import-") as folder:
        _import_journal(file, folder)


def _import_journal(file: str, folder: str) -> None:
    """The file read twice, a line at a time (`services.streaming_import`): checked whole, then
    applied; standard input is first copied under `folder`, to be read twice too."""
    from services.licensing import ImportStopped, UsageError
    from services.streaming_import import JournalChanged, JournalFile, import_journal, survey

    try:
        if file == "-":
            source = JournalFile.spool(sys.stdin.buffer, folder)
        else:
            path = Path(file)
            if not path.is_file():
                err.print(f"import: {file}: no such file")
                raise typer.Exit(2)
            source = JournalFile(path)
        service = _service(create=True)
        found = survey(
            service, source, lambda e: err.print(str(e), markup=False), service.import_processes
        )
        if found.malformed:
            err.print(f"{found.malformed} malformed line(s): nothing applied")
            raise typer.Exit(2)
        from services.cli_progress import progress

        saved = _saved(service, "permis_commands", "seq")
        with progress("import", "lines", saved, found.new or None, err):
            report = import_journal(service, source, found, processes=service.import_processes)
    except (OSError, JournalChanged) as error:
        err.print(f"import: {file}: cannot be read ({error})")
        raise typer.Exit(2) from None
    except UsageError as error:
        err.print(str(error), markup=False)
        err.print("nothing applied")
        raise typer.Exit(2) from None
    except ImportStopped as stopped:  # some batches saved, not all: neither 0 nor "nothing applied"
        err.print(str(stopped), markup=False)
        after_write(service)
        raise typer.Exit(1) from None
    for refusal in report.refusals:
        out.print(str(refusal), markup=False)
    out.print(f"applied: {report.applied}, skipped: {report.skipped}, refused: {report.refused}")
    after_write(service)
    raise typer.Exit(1 if report.refusals else 0)


@app.command()
def tick(
    to: Annotated[str, typer.Option("--to", help="Apply effects due up to this date.")],
) -> None:
    """Apply every time-driven effect due on or before --to, in date order; move the clock there."""
    from services.licensing import UsageError

    day = _date(to, "--to")
    assert day is not None
    service = _service(create=True)
    from services.cli_progress import progress

    table = getattr(service.store.recorder, "events_table_name", "stored_events")
    events = _saved(service, table, "rowid")
    try:
        with progress(f"tick to {day}", "events", events, console=err):
            effects = service.tick(day)
    except UsageError as error:
        err.print(str(error), markup=False)
        raise typer.Exit(2) from None
    out.print(f"clock at {day}: {effects} time-driven event(s) recorded")
    after_write(service)


def _saved(service: Licensing, table: str, column: str) -> Callable[[], int]:
    """How far a command got, read for its progress bar (`services.cli_progress`)."""
    from infrastructure.store import saved_so_far

    url = service.store.url
    if column == "rowid" and not url.startswith("sqlite"):
        column = "notification_id"  # the events' position on PostgreSQL
    return lambda: saved_so_far(url, table, column)


@licence_app.command("show")
def show(
    neph: str,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Legal date (default: the clock).")
    ] = None,
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="Only what was recorded by then.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The licence view as JSON, for programs.")
    ] = False,
) -> None:
    """The licence view on a legal date, as known at a recording date."""
    from services.licensing import UnknownLicence, UsageError

    _neph(neph, "licence show")
    on, known = _date(as_of, "--as-of"), _date(known_at, "--known-at")
    try:
        view = _service().view(neph, on, known)
    except UsageError as error:
        err.print(str(error), markup=False)
        raise typer.Exit(2) from None
    except UnknownLicence as error:
        err.print(str(error))
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps(view, ensure_ascii=False) + "\n")
        return
    _summary(view)


def _summary(view: dict[str, Any]) -> None:
    out.print(f"[bold]Licence {view['neph']}[/bold] as of {view['as_of']}: {view['status']}")
    probation = f", probationary until {view['probation_ends_on']}" if view["probationary"] else ""
    out.print(f"  balance {view['balance']} / ceiling {view['ceiling']}{probation}")
    for letter in view["letters"]:
        on = letter["delivered_on"]
        delivered = f"delivered {on}" if on else "not yet delivered"
        out.print(f"  letter {letter['type']} sent {letter['sent_on']}, {delivered}")
    for obligation in view["obligations"]:
        out.print(
            f"  obligation {obligation['kind']} due {obligation['due_on']}: {obligation['status']}"
        )
    for flag in view["flags"]:
        out.print(f"  [red]flag {flag['kind']} raised {flag['raised_on']}[/red]")
    for stage in view["stages"]:
        why = f" ({stage['refusal']})" if stage["refusal"] else ""
        out.print(
            f"  stage {stage['stage_id']} ({stage['kind']}, {stage['last_day']}): +{stage['points_credited']}{why}"
        )
    if view["new_licence_possible_on"]:
        out.print(f"  new licence possible from {view['new_licence_possible_on']}")
    for suspension in view.get("suspensions", []):
        out.print(
            f"  {suspension['kind']} suspension from {suspension['first_day']} to "
            f"{suspension['last_day']}"
        )
    for infraction in view["infractions"]:
        if infraction.get("cancelled_on"):
            out.print(
                f"  infraction {infraction['infraction_id']} cancelled on "
                f"{infraction['cancelled_on']} ({infraction['cancellation_ground']})"
            )


@app.command()
def audit(
    neph: str,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    fmt: Annotated[
        AuditFormat | None, typer.Option("--format", help="json or csv, for auditors.")
    ] = None,
) -> None:
    """Every event of the licence with its legal date, recording date, rule and reason."""
    from services.licensing import UnknownLicence

    _neph(neph, "audit")
    try:
        trail = audit_trail(_service(), neph)
    except UnknownLicence as error:
        err.print(str(error))
        raise typer.Exit(1) from None
    if as_json or fmt is not None:
        write_audit(trail, fmt or AuditFormat.JSON, sys.stdout)
        return
    for item in trail:
        out.print(
            f"#{item['position']:<3} legal {item['effective_on']}  recorded {item['recorded_on']}  "
            f"{item['event']}  [{item['rule']}{' ' + item['article'] if item['article'] else ''}]",
            markup=False,
        )
        out.print(f"     {item['reason']}", markup=False)
        if item["command_id"]:
            out.print(
                f"     command {item['command_id']}"
                + (f" by {item['actor']}" if item["actor"] else ""),
                markup=False,
            )


def _register_extensions() -> None:
    """Command groups of their own modules (reports, worker, projections, web, anchor, holders):
    one line each."""
    from services import (
        cli_anchor,
        cli_db,
        cli_holders,
        cli_letters,
        cli_projections,
        cli_reports,
        cli_web,
        cli_worker,
    )

    cli_reports.register(app)
    cli_worker.register(app)
    cli_web.register(app)
    cli_projections.register(app)
    cli_anchor.register(app)
    cli_holders.register(app)
    cli_db.register(app)
    cli_letters.register(app)


_register_extensions()


# What a parameter is called in the help when its name does not say it (Typer would print the
# Python type: `<str>`, `<bool>`, `{neph}`).
PLACEHOLDERS = {
    "neph": "NEPH",
    "file": "FILE",
    "output": "FILE",
    "check": "LINE",
    "code": "CODE",
    "host": "ADDRESS",
    "port": "PORT",
    "points": "POINTS",
    "offence": "KEY",
    "offence_class": "CLASS",
    "name": "LOGIN",
    "role": "ROLE",
}
ARGUMENT_HELP = {
    "neph": "The licence's NEPH (12 digits).",
    "code": "The verification code printed on the relevé.",
}
DATES = {"as_of", "known_at", "to", "start", "end", "committed_on", "established_on", "last_day"}


def _for_operators(command: Any) -> Any:
    """`command` (Typer's, built from `app`) with help an operator reads: each parameter named
    by what it holds (NEPH, DATE, FILE; a flag by nothing), the choices of a choice, and every
    paragraph of a text joined to wrap to the terminal. Typer prints the Python types and keeps
    the docstrings' line breaks; no option of Typer's changes that, hence this walk."""
    for text in ("help", "short_help"):
        if getattr(command, text, None):
            paragraphs = inspect.cleandoc(getattr(command, text)).split("\n\n")
            setattr(command, text, "\n\n".join(" ".join(p.split()) for p in paragraphs))
    _quiet_help_option(command)
    for param in command.params:
        if getattr(param, "is_flag", False) or param.name in ("help", "_show_version"):
            param.metavar = ""
        elif param.param_type_name == "argument":
            # NEPH, not `{neph}` and `<str>`; [NEPH] when it may be left out
            name = PLACEHOLDERS.get(str(param.name), str(param.name).upper())
            shown = name if param.required else f"[{name}]"
            param.metavar = name
            param.help = param.help or ARGUMENT_HELP.get(str(param.name))
            param._usage_display_name = lambda shown=shown: shown
            param.display_type_rich = lambda ctx: None
        elif param.metavar is None:
            descriptor = getattr(param, "type_descriptor", None)
            choices = getattr(descriptor, "choices", None) if descriptor else None
            if choices:
                param.metavar = "|".join(str(getattr(c, "value", c)) for c in choices)
            elif param.name in DATES:
                param.metavar = "DATE"
            else:
                param.metavar = PLACEHOLDERS.get(param.name, str(param.name).upper())
    for sub in getattr(command, "commands", {}).values():
        _for_operators(sub)
    return command


def _quiet_help_option(command: Any) -> None:
    """`--help` is made for each run, as a flag without a placeholder."""
    made = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = made(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option


def command() -> Any:
    """The `permis` command as it runs (Typer's, with `_for_operators`)."""
    return _for_operators(typer.main.get_command(app))


def main() -> None:
    command()(prog_name="permis")
