"""The HTTP API of CONTRACT §6, every route and role, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import (
    AUDITOR,
    DEMO_CLOCK,
    DEMO_NEPHS,
    OPERATOR,
    SECRET,
    Backoffice,
    backoffice,
    demo_line,
    load_demo,
    permis,
)

from domain.policy import Policy
from infrastructure.settings import Settings
from services.bootstrap import build

NEPH = "075000000001"


@pytest.fixture
def office(make_service, store_url: str) -> Backoffice:  # type: ignore[no-untyped-def]
    service = make_service(Policy(consultation_max_attempts=5, consultation_lock_minutes=15))
    load_demo(service)
    return backoffice(service, store_url)


@pytest.fixture
def client(office: Backoffice) -> Iterator[TestClient]:
    with TestClient(office.app) as c:
        yield c


def bearer(client: TestClient, who: tuple[str, str]) -> dict[str, str]:
    response = client.post("/api/token", data={"username": who[0], "password": who[1]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


@pytest.fixture
def operator(client: TestClient) -> dict[str, str]:
    return bearer(client, OPERATOR)


@pytest.fixture
def auditor(client: TestClient) -> dict[str, str]:
    return bearer(client, AUDITOR)


def cli_view(store_url: str, *args: str) -> Any:
    result = permis(store_url, "licence", "show", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


READ_ROUTES = [
    "/api/me",
    "/api/clock",
    f"/api/licences/{NEPH}",
    f"/api/licences/{NEPH}/audit",
    "/api/reports/compliance?as_of=2026-03-01",
]


# --- tokens and roles --------------------------------------------------------------------------


def test_token_is_refused_for_a_wrong_password_with_field_and_reason(client: TestClient) -> None:
    response = client.post("/api/token", data={"username": OPERATOR[0], "password": "nope-nope"})
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {
            "field": "password",
            "reason": "unknown user or wrong password",
            "index": None,
            "line": None,
        }
    ]
    unknown = client.post("/api/token", data={"username": "nobody", "password": "whatever1"})
    assert unknown.status_code == 401


def test_token_needs_both_form_fields(client: TestClient) -> None:
    response = client.post("/api/token", data={"username": OPERATOR[0]})
    assert response.status_code == 422
    assert {"field": "password"}.items() <= response.json()["errors"][0].items()


@pytest.mark.parametrize("route", READ_ROUTES)
def test_every_read_route_needs_a_token(client: TestClient, route: str) -> None:
    missing = client.get(route)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["errors"][0]["field"] == "Authorization"
    forged = client.get(route, headers={"Authorization": "Bearer forged.token.value"})
    assert forged.status_code == 401


@pytest.mark.parametrize("route", READ_ROUTES)
@pytest.mark.parametrize("who", [OPERATOR, AUDITOR], ids=["operator", "auditor"])
def test_operators_and_auditors_read_every_route(
    client: TestClient, route: str, who: tuple[str, str]
) -> None:
    assert client.get(route, headers=bearer(client, who)).status_code == 200


def test_me_names_the_user_and_role(client: TestClient, auditor: dict[str, str]) -> None:
    assert client.get("/api/me", headers=auditor).json() == {"name": AUDITOR[0], "role": "auditor"}


def test_clock_is_the_store_clock(client: TestClient, auditor: dict[str, str]) -> None:
    assert client.get("/api/clock", headers=auditor).json() == {"clock": DEMO_CLOCK.isoformat()}


def test_the_journal_needs_a_token(client: TestClient, office: Backoffice) -> None:
    line = demo_line(id="x-1", type="licence.return", neph=NEPH, returned_on="2026-03-01")
    assert client.post("/api/journal", json=[line]).status_code == 401


def test_an_auditors_write_is_refused_403_and_nothing_is_applied(
    client: TestClient, auditor: dict[str, str], office: Backoffice
) -> None:
    """Auditors read everything and write nothing."""
    before = office.service.audit(NEPH)
    line = demo_line(
        id="aud-1",
        type="infraction.record",
        neph=NEPH,
        infraction_id="z9",
        offence="red_light",
        committed_on="2026-02-20",
    )
    response = client.post("/api/journal", headers=auditor, json=[line])
    assert response.status_code == 403
    assert response.json()["errors"][0]["reason"] == "auditors may not write"
    assert office.service.audit(NEPH) == before
    assert office.service.store.permis.select_receipts(["aud-1"]) == {}


# --- the licence view --------------------------------------------------------------------------


def test_the_api_returns_the_same_licence_view_as_the_cli(
    client: TestClient, auditor: dict[str, str], office: Backoffice
) -> None:
    """R-9.1: the view on the clock, and as of / known at an earlier date, equal the CLI's."""
    for neph in DEMO_NEPHS:
        api = client.get(f"/api/licences/{neph}", headers=auditor).json()
        assert api == cli_view(office.url, neph)
    for neph in ("075000000002", "075000000004"):
        params = {"as_of": "2025-08-01", "known_at": "2025-08-01"}
        api = client.get(f"/api/licences/{neph}", headers=auditor, params=params).json()
        assert api["as_of"] == "2025-08-01"
        assert api == cli_view(
            office.url, neph, "--as-of", "2025-08-01", "--known-at", "2025-08-01"
        )


