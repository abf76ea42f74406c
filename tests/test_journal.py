"""Reading a journal (CONTRACT §1): one JSON object a line, lines ended by a line feed."""

from __future__ import annotations

import json

from services.journal import parse_journal

ISSUE = {
    "id": "c1",
    "at": "2024-01-02",
    "type": "licence.issue",
    "neph": "100000000001",
    "issued_on": "2009-05-04",
    "route": "traditional",
    "probationary": False,
}
STAGE = {
    "id": "c2",
    "at": "2024-03-04",
    "type": "stage.complete",
    "neph": "100000000001",
    "stage_id": "s1",
    "kind": "voluntary",
    "first_day": "2024-03-01",
    "last_day": "2024-03-02",
    # Line and paragraph separators and NEL are allowed raw inside a JSON string.
    "centre": "Centre\u2028de\u2029Lyon\u0085Est",
}


def test_line_breaks_that_json_allows_inside_strings_do_not_end_a_line() -> None:
    """CONTRACT §1: a line ends at a line feed only, so a valid line is never cut in two."""
    text = json.dumps(ISSUE) + "\n" + json.dumps(STAGE, ensure_ascii=False) + "\n"
    lines, errors = parse_journal(text)
    assert errors == []
    assert [line.number for line in lines] == [1, 2]
    assert lines[1].command.centre == STAGE["centre"]  # type: ignore[union-attr]


def test_crlf_and_blank_lines_keep_the_line_numbers() -> None:
    """Windows line ends are read as line ends; blank lines are ignored but counted."""
    text = json.dumps(ISSUE) + "\r\n\r\n" + json.dumps(STAGE) + "\r\n"
    lines, errors = parse_journal(text)
    assert errors == []
    assert [line.number for line in lines] == [1, 3]


def test_a_malformed_line_is_named_by_its_number() -> None:
    """The error names the line as a reader counts them (line feeds)."""
    _, errors = parse_journal(json.dumps(ISSUE) + "\n{not json\n")
    assert [str(e).split(":")[0] for e in errors] == ["line 2"]


def test_a_neph_of_other_scripts_digits_or_a_loose_date_is_malformed() -> None:
    """CONTRACT §1: a NEPH is 12 ASCII digits and a date is YYYY-MM-DD, nothing else: digits of
    other scripts, a basic or week date, a date with a line end inside the string, are refused."""
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in ISSUE["neph"])  # type: ignore[attr-defined]
    for field, value in [
        ("neph", arabic_indic),
        ("neph", "10000000000\uff11"),  # a fullwidth 1
        ("issued_on", "20090504"),
        ("issued_on", "2009-W19-1"),
        ("issued_on", "2009-05-04\n"),
        ("issued_on", "\u0662009-05-04"),
        ("issued_on", "2009-02-30"),
    ]:
        _, errors = parse_journal(json.dumps({**ISSUE, field: value}) + "\n")
        assert [str(e).split(":")[0] for e in errors] == ["line 1"], (field, value)
        assert field in str(errors[0]), (field, value, str(errors[0]))
