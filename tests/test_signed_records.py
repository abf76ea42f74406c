"""The relevés as signed documents (issue 18, R-8.2, R-9.1): issued as of a past date, the same
document with the same code on any later day; a tampered or forged code refused; the restricted
relevé never states a point; the PDF on A4 with its code on every page."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pypdf import PdfReader
from test_properties import journal, play
from web_support import DEMO, permis

from domain.calendar import add_days
from services.documents.signing import Claim, Signer, claim_of, content_digest
from services.journal import parse_journal
from services.licensing import Licensing
from services.records import (
    MALFORMED,
    REFUSED,
    Record,
    RecordKind,
    Records,
    content_of,
    record_html,
)

SECRET = b"records-tests-secret"
URL = "https://permis.test"
NEPH = "075000000002"  # the demo's probationary licence: a 48N, a stage, a 47
PAST = date(2025, 7, 1)
POINT_WORDS = ("balance", "ceiling", "points", "infractions", "letters", "stages", "obligations")


def load(service: Licensing, until: str) -> None:
    """The demo journal's lines recorded on or before `until`, then the clock to `until`."""
    lines, errors = parse_journal(DEMO.read_text())
    assert not errors
    service.import_lines([x for x in lines if x.command.at.isoformat() <= until])
    service.tick(date.fromisoformat(until))


@pytest.fixture
def records(service: Licensing) -> Records:
    load(service, "2025-08-01")
    return Records(service, SECRET, URL)


def test_r9_1_a_past_relevé_is_issued_again_identically(records: Records) -> None:
    """R-9.1: a relevé as of a past date, as known then, is the same document with the same code
    when it is issued again after more lines and ticks — the same PDF, byte for byte."""
    first = {kind: records.issue(NEPH, kind, PAST) for kind in RecordKind}
    first_pdf = records.pdf(first[RecordKind.INTEGRAL])
    lines, _ = parse_journal(DEMO.read_text())
    records.service.import_lines(lines)  # everything after 2025-08-01
    records.service.tick(date(2026, 3, 1))
    again = {kind: records.issue(NEPH, kind, PAST) for kind in RecordKind}
    for kind in RecordKind:
        assert again[kind].content == first[kind].content
        assert again[kind].code == first[kind].code
    assert records.pdf(again[RecordKind.INTEGRAL]) == first_pdf
    today = records.issue(NEPH, RecordKind.INTEGRAL)
    assert today.code != first[RecordKind.INTEGRAL].code  # the letter 47 came since
    assert [x["type"] for x in today.content["letters"]] == ["48N", "47"]
    assert [x["type"] for x in first[RecordKind.INTEGRAL].content["letters"]] == ["48N", "47"]
    checked = records.verify(first[RecordKind.RESTRICTED].code)
    assert checked.genuine and checked.record is not None
    assert checked.record.content == first[RecordKind.RESTRICTED].content


def test_r9_1_a_relevé_of_today_still_checks_after_a_line_recorded_later_that_day(
    records: Records,
) -> None:
    """R-9.1: a relevé issued on the clock's day says what was known when it was issued; a line
    recorded later that day changes what is known that day, not what the relevé said."""
    issued = records.issue(NEPH, RecordKind.INTEGRAL)
    line = {
        "id": "later-that-day",
        "at": "2025-08-01",
        "type": "infraction.record",
        "neph": NEPH,
        "infraction_id": "late",
        "offence": "seat_belt",
        "committed_on": "2025-07-20",
    }
    lines, _ = parse_journal(json.dumps(line) + "\n")
    assert records.service.import_lines(lines).applied == 1
    now = records.issue(NEPH, RecordKind.INTEGRAL)
    assert now.code != issued.code and len(now.content["infractions"]) == 2
    checked = records.verify(issued.code)
    assert checked.genuine and checked.record is not None
    assert checked.record.content == issued.content


def _tampered(code: str, position: int) -> str:
    """`code` with the base-32 character at `position` (dashes skipped) changed."""
    chars = [c for c in code if c != "-"]
    chars[position] = "B" if chars[position] != "B" else "C"
    return "".join(chars)


