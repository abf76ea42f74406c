"""The pictures of issue 18 under docs/screenshots/: the forecast (operator and holder), the
stage advisor and "what if", both relevés (their PDF's first page, by pdftoppm) and the public
verification page. Run by `make screenshots` on the demo journal, ticked to 2026-03-01.

    python ops/screenshots/holders.py docs/screenshots
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from playwright.sync_api import ViewportSize, sync_playwright  # noqa: E402
from web_support import OPERATOR, backoffice, load_demo, serving  # noqa: E402

from infrastructure.settings import Settings  # noqa: E402
from services.bootstrap import build  # noqa: E402
from services.records import RecordKind, Records  # noqa: E402

NEPH = "075000000003"  # after a 48N: a full restoration ahead, a stage to advise on
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def pdf_page(pdf: bytes, png: Path) -> None:
    """The first page of a PDF as a PNG, by pdftoppm (poppler-utils)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                source,
                png.with_suffix(""),
            ],
            check=True,
        )


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.sqlite'}"
        service = build(Settings(database_url=url))
        load_demo(service)
        office = backoffice(service, url)
        records = Records(service, office.context.secret, office.context.public_url)
        integral = records.issue(NEPH, RecordKind.INTEGRAL)
        restricted = records.issue(NEPH, RecordKind.RESTRICTED)
        pdf_page(records.pdf(integral), out / "14-releve-integral.png")
        pdf_page(records.pdf(restricted), out / "15-releve-restreint.png")
        with serving(office.app) as site, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=ARGS
            )
            viewport: ViewportSize = {"width": 1280, "height": 900}
            page = browser.new_context(locale="fr-FR", viewport=viewport).new_page()
            page.goto(f"{site}/connexion")
            page.fill("input[name=username]", OPERATOR[0])
            page.fill("input[name=password]", OPERATOR[1])
            page.click("button[type=submit]")
            page.goto(f"{site}/permis/{NEPH}")
            page.locator("svg.chart").screenshot(path=str(out / "11-graphique-prevision.png"))
            page.goto(
                f"{site}/permis/{NEPH}/prevision?dernier_jour=2026-04-12"
                "&infraction=speeding_20_30&commise_le=2026-02-20&realite_le=2026-03-01"
            )
            page.screenshot(path=str(out / "12-prevision-simulation.png"), full_page=True)
            holder = browser.new_context(locale="fr-FR", viewport=viewport).new_page()
            holder.goto(f"{site}/consultation")
            holder.fill("#c-neph", NEPH)
            holder.fill("#c-code", office.code(NEPH))
            holder.click("button[type=submit]")
            holder.screenshot(path=str(out / "13-consultation-prevision.png"), full_page=True)
            holder.goto(f"{site}/verifier/{restricted.code}")
            holder.screenshot(path=str(out / "16-verification.png"), full_page=True)
            browser.close()
        service.store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
