"""The pictures of issue 14 under docs/screenshots/: the licence page and its timeline, a refusal
beside the entry form, the effect on the confirmation, each letter (48, 48M, 48N, 48SI, 47), the
"Lettres du jour" page and the pages of the day's PDF (pdftoppm), and the dashboard listing a 48SI
awaiting its notification. Each page is checked for English words before it is taken. Run by
`make screenshots` on the demo journal, ticked to 2026-03-01.

    python ops/screenshots/operators.py docs/screenshots
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from playwright.sync_api import Page, ViewportSize, sync_playwright  # noqa: E402
from test_web_french import ENGLISH  # noqa: E402
from web_support import OPERATOR, backoffice, load_demo, serving  # noqa: E402

from infrastructure.settings import Settings  # noqa: E402
from services.bootstrap import build  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--lang=fr-FR"]
LETTERS = (  # (NEPH, the letter's place in its list, type)
    ("075000000001", 0, "48"),
    ("075000000004", 0, "48M"),
    ("075000000002", 0, "48N"),
    ("075000000004", 2, "48SI"),
    ("075000000002", 1, "47"),
)
DAY = "2025-11-04"  # a 48M and a 48SI of one licence: one day's letters


def french_only(page: Page, selector: str = "main") -> None:
    """No English word of the engine's prose on what the picture shows (issue 14)."""
    text = page.locator(selector).first.inner_text()
    found = ENGLISH.search(text)
    if found:
        raise SystemExit(f"{page.url}: English on the page: {found.group(0)!r}")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.sqlite'}"
        service = build(Settings(database_url=url))
        load_demo(service)
        office = backoffice(service, url)
        with serving(office.app) as site, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=ARGS
            )
            viewport: ViewportSize = {"width": 1280, "height": 900}
            context = browser.new_context(locale="fr-FR", viewport=viewport)
            page = context.new_page()
            page.goto(f"{site}/connexion")
            page.fill("input[name=username]", OPERATOR[0])
            page.fill("input[name=password]", OPERATOR[1])
            page.click("button[type=submit]")

            page.goto(f"{site}/permis/075000000004")
            french_only(page)
            page.screenshot(path=str(out / "20-permis.png"), full_page=True)
            page.locator("#chronologie").screenshot(path=str(out / "21-chronologie.png"))

            page.goto(f"{site}/saisie?type=infraction.record&neph=075000000001")
            page.fill("#f-infraction_id", "pv-2026-118")
            page.select_option("#f-offence", "red_light")
            page.fill("#f-committed_on", "2026-12-20")
            page.click("#formulaire form button[type=submit]")
            page.wait_for_selector("#erreurs")
            french_only(page)
            page.screenshot(path=str(out / "22-refus.png"), full_page=True)

            page.goto(f"{site}/saisie?type=infraction.record&neph=075000000001")
            page.fill("#f-infraction_id", "pv-2026-118")
            page.select_option("#f-offence", "speeding_20_30")
            page.fill("#f-committed_on", "2026-02-20")
            page.click("#formulaire form button[type=submit]")
            page.wait_for_selector("#confirmer")
            page.click("#confirmer")
            page.goto(f"{site}/saisie?type=infraction.establish&neph=075000000001")
            page.select_option("#f-infraction_id", "pv-2026-118")
            page.fill("#f-established_on", "2026-02-28")
            page.select_option("#f-basis", "fine_paid")
            page.click("#formulaire form button[type=submit]")
            page.wait_for_selector("#effet")
            french_only(page)
            page.screenshot(path=str(out / "23-confirmation-effet.png"), full_page=True)

            for number, (neph, index, kind) in enumerate(LETTERS, start=24):
                page.goto(f"{site}/permis/{neph}/lettres/{index}")
                french_only(page, "#lettre")
                page.locator("#lettre").screenshot(path=str(out / f"{number}-lettre-{kind}.png"))

            page.goto(f"{site}/lettres?date={DAY}")
            french_only(page)
            page.screenshot(path=str(out / "29-lettres-du-jour.png"), full_page=True)
            day_pdf = context.request.get(f"{site}/lettres/{DAY}.pdf").body()

            page.goto(f"{site}/tableau-de-bord?as_of=2025-11-05")
            french_only(page)
            page.locator("section[aria-labelledby='liste-awaiting_48si']").screenshot(
                path=str(out / "31-tableau-48SI-en-attente.png")
            )
            browser.close()
        service.store.close()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "lettres.pdf"
        source.write_bytes(day_pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", source, out / "30-lettres-du-jour-pdf"], check=True
        )
    pages = sorted(out.glob("30-lettres-du-jour-pdf-*.png"))
    if not pages or not all(re.search(r"-\d+\.png$", p.name) for p in pages):
        raise SystemExit("pdftoppm made no page of the day's letters")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
