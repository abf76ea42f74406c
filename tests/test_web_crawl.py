"""Issue 14 item 1: no page answers 5xx, whatever the data; a 4xx is the French error page.

A store of generated licences (`ops/bench/journal.py`, the benchmarks' realistic mix) is imported up
to several clock dates; at each, an operator and an auditor log in and follow every link of every
page they reach (licence pages, letters, relevés, dashboard lists and their pages, exports), a few
of each kind of address, plus addresses typed wrong. Bounded: the whole test takes about a minute.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter, deque
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from conftest import bench_journal
from fastapi.testclient import TestClient
from test_web_french import ENGLISH, words
from web_support import AUDITOR, OPERATOR, Backoffice, backoffice

from infrastructure.settings import Settings
from projections.catch_up import catch_up
from services.bootstrap import build
from services.journal import parse_journal
from services.reports import awaiting_notification

LICENCES = 2500
YEARS = 6
SEED = 14
# Addresses visited of each kind (the path with its numbers blanked, and its query's keys): many
# licences and letters, a few of the rest (a PDF costs WeasyPrint's time).
PER_KIND = {"/permis/N?": 30, "/permis/N/lettres/N?": 30, "pdf": 2}
OTHERWISE = 5
PER_ROLE_AND_DATE = 300  # a bound on the pages of one crawl
_HREF = re.compile(r'href="([^"]+)"')
_SKIP = ("/static/", "/deconnexion", "/metrics")


def _kind(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({p.split("=")[0] for p in parts.query.split("&") if p})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def _links(page: str) -> Iterator[str]:
    for found in _HREF.findall(page):
        target = urldefrag(html.unescape(found)).url
        if target.startswith("/") and not target.startswith("//") and not target.startswith(_SKIP):
            yield target


def crawl(client: TestClient, start: list[str]) -> Counter[int]:
    """Every link reached from `start`, a few of each kind; each answer checked."""
    seen: set[str] = set(start)
    kinds: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    queue = deque(start)
    while queue and sum(statuses.values()) < PER_ROLE_AND_DATE:
        url = queue.popleft()
        response = client.get(url, follow_redirects=True)
        statuses[response.status_code] += 1
        assert response.status_code < 500, f"{url}: {response.status_code} {response.text[:300]}"
        content_type = response.headers.get("content-type", "")
        if response.status_code >= 400 and not url.startswith("/api"):
            assert 'id="page-erreur"' in response.text, f"{url}: {response.status_code} not French"
            assert '<html lang="fr"' in response.text
            english = ENGLISH.search(words(response.text.split("<main", 1)[-1]))
            assert english is None, f"{url}: {english}"
        if "/lettres/" not in url and re.fullmatch(r"/permis/\d{12}(\?.*)?", url):
            found = re.search(r'id="chronologie".*?</table>', response.text, re.S)
            english = found and ENGLISH.search(words(found.group(0)))
            assert not english, f"{url}: the timeline reads {english}"
        if "text/html" not in content_type:
            continue
        for link in _links(response.text):
            kind = _kind(link)
            cap = PER_KIND["pdf"] if ".pdf" in kind else PER_KIND.get(kind, OTHERWISE)
            if link in seen or kinds[kind] >= cap:
                continue
            seen.add(link)
            kinds[kind] += 1
            queue.append(link)
    return statuses


def login(office: Backoffice, who: tuple[str, str]) -> TestClient:
    client = TestClient(office.app, raise_server_exceptions=False)
    response = client.post(
        "/connexion", data={"username": who[0], "password": who[1]}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


def clock_dates(raw: list[dict[str, object]]) -> list[date]:
    """Three clock dates: the eve of a 48SI's acknowledgement (one awaits its notification, the
    everyday state issue 14 found crashing the dashboard), mid-journal, and after the last line."""
    acks = [
        date.fromisoformat(str(x["at"]))
        for x in raw
        if x["type"] == "letter.delivered" and x["letter"] == "48SI"
    ]
    assert acks, "the generated journal has no 48SI"
    last = date.fromisoformat(str(raw[-1]["at"]))
    eve = acks[len(acks) // 2] - timedelta(days=1)
    middle = date.fromisoformat(str(raw[len(raw) // 3]["at"]))
    return sorted({middle, eve, last + timedelta(days=40)})


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    return list(bench_journal().generate(LICENCES, YEARS, SEED))


def test_no_page_answers_5xx_and_4xx_is_the_french_error_page(
    generated: list[dict[str, object]], tmp_path: Path
) -> None:
    """Issue 14 item 1: operator and auditor crawl every kind of page at several clock dates over
    a store of generated licences; nothing answers 5xx, every 4xx is the French error page, and a
    48SI awaiting its notification is listed on the dashboard (R-7.1)."""
    url = f"sqlite:///{tmp_path / 'crawl.sqlite'}"
    service = build(Settings(database_url=url))
    office = backoffice(service, url)
    lines, errors = parse_journal("".join(json.dumps(x) + "\n" for x in generated))
    assert not errors
    done = 0
    awaiting_seen = False
    some = sorted({str(x["neph"]) for x in generated})[:: LICENCES // 5]
    mailed = sorted({str(x["neph"]) for x in generated if x["type"] == "letter.delivered"})
    try:
        for clock in clock_dates(generated):
            upto = [line for line in lines if line.command.at <= clock]
            service.import_lines(upto[done:])
            done = len(upto)
            service.tick(clock)
            catch_up(service)
            awaiting = list(awaiting_notification(office.context.read_models().engine, clock))
            earlier = (clock - timedelta(days=400)).isoformat()
            start = [
                "/",
                "/permis",
                f"/tableau-de-bord?as_of={clock.isoformat()}",
                f"/tableau-de-bord?as_of={earlier}",
                "/saisie",
                "/utilisateurs",
                "/consultation",
                "/verifier",
                *(f"/permis/{neph}" for neph, _ in awaiting[:3]),
                *(f"/permis/{neph}" for neph in mailed[::40]),
                *(f"/permis/{neph}?as_of={earlier}&known_at={earlier}" for neph in some),
                # typed wrong: the French error page, never a crash
                "/permis/000000000000",
                "/permis/abc/lettres/x",
                f"/permis/{some[0]}/lettres/99",
                f"/permis/{some[0]}?as_of=2999-01-01",
                f"/permis/{some[0]}?as_of=hier",
                "/tableau-de-bord?as_of=31/02/2020",
                "/tableau-de-bord/export.csv?as_of=demain",
                "/nulle-part",
            ]
            for who in (OPERATOR, AUDITOR):
                with login(office, who) as client:
                    statuses = crawl(client, start)
                    if awaiting:
                        board = client.get(f"/tableau-de-bord?as_of={clock.isoformat()}")
                        assert board.status_code == 200
                        assert awaiting[0][0] in board.text or "p_awaiting_48si" in board.text
                        awaiting_seen = True
                assert statuses[200] > 50, statuses
    finally:
        service.store.close()
    assert awaiting_seen, "no clock date had a 48SI awaiting its notification"
