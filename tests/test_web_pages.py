"""The back-office pages (French, server-rendered): login, licence, forms, letters, consultation."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import AUDITOR, DEMO_CLOCK, OPERATOR, Backoffice, backoffice, load_demo

from infrastructure.settings import Settings
from services.bootstrap import build

NEPH = "075000000001"  # red_light, 4 points in 2025 (a 48), then a stage without attestation


@pytest.fixture
def office(sqlite_url: str) -> Iterator[Backoffice]:
    """The pages on SQLite (the API tests cover both backends)."""
    service = build(Settings(database_url=sqlite_url))
    load_demo(service)
    yield backoffice(service, sqlite_url)
    service.store.close()


def login(office: Backoffice, who: tuple[str, str]) -> TestClient:
    client = TestClient(office.app)
    response = client.post(
        "/connexion",
        data={"username": who[0], "password": who[1], "suite": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def operator(office: Backoffice) -> Iterator[TestClient]:
    with login(office, OPERATOR) as client:
        yield client


@pytest.fixture
def auditor(office: Backoffice) -> Iterator[TestClient]:
    with login(office, AUDITOR) as client:
        yield client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "no form token on the page"
    return found.group(1)


def text(page: str) -> str:
    """The words of a page, tags removed and entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


# --- login and roles ---------------------------------------------------------------------------


def test_pages_need_a_login_and_come_back_after_it(office: Backoffice) -> None:
    client = TestClient(office.app)
    response = client.get(f"/permis/{NEPH}?as_of=2025-06-01", follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/connexion?suite=/permis/075000000001%3Fas_of%3D2025-06-01"
    )
    wrong = client.post("/connexion", data={"username": OPERATOR[0], "password": "bad-password"})
    assert wrong.status_code == 401 and "incorrect" in wrong.text
    back = client.post(
        "/connexion",
        data={"username": OPERATOR[0], "password": OPERATOR[1], "suite": f"/permis/{NEPH}"},
        follow_redirects=False,
    )
    assert back.headers["location"] == f"/permis/{NEPH}"
    assert "httponly" in back.headers["set-cookie"].lower()


