"""Issue 14 item 4: letters as real mail (letters.md, R-3.1, R-3.4).

The holder's postal address (`licence.issue`'s holder, then `holder.update`), the prefecture from
settings, no internal id on the holder's copy but a verification code the service looks up, each
balance as of the letter's date, WeasyPrint PDFs of one letter and of the day's letters.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from web_support import DEMO, OPERATOR, SECRET, Backoffice, backoffice, load_demo, permis

from infrastructure.settings import Prefecture, Settings
from services.bootstrap import build
from services.journal import parse_journal
from services.mail import Letters

URL = "https://permis.example.gouv.fr"
PREFECTURE = Prefecture(
    name="Préfecture du Rhône — Service des permis de conduire",
    address=("18 rue de Bonnel", "69003 Lyon"),
    signatory="Jean Martin",
    signatory_title="Pour le préfet et par délégation, le chef du bureau",
)


@pytest.fixture
def office(sqlite_url: str) -> Iterator[Backoffice]:
    service = build(Settings(database_url=sqlite_url))
    load_demo(service)
    yield backoffice(service, sqlite_url)
    service.store.close()


def letters(office: Backoffice) -> Letters:
    return Letters(office.service, SECRET, URL, PREFECTURE, lambda neph, what: office.code(neph))


def test_two_letters_of_one_day_state_the_balance_of_that_day(office: Backoffice) -> None:
    """Issue 14: a 48M and a 48SI sent the same day state one balance, the day's (R-3.1)."""
    mails = letters(office).of_day(date(2025, 11, 4))
    assert [(m.doc.neph, m.doc.type) for m in mails] == [
        ("075000000005", "48M"),
        ("075000000005", "48SI"),
    ]
    day = office.service.view("075000000005", date(2025, 11, 4), date(2025, 11, 4))["balance"]
    assert {m.doc.balance for m in mails} == {day}
    two = letters(office).of_day(date(2025, 7, 15))  # two 48M of one licence, one day
    assert len(two) == 2 and two[0].doc.balance == two[1].doc.balance


def test_the_holders_copy_has_the_address_the_prefecture_and_no_internal_id(
    office: Backoffice,
) -> None:
    """letters.md: name and address, NEPH, date, issuing service; a reference the service looks
    up (the verification code), never an event number, a command id or a rule id."""
    printer = letters(office)
    (mail,) = printer.of_day(date(2025, 3, 4))  # the 48 of 075000000001
    page = printer.html(mail)
    assert "12 rue Oberkampf" in page and "75011 PARIS" in page and "CLAIRE" not in page
    assert "Préfecture du Rhône" in page and "18 rue de Bonnel" in page and "Jean Martin" in page
    assert mail.code in page
    for internal in ("demo-0", "R-2.2", "R-3.1", "événement n°", "commande", "inf-"):
        assert internal not in page, internal
    assert office.code("075000000001") not in page  # never on a 48
    assert json.dumps(mail.content).find("demo-") == -1


def test_a_change_of_address_is_used_from_its_day_on(office: Backoffice) -> None:
    """holder.update: the letters sent after it go to the new address, those before keep theirs."""
    line = {
        "id": "move-1",
        "at": "2026-03-01",
        "type": "holder.update",
        "neph": "075000000001",
        "address": {"line1": "5 quai Saint-Vincent", "postcode": "69001", "city": "Lyon"},
    }
    lines, errors = parse_journal(json.dumps(line) + "\n")
    assert not errors
    assert not office.service.import_lines(lines).refusals
    (before,) = letters(office).of_day(date(2025, 3, 4))
    assert before.content["holder"]["address"]["city"] == "Paris"
    page = TestClient(office.app)
    page.post("/connexion", data={"username": OPERATOR[0], "password": OPERATOR[1]})
    licence = page.get("/permis/075000000001")
    assert "Changement d'adresse du titulaire" in html.unescape(licence.text)
    bad = {**line, "id": "move-2", "address": {"line1": "x", "postcode": "7500", "city": "Paris"}}
    assert parse_journal(json.dumps(bad) + "\n")[1]  # a postcode has 5 digits


def test_letters_verify_and_the_public_page_accept_a_letters_code(office: Backoffice) -> None:
    """The code printed on a letter is checked by the public page; a changed one is refused."""
    printer = Letters(office.service, SECRET, office.context.public_url, office.context.prefecture)
    (mail,) = printer.of_day(date(2025, 3, 4))
    assert printer.verify(mail.code).genuine
    tampered = mail.code[:-1] + ("A" if mail.code[-1] != "A" else "B")
    assert not printer.verify(tampered).genuine
    client = TestClient(office.app)
    shown = client.get(f"/verifier/{mail.code}")
    assert shown.status_code == 200 and "Lettre authentique" in shown.text
    assert "franchissement d'un feu rouge" in html.unescape(shown.text)
    assert client.get(f"/verifier/{tampered}").status_code == 404


