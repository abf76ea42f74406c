"""The back-office's door (issue 15): throttled logins, bounded hashing, revocable sessions, security
headers and cookies, user management; and what it offers around it: /docs, /redoc, /healthz,
/readyz, /metrics.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Literal

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from web_support import AUDITOR, OPERATOR, Backoffice, backoffice, load_demo

from infrastructure.settings import Settings
from infrastructure.users import UserStore
from projections.database import engine_for
from services.bootstrap import build
from services.web.hardening import CSP

NEPH = "075000000001"


@pytest.fixture
def office(sqlite_url: str) -> Iterator[Backoffice]:
    service = build(Settings(database_url=sqlite_url))
    load_demo(service)
    yield backoffice(service, sqlite_url)
    service.store.close()


def log_in(client: TestClient, who: tuple[str, str]) -> int:
    response = client.post(
        "/connexion", data={"username": who[0], "password": who[1]}, follow_redirects=False
    )
    return response.status_code


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found
    return found.group(1)


# --- the login lock-out -------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one(office: Backoffice) -> None:
    """Throttled like the holders' consultation (R-8.3 for codes): per user, a French message,
    429 with Retry-After, and the right password refused until the lock ends."""
    client = TestClient(office.app)
    for left in (4, 3, 2, 1):
        wrong = client.post("/connexion", data={"username": OPERATOR[0], "password": "bad-bad-1"})
        assert (
            wrong.status_code == 401
            and f"Il vous reste {left} essai{'s' if left > 1 else ''}" in wrong.text
        )
    locked = client.post("/connexion", data={"username": OPERATOR[0], "password": "bad-bad-1"})
    assert locked.status_code == 429
    assert "Trop de tentatives de connexion" in locked.text and "15 minutes" in locked.text
    assert log_in(client, OPERATOR) == 429  # the right password, still locked
    assert int(client.post("/api/token", data=dict(zip(("username", "password"), OPERATOR, strict=True))).headers["retry-after"]) > 0  # fmt: skip
    assert log_in(client, AUDITOR) == 303  # another user is not locked out
    office.clock.advance(16)
    assert log_in(client, OPERATOR) == 303


def test_wrong_passwords_from_one_address_lock_it_whatever_the_names(office: Backoffice) -> None:
    """Per address: twenty wrong logins under as many names lock the address out."""
    client = TestClient(office.app)
    for n in range(20):
        client.post("/connexion", data={"username": f"guess{n}", "password": "whatever1"})
    assert log_in(client, AUDITOR) == 429
    office.clock.advance(16)
    assert log_in(client, AUDITOR) == 303


def test_a_locked_login_hashes_nothing(office: Backoffice) -> None:
    """A locked-out attacker costs no argon2: the lock is checked before the password."""
    client = TestClient(office.app)
    for _ in range(5):
        client.post("/connexion", data={"username": OPERATOR[0], "password": "bad-bad-1"})
    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(password))
            return super().verify(hash, password)

    office.context.users.hasher = Counting(time_cost=1, memory_cost=1024, parallelism=1)
    assert log_in(client, OPERATOR) == 429
    assert calls == []
    assert log_in(client, AUDITOR) == 303 and calls == [AUDITOR[1]]


def test_argon2_runs_a_bounded_number_of_hashes_at_once(sqlite_url: str) -> None:
    """40 wrong logins at once took the server from 89 MB to 2.3 GB: a semaphore bounds them."""
    running, peak, lock = [0], [0], threading.Lock()

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                time.sleep(0.02)
                return super().verify(hash, password)
            finally:
                with lock:
                    running[0] -= 1

    users = UserStore(
        engine_for(sqlite_url), Counting(time_cost=1, memory_cost=1024, parallelism=1), at_once=2
    )
    users.add("olga", "operator", "operator-password")
    threads = [
        threading.Thread(target=users.authenticate, args=("olga", f"wrong-{n}")) for n in range(40)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert peak[0] == 2


# --- sessions, cookies, headers ---------------------------------------------------------------


def test_the_session_cookie_is_http_only_same_site_lax_and_secure_over_https(
    office: Backoffice,
) -> None:
    plain = TestClient(office.app)
    cookie = plain.post(
        "/connexion",
        data={"username": OPERATOR[0], "password": OPERATOR[1]},
        follow_redirects=False,
    ).headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()
    https = TestClient(office.app, base_url="https://permis.example")
    secure = https.post(
        "/connexion",
        data={"username": OPERATOR[0], "password": OPERATOR[1]},
        follow_redirects=False,
    ).headers["set-cookie"]
    assert "; secure" in secure.lower()


def test_logout_revokes_the_session_on_the_server(office: Backoffice) -> None:
    """A copy of the cookie taken before the logout opens nothing after it."""
    client = TestClient(office.app)
    assert log_in(client, OPERATOR) == 303
    stolen = client.cookies.get("permis_session")
    page = client.get(f"/permis/{NEPH}").text
    client.post("/deconnexion", data={"csrf": csrf(page)}, follow_redirects=False)
    thief = TestClient(office.app, cookies={"permis_session": stolen})
    assert thief.get(f"/permis/{NEPH}", follow_redirects=False).status_code == 303  # to login


@pytest.mark.parametrize("path", ["/connexion", "/consultation", "/docs", "/healthz"])
def test_every_answer_carries_the_security_headers(office: Backoffice, path: str) -> None:
    response = TestClient(office.app).get(path)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]  # fmt: skip
    assert "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    if path != "/docs":
        assert csp == CSP


def test_no_page_carries_an_inline_script_or_handler(office: Backoffice) -> None:
    """The CSP forbids inline scripts: the templates must not need any."""
    client = TestClient(office.app)
    log_in(client, OPERATOR)
    for path in ("/permis", f"/permis/{NEPH}", "/tableau-de-bord", "/saisie", "/permis/075000000002/lettres/0", "/docs", "/redoc"):  # fmt: skip
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert not re.search(r"\son[a-z]+=", page), path
        assert "javascript:" not in page, path


# --- users ------------------------------------------------------------------------------------


def test_an_admin_creates_disables_and_resets_users_and_auditors_see_who(
    office: Backoffice,
) -> None:
    office.context.users.add("adele", "admin", "admin-password")
    admin = TestClient(office.app)
    assert log_in(admin, ("adele", "admin-password")) == 303
    page = admin.get("/utilisateurs").text
    created = admin.post(
        "/utilisateurs",
        data={"csrf": csrf(page), "name": "oscar", "role": "operator", "password": "first-pass"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    short = admin.post(
        "/utilisateurs",
        data={"csrf": csrf(page), "name": "otto", "role": "operator", "password": "short"},
    )
    assert short.status_code == 422 and "8 caractères au moins" in short.text
    unchosen = admin.post(
        "/utilisateurs",
        data={"csrf": csrf(page), "name": "otto", "role": "", "password": "long-enough"},
    )  # no role chosen for the admin (issue 14)
    assert unchosen.status_code == 422 and "choisissez un rôle" in unchosen.text
    assert '<option value="">— choisir un rôle —</option>' in page
    oscar = TestClient(office.app)
    assert log_in(oscar, ("oscar", "first-pass")) == 303
    assert oscar.get(f"/permis/{NEPH}").status_code == 200
    admin.post("/utilisateurs/oscar", data={"csrf": csrf(page), "action": "disable"})
    assert oscar.get(f"/permis/{NEPH}", follow_redirects=False).status_code == 303  # session ended
    assert log_in(TestClient(office.app), ("oscar", "first-pass")) == 401
    admin.post("/utilisateurs/oscar", data={"csrf": csrf(page), "action": "enable"})
    admin.post(
        "/utilisateurs/oscar", data={"csrf": csrf(page), "action": "password", "password": "second-pass"}
    )  # fmt: skip
    assert log_in(TestClient(office.app), ("oscar", "first-pass")) == 401
    assert log_in(TestClient(office.app), ("oscar", "second-pass")) == 303
    assert admin.get(f"/permis/{NEPH}").status_code == 403  # admins read no licence
    auditor = TestClient(office.app)
    log_in(auditor, AUDITOR)
    history = auditor.get("/utilisateurs").text
    assert history.count("<td>adele</td>") >= 4  # created, disabled, enabled, reset: by adele
    assert "mot de passe réinitialisé" in history and "Désactiver" not in history
    operator = TestClient(office.app)
    log_in(operator, OPERATOR)
    assert operator.get("/utilisateurs").status_code == 403


def test_permis_users_manages_users_from_the_command_line(sqlite_url: str) -> None:
    from web_support import permis

    assert permis(sqlite_url, "users", "add", "ada", "--role", "admin", stdin="long-password\n").returncode == 0  # fmt: skip
    assert permis(sqlite_url, "users", "add", "op", "--role", "operator", stdin="long-password\n").returncode == 0  # fmt: skip
    assert permis(sqlite_url, "users", "disable", "op").returncode == 0
    listed = permis(sqlite_url, "users", "list")
    assert re.search(r"op\s+operator\s+disabled", listed.stdout), listed.stdout
    assert permis(sqlite_url, "users", "enable", "op").returncode == 0
    assert permis(sqlite_url, "users", "reset-password", "op", stdin="new-password\n").returncode == 0  # fmt: skip
    users = UserStore(engine_for(sqlite_url))
    assert users.authenticate("op", "new-password") is not None
    assert [c.change for c in users.changes("op")] == [
        "password_reset",
        "enabled",
        "disabled",
        "created",
    ]
    assert permis(sqlite_url, "users", "disable", "nobody").returncode == 1


# --- /docs, /redoc, /healthz, /readyz, /metrics ----------------------------------------------------


def test_the_api_documentation_is_served_offline(office: Backoffice) -> None:
    client = TestClient(office.app)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "/static/vendor/redoc/redoc.standalone.js" in redoc.text
    for page in (docs.text, redoc.text):
        for src in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert src.startswith("/"), f"{src} is not served here"
            assert client.get(src).status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/api/token"]


def test_healthz_and_readyz(office: Backoffice) -> None:
    client = TestClient(office.app)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {
        "store": "ok",
        "migrations": "ok",
        "clock": "2026-03-01",
        "today": "2026-03-01",
        "worker": "ok",
    }
    office.clock.advance(3 * 24 * 60)  # three days later, and the worker has not ticked
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["checks"]["worker"] == "the clock is 3 day(s) behind today"


def test_metrics_count_requests_imports_and_the_clocks_lag(office: Backoffice) -> None:
    client = TestClient(office.app)
    token = client.post("/api/token", data={"username": OPERATOR[0], "password": OPERATOR[1]})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    line = {"id": "m-1", "at": "2026-03-01", "type": "licence.return", "neph": "075000000005", "returned_on": "2026-03-01"}  # fmt: skip
    assert client.post("/api/journal", json=[line], headers=bearer).status_code == 200
    office.clock.advance(2 * 24 * 60)
    text = client.get("/metrics").text
    assert re.search(r'permis_http_requests_total\{method="POST",route="/api/journal",status="200"\} [1-9]', text)  # fmt: skip
    assert 'permis_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in text or "permis_http_request_duration_seconds_count" in text  # fmt: skip
    assert re.search(r'permis_journal_imports_total\{outcome="applied"\} [1-9]', text)
    assert "permis_ticks_total" in text
    assert "permis_clock_lag_days 2.0" in text
    assert "permis_read_models_lag_notifications 0.0" in text
    assert "permis_store_up 1.0" in text
    assert date(2026, 3, 1)  # the demo's clock: two days behind the wall clock above
