"""Dates and NEPHs are taken strictly, on the command line and the HTTP API (CONTRACT §1, §3, §6),
and a consultation code shown is logged with who asked (R-8.1, R-8.3)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import OPERATOR, SECRET, Backoffice, backoffice, load_demo, permis

from infrastructure.settings import Settings
from services.bootstrap import build

NEPH = "075000000001"  # of the demo journal
ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in NEPH)  # 12 digits, but not a NEPH
NOT_DATES = ["20250601", "2025-W05-1", "2025-06-01T00:00:00", "1735689600"]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    url = f"sqlite:///{tmp_path_factory.mktemp('strict') / 'store.sqlite'}"
    service = build(Settings(database_url=url))
    load_demo(service)
    yield backoffice(service, url)
    service.store.close()


@pytest.fixture(scope="module")
def client(office: Backoffice) -> Iterator[TestClient]:
    with TestClient(office.app) as c:
        yield c


@pytest.fixture(scope="module")
def operator(client: TestClient) -> dict[str, str]:
    form = {"username": OPERATOR[0], "password": OPERATOR[1]}
    token = client.post("/api/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


# --- (a) dates: YYYY-MM-DD and nothing else ------------------------------------------------------


@pytest.mark.parametrize("value", NOT_DATES)
@pytest.mark.parametrize(
    "args",
    [
        ("licence", "show", NEPH, "--as-of"),
        ("licence", "show", NEPH, "--known-at"),
        ("tick", "--to"),
        ("report", "compliance", "--as-of"),
        ("worker", "--once", "--today"),
    ],
    ids=["show --as-of", "show --known-at", "tick --to", "report --as-of", "worker --today"],
)
def test_cli_dates_are_strictly_yyyy_mm_dd(
    office: Backoffice, args: tuple[str, ...], value: str
) -> None:
    """CONTRACT §1, §3: dates are YYYY-MM-DD; 20250601 or 2025-W05-1 (which Python 3.11's
    `date.fromisoformat` takes) are bad usage, exit 2, and nothing changes."""
    clock = office.service.clock()
    result = permis(office.url, *args, value)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{args[-1]}: {value!r} is not a date YYYY-MM-DD" in result.stderr
    assert office.service.clock() == clock


@pytest.mark.parametrize("value", NOT_DATES)
@pytest.mark.parametrize("field", ["as_of", "known_at"])
def test_api_licence_dates_are_strictly_yyyy_mm_dd(
    client: TestClient, operator: dict[str, str], field: str, value: str
) -> None:
    """CONTRACT §6 (`GET /api/licences/{neph}?as_of=DATE&known_at=DATE`): unix time or a datetime
    is not a DATE, 422 on the field."""
    response = client.get(f"/api/licences/{NEPH}", headers=operator, params={field: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("value", NOT_DATES)
def test_api_report_date_is_strictly_yyyy_mm_dd(
    client: TestClient, operator: dict[str, str], value: str
) -> None:
    """CONTRACT §6, §3 (`report compliance --as-of DATE`): the API's as_of is a DATE too."""
    response = client.get("/api/reports/compliance", headers=operator, params={"as_of": value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "as_of"


def test_well_formed_dates_still_work(client: TestClient, operator: dict[str, str]) -> None:
    """CONTRACT §6: a YYYY-MM-DD date is taken as before."""
    params = {"as_of": "2025-06-01", "known_at": "2025-06-01"}
    response = client.get(f"/api/licences/{NEPH}", headers=operator, params=params)
    assert response.status_code == 200 and response.json()["as_of"] == "2025-06-01"


# --- (b) a NEPH is 12 digits ----------------------------------------------------------------------


@pytest.mark.parametrize("neph", ["1234", ARABIC_INDIC], ids=["short", "other digits"])
@pytest.mark.parametrize(
    "command", [("licence", "show"), ("audit",), ("licence", "code")], ids=" ".join
)
def test_cli_a_malformed_neph_is_bad_usage(
    office: Backoffice, command: tuple[str, ...], neph: str
) -> None:
    """CONTRACT §1 (a NEPH is exactly 12 digits), §3 (exit 2 bad usage; exit 1 is for a well-formed
    NEPH with no licence): `licence show 1234` and `audit 1234` say so, as `licence code` does."""
    result = permis(office.url, *command, neph, PERMIS_SECRET_KEY=SECRET.decode())
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{' '.join(command)}: {neph!r} is not a NEPH (12 digits)" in result.stderr


@pytest.mark.parametrize("command", [("licence", "show"), ("audit",)], ids=" ".join)
def test_cli_a_well_formed_unknown_neph_is_still_exit_1(
    office: Backoffice, command: tuple[str, ...]
) -> None:
    """CONTRACT §3: an unknown NEPH, a clear message, exit 1."""
    result = permis(office.url, *command, "999999999999")
    assert result.returncode == 1 and "999999999999" in result.stderr


@pytest.mark.parametrize("route", ["/api/licences/{}", "/api/licences/{}/audit"])
def test_api_a_malformed_neph_is_422_and_an_unknown_one_404(
    client: TestClient, operator: dict[str, str], route: str
) -> None:
    """CONTRACT §6 (`GET /api/licences/{neph}`), §1: 12 digits of another script are not a NEPH
    (422 on the field); a well-formed NEPH without a licence is 404."""
    for neph in ("1234", ARABIC_INDIC):
        malformed = client.get(route.format(neph), headers=operator)
        assert malformed.status_code == 422
        assert malformed.json()["errors"][0]["field"] == "neph"
    assert client.get(route.format("999999999999"), headers=operator).status_code == 404


def test_api_consultation_of_a_malformed_neph_is_422(client: TestClient) -> None:
    """CONTRACT §6 (`POST /api/consultation`), R-8.1: the NEPH is 12 digits, else 422."""
    response = client.post("/api/consultation", json={"neph": ARABIC_INDIC, "code": "X"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "neph"


# --- (c) who asked for a code ---------------------------------------------------------------------


def _code_shown(stderr: str) -> dict[str, str]:
    lines = [json.loads(x) for x in stderr.splitlines() if x.startswith("{")]
    shown = [x for x in lines if x["event"] == "consultation.code_shown"]
    assert len(shown) == 1, stderr
    return dict(shown[0])


def test_r_8_1_the_code_shown_is_logged_with_the_operator(office: Backoffice) -> None:
    """R-8.1, CONTRACT §6 (`permis licence code`: an operator action, logged): the log line names
    the acting user, PERMIS_ACTOR or else the login, as every write records it (R-9.1)."""
    named = permis(
        office.url, "licence", "code", NEPH, PERMIS_SECRET_KEY=SECRET.decode(), PERMIS_ACTOR="alice"
    )
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == office.code(NEPH)
    assert _code_shown(named.stderr) | {"timestamp": ""} == {
        "event": "consultation.code_shown",
        "level": "warning",
        "neph": NEPH,
        "via": "cli",
        "user": "alice",
        "timestamp": "",
    }
    login = permis(office.url, "licence", "code", NEPH, PERMIS_SECRET_KEY=SECRET.decode())
    assert _code_shown(login.stderr)["user"].startswith("cli")


@pytest.mark.parametrize("value", NOT_DATES)
def test_web_page_dates_are_strictly_yyyy_mm_dd(value: str) -> None:
    """The back-office pages' date fields take the journal's form of a date, nothing looser."""
    from services.licensing import UsageError
    from services.web.rendering import date_param

    with pytest.raises(UsageError, match="n'est pas une date AAAA-MM-JJ"):
        date_param(value, "date de situation")
    assert str(date_param("2025-06-01", "date de situation")) == "2025-06-01"
