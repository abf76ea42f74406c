"""The back-office in a real browser: Debian's Chromium, headless, driven by Playwright.

`make test` installs Chromium when /usr/bin/chromium is missing; with CI=true a missing browser
fails the run instead of skipping it. PERMIS_SCREENSHOTS=1 also writes the pictures of the main
pages under docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
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
    # bypass_csp: axe-core is injected into the page by the tests, never served by the app.
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
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
    page.click("#connexion button[type=submit]")
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
    expect(page.locator(".fr-alert--success")).to_contain_text("enregistrée")
    expect(page.locator("#solde")).to_have_text(str(balance))  # reported only (R-2.1)

    page.click("text=Réalité d'une infraction établie")
    page.select_option("#f-infraction_id", "nav-1")  # picked from the licence (issue 14)
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
    expect(letter.locator("header.fr-header")).to_be_hidden()
    expect(letter.locator("text=Imprimer").first).to_be_hidden()
    pdf = letter.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    (tmp_path / "48N.pdf").write_bytes(pdf)


def test_the_dashboard_in_the_browser(page: Page, site: str, tmp_path: Path) -> None:
    """R-6: counts, their trend as a chart, and the lists to act on, each NEPH a link."""
    log_in(page, site, tmp_path)
    page.click("#navigation >> text=Tableau de bord")
    expect(page.locator("#n-non-effectues")).to_have_text("1")
    expect(page.locator("svg.chart polyline")).to_have_count(3)
    shot(page, "10-tableau-de-bord", tmp_path)
    page.click("section[aria-labelledby=liste-non_compliance] td a >> nth=0")
    expect(page).to_have_url(f"{site}/permis/075000000003")


def test_a_holder_consults_in_the_browser(
    page: Page, site: str, office: Backoffice, tmp_path: Path
) -> None:
    """R-8.1: NEPH and code, no login."""
    page.goto(f"{site}/consultation")
    shot(page, "08-consultation", tmp_path)
    page.fill("#c-neph", "075000000002")
    page.fill("#c-code", office.code("075000000002"))
    page.click("#consultation button[type=submit]")
    expect(page.locator("#solde")).to_have_text(str(office.service.view("075000000002")["balance"]))
    shot(page, "09-releve", tmp_path)


# --- the design system, accessibility, narrow screens (issue 15) -------------------------------

AXE = REPO / "tests" / "vendor" / "axe.min.js"
MAIN_PAGES = (
    "/permis",
    "/permis?q=martin",
    f"/permis/{NEPH}",
    "/tableau-de-bord",
    "/saisie",
    "/utilisateurs",
    "/consultation",
    "/connexion",
    "/mentions-legales",
    "/accessibilite",
)


def axe_violations(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on the page (WCAG 2.1 A and AA rules)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}));
        }"""
    )
    return list(found)


def test_axe_finds_no_serious_or_critical_violation_on_the_main_pages(
    page: Page, site: str, tmp_path: Path
) -> None:
    """RGAA basics checked by axe-core (vendored from npm) on every main page, logged in."""
    log_in(page, site, tmp_path)
    for path in MAIN_PAGES:
        page.goto(f"{site}{path}")
        assert axe_violations(page) == [], path
    page.goto(f"{site}/saisie?type=infraction.establish&neph={NEPH}")
    page.click("text=Vérifier")  # a form with its errors
    expect(page.locator('[data-field="established_on"]')).to_be_visible()
    assert axe_violations(page) == []


def test_errors_are_tied_to_their_fields_and_get_the_focus(
    page: Page, site: str, tmp_path: Path
) -> None:
    """RGAA 11.10: each error is the field's description, and the first field in error has focus."""
    log_in(page, site, tmp_path)
    page.goto(f"{site}/saisie?type=infraction.establish&neph={NEPH}")
    page.click("text=Vérifier")
    first = page.locator('[aria-invalid="true"]').first
    expect(first).to_be_focused()
    described = first.get_attribute("aria-describedby") or ""
    message = page.locator(f"#{described.split()[-1]}")
    expect(message).to_contain_text("")
    assert message.locator("[data-field]").count() >= 1
    page.goto(f"{site}/permis?q=1234567890123")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q-erreur")).to_contain_text("12 chiffres au plus")


