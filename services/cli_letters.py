"""`permis letters print|verify` (issue 14 item 4): the day's letters as one PDF, and their check.

Exit codes as everywhere (CONTRACT §3): 0 done, 1 no letter that day or a refused code, 2 bad usage.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from services.mail import Letters

# `permis` imports this module on every run: the store and WeasyPrint are imported by the commands.

letters_app = typer.Typer(
    help="Letters (R-3, letters.md): print the day's letters as one PDF, verify a letter's code.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _letters() -> Letters:
    from infrastructure.settings import load_settings
    from infrastructure.users import ConsultationCodes, load_secret_key
    from services.bootstrap import build
    from services.mail import Letters

    settings = load_settings()
    key = load_secret_key(settings.database_url)
    codes = ConsultationCodes(key)
    return Letters(
        build(settings),
        key,
        settings.public_url,
        settings.prefecture,
        consultation_code=lambda neph, what: codes.code(neph),
    )


@letters_app.command("print")
def print_letters(
    day: Annotated[str, typer.Option("--date", help="The day the letters were sent (YYYY-MM-DD).")],
    output: Annotated[Path, typer.Option("--output", help="The PDF file to write.")],
) -> None:
    """Write every letter sent on DATE as one PDF (each letter numbered and paged on its own,
    with its verification code), and print one line per letter: NEPH, type, code."""
    from datetime import UTC, datetime

    from infrastructure.desk import Desk
    from projections.database import engine_for
    from services.cli import _configured, _date

    on = _date(day, "--date")
    assert on is not None
    letters = _configured(_letters)
    mails = letters.of_day(on)
    if not mails:
        err.print(f"letters print: no letter was sent on {on}", markup=False)
        raise typer.Exit(1)
    try:
        output.write_bytes(letters.pdf_of_day(mails))
    except OSError as error:
        err.print(f"letters print: {output}: cannot be written ({error.strerror})", markup=False)
        raise typer.Exit(2) from None
    # Every printed consultation code is in the licence's audit trail: who, when, on what.
    desk = Desk(engine_for(letters.service.store.url))
    now = datetime.now(UTC).replace(tzinfo=None)
    for mail in mails:
        if mail.consultation_code:
            what = f"lettre {mail.doc.type} du {mail.doc.sent_on.strftime('%d/%m/%Y')}"
            desk.code_shown(mail.doc.neph, what, getpass.getuser(), now, via="print")
        out.print(f"{mail.doc.neph} {mail.doc.type} {mail.code}", markup=False)
    err.print(f"{len(mails)} letter(s) written to {output}", markup=False)


@letters_app.command("verify")
def verify(
    code: str,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """Whether a letter is genuine and what it said (exit 0), or why it is refused (exit 1)."""
    from services.cli import _configured

    answer = _configured(_letters).verify(code)
    mail = answer.mail
    if as_json:
        sys.stdout.write(
            json.dumps(
                {
                    "genuine": answer.genuine,
                    "message": answer.message,
                    "letter": mail and mail.content,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    elif mail is None:
        err.print(answer.message, markup=False)
    else:
        out.print(
            f"genuine: letter {mail.doc.type}, NEPH {mail.doc.neph}, sent on {mail.doc.sent_on}, "
            f"balance {mail.doc.balance}",
            markup=False,
        )
    raise typer.Exit(0 if answer.genuine else 1)


def register(app: typer.Typer) -> None:
    app.add_typer(letters_app, name="letters")