def test_login_never_redirects_off_site(office: Backoffice) -> None:
    client = TestClient(office.app)
    response = client.post(
        "/connexion",
        data={"username": OPERATOR[0], "password": OPERATOR[1], "suite": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_a_bearer_token_opens_no_page(office: Backoffice) -> None:
    """Pages read the session cookie only, the API the bearer header only."""
    client = TestClient(office.app)
    token = client.post("/api/token", data={"username": OPERATOR[0], "password": OPERATOR[1]})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get("/", headers=headers, follow_redirects=False).status_code == 303


def test_an_auditor_reads_but_cannot_open_or_post_a_form(
    auditor: TestClient, office: Backoffice
) -> None:
    """The pages share the API's check: auditors read everything and write nothing (403)."""
    assert auditor.get(f"/permis/{NEPH}").status_code == 200
    page = auditor.get("/").text
    assert "Saisir une commande" not in page
    assert auditor.get("/saisie").status_code == 403
    before = office.service.audit(NEPH)
    payload = (
        '{"id":"w-aud","at":"2026-03-01","type":"licence.return","neph":"075000000001",'
        '"returned_on":"2026-03-01"}'
    )
    refused = auditor.post("/saisie/confirmer", data={"payload": payload, "csrf": csrf(page)})
    assert refused.status_code == 403 and "Accès refusé" in refused.text
    assert office.service.audit(NEPH) == before


def test_logout_needs_the_form_token(operator: TestClient) -> None:
    assert operator.post("/deconnexion", data={"csrf": "0"}).status_code == 403
    page = operator.get("/").text
    out = operator.post("/deconnexion", data={"csrf": csrf(page)}, follow_redirects=False)
    assert out.status_code == 303
    assert operator.get("/", follow_redirects=False).status_code == 303


# --- finding a licence and its page ------------------------------------------------------------


def listed(page: str) -> list[str]:
    """The NEPHs of the Permis list's rows, in their order."""
    table = page.split('id="resultats"', 1)[1] if 'id="resultats"' in page else ""
    return re.findall(r'<td><a href="/permis/(\d{12})">', table)


def test_find_a_licence_by_neph_or_its_prefix(operator: TestClient) -> None:
    """A full NEPH that exists opens the licence; a prefix lists the licences it begins."""
    found = operator.get("/permis", params={"q": "0750 0000 0001"}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/permis/{NEPH}"
    former = operator.get("/permis", params={"neph": NEPH}, follow_redirects=False)
    assert former.headers["location"] == f"/permis/{NEPH}"  # the former search box's name
    assert listed(operator.get("/permis", params={"q": "07500000000", "tri": "neph"}).text) == [
        f"07500000000{n}" for n in range(1, 6)
    ]
    missing = operator.get("/permis", params={"q": "999999999999"})
    assert missing.status_code == 200 and "Aucun permis ne correspond" in missing.text
    too_long = operator.get("/permis", params={"q": "1234567890123"})
    assert too_long.status_code == 422 and "12 chiffres au plus" in too_long.text
    assert 'aria-describedby="q-aide q-erreur"' in too_long.text  # the error tied to its field


def test_the_licence_page_shows_the_view_the_timeline_and_the_chart(
    operator: TestClient, office: Backoffice
) -> None:
    view = office.service.view(NEPH)
    page = operator.get(f"/permis/{NEPH}").text
    assert f'id="solde">{view["balance"]}<' in page
    assert f'id="plafond">{view["ceiling"]}<' in page
    assert "MARTIN Claire" in page
    words = text(page)
    assert "Retrait de points R-2.2 L223-1, R223-3" in words  # the event with its rule and article
    assert "demo-007" in words  # the command that caused it
    assert page.count('class="marker withdrawal"') == 1
    assert 'class="marker stage"' not in page  # st-a1's attestation never came
    probation = operator.get("/permis/075000000002").text
    assert probation.count('class="marker stage"') == 1  # st-b1 credited
    assert "Lettre 48 — information d'un retrait de points" in words
    assert f"/permis/{NEPH}/lettres/0" in page


def test_as_of_looks_back_and_a_later_as_of_is_refused(
    operator: TestClient, office: Backoffice
) -> None:
    """R-9.1: the page as of a past date shows the balance of that date."""
    before = office.service.view(NEPH, DEMO_CLOCK.replace(year=2025, month=3, day=1))
    page = operator.get(f"/permis/{NEPH}", params={"as_of": "2025-03-01"}).text
    assert f'id="solde">{before["balance"]}<' in page and before["balance"] == 12
    assert "Vue rétrospective" in page
    assert 'class="later"' in page  # the withdrawal of 2025-03-04 lies after the view
    known = operator.get(
        f"/permis/{NEPH}", params={"as_of": "2026-03-01", "known_at": "2025-12-31"}
    )
    assert 'id="solde">8<' in known.text  # the stage of 2026 was not yet known
    refused = operator.get(f"/permis/{NEPH}", params={"as_of": "2031-01-01"})
    assert refused.status_code == 422
    assert operator.get(f"/permis/{NEPH}", params={"as_of": "hier"}).status_code == 422
    assert operator.get("/permis/999999999999").status_code == 404


# --- recording a command: errors beside the field, then a confirmation -----------------------


def form_of(client: TestClient, command_type: str, neph: str = NEPH) -> tuple[str, dict[str, str]]:
    page = client.get("/saisie", params={"type": command_type, "neph": neph}).text
    command_id = re.search(r'name="id" value="([^"]+)"', page)
    at = re.search(r'name="at" type="date" value="([^"]*)"', page)
    assert command_id and at
    return page, {
        "csrf": csrf(page),
        "type": command_type,
        "id": command_id.group(1),
        "at": at.group(1),
        "neph": neph,
    }


def test_a_form_shows_each_error_beside_its_field(operator: TestClient, office: Backoffice) -> None:
    _, base = form_of(operator, "stage.complete")
    assert base["at"] == DEMO_CLOCK.isoformat()  # never before the clock
    response = operator.post(
        "/saisie",
        data={
            **base,
            "neph": "12",
            "stage_id": "s1",
            "first_day": "2026-02-10",
            "last_day": "2026-02-11",
        },
    )
    assert response.status_code == 422
    errors = dict(re.findall(r'data-field="([^"]+)">([^<]+)<', response.text))
    assert errors == {"neph": "12 chiffres attendus", "kind": "champ obligatoire"}
    days = operator.post(
        "/saisie",
        data={
            **base,
            "stage_id": "s1",
            "kind": "voluntary",
            "first_day": "2026-02-10",
            "last_day": "2026-02-12",
        },
    )
    assert days.status_code == 422
    errors = dict(re.findall(r'data-field="([^"]+)">([^<]+)<', days.text))
    assert set(errors) == {"last_day"} and "R-5.2" in errors["last_day"]
    assert 'value="2026-02-12"' in days.text  # what was typed is kept
    early = operator.post(
        "/saisie",
        data={
            **base,
            "at": "2026-01-01",
            "stage_id": "s1",
            "kind": "voluntary",
            "first_day": "2025-12-01",
            "last_day": "2025-12-02",
        },
    )
    assert early.status_code == 422
    assert "2026-01-01 est antérieure à l&#39;horloge du service (2026-03-01)" in early.text


def test_record_an_infraction_with_a_confirmation_step_as_the_user(
    operator: TestClient, office: Backoffice
) -> None:
    """A form is checked, confirmed, then applied; the events name the operator (R-9.2)."""
    _, base = form_of(operator, "infraction.record")
    fields = {**base, "infraction_id": "w1", "offence": "red_light", "committed_on": "2026-02-20"}
    confirm = operator.post("/saisie", data=fields)
    assert confirm.status_code == 200
    assert "Confirmer l'enregistrement" in confirm.text
    assert "franchissement d'un feu rouge" in text(confirm.text)
    assert office.service.store.permis.select_receipts([base["id"]]) == {}  # nothing yet
    payload = re.search(r'name="payload" value="([^"]+)"', confirm.text)
    assert payload
    done = operator.post(
        "/saisie/confirmer",
        data={"csrf": base["csrf"], "payload": html.unescape(payload.group(1))},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/permis/{NEPH}?enregistre={base['id']}"
    events = [e for e in office.service.audit(NEPH) if e["command_id"] == base["id"]]
    assert [(e["event"], e["actor"]) for e in events] == [("InfractionRecorded", OPERATOR[0])]
    shown = operator.get(done.headers["location"]).text
    assert f"Commande {base['id']} enregistrée" in shown
    # Sent twice (a double click): skipped, not recorded again.
    operator.post(
        "/saisie/confirmer", data={"csrf": base["csrf"], "payload": html.unescape(payload.group(1))}
    )
    assert len([e for e in office.service.audit(NEPH) if e["command_id"] == base["id"]]) == 1


def test_verifier_runs_the_rules_and_shows_the_refusal_beside_the_form(
    operator: TestClient, office: Backoffice
) -> None:
    """Issue 14 item 3: a line the rules refuse never reaches the confirmation (R-2.2), the
    refusal is in French beside the form, and nothing is recorded."""
    _, base = form_of(operator, "infraction.establish")
    refused = operator.post(
        "/saisie",
        data={
            **base,
            "infraction_id": "nope",
            "established_on": "2026-02-27",
            "basis": "fine_paid",
        },
    )
    assert refused.status_code == 422
    assert "Confirmer l'enregistrement" not in refused.text
    shown = text(refused.text)
    assert "l'infraction nope n'est pas enregistrée sur ce permis" in shown
    assert "is not recorded" not in shown
    assert office.service.store.permis.select_receipts([base["id"]]) == {}


def test_verifier_shows_the_effect_before_recording(
    operator: TestClient, office: Backoffice
) -> None:
    """Issue 14 item 3: the confirmation names the holder and the effect decided on a copy of the
    licence — points withdrawn, balance after, the letter (R-2.2, R-3.1) — and records nothing;
    the infraction to establish is picked from the licence's own list."""
    _, record = form_of(operator, "infraction.record")
    fields = {**record, "infraction_id": "w9", "offence": "red_light", "committed_on": "2026-02-20"}
    confirm = operator.post("/saisie", data=fields)
    payload = re.search(r'name="payload" value="([^"]+)"', confirm.text)
    assert payload
    operator.post(
        "/saisie/confirmer",
        data={"csrf": record["csrf"], "payload": html.unescape(payload.group(1))},
    )
    page, base = form_of(operator, "infraction.establish")
    assert '<option value="w9">' in page and '<option value="">— choisir —</option>' in page
    before = office.service.view(NEPH)["balance"]
    effect = operator.post(
        "/saisie",
        data={**base, "infraction_id": "w9", "established_on": "2026-02-27", "basis": "fine_paid"},
    )
    assert effect.status_code == 200
    shown = text(effect.text)
    assert "MARTIN Claire" in shown
    assert "4 points" in shown and f"{before} points → {before - 4} points" in shown
    assert office.service.view(NEPH)["balance"] == before  # nothing recorded
    assert office.service.store.permis.select_receipts([base["id"]]) == {}


def confirm_form(client: TestClient, base: dict[str, str], fields: dict[str, str]) -> str:
    """Vérifier then Confirmer a form; the confirmation page's words."""
    confirm = client.post("/saisie", data={**base, **fields})
    assert confirm.status_code == 200, text(confirm.text)
    payload = re.search(r'name="payload" value="([^"]+)"', confirm.text)
    assert payload
    done = client.post(
        "/saisie/confirmer",
        data={"csrf": base["csrf"], "payload": html.unescape(payload.group(1))},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return text(confirm.text)


def test_annuler_une_infraction_shows_the_points_back_before_confirming(
    operator: TestClient, office: Backoffice
) -> None:
    """Issue 13 item 4, R-11.1 to R-11.3: the infraction is picked from the licence's own list,
    the ground and reference are asked, the confirmation shows the points given back and the
    decision; once confirmed the licence page shows it cancelled and the balance back to 12."""
    assert office.service.view(NEPH)["balance"] == 8
    page, base = form_of(operator, "infraction.cancel")
    assert '<option value="a1">' in page and '<option value="">— choisir —</option>' in page
    assert "relaxe ou acquittement" in page
    shown = confirm_form(
        operator,
        base,
        {
            "infraction_id": "a1",
            "cancelled_on": "2026-02-20",
            "ground": "acquittal",
            "reference": "TP Paris 26/123",
        },
    )
    assert "Points rendus 4 points" in shown
    assert "8 points → 12 points" in shown
    assert "Infraction annulée" in shown
    assert office.service.view(NEPH)["balance"] == 12
    licence_page = text(operator.get(f"/permis/{NEPH}").text)
    assert "annulée le 20/02/2026 (relaxe ou acquittement)" in licence_page
    again, _ = form_of(operator, "infraction.cancel")
    assert '<option value="a1">' not in again  # never cancelled twice


def test_suspension_du_droit_de_conduire_is_listed_and_sets_the_status(
    operator: TestClient, office: Backoffice
) -> None:
    """Issue 13 item 4, R-12.1 and R-12.2: a suspension recorded through its form is listed on
    the licence page with its kind and days; the status is `suspendu` between its days."""
    _, base = form_of(operator, "suspension.record")
    shown = confirm_form(
        operator,
        base,
        {
            "kind": "administrative",
            "first_day": "2026-02-15",
            "last_day": "2026-08-14",
            "reference": "arrêté 2026-77",
        },
    )
    assert "valide → suspendu" in shown
    assert office.service.view(NEPH)["status"] == "suspended"
    licence_page = text(operator.get(f"/permis/{NEPH}").text)
    assert "suspension administrative" in licence_page and "arrêté 2026-77" in licence_page
    _, lift = form_of(operator, "suspension.lift")
    assert "suspendu → valide" in confirm_form(operator, lift, {"lifted_on": "2026-03-01"})
    assert office.service.view(NEPH)["status"] == "valid"


def test_forms_need_the_form_token(operator: TestClient, office: Backoffice) -> None:
    _, base = form_of(operator, "licence.return")
    response = operator.post(
        "/saisie", data={**base, "csrf": "forged", "returned_on": "2026-03-01"}
    )
    assert response.status_code == 403


def test_every_command_type_has_a_form(operator: TestClient) -> None:
    from services.journal import COMMAND_TYPES

    for command_type in COMMAND_TYPES:
        page = operator.get("/saisie", params={"type": command_type})
        assert page.status_code == 200
        assert f'name="type" value="{command_type}"' in page.text


# --- letters -----------------------------------------------------------------------------------


def letter_of(client: TestClient, office: Backoffice, neph: str, letter_type: str) -> str:
    view = office.service.view(neph)
    index = [x["type"] for x in view["letters"]].index(letter_type)
    response = client.get(f"/permis/{neph}/lettres/{index}")
    assert response.status_code == 200
    return text(response.text)


@pytest.mark.parametrize(
    ("neph", "letter_type"),
    [
        ("075000000001", "48"),
        ("075000000004", "48M"),
        ("075000000002", "48N"),
        ("075000000004", "48SI"),
        ("075000000002", "47"),
    ],
)
def test_every_letter_carries_what_letters_md_requires(
    operator: TestClient, office: Backoffice, neph: str, letter_type: str
) -> None:
    """letters.md: name, address, NEPH, date, issuer, a reference the service can look up; the code
    only on 48M/48N/48SI (R-3.4)."""
    page = letter_of(operator, office, neph, letter_type)
    assert neph in page and "Préfecture" in page and "Référence à rappeler" in page
    assert "Claire Dumont" in page and "place de la République" in page  # settings (issue 14)
    assert "PARIS" in page or "MONTREUIL" in page  # the holder's postal address
    code = office.code(neph)
    if letter_type in ("48M", "48N", "48SI"):
        assert code in page
    else:
        assert code not in page
    if letter_type in ("48", "48M", "48N"):
        assert "Réalité établie le" in page and "Points retirés" in page
        assert "le solde de votre permis est de" in page
        assert "si vous ne commettez pas" in page.lower()
    if letter_type == "48M":
        assert "stage volontaire" in page and "jusqu'à 4 points" in page
    if letter_type == "48N":
        assert "dans un délai de 4 mois à compter de la réception" in page
        assert "07/08/2025" in page  # delivered 2025-04-07 + 4 months
        assert "750 €" in page and "3 ans" in page and "15 jours" in page
    if letter_type == "48SI":
        assert "10 jours francs" in page and "a perdu sa validité" in page
        assert "6 mois" in page and "psychotechnique" in page and "2 mois" in page
        assert page.count("conduite en état alcoolique") == 1  # the recap lists each withdrawal
        assert "excès de vitesse de 40 à 50 km/h" in page
    if letter_type == "47":
        assert "CENTRE-75-014" in page and "16 juin 2025" in page and "18 juin 2025" in page


def test_an_auditor_sees_letters_without_the_code(auditor: TestClient, office: Backoffice) -> None:
    page = letter_of(auditor, office, "075000000002", "48N")
    assert office.code("075000000002") not in page
    assert "code confidentiel imprimé sur l'exemplaire envoyé" in page


def test_an_unknown_letter_is_404(operator: TestClient) -> None:
    assert operator.get(f"/permis/{NEPH}/lettres/99").status_code == 404


# --- holders -----------------------------------------------------------------------------------


def test_a_holder_consults_then_is_locked_after_wrong_codes(office: Backoffice) -> None:
    """R-8.1, R-8.3 on the holders' page: no login, NEPH and code, locked after 5 wrong codes."""
    client = TestClient(office.app)
    assert client.get("/consultation").status_code == 200
    good = client.post("/consultation", data={"neph": NEPH, "code": office.code(NEPH)})
    assert good.status_code == 200
    assert f'id="solde">{office.service.view(NEPH)["balance"]}<' in good.text
    for attempt in range(5):
        wrong = client.post("/consultation", data={"neph": NEPH, "code": "ZZZZZ-ZZZZZ"})
        assert wrong.status_code == 401
        assert f"Il vous reste {4 - attempt} essai" in wrong.text
    locked = client.post("/consultation", data={"neph": NEPH, "code": office.code(NEPH)})
    assert locked.status_code == 429 and "bloquée" in locked.text
    assert client.post("/consultation", data={"neph": "1", "code": "x"}).status_code == 422


# --- the compliance dashboard (R-6) ------------------------------------------------------------


def test_the_dashboard_counts_charts_and_lists_what_to_act_on(auditor: TestClient) -> None:
    """R-6.1, R-6.2, R-6.3 on the demo: one stage missed, one licence kept, one attestation late."""
    page = auditor.get("/tableau-de-bord")
    assert page.status_code == 200
    assert 'id="n-non-effectues">1<' in page.text and 'id="n-non-restitues">1<' in page.text
    lists = {
        key: re.findall(r'<a href="/permis/(\d{12})">', section)
        for key, section in re.findall(
            r'id="liste-(\w+)"(.*?)(?=id="liste-|</main>)', page.text, re.S
        )
    }
    assert lists["non_compliance"] == ["075000000003"]
    assert lists["licence_not_returned"] == ["075000000005"]
    assert lists["attestation_overdue"] == ["075000000001"]
    assert "CENTRE-92-003" in page.text
    assert page.text.count("<polyline") == 3  # the trend of three counts
    before = auditor.get("/tableau-de-bord", params={"as_of": "2025-09-01"})
    assert 'id="n-non-effectues">0<' in before.text  # the 48N deadline had not passed yet
    assert auditor.get("/tableau-de-bord", params={"as_of": "2031-01-01"}).status_code == 422


def test_the_dashboard_exports_every_row_as_csv(auditor: TestClient) -> None:
    response = auditor.get("/tableau-de-bord/export.csv", params={"as_of": "2026-03-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = response.text.splitlines()
    assert rows[0].startswith("neph,record,kind,status,opened_on,due_on,raised_on")
    assert len(rows) == 1 + 5


def test_the_dashboard_exports_for_a_french_spreadsheet(auditor: TestClient) -> None:
    """Issue 14 item 5: `;` between cells, a UTF-8 BOM, French headers, words and dates; the same
    rows as the machine CSV of CONTRACT §6, which stays as it was."""
    machine = auditor.get("/tableau-de-bord/export.csv", params={"as_of": "2026-03-01"})
    response = auditor.get("/tableau-de-bord/export-tableur.csv", params={"as_of": "2026-03-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = [r.split(";") for r in response.content.decode("utf-8-sig").splitlines()]
    assert rows[0][:6] == ["NEPH", "Nom", "Prénoms", "Nature", "Objet", "Statut"]
    assert "Échéance" in rows[0]
    assert len(rows) == len(machine.text.splitlines())
    by_neph = {r[0]: r for r in rows[1:]}
    kept = by_neph["075000000005"]  # the licence not returned
    assert kept[1] == "LEROY" and "permis non restitué" in rows_text(rows)
    assert all(re.fullmatch(r"(\d{2}/\d{2}/\d{4})?", r[6]) for r in rows[1:])
    assert not any(w in rows_text(rows) for w in ("licence_not_returned", "breached", "open;"))


def rows_text(rows: list[list[str]]) -> str:
    return "\n".join(";".join(r) for r in rows)


# --- the Permis list (issue 15) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("martin", ["075000000001"]),  # surname, case ignored
        ("PÉTIT", ["075000000003"]),  # accents ignored both ways
        ("ines", []),  # a given name alone is no surname
        ("ines 20/01/2006", ["075000000003"]),  # a given name and a birth date (Inès)
        ("Hugo Bernard", ["075000000002"]),  # given name then surname
        ("bernard hugo", ["075000000002"]),  # surname then given name
        ("bernard claire", []),  # both must match
        ("08/07/1975", ["075000000004"]),  # a birth date, as printed
        ("leroy 1980-12-03", ["075000000005"]),  # surname and birth date
        ("du", ["075000000004"]),  # a surname's beginning
    ],
)
def test_the_list_finds_a_licence_by_its_holder(
    operator: TestClient, q: str, expected: list[str]
) -> None:
    page = operator.get("/permis", params={"q": q})
    assert page.status_code == 200
    assert listed(page.text) == expected


def test_the_list_filters_sorts_and_pages(operator: TestClient) -> None:
    """Filters from the read models' columns; sortable columns; each row a link to its licence."""

    def found(**params: str) -> list[str]:
        return listed(operator.get("/permis", params={"tri": "neph", **params}).text)

    assert found(probatoire="oui") == ["075000000002"]
    assert found(signalement="non_compliance") == ["075000000003"]
    assert found(signalement="any") == ["075000000001", "075000000003", "075000000005"]
    assert found(obligation="breached") == ["075000000003", "075000000005"]
    assert found(obligation="open") == []
    assert found(centre="CENTRE-92-003") == ["075000000001"]
    assert found(statut="invalidated") == ["075000000004", "075000000005"]
    assert found(statut="invalidated", q="leroy") == ["075000000005"]
    # the département of the holder's postal address (issue 14: addresses in the demo)
    assert found(departement="75") == ["075000000001", "075000000002", "075000000004"]
    assert found(departement="93") == ["075000000003"]
    by_name = listed(operator.get("/permis").text)
    assert by_name == [
        "075000000002",  # Bernard
        "075000000004",  # Durand
        "075000000005",  # Leroy
        "075000000001",  # Martin
        "075000000003",  # Petit
    ]
    descending = operator.get("/permis", params={"tri": "nom", "ordre": "desc"}).text
    assert listed(descending) == by_name[::-1]
    assert 'aria-sort="descending"' in descending
    by_balance = operator.get("/permis", params={"tri": "solde"}).text
    assert 'aria-sort="ascending"' in by_balance
    assert operator.get("/permis", params={"tri": "nowhere"}).status_code == 422


def test_the_list_pages_fifty_at_a_time(office: Backoffice, operator: TestClient) -> None:
    from projections.search import Search, search_licences

    engine = office.context.read_models().engine
    two = search_licences(engine, Search(per_page=2, page=3, sort="neph"))
    assert two.total == 5 and two.pages == 3 and [r["neph"] for r in two.rows] == [NEPH[:-1] + "5"]
    beyond = search_licences(engine, Search(per_page=2, page=9, sort="neph"))
    assert beyond.search.page == 3  # a page past the last shows the last


# --- work queues (issue 15) ---------------------------------------------------------------------


def queue(page: str, key: str) -> list[str]:
    section = page.split(f'id="liste-{key}"', 1)[1].split('id="liste-', 1)[0]
    return re.findall(r'<td><a href="/permis/(\d{12})">', section)


def test_a_queue_item_marked_handled_leaves_the_queue_and_enters_the_audit_trail(
    operator: TestClient, auditor: TestClient
) -> None:
    """R-6.1: the missed 48N of 075000000003, handled by an operator, with a date and a note."""
    board = operator.get("/tableau-de-bord").text
    assert queue(board, "non_compliance") == ["075000000003"]
    assert "PETIT Inès" in board  # the holder beside the NEPH
    link = re.search(r'href="(/tableau-de-bord/traiter\?file=non_compliance[^"]+)"', board)
    assert link
    form = operator.get(html.unescape(link.group(1)))
    assert form.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.text))
    empty = operator.post("/tableau-de-bord/traiter", data={**fields, "done_on": "2026-03-01"})
    assert empty.status_code == 422 and "précisez ce qui a été fait" in empty.text
    assert 'aria-describedby="t-note-aide t-note-erreur"' in empty.text
    done = operator.post(
        "/tableau-de-bord/traiter",
        data={**fields, "done_on": "2026-03-01", "note": "Parquet saisi le 1er mars"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = auditor.get("/tableau-de-bord").text
    assert queue(after, "non_compliance") == []
    assert "1 alerte déjà traitée, retirée de la file" in after
    assert 'id="n-non-effectues">1<' in after  # the breach itself still stands
    trail = text(auditor.get("/permis/075000000003").text)
    assert "Traitement d'une alerte" in trail and "Parquet saisi le 1er mars" in trail
    assert "olga" in trail.split("Actions des agents", 1)[1]
    before = auditor.get("/tableau-de-bord", params={"as_of": "2026-02-28"}).text
    assert queue(before, "non_compliance") == ["075000000003"]  # not yet handled on that date
    assert auditor.get(html.unescape(link.group(1))).status_code == 403  # auditors only read


def test_a_made_up_queue_item_cannot_be_handled(operator: TestClient) -> None:
    page = operator.get("/tableau-de-bord").text
    refused = operator.post(
        "/tableau-de-bord/traiter",
        data={
            "csrf": csrf(page),
            "file": "non_compliance",
            "neph": NEPH,
            "ref": "nothing",
            "done_on": "2026-03-01",
            "note": "x",
        },
    )
    assert refused.status_code == 404


def test_every_view_of_a_code_is_in_the_audit_trail(
    operator: TestClient, auditor: TestClient, office: Backoffice
) -> None:
    """R-8.1: an operator's print of a 48N with the holder's code is recorded, who and when."""
    letter = letter_of(operator, office, "075000000002", "48N")
    assert office.code("075000000002") in letter
    trail = text(auditor.get("/permis/075000000002").text)
    assert "Consultation du code confidentiel" in trail and "lettre 48N du 02/04/2025" in trail