def test_the_skip_link_leads_to_the_content(page: Page, site: str, tmp_path: Path) -> None:
    log_in(page, site, tmp_path)
    page.goto(f"{site}/permis")
    page.keyboard.press("Tab")
    expect(page.locator(".fr-skiplinks a").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/permis#contenu")


@pytest.mark.parametrize("width", [390, 640])  # a phone; 1280 px at 200 % zoom
def test_the_main_pages_fit_a_narrow_screen(
    browser: Browser, site: str, tmp_path: Path, width: int
) -> None:
    """Usable at 390 px and at 200 % zoom: no page wider than the screen (tables scroll inside)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 800})
    narrow = context.new_page()
    try:
        log_in(narrow, site, tmp_path)
        for path in MAIN_PAGES:
            narrow.goto(f"{site}{path}")
            overflow = narrow.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} is {overflow} px wider than {width} px"
        if width == 390:
            narrow.goto(f"{site}/permis")
            expect(narrow.locator("#bouton-menu")).to_be_visible()  # the menu folds into a button
            shot(narrow, "12-permis-390px", tmp_path)
    finally:
        context.close()


# --- finding a licence among 100,000 (issue 15) ----------------------------------------------------

MANY = 100_000


@pytest.fixture(scope="module")
def crowded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store with the demo's licences and 100,000 more read-model rows, written directly (the
    rows a rebuild would write; no events: the list reads only the read models)."""
    from sqlalchemy import insert

    from projections.database import engine_for
    from projections.schema import rm_licences
    from projections.search import holder_columns

    url = f"sqlite:///{tmp_path_factory.mktemp('crowded') / 'permis.sqlite'}"
    service = build(Settings(database_url=url))
    load_demo(service)
    service.store.close()
    surnames = ("Dubois", "Durand", "Lefèvre", "Moreau", "Garnier", "Faure", "Rousseau", "Blanc")
    engine = engine_for(url)
    rows = []
    for n in range(MANY):
        holder = {
            "surname": f"{surnames[n % len(surnames)]}{'' if n % 3 else '-' + str(n % 97)}",
            "given_names": ("Jean", "Marie", "Lucie", "Paul")[n % 4],
            "birth_date": f"19{50 + n % 50}-0{1 + n % 9}-1{n % 9}",
        }
        rows.append(
            {
                "neph": f"9{n:011d}",
                "licence_id": f"{n:032x}",
                "status": "valid",
                "balance": 12,
                "ceiling": 12,
                "probationary": False,
                "issued_on": date(2001, 1, 1),
                "version": 1,
                "head_hash": "0" * 64,
                "as_of": date(2026, 3, 1),
                "last_recorded_on": date(2001, 1, 1),
                **holder_columns(holder, None),
            }
        )
    with engine.begin() as connection:
        for start in range(0, MANY, 5_000):
            connection.execute(insert(rm_licences), rows[start : start + 5_000])
    engine.dispose()
    return url


def test_a_search_by_surname_finds_a_licence_among_100000(
    page: Page, crowded_url: str, tmp_path: Path
) -> None:
    """The Permis list: 'martin' finds Claire Martin's licence among 100,005 in the browser."""
    service = build(Settings(database_url=crowded_url))
    try:
        office = backoffice(service, crowded_url)
        with serving(office.app) as site:
            log_in(page, site, tmp_path)
            page.goto(f"{site}/permis")
            expect(page.locator("#resultats-nombre")).to_contain_text("plus de 10 000 permis")
            page.fill("#q", "MARTIN")
            page.click("#recherche button[type=submit] >> nth=0")
            expect(page.locator("#resultats tbody tr")).to_have_count(1)
            expect(page.locator("#resultats tbody")).to_contain_text("MARTIN Claire")
            shot(page, "11-recherche", tmp_path)
            page.fill("#q", "lefevre lucie")
            page.click("#recherche button[type=submit] >> nth=0")
            expect(page.locator("#resultats-nombre")).to_contain_text("permis trouvés")
            expect(page.locator(".fr-pagination")).to_be_visible()
            page.click("#resultats tbody a >> nth=0")
            expect(page).to_have_url(re.compile(r"/permis/9\d{11}$"))
    finally:
        service.store.close()
