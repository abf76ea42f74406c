"""The back-office in a real browser: Debian's Chromium, headless, driven by Playwright.

`make test` installs Chromium when /usr/bin/chromium is missing; with CI=true a missing browser
fails the run instead of skipping it. PERMIS_SCREENSHOTS=1 also writes the pictures of the main
pages under docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import OPERATOR, REPO, Backoffice, backoffice, load_demo, serving

from infrastructure.settings import Settings
from services.bootstrap import build

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = REPO / "docs" / "screenshots"
NEPH = "075000000001"

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def office(sqlite_url: str) -> Iterator[Backoffice]:
    service = build(Settings(database_url=sqlite_url))
    load_demo(service)
    yield backoffice(service, sqlite_url)
    service.store.close()


@pytest.fixture
def site(office: Backoffice) -> Iterator[str]:
    with serving(office.app) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


def shot(page: Page, name: str, tmp_path: Path) -> None:
    """A full-page picture; kept under docs/screenshots/ when PERMIS_SCREENSHOTS=1."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("PERMIS_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)


def log_in(page: Page, site: str, tmp_path: Path) -> None:
    page.goto(f"{site}/permis/{NEPH}")
    expect(page).to_have_url(f"{site}/connexion?suite=/permis/{NEPH}")
    shot(page, "01-connexion", tmp_path)
    page.fill("#username", OPERATOR[0])
    page.fill("#password", OPERATOR[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}/permis/{NEPH}")


def record(page: Page, link: str, fields: dict[str, str], selects: dict[str, str]) -> None:
    """Open a form from the licence page, fill it, check it, then confirm it."""
    page.click(f"text={link}")
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)
    for name, value in selects.items():
        page.select_option(f"#f-{name}", value)
    page.click("text=Vérifier")
    page.click("#confirmer")


def test_log_in_record_an_infraction_and_see_the_balance_change(
    page: Page, site: str, office: Backoffice, tmp_path: Path
) -> None:
    """R-2.1 then R-2.2 through the forms: recorded withdraws nothing, established withdraws."""
    log_in(page, site, tmp_path)
    balance = office.service.view(NEPH)["balance"]
    expect(page.locator("#solde")).to_have_text(str(balance))
    shot(page, "02-permis", tmp_path)

    record(
        page,
        "Signalement d'une infraction",
        {"infraction_id": "nav-1", "committed_on": "2026-02-20"},
        {"offence": "stop_sign"},
    )
    expect(page.locator(".notice.success")).to_contain_text("enregistrée")
    expect(page.locator("#solde")).to_have_text(str(balance))  # reported only (R-2.1)

    page.click("text=Réalité d'une infraction établie")
    page.fill("#f-infraction_id", "nav-1")
    page.click("text=Vérifier")
    expect(page.locator('[data-field="established_on"]')).to_be_visible()  # beside its field
    shot(page, "03-saisie-erreurs", tmp_path)
    page.fill("#f-established_on", "2026-02-27")
    page.select_option("#f-basis", "fine_paid")
    page.click("text=Vérifier")
    expect(page.locator("#confirmer")).to_be_visible()
    shot(page, "04-confirmation", tmp_path)
    page.click("#confirmer")
    expect(page.locator("#solde")).to_have_text(str(balance - 4))  # stop sign: 4 points
    actors = {
        e["actor"]
        for e in office.service.audit(NEPH)
        if e["command_id"] and not e["command_id"].startswith("demo")
    }
    assert actors == {OPERATOR[0]}


def test_look_back_with_as_of(page: Page, site: str, tmp_path: Path) -> None:
    """R-9.1: the page as of 2025-03-01 shows the balance before the withdrawal of 2025-03-04."""
    log_in(page, site, tmp_path)
    expect(page.locator("#solde")).to_have_text("8")
    page.fill("#as_of", "2025-03-01")
    page.click("text=Voir à cette date")
    expect(page.locator("#solde")).to_have_text("12")
    expect(page.locator("#date-situation")).to_have_text("01/03/2025")
    expect(page).to_have_url(f"{site}/permis/{NEPH}?as_of=2025-03-01&known_at=")
    expect(page.locator("text=Vue rétrospective")).to_be_visible()
    shot(page, "05-situation-passee", tmp_path)


def test_print_a_48n(page: Page, site: str, office: Backoffice, tmp_path: Path) -> None:
    """R-3.4: the 48N prints with its mandatory-stage notice and the consultation code."""
    log_in(page, site, tmp_path)
    page.goto(f"{site}/permis/075000000002")
    shot(page, "06-permis-probatoire", tmp_path)
    with page.context.expect_page() as opened:
        page.click("text=Imprimer la lettre 48N")
    letter = opened.value
    letter.wait_for_load_state()
    expect(letter.locator("#lettre")).to_contain_text("stage de sensibilisation")
    expect(letter.locator("#code")).to_have_text(office.code("075000000002"))
    shot(letter, "07-lettre-48N", tmp_path)
    letter.emulate_media(media="print")
    expect(letter.locator("header.site")).to_be_hidden()
    expect(letter.locator("text=Imprimer").first).to_be_hidden()
    pdf = letter.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    (tmp_path / "48N.pdf").write_bytes(pdf)


def test_the_dashboard_in_the_browser(page: Page, site: str, tmp_path: Path) -> None:
    """R-6: counts, their trend as a chart, and the lists to act on, each NEPH a link."""
    log_in(page, site, tmp_path)
    page.click("text=Tableau de bord")
    expect(page.locator("#n-non-effectues")).to_have_text("1")
    expect(page.locator("svg.chart polyline")).to_have_count(3)
    shot(page, "10-tableau-de-bord", tmp_path)
    page.click("#liste-non_compliance ~ table a >> nth=0")
    expect(page).to_have_url(f"{site}/permis/075000000003")


def test_a_holder_consults_in_the_browser(
    page: Page, site: str, office: Backoffice, tmp_path: Path
) -> None:
    """R-8.1: NEPH and code, no login."""
    page.goto(f"{site}/consultation")
    shot(page, "08-consultation", tmp_path)
    page.fill("#c-neph", "075000000002")
    page.fill("#c-code", office.code("075000000002"))
    page.click("main button[type=submit]")
    expect(page.locator("#solde")).to_have_text(str(office.service.view("075000000002")["balance"]))
    shot(page, "09-releve", tmp_path)