def test_the_days_letters_print_as_one_numbered_pdf_from_the_page(office: Backoffice) -> None:
    """ "Lettres du jour": the list, then one PDF, A4, each letter paged on its own."""
    client = TestClient(office.app)
    client.post("/connexion", data={"username": OPERATOR[0], "password": OPERATOR[1]})
    page = client.get("/lettres", params={"date": "2025-11-04"})
    assert page.status_code == 200 and "2 lettres envoyées le 4 novembre 2025" in page.text
    response = client.get("/lettres/2025-11-04.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    texts = [p.extract_text() for p in reader.pages]
    assert len(texts) >= 2
    assert any("Pli 1 / 2" in t for t in texts) and any("Pli 2 / 2" in t for t in texts)
    assert all("Page " in t for t in texts)
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    assert office.code("075000000005") in "".join(texts)  # 48M, 48SI
    one = client.get("/permis/075000000001/lettres/0.pdf")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")
    assert client.get("/lettres/2025-11-05.pdf").status_code == 404


def test_permis_letters_print_and_verify(tmp_path: Path) -> None:
    """`permis letters print --date D --output F.pdf`, then `permis letters verify CODE`; the
    pages turn into images with pdftoppm (issue 14)."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {"PERMIS_SECRET_KEY": "cli-letters-key", "PERMIS_REPLAY": "1"}
    assert permis(url, "import", str(DEMO), **env).returncode == 0
    assert permis(url, "tick", "--to", "2026-03-01", **env).returncode == 0
    output = tmp_path / "lettres.pdf"
    printed = permis(
        url, "letters", "print", "--date", "2025-07-15", "--output", str(output), **env
    )
    assert printed.returncode == 0, printed.stderr
    rows = [line.split() for line in printed.stdout.splitlines()]
    assert [r[:2] for r in rows] == [["075000000004", "48M"], ["075000000004", "48M"]]
    assert len(PdfReader(output).pages) >= 2
    checked = permis(url, "letters", "verify", rows[0][2], "--json", **env)
    assert checked.returncode == 0 and json.loads(checked.stdout)["genuine"] is True
    assert permis(url, "letters", "verify", "AAAAA-BBBBB", **env).returncode == 1
    none = permis(url, "letters", "print", "--date", "2025-07-16", "--output", str(output), **env)
    assert none.returncode == 1
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", str(output), str(tmp_path / "p")], check=True
        )
        assert len(list(tmp_path.glob("p-*.png"))) == len(PdfReader(output).pages)
    audit = permis(url, "audit", "075000000004", **env)
    assert audit.returncode == 0 and re.search(r"48M", audit.stdout)


def test_every_letter_of_a_generated_store_states_the_balance_of_its_day(tmp_path: Path) -> None:
    """Issue 14, R-3.1: over generated histories (ops/bench/journal.py), every letter of every
    day is stated (none missing from the day's print) with the balance the licence view gives
    as of that day as known that day, and its code verifies."""
    from conftest import bench_journal
    from sqlalchemy import select

    from projections.catch_up import catch_up
    from projections.schema import rm_letters
    from projections.view import ReadModels

    url = f"sqlite:///{tmp_path / 'generated.sqlite'}"
    service = build(Settings(database_url=url))
    raw = list(bench_journal().generate(400, 8, 3))
    lines, errors = parse_journal("".join(json.dumps(x) + "\n" for x in raw))
    assert not errors
    service.import_lines(lines)
    catch_up(service)
    with ReadModels.open(url) as view, view.engine.connect() as connection:
        days = sorted(set(connection.execute(select(rm_letters.c.sent_on)).scalars()))
        total = connection.execute(select(rm_letters.c.neph)).all()
    printer = Letters(service, SECRET, URL, PREFECTURE)
    printed = 0
    for day in days:
        for mail in printer.of_day(day):
            state = service.view(mail.doc.neph, day, day)
            assert mail.doc.balance == state["balance"], (mail.doc.neph, mail.doc.type, day)
            printed += 1
        if day.day % 7 == 0 and mail is not None:
            assert printer.verify(mail.code).genuine
    assert printed == len(total) > 50
    service.store.close()
