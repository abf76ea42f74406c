"""Issue 18 on the web and the API: the forecast (dotted on the chart), the stage advisor and
"what if" for operators, the holder's consultation with its downloads, and the public check of a
relevé's code, without a login and without more than the relevé says (R-8.2)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from test_web_pages import login, text
from web_support import AUDITOR, OPERATOR, Backoffice, backoffice, load_demo

from infrastructure.settings import Settings
from services import holders
from services.bootstrap import build

NEPH = "075000000003"  # a 48N breached: a full restoration forecast for 2028-06-02


@pytest.fixture
def office(store_url: str) -> Iterator[Backoffice]:
    service = build(Settings(database_url=store_url))
    load_demo(service)
    yield backoffice(service, store_url)
    service.store.close()


@pytest.fixture
def api(office: Backoffice) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with TestClient(office.app) as client:
        token = client.post("/api/token", data={"username": AUDITOR[0], "password": AUDITOR[1]})
        yield client, {"Authorization": f"Bearer {token.json()['access_token']}"}


def events_in_store(office: Backoffice) -> int:
    """Every event of every licence, as `permis audit` counts them."""
    return sum(len(office.service.audit(n)) for n in ("075000000001", "075000000003"))


def test_the_api_forecast_is_the_cli_s(
    office: Backoffice, api: tuple[TestClient, dict[str, str]]
) -> None:
    """GET /api/licences/{neph}/forecast answers what `permis licence forecast --json` does."""
    client, headers = api
    response = client.get(f"/api/licences/{NEPH}/forecast", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == holders.forecast(office.service, NEPH)
    effect = response.json()["effects"][0]
    assert (effect["due_on"], effect["rule"], effect["points"], effect["balance_after"]) == (
        "2028-06-02",
        "R-4.2",
        6,
        12,
    )
    assert client.get(f"/api/licences/{NEPH}/forecast").status_code == 401
    assert client.get("/api/licences/999999999999/forecast", headers=headers).status_code == 404


def test_what_if_and_stage_advice_through_the_api_record_nothing(
    office: Backoffice, api: tuple[TestClient, dict[str, str]]
) -> None:
    """POST /api/licences/{neph}/what-if (an auditor may: nothing is written) decides on a copy:
    the store has the same events after, the licence the same view."""
    client, headers = api
    before, view = events_in_store(office), office.service.view(NEPH)
    response = client.post(
        f"/api/licences/{NEPH}/what-if",
        headers=headers,
        json={
            "offence": "speeding_20_30",
            "committed_on": "2026-02-20",
            "established_on": "2026-03-01",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["before"]["balance"], body["after"]["balance"], body["letter"]) == (6, 4, "48M")
    assert [(e["due_on"], e["rule"]) for e in body["broken"]] == [("2028-06-02", "R-4.2")]
    advice = client.get(
        f"/api/licences/{NEPH}/stage-advice", params={"last_day": "2026-04-12"}, headers=headers
    )
    assert advice.status_code == 200 and advice.json()["points"] == 4
    assert (events_in_store(office), office.service.view(NEPH)) == (before, view)
    refused = client.post(
        f"/api/licences/{NEPH}/what-if",
        headers=headers,
        json={
            "offence": "unknown_offence",
            "committed_on": "2026-02-20",
            "established_on": "2026-03-01",
        },
    )
    assert refused.status_code == 422


def test_a_relevé_from_the_api_checks_without_a_token(
    office: Backoffice, api: tuple[TestClient, dict[str, str]]
) -> None:
    """GET …/records/{kind}/pdf gives the PDF and its code; GET /api/records/{code}, with no
    token, says it is genuine and what it said; a changed code is refused."""
    client, headers = api
    response = client.get(
        f"/api/licences/{NEPH}/records/restricted/pdf",
        params={"as_of": "2025-12-01"},
        headers=headers,
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    code = response.headers["x-verification-code"]
    assert code in PdfReader(io.BytesIO(response.content)).pages[0].extract_text().replace("\n", "")
    with TestClient(office.app) as anyone:
        checked = anyone.get(f"/api/records/{code}").json()
        assert checked["genuine"] and checked["record"]["as_of"] == "2025-12-01"
        assert "balance" not in checked["record"]["content"]
        forged = anyone.get(f"/api/records/{code[:-1]}{'A' if code[-1] != 'A' else 'B'}").json()
        assert (forged["genuine"], forged["record"]) == (False, None)
    content = client.get(
        f"/api/licences/{NEPH}/records/integral", params={"as_of": "2025-12-01"}, headers=headers
    ).json()
    assert content["content"]["balance"] == 6 and content["code"] != code


def test_the_licence_page_draws_the_forecast_dotted_and_links_the_relevés(
    office: Backoffice,
) -> None:
    """The operator's licence page: the forecast dotted on the chart with its table, the relevés
    of the date shown; a look back shows no forecast."""
    with login(office, OPERATOR) as client:
        page = client.get(f"/permis/{NEPH}").text
        assert 'stroke-dasharray="1 5"' in page and "prévu le 02/06/2028" in page
        assert "une infraction commise avant le 02/06/2028 avec retrait de points" in text(page)
        assert f"/permis/{NEPH}/releve/restricted.pdf?as_of=2026-03-01" in page
        past = client.get(f"/permis/{NEPH}", params={"as_of": "2025-06-01"}).text
        assert 'stroke-dasharray="1 5"' not in past
        pdf = client.get(f"/permis/{NEPH}/releve/integral.pdf", params={"as_of": "2025-12-01"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        simulation = client.get(
            f"/permis/{NEPH}/prevision",
            params={
                "dernier_jour": "2026-04-12",
                "infraction": "speeding_20_30",
                "commise_le": "2026-02-20",
                "realite_le": "2026-03-01",
            },
        )
        words = text(simulation.text)
        assert "retrait de 2 points, solde 6 → 4" in words
        assert "Rien n'a été enregistré" in words
        assert "Un stage les 11/04/2026 et 12/04/2026 rapporterait 4 points" in words


def test_the_holder_sees_the_forecast_and_downloads_both_relevés(office: Backoffice) -> None:
    """R-8.1, R-8.2: after the code, the consultation shows the forecast and the stage advisor,
    and downloads both relevés; the token of the downloads is needed, the code is not asked
    again, and the public page then checks the restricted one."""
    with TestClient(office.app) as holder:
        page = holder.post("/consultation", data={"neph": NEPH, "code": office.code(NEPH)}).text
        words = text(page)
        assert "Vos prochains points" in words and "02/06/2028" in words
        assert "rapporterait 4 points" in words
        token = re.search(r'name="jeton" value="([^"]+)"', page)
        assert token is not None
        restricted = holder.post(
            "/consultation/releve", data={"jeton": token.group(1), "kind": "restricted"}
        )
        assert restricted.headers["content-type"] == "application/pdf"
        code = restricted.headers["x-verification-code"]
        advice = holder.post(
            "/consultation/stage", data={"jeton": token.group(1), "dernier_jour": "2026-06-30"}
        )
        assert "Un stage les 29/06/2026 et 30/06/2026 rapporterait 4 points" in text(advice.text)
        forged = holder.post("/consultation/releve", data={"jeton": "forged", "kind": "integral"})
        assert forged.status_code == 403
    with TestClient(office.app) as anyone:
        checked = text(anyone.get(f"/verifier/{code}").text)
        assert "Relevé authentique" in checked and "Petit Inès" in checked
        assert not re.search(r"\d+\s*point", checked.replace("permis à points", ""))
        refused = anyone.get(f"/verifier/{code[:-2]}ZZ")
        assert refused.status_code == 404 and "Document non reconnu" in text(refused.text)
        assert (
            anyone.get(
                "/verifier", params={"code": code.replace("-", "")}, follow_redirects=True
            ).status_code
            == 200
        )