def test_as_of_later_than_the_clock_is_422_on_the_field(
    client: TestClient, auditor: dict[str, str]
) -> None:
    response = client.get(f"/api/licences/{NEPH}", headers=auditor, params={"as_of": "2030-01-01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "as_of"


def test_an_unknown_neph_is_404_and_a_bad_one_422(
    client: TestClient, auditor: dict[str, str]
) -> None:
    unknown = client.get("/api/licences/999999999999", headers=auditor)
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "neph"
    bad = client.get("/api/licences/12AB", headers=auditor)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "neph"
    date = client.get(f"/api/licences/{NEPH}", headers=auditor, params={"known_at": "yesterday"})
    assert date.status_code == 422
    assert date.json()["errors"][0]["field"] == "known_at"


def test_audit_lists_every_event_with_rule_and_article(
    client: TestClient, auditor: dict[str, str], office: Backoffice
) -> None:
    trail = client.get(f"/api/licences/{NEPH}/audit", headers=auditor).json()
    assert trail == json.loads(json.dumps(office.service.audit(NEPH)))
    withdrawal = next(e for e in trail if e["event"] == "PointsWithdrawn")
    assert withdrawal["rule"] == "R-2.2" and withdrawal["article"].startswith("L223-1")
    assert client.get("/api/licences/999999999999/audit", headers=auditor).status_code == 404


def test_the_compliance_report_is_the_clis(
    client: TestClient, auditor: dict[str, str], office: Backoffice
) -> None:
    """CONTRACT §6: the same rows as `permis report compliance`, in JSON and CSV."""
    api = client.get("/api/reports/compliance", headers=auditor, params={"as_of": "2026-03-01"})
    assert api.status_code == 200
    cli = permis(office.url, "report", "compliance", "--as-of", "2026-03-01", "--format", "json")
    assert cli.returncode == 0, cli.stderr
    assert api.json() == json.loads(cli.stdout)
    assert {(i["neph"], i["kind"]) for i in api.json()["items"]} >= {
        ("075000000003", "non_compliance"),
        ("075000000005", "licence_not_returned"),
    }
    csv = client.get(
        "/api/reports/compliance", headers=auditor, params={"as_of": "2026-03-01", "format": "csv"}
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("neph,record,kind,status")
    late = client.get("/api/reports/compliance", headers=auditor, params={"as_of": "2027-01-01"})
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "as_of"
    assert client.get("/api/reports/compliance", headers=auditor).status_code == 422


# --- the journal -------------------------------------------------------------------------------


def test_journal_applies_records_the_acting_user_and_is_idempotent(
    client: TestClient, operator: dict[str, str], auditor: dict[str, str], office: Backoffice
) -> None:
    """CONTRACT §3 through HTTP: 200 applied, then 200 skipped; each event names its user."""
    lines = [
        demo_line(
            id="api-1",
            type="infraction.record",
            neph=NEPH,
            infraction_id="a9",
            offence="seat_belt",
            committed_on="2026-02-20",
        ),
        demo_line(
            id="api-2",
            type="infraction.establish",
            neph=NEPH,
            infraction_id="a9",
            established_on="2026-02-28",
            basis="fine_paid",
        ),
    ]
    before = client.get(f"/api/licences/{NEPH}", headers=auditor).json()["balance"]
    first = client.post("/api/journal", headers=operator, json=lines)
    assert first.status_code == 200
    assert first.json() == {"applied": 2, "skipped": 0, "refused": 0, "refusals": []}
    after = client.get(f"/api/licences/{NEPH}", headers=auditor).json()["balance"]
    assert after == before - 3
    trail = client.get(f"/api/licences/{NEPH}/audit", headers=auditor).json()
    mine = [e for e in trail if e["command_id"] in ("api-1", "api-2")]
    assert len(mine) == 2 and {e["actor"] for e in mine} == {OPERATOR[0]}
    assert not any(
        e["actor"] for e in trail if e["command_id"] and e["command_id"].startswith("demo")
    )
    again = client.post("/api/journal", headers=operator, json=lines)
    assert again.status_code == 200
    assert again.json() == {"applied": 0, "skipped": 2, "refused": 0, "refusals": []}


def test_a_malformed_journal_is_422_with_each_error_and_nothing_applied(
    client: TestClient, operator: dict[str, str], office: Backoffice
) -> None:
    good = demo_line(
        id="m-1",
        type="infraction.record",
        neph=NEPH,
        infraction_id="m1",
        offence="red_light",
        committed_on="2026-02-20",
    )
    bad_date = demo_line(
        id="m-2",
        type="stage.complete",
        neph=NEPH,
        stage_id="s9",
        kind="voluntary",
        first_day="2026-02-27",
        last_day="2026-02-27",
    )
    response = client.post(
        "/api/journal",
        headers=operator,
        json=[good, bad_date, "not an object", {**good, "id": "m-4", "neph": "123"}],
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "3 malformed line(s): nothing applied"
    by_index = {(e["index"], e["line"], e["field"]) for e in body["errors"]}
    assert by_index == {(1, 2, "last_day"), (2, 3, None), (3, 4, "neph")}
    assert all(e["reason"] for e in body["errors"])
    assert office.service.store.permis.select_receipts(["m-1"]) == {}
    assert "m1" not in office.service.view(NEPH)["infractions"].__repr__()


def test_journal_lines_going_back_in_time_or_before_the_clock_are_422(
    client: TestClient, operator: dict[str, str]
) -> None:
    """CONTRACT §1: `at` never before the store's clock nor the previous line's."""
    early = demo_line(
        id="c-1", type="licence.return", neph=NEPH, returned_on="2026-01-01", at="2026-01-02"
    )
    response = client.post("/api/journal", headers=operator, json=[early])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "at"
    later = demo_line(
        id="c-2", type="licence.return", neph=NEPH, returned_on="2026-03-02", at="2026-03-03"
    )
    backwards = client.post(
        "/api/journal",
        headers=operator,
        json=[later, {**later, "id": "c-3"} | {"at": "2026-03-02"}],
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0] == {
        "field": "at",
        "reason": "2026-03-02 is earlier than the previous line's 2026-03-03",
        "index": 1,
        "line": 2,
    }


def test_a_journal_that_is_not_an_array_is_422(
    client: TestClient, operator: dict[str, str]
) -> None:
    response = client.post("/api/journal", headers=operator, json={"id": "x"})
    assert response.status_code == 422
    assert response.json()["errors"]
    broken = client.post(
        "/api/journal", headers={**operator, "Content-Type": "application/json"}, content=b"[{"
    )
    assert broken.status_code == 422


def test_refused_lines_are_409_with_each_refusal_and_the_others_applied(
    client: TestClient, operator: dict[str, str], office: Backoffice
) -> None:
    lines = [
        demo_line(
            id="r-1",
            type="infraction.establish",
            neph=NEPH,
            infraction_id="never",
            established_on="2026-02-28",
            basis="fine_paid",
        ),
        demo_line(
            id="r-2",
            type="infraction.record",
            neph=NEPH,
            infraction_id="r2",
            offence="red_light",
            committed_on="2026-02-20",
        ),
        demo_line(id="r-3", type="licence.return", neph="111111111111", returned_on="2026-03-01"),
    ]
    response = client.post("/api/journal", headers=operator, json=lines)
    assert response.status_code == 409
    body = response.json()
    assert (body["applied"], body["skipped"], body["refused"]) == (1, 0, 2)
    assert [(r["index"], r["line"], r["id"]) for r in body["refusals"]] == [
        (0, 1, "r-1"),
        (2, 3, "r-3"),
    ]
    assert "never" in body["refusals"][0]["reason"]
    assert office.service.store.permis.select_receipts(["r-2"])["r-2"].outcome == "applied"
    changed = client.post(
        "/api/journal", headers=operator, json=[{**lines[1], "offence": "stop_sign"}]
    )
    assert changed.status_code == 409
    assert "already used for a different line" in changed.json()["refusals"][0]["reason"]


# --- consultation (R-8) ------------------------------------------------------------------------


def test_a_holder_consults_with_neph_and_code(client: TestClient, office: Backoffice) -> None:
    """R-8.1: no token; the view is the licence's, the code is case- and dash-insensitive."""
    code = office.code(NEPH)
    response = client.post(
        "/api/consultation", json={"neph": NEPH, "code": code.lower().replace("-", " ")}
    )
    assert response.status_code == 200
    assert response.json() == office.service.view(NEPH)


def test_a_wrong_code_is_401_on_the_code_field(client: TestClient, office: Backoffice) -> None:
    response = client.post("/api/consultation", json={"neph": NEPH, "code": "AAAAA-AAAAA"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "code"
    other = client.post(
        "/api/consultation", json={"neph": NEPH, "code": office.code("075000000002")}
    )
    assert other.status_code == 401


def test_r_8_3_after_5_wrong_codes_the_right_one_gets_429_for_15_minutes(
    client: TestClient, office: Backoffice
) -> None:
    """R-8.3: 5 wrong codes lock the NEPH for 15 minutes; every attempt is logged."""
    right = {"neph": NEPH, "code": office.code(NEPH)}
    for _ in range(5):
        assert (
            client.post("/api/consultation", json={"neph": NEPH, "code": "WRONG"}).status_code
            == 401
        )
    locked = client.post("/api/consultation", json=right)
    assert locked.status_code == 429
    assert locked.json()["errors"][0]["field"] == "code"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60 + 1
    other = client.post(
        "/api/consultation", json={"neph": "075000000002", "code": office.code("075000000002")}
    )
    assert other.status_code == 200  # the lock is per NEPH
    office.clock.advance(14.9)
    assert client.post("/api/consultation", json=right).status_code == 429
    office.clock.advance(0.2)
    assert client.post("/api/consultation", json=right).status_code == 200
    outcomes = [o for _, o in office.context.guard.attempts(NEPH)]
    assert outcomes == ["wrong"] * 5 + ["locked", "locked", "ok"]


def test_a_good_code_resets_the_count_of_wrong_ones(client: TestClient, office: Backoffice) -> None:
    right = {"neph": NEPH, "code": office.code(NEPH)}
    for _ in range(4):
        client.post("/api/consultation", json={"neph": NEPH, "code": "WRONG"})
    assert client.post("/api/consultation", json=right).status_code == 200
    for _ in range(4):
        assert (
            client.post("/api/consultation", json={"neph": NEPH, "code": "WRONG"}).status_code
            == 401
        )
    assert client.post("/api/consultation", json=right).status_code == 200


def test_the_lock_follows_the_policy_not_a_constant(make_service, store_url: str) -> None:  # type: ignore[no-untyped-def]
    """R-8.3 POLICY: consultation_max_attempts and consultation_lock_minutes are settings."""
    service = make_service(Policy(consultation_max_attempts=2, consultation_lock_minutes=1))
    load_demo(service)
    office = backoffice(service, store_url)
    with TestClient(office.app) as client:
        right = {"neph": NEPH, "code": office.code(NEPH)}
        for _ in range(2):
            assert (
                client.post("/api/consultation", json={"neph": NEPH, "code": "X"}).status_code
                == 401
            )
        assert client.post("/api/consultation", json=right).status_code == 429
        office.clock.advance(1.01)
        assert client.post("/api/consultation", json=right).status_code == 200


def test_consultation_of_an_unknown_or_malformed_neph(
    client: TestClient, office: Backoffice
) -> None:
    unknown = "123456789012"
    assert client.post("/api/consultation", json={"neph": unknown, "code": "X"}).status_code == 401
    found = client.post("/api/consultation", json={"neph": unknown, "code": office.code(unknown)})
    assert found.status_code == 404
    bad = client.post("/api/consultation", json={"neph": "12", "code": "X"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "neph"


# --- the document and the commands -------------------------------------------------------------


def test_the_openapi_document_describes_the_contract_routes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("/api/token", "/api/licences/{neph}", "/api/journal", "/api/consultation"):
        assert path in paths
    journal = paths["/api/journal"]["post"]
    assert {"200", "401", "403", "409", "422"} <= set(journal["responses"])
    items = journal["requestBody"]["content"]["application/json"]["schema"]["items"]
    refs = {one["$ref"].rsplit("/", 1)[1] for one in items["oneOf"]}
    assert "RecordInfraction" in refs and set(refs) <= set(document["components"]["schemas"])
    assert "429" in paths["/api/consultation"]["post"]["responses"]
    assert not any(p.startswith("/permis") for p in paths)  # the pages are not the API


def test_users_add_reads_the_password_from_stdin_and_hashes_it(sqlite_url: str) -> None:
    store_url = sqlite_url
    created = permis(
        store_url, "users", "add", "carla", "--role", "operator", stdin="a-long-password\n"
    )
    assert created.returncode == 0, created.stderr
    again = permis(store_url, "users", "add", "carla", "--role", "auditor", stdin="xxxxxxxxx\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    bad_role = permis(store_url, "users", "add", "dan", "--role", "superuser", stdin="xxxxxxxxx\n")
    assert bad_role.returncode == 2
    short = permis(store_url, "users", "add", "dan", "--role", "auditor", stdin="short\n")
    assert short.returncode == 2 and "password" in short.stderr
    from infrastructure.users import UserStore, users_table
    from projections.database import engine_for

    store = UserStore(engine_for(store_url))
    with store.engine.connect() as conn:
        stored = conn.execute(users_table.select()).first()
    assert stored is not None and stored.password_hash.startswith("$argon2")
    assert "a-long-password" not in stored.password_hash
    assert store.authenticate("carla", "a-long-password") is not None
    assert store.authenticate("carla", "wrong-password") is None


def test_licence_code_prints_the_code_the_consultation_accepts(sqlite_url: str) -> None:
    """R-8.1: the operator's `permis licence code` gives the code a holder consults with."""
    service = build(Settings(database_url=sqlite_url))
    load_demo(service)
    office = backoffice(service, sqlite_url)
    client = TestClient(office.app)
    result = permis(office.url, "licence", "code", NEPH, PERMIS_SECRET_KEY=SECRET.decode())
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip()
    assert code == office.code(NEPH)
    assert client.post("/api/consultation", json={"neph": NEPH, "code": code}).status_code == 200
    unknown = permis(office.url, "licence", "code", "999999999999", PERMIS_SECRET_KEY="k")
    assert unknown.returncode == 1