def test_a_field_the_view_gains_later_changes_no_relevé_issued_before(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CONTRACT §4 welcomes new fields in the view (a cancellation, R-11): a relevé states named
    fields only, so one issued before says the same, with the same code, after the view grew."""
    import services.records

    before = {kind: records.issue(NEPH, kind, PAST) for kind in RecordKind}
    view = services.records.licence_view

    def grown(state: Any) -> dict[str, Any]:
        found = view(state)
        for key in ("infractions", "letters", "stages", "obligations"):
            found[key] = [{**item, "new_field": 1} for item in found[key]]
        return {**found, "categories": ["B"], "another": True}

    monkeypatch.setattr(services.records, "licence_view", grown)
    for kind in RecordKind:
        assert records.issue(NEPH, kind, PAST).code == before[kind].code
        assert records.verify(before[kind].code).genuine


def test_a_tampered_or_forged_code_is_refused(records: Records) -> None:
    """A code changed anywhere, moved to another NEPH, kind or date, or made with another key,
    is refused with the same message, which says nothing of the register."""
    record = records.issue(NEPH, RecordKind.RESTRICTED, PAST)
    assert records.verify(record.code).genuine
    assert records.verify(record.code.lower().replace("-", " ")).genuine  # as typed
    for position in range(40):
        answer = records.verify(_tampered(record.code, position))
        assert not answer.genuine and answer.record is None
        assert answer.message in (REFUSED, MALFORMED)
    tag = base64.b32decode(record.code.replace("-", ""))[13:]
    for claim in (
        Claim("restricted", "075000000001", PAST, PAST),  # another licence
        Claim("integral", NEPH, PAST, PAST),  # the full relevé from a restricted one's code
        Claim("restricted", NEPH, date(2025, 7, 2), date(2025, 7, 2)),  # another day
    ):
        moved = base64.b32encode(claim.payload() + tag).decode()
        assert records.verify(moved).message == REFUSED
    claim = claim_of(record.code)
    forged = Signer(b"another key").code(claim, content_digest(record.content))
    assert records.verify(forged).message == REFUSED
    unknown = Signer(SECRET).code(Claim("integral", "999999999999", PAST, PAST), b"")
    assert records.verify(unknown).message == REFUSED  # an unknown NEPH: no different answer
    assert records.verify("not a code").message == MALFORMED


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def assert_no_points(content: dict[str, Any], text: str) -> None:
    """L223-7: no point count, no balance or ceiling, no withdrawal, in what it says or shows."""
    keys = json.dumps(content)
    assert not any(f'"{word}"' in keys for word in POINT_WORDS), content
    assert not re.search(r"\d+\s*points?\b", text, re.IGNORECASE), text
    for word in ("solde", "plafond", "retrait", "infraction"):
        assert word not in text.lower(), word


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journal)
def test_r8_2_the_restricted_relevé_never_states_a_point(case: tuple[bool, str, Any]) -> None:
    """R-8.2, L223-7: over random histories, on every date shown, the relevé restreint — its
    content and the page it prints — has no point count, while the intégral has the balance."""
    desk, shown = play(*case)
    assert desk.licence is not None
    signer = Signer(SECRET)
    for at, _ in shown[:: max(1, len(shown) // 4)]:
        day = date.fromisoformat(at)
        content = content_of(desk.licence, desk.law, RecordKind.RESTRICTED, day, day)
        claim = Claim("restricted", desk.neph, day, day)
        record = Record(claim, content, signer.code(claim, content_digest(content)))
        assert_no_points(content, text_of(record_html(record, URL)))
        full = content_of(desk.licence, desk.law, RecordKind.INTEGRAL, day, day)
        assert full["balance"] == desk.view(at, at)["balance"]


def test_r8_2_the_restricted_pdf_never_states_a_point_and_pages_are_a4(records: Records) -> None:
    """The PDFs themselves: A4 pages numbered "Page n / N", the code on each; the restricted
    one's text without a point count."""
    for neph in ("075000000002", "075000000003", "075000000004", "075000000005"):
        record = records.issue(neph, RecordKind.RESTRICTED)
        reader = PdfReader(io.BytesIO(records.pdf(record)))
        text = " ".join(page.extract_text() for page in reader.pages)
        assert_no_points(record.content, text.replace("permis à points", "permis"))
    integral = records.issue(NEPH, RecordKind.INTEGRAL)
    reader = PdfReader(io.BytesIO(records.pdf(integral)))
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        text = page.extract_text()
        assert f"Page {number} / {pages}" in text
        assert integral.code in text.replace("\n", "")
    assert re.search(r"\d+ points? sur un plafond de", reader.pages[0].extract_text())


def test_several_documents_in_one_pdf_each_numbered_on_its_own(records: Records) -> None:
    """`pdf_of_many` (the day's letters, later): one file, each document's pages numbered apart."""
    from services.documents.pdf import pdf_of_many

    integral = records.issue(NEPH, RecordKind.INTEGRAL)
    restricted = records.issue(NEPH, RecordKind.RESTRICTED)
    both = PdfReader(io.BytesIO(pdf_of_many([records.html(integral), records.html(restricted)])))
    alone = len(PdfReader(io.BytesIO(records.pdf(integral))).pages)
    assert len(both.pages) == alone + 1
    last = both.pages[-1].extract_text()
    assert "Page 1 / 1" in last and restricted.code in last.replace("\n", "")


def test_the_cli_issues_a_relevé_and_checks_its_code(tmp_path: Path) -> None:
    """`permis records issue … --output FILE.pdf` prints the code; `permis records verify CODE`
    says it is genuine and what it said (exit 0), a tampered one is refused (exit 1)."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {"PERMIS_SECRET_KEY": "cli-records-key", "PERMIS_REPLAY": "1"}
    assert permis(url, "import", str(DEMO), **env).returncode == 0
    assert permis(url, "tick", "--to", "2026-03-01", **env).returncode == 0
    output = tmp_path / "releve.pdf"
    issued = permis(
        url, "records", "issue", NEPH, "--kind", "restricted", "--as-of", "2025-12-01",
        "--output", str(output), **env,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    code = issued.stdout.strip()
    assert output.read_bytes().startswith(b"%PDF") and len(code) == 47
    checked = permis(url, "records", "verify", code, "--json", **env)
    assert checked.returncode == 0, checked.stderr
    answer = json.loads(checked.stdout)
    assert answer["genuine"] and answer["record"]["as_of"] == "2025-12-01"
    assert "balance" not in answer["record"]
    refused = permis(url, "records", "verify", _tampered(code, 30), **env)
    assert refused.returncode == 1 and "aucun relevé" in refused.stderr
    later = permis(
        url, "records", "issue", NEPH, "--kind", "integral", "--as-of", "2026-03-02",
        "--output", str(output), **env,
    )  # fmt: skip
    assert later.returncode == 2 and "later than the clock" in later.stderr
    unknown = permis(url, "records", "issue", "999999999999", "--kind", "integral",
                     "--output", str(output), **env)  # fmt: skip
    assert unknown.returncode == 1


def test_the_cli_forecast_is_the_service_s(tmp_path: Path) -> None:
    """`permis licence forecast NEPH --json`, `stage-advice` and `what-if` answer from the store."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {"PERMIS_REPLAY": "1"}
    assert permis(url, "import", str(DEMO), **env).returncode == 0
    assert permis(url, "tick", "--to", "2026-03-01", **env).returncode == 0
    shown = permis(url, "licence", "forecast", "075000000003", "--json", **env)
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert [(e["due_on"], e["rule"], e["points"]) for e in found["effects"]] == [
        ("2028-06-02", "R-4.2", 6)
    ]
    assert found["effects"][0]["breaks"][0]["text"] == (
        "une infraction commise avant le 02/06/2028 avec retrait de points"
    )
    advice = permis(url, "licence", "stage-advice", "075000000003", "--json", **env)
    assert json.loads(advice.stdout)["points"] == 4
    simulated = permis(
        url, "licence", "what-if", "075000000003", "--offence", "speeding_20_30",
        "--committed-on", "2026-02-20", "--established-on", "2026-03-01", **env,
    )  # fmt: skip
    assert "balance 6 → 4, letter 48M" in simulated.stdout
    assert "no longer: 2028-06-02" in simulated.stdout
    assert permis(url, "licence", "forecast", "999999999999", **env).returncode == 1


def test_a_relevé_date_before_the_licence_is_an_unknown_licence(records: Records) -> None:
    """R-10.19: as of a date before the licence was issued, there is no relevé."""
    from services.licensing import UnknownLicence

    with pytest.raises(UnknownLicence):
        records.issue(NEPH, RecordKind.RESTRICTED, add_days(date(2024, 6, 3), -1))
