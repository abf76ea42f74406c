"""Issue 14 item 2: French wherever an operator or a holder reads, rendered when read.

The events keep the reason they were recorded with (the CLI and the audit export print it); the
pages word each event from its values, and the rules' refusals, validation errors, error pages and
plurals are French (Babel for dates, numbers and plurals).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import DEMO_NEPHS, OPERATOR, Backoffice, backoffice, load_demo

from infrastructure.settings import Settings
from services.bootstrap import build
from services.web import labels, reasons

# Words of the engine's English prose and internal keys that must not reach a French page.
ENGLISH = re.compile(
    r"\b(the|of|and|is|was|on|by|recorded|established|withdrawn|before|after|within|since|"
    r"notified|returned|credited|window|balance|ceiling|fine_paid|red_light|final_conviction|"
    r"increased_fine_title|point\(s\)|an\(s\)|Input should|Not Found|--as-of)\b"
)


@pytest.fixture
def office(sqlite_url: str) -> Iterator[Backoffice]:
    service = build(Settings(database_url=sqlite_url))
    load_demo(service)
    yield backoffice(service, sqlite_url)
    service.store.close()


@pytest.fixture
def operator(office: Backoffice) -> Iterator[TestClient]:
    client = TestClient(office.app)
    client.post("/connexion", data={"username": OPERATOR[0], "password": OPERATOR[1]})
    yield client


def words(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def timeline(page: str) -> str:
    found = re.search(r'id="chronologie".*?</table>', page, re.S)
    assert found
    return words(found.group(0))


@pytest.mark.parametrize("neph", DEMO_NEPHS)
def test_the_timeline_motif_is_french_and_the_events_keep_their_text(
    operator: TestClient, office: Backoffice, neph: str
) -> None:
    """Issue 14: every Motif in French from the event's values; the stored reason unchanged."""
    shown = timeline(operator.get(f"/permis/{neph}").text)
    assert not ENGLISH.search(shown), ENGLISH.search(shown)
    trail = office.service.audit(neph)
    assert any(re.search(r"\b(the|of|on)\b", e["reason"]) for e in trail)  # as recorded


def test_a_withdrawal_reads_offence_basis_points_and_balance(operator: TestClient) -> None:
    """R-2.2: the Motif of a withdrawal names the offence, how its réalité was established, the
    points and the balance after, in French with Babel's plurals."""
    shown = timeline(operator.get("/permis/075000000001").text)
    assert "franchissement d'un feu rouge" in shown
    assert "paiement de l'amende forfaitaire : 4 points retirés, solde 8 points" in shown


def test_refusals_errors_and_error_pages_are_french(
    operator: TestClient, office: Backoffice
) -> None:
    """Issue 14: no English and no command-line flag on a page: the rules' refusal after
    Confirmer, a typed-wrong address, a date after the clock, an unknown page."""
    line = {
        "id": "fr-1",
        "at": "2026-03-01",
        "type": "infraction.record",
        "neph": "075000000001",
        "infraction_id": "late",
        "offence": "red_light",
        "committed_on": "2026-12-20",
    }
    form = operator.get("/saisie", params={"type": "licence.return"}).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', form)
    assert token
    refused = operator.post(
        "/saisie/confirmer", data={"csrf": token.group(1), "payload": json.dumps(line)}
    )
    assert refused.status_code == 409
    text = words(refused.text)
    assert "infraction commise le 20/12/2026, après le jour de son enregistrement" in text
    for path, status in (
        ("/permis/075000000001/lettres/x", 404),
        ("/permis/075000000001?as_of=2999-01-01", 422),
        ("/nulle-part", 404),
        ("/tableau-de-bord?as_of=2999-01-01", 422),
    ):
        response = operator.get(path)
        assert response.status_code == status
        assert 'id="page-erreur"' in response.text
        main = words(response.text.split("<main", 1)[1])
        assert not ENGLISH.search(main), (path, ENGLISH.search(main))


def test_plurals_dates_and_numbers_come_from_babel() -> None:
    """French plural rules (0 and 1 singular), long dates with "1er", numbers with spaces."""
    assert labels.plural(0, "point", "points") == "0 point"
    assert labels.plural(1, "point", "points") == "1 point"
    assert labels.plural(12, "point", "points") == "12 points"
    assert labels.long_date("2026-03-01") == "1er mars 2026"
    assert labels.long_date("2026-04-12") == "12 avril 2026"
    assert labels.number(12345).replace("\u202f", " ").replace("\xa0", " ") == "12 345"
    assert reasons.french("infraction w1 is already recorded (R-2.6)") == (
        "l'infraction w1 est déjà enregistrée (règle R-2.6)"
    )


def test_every_event_of_the_public_scenarios_reads_in_french(tmp_path: Path) -> None:
    """Issue 14: every event class a real history records (withdrawals, restorations, stages,
    invalidations, cancellations R-11, suspensions R-12…) has its French Motif: the timelines of
    all the public scenarios that pass hold no English word."""
    from conftest import passing_public_scenarios

    from services.journal import parse_journal
    from services.licensing import Licensing, UnknownLicence
    from services.web.motifs import motif

    seen: set[str] = set()
    for number, scenario in enumerate(passing_public_scenarios()):
        raw = json.loads(scenario.read_text())["journal"]
        service: Licensing = build(Settings(database_url=f"sqlite:///{tmp_path / f'{number}.db'}"))
        lines, errors = parse_journal("".join(json.dumps(x) + "\n" for x in raw))
        assert not errors
        service.import_lines(lines)
        for neph in sorted({line.command.neph for line in lines}):
            try:
                trail = service.audit(neph)
            except UnknownLicence:  # its licence.issue was refused
                continue
            offences = {
                str(i["details"]["infraction_id"]): str(i["details"]["offence"])
                for i in trail
                if i["event"] == "InfractionRecorded"
            }
            for item in trail:
                seen.add(item["event"])
                worded = motif(item, offences)
                assert not ENGLISH.search(worded), (scenario.name, item["event"], worded)
        service.store.close()
    assert {"PointsWithdrawn", "PointsRestored", "StageCredited", "InfractionCancelled"} <= seen


def test_every_event_class_has_its_french_motif() -> None:
    """Issue 14: no event class falls back to its recorded English reason on a page."""
    from domain.events import ALL_EVENTS
    from services.web.motifs import MOTIFS

    assert {cls.__name__ for cls in ALL_EVENTS} <= set(MOTIFS)
    assert {cls.__name__ for cls in ALL_EVENTS} <= set(labels.EVENT)
