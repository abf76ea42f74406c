"""`permis licence forecast|stage-advice|what-if` and `permis records issue|verify` (issue 18).

Exit codes as everywhere (CONTRACT §3): 0 done, 1 an unknown licence or a refused code, 2 bad usage.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from services.licensing import Licensing
    from services.records import Records

# `permis` imports this module on every run: the store, WeasyPrint and segno are imported by the
# commands that use them.

records_app = typer.Typer(
    help="Relevés (R-8.2): signed PDF records, and their verification.", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Kind(StrEnum):
    INTEGRAL = "integral"
    RESTRICTED = "restricted"


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


def _answer(compute: Any) -> Any:
    """`compute()`, its refusals as the contract's exit codes."""
    from services.licensing import UnknownLicence, UsageError

    try:
        return compute()
    except UsageError as error:
        err.print(str(error), markup=False)
        raise typer.Exit(2) from None
    except UnknownLicence as error:
        err.print(str(error), markup=False)
        raise typer.Exit(1) from None


def forecast(
    neph: str,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """Every effect the tick will record if nothing else happens: date, points within the
    ceiling, rule and article, and what would break it."""
    from services import holders
    from services.cli import _neph, _service

    _neph(neph, "licence forecast")
    found = _answer(lambda: holders.forecast(_service(), neph))
    if as_json:
        _json(found)
        return
    out.print(
        f"Licence {neph} on {found['as_of']}: balance {found['balance']} / "
        f"ceiling {found['ceiling']}, {found['status']}",
        markup=False,
    )
    if not found["effects"]:
        out.print("  nothing falls due (no restoration, gain or deadline pending)")
    for e in found["effects"]:
        points = "" if e["points"] is None else f" +{e['points']} → {e['balance_after']}"
        out.print(
            f"  {e['due_on']}  {e['label']}{points}  [{e['rule']} {e['article']}]", markup=False
        )
        for condition in e["breaks"]:
            out.print(f"      unless: {condition['text']}", markup=False)


def stage_advice(
    neph: str,
    last_day: Annotated[
        str | None, typer.Option("--last-day", help="The stage's last day (default: earliest).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """When a stage could be credited (R-5.4) and what it would add (R-5.3, R-5.5, R-5.6)."""
    from services import holders
    from services.cli import _date, _neph, _service

    _neph(neph, "licence stage-advice")
    day = _date(last_day, "--last-day")
    found = _answer(lambda: holders.advice(_service(), neph, day))
    if as_json:
        _json(found)
        return
    for line in [found["summary"], *found["notes"]]:
        out.print(line, markup=False)


def what_if(
    neph: str,
    offence: Annotated[
        str, typer.Option("--offence", help="A key of the offences' catalogue (e.g. red_light).")
    ],
    committed_on: Annotated[
        str, typer.Option("--committed-on", help="The day the offence was committed.")
    ],
    established_on: Annotated[
        str, typer.Option("--established-on", help="The day its réalité was established.")
    ],
    offence_class: Annotated[
        str | None, typer.Option("--class", help="Outside the catalogue only.")
    ] = None,
    points: Annotated[
        int | None, typer.Option("--points", help="Outside the catalogue only.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """A hypothetical infraction decided on a copy of the licence: nothing is recorded."""
    from services import holders
    from services.cli import _date, _neph, _service

    _neph(neph, "licence what-if")
    committed, established = (
        _date(committed_on, "--committed-on"),
        _date(established_on, "--established-on"),
    )
    assert committed is not None and established is not None
    hypothesis = holders.Hypothesis(
        offence, committed, established, offence_class=offence_class, points=points
    )
    found = _answer(lambda: holders.simulate(_service(), neph, hypothesis))
    if as_json:
        _json(found)
        return
    if found["refused"]:
        out.print(f"refused: {found['refused']}", markup=False)
        return
    before, after = found["before"], found["after"]
    out.print(
        f"decided on {found['decided_on']}: balance {before['balance']} → {after['balance']}, "
        f"letter {found['letter'] or 'none'}, status {after['status']}",
        markup=False,
    )
    for text in found["obligations"]:
        out.print(f"  {text}", markup=False)
    for e in found["broken"]:
        out.print(f"  no longer: {e['due_on']} {e['label']} (+{e['points']})", markup=False)
    for e in found["new"]:
        added = "" if e["points"] is None else f" (+{e['points']})"
        out.print(f"  instead: {e['due_on']} {e['label']}{added}", markup=False)


def _records() -> Records:
    """The relevés on the store, signed with its secret key (the key first: a missing one is
    reported before the store is opened)."""
    from infrastructure.settings import load_settings
    from infrastructure.store import check_exists
    from infrastructure.users import load_secret_key
    from services.bootstrap import build
    from services.records import Records

    settings = load_settings()
    check_exists(settings.database_url)  # before the key, which a SQLite store keeps beside it
    key = load_secret_key(settings.database_url)
    service: Licensing = build(settings, existing=True)
    return Records(service, key, settings.public_url)


@records_app.command("issue")
def issue(
    neph: str,
    kind: Annotated[Kind, typer.Option("--kind", help="integral or restricted.")],
    output: Annotated[Path, typer.Option("--output", help="The PDF file to write.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Legal date, as known then (default: the clock).")
    ] = None,
) -> None:
    """Write the relevé as a PDF and print its verification code."""
    from services.cli import _configured, _date, _neph
    from services.records import RecordKind

    _neph(neph, "records issue")
    day = _date(as_of, "--as-of")
    records = _configured(_records)
    record = _answer(lambda: records.issue(neph, RecordKind(kind.value), day))
    try:
        output.write_bytes(records.pdf(record))
    except OSError as error:
        err.print(f"records issue: {output}: cannot be written ({error.strerror})", markup=False)
        raise typer.Exit(2) from None
    out.print(record.code, markup=False)


@records_app.command("verify")
def verify(
    code: str,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """Whether a relevé is genuine and what it said (exit 0), or why it is refused (exit 1)."""
    from services.cli import _configured

    answer = _configured(_records).verify(code)
    record = answer.record
    if as_json:
        _json(
            {
                "genuine": answer.genuine,
                "message": answer.message,
                "record": record and record.content,
            }
        )
    elif record is None:
        err.print(answer.message, markup=False)
    else:
        out.print(
            f"genuine: {record.title}, NEPH {record.claim.neph}, as of {record.claim.as_of}, "
            f"as known at {record.claim.known_at}",
            markup=False,
        )
        for key, value in record.content.items():
            out.print(f"  {key}: {json.dumps(value, ensure_ascii=False)}", markup=False)
    raise typer.Exit(0 if answer.genuine else 1)


def register(app: typer.Typer) -> None:
    """Attach the holders' commands to the `permis` application."""
    from services.cli import licence_app

    licence_app.command("forecast")(forecast)
    licence_app.command("stage-advice")(stage_advice)
    licence_app.command("what-if")(what_if)
    app.add_typer(records_app, name="records")
