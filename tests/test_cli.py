"""The `permis` command through its outside contract (CONTRACT §2, §3), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PERMIS = [sys.executable, "-m", "services"]


def permis(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING")
    return subprocess.run(
        [*PERMIS, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def line(**fields: Any) -> str:
    return json.dumps(fields)


ISSUE = line(
    id="c1",
    at="2024-01-02",
    type="licence.issue",
    neph="100000000001",
    issued_on="2009-05-04",
    route="traditional",
    probationary=False,
)
RECORD = line(
    id="c2",
    at="2024-02-20",
    type="infraction.record",
    neph="100000000001",
    infraction_id="i1",
    offence="red_light",
    committed_on="2024-02-10",
)
ESTABLISH = line(
    id="c3",
    at="2024-03-05",
    type="infraction.establish",
    neph="100000000001",
    infraction_id="i1",
    established_on="2024-03-01",
    basis="fine_paid",
)


def write(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "journal.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def show(url: str, *extra: str) -> dict[str, Any]:
    result = permis(url, "licence", "show", "100000000001", "--json", *extra)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_r2_2_import_then_show_on_both_stores(store_url: str, tmp_path: Path) -> None:
    """R-2.2, R-3.1: an established red light withdraws 4 points with a 48, on either store."""
    result = permis(store_url, "import", write(tmp_path, ISSUE, RECORD, ESTABLISH))
    assert result.returncode == 0, result.stderr
    assert "applied: 3, skipped: 0, refused: 0" in result.stdout
    view = show(store_url)
    assert (view["balance"], [x["type"] for x in view["letters"]]) == (8, ["48"])
    assert show(store_url, "--as-of", "2024-03-04")["balance"] == 12


def test_r3_1_the_readable_summary_names_each_letter_and_its_delivery(
    sqlite_url: str, tmp_path: Path
) -> None:
    """R-3.1, CONTRACT §4: without --json, the view is a summary a person can read."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE, RECORD, ESTABLISH)).returncode == 0
    shown = permis(sqlite_url, "licence", "show", "100000000001")
    assert shown.returncode == 0, shown.stderr
    assert "Licence 100000000001 as of 2024-03-05: valid" in shown.stdout
    assert "balance 8 / ceiling 12" in shown.stdout
    assert "letter 48 sent 2024-03-05, not yet delivered" in shown.stdout


def test_a_malformed_line_applies_nothing_and_names_the_line(
    store_url: str, tmp_path: Path
) -> None:
    """CONTRACT §3, R-0.1: exit 2, each error with its line number, nothing applied."""
    bad_date = line(
        id="c9",
        at="2024-02-30",
        type="infraction.record",
        neph="100000000001",
        infraction_id="i2",
        offence="red_light",
        committed_on="2024-02-10",
    )
    result = permis(store_url, "import", write(tmp_path, ISSUE, RECORD, "{not json", bad_date))
    assert result.returncode == 2
    assert "line 3:" in result.stderr and "line 4:" in result.stderr and "at:" in result.stderr
    assert "nothing applied" in result.stderr
    assert permis(store_url, "licence", "show", "100000000001").returncode == 1


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"type": "licence.teleport"}, "type"),
        ({"neph": "12345"}, "neph"),
        ({"neph": 100000000001}, "neph"),
        ({"offence": "made_up"}, "catalogue"),
        ({"committed_on": "10/02/2024"}, "committed_on"),
        ({"infraction_id": None}, "infraction_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_each_kind_of_malformed_line_is_explained(
    sqlite_url: str, tmp_path: Path, fields: dict[str, Any], where: str
) -> None:
    """CONTRACT §1: unknown type, bad NEPH, unknown offence without class and points, bad date."""
    raw = json.loads(RECORD) | fields
    result = permis(sqlite_url, "import", write(tmp_path, ISSUE, json.dumps(raw)))
    assert result.returncode == 2
    assert "line 2:" in result.stderr and where in result.stderr


def test_r5_2_a_stage_of_other_than_two_consecutive_days_is_malformed(
    sqlite_url: str, tmp_path: Path
) -> None:
    """R-5.2: the last day must be the day after the first."""
    stage = line(
        id="s",
        at="2024-03-05",
        type="stage.complete",
        neph="100000000001",
        stage_id="s1",
        kind="voluntary",
        first_day="2024-03-01",
        last_day="2024-03-03",
    )
    result = permis(sqlite_url, "import", write(tmp_path, ISSUE, stage))
    assert result.returncode == 2 and "last_day" in result.stderr


def test_an_offence_outside_the_catalogue_with_class_and_points(
    sqlite_url: str, tmp_path: Path
) -> None:
    """R-2.3: an offence outside the catalogue takes the class and points the journal gives."""
    other = line(
        id="c2",
        at="2024-02-20",
        type="infraction.record",
        neph="100000000001",
        infraction_id="i1",
        offence="new_offence",
        committed_on="2024-02-10",
        **{"class": "C4", "points": 2},
    )
    result = permis(sqlite_url, "import", write(tmp_path, ISSUE, other, ESTABLISH))
    assert result.returncode == 0, result.stderr
    assert show(sqlite_url)["balance"] == 10


def test_at_going_backwards_is_malformed(sqlite_url: str, tmp_path: Path) -> None:
    """CONTRACT §1: a line's `at` is never earlier than the previous line's."""
    result = permis(sqlite_url, "import", write(tmp_path, ISSUE, ESTABLISH, RECORD))
    assert result.returncode == 2 and "line 3:" in result.stderr


def test_a_file_that_does_not_exist(sqlite_url: str) -> None:
    """CONTRACT §3: bad usage exits 2 with a clear message."""
    result = permis(sqlite_url, "import", "/nonexistent/journal.jsonl")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_r2_6_refusals_are_reported_and_the_rest_applies(store_url: str, tmp_path: Path) -> None:
    """R-2.6: refused lines are named with their reason; exit 1; the others apply."""
    unknown = line(
        id="u1",
        at="2024-03-06",
        type="infraction.record",
        neph="100000000002",
        infraction_id="i1",
        offence="red_light",
        committed_on="2024-02-01",
    )
    twice = line(
        id="c4",
        at="2024-03-06",
        type="infraction.establish",
        neph="100000000001",
        infraction_id="i1",
        established_on="2024-03-01",
        basis="fine_paid",
    )
    result = permis(store_url, "import", write(tmp_path, ISSUE, RECORD, ESTABLISH, unknown, twice))
    assert result.returncode == 1
    assert "line 4: u1 refused" in result.stdout and "100000000002" in result.stdout
    assert "line 5: c4 refused" in result.stdout and "already established" in result.stdout
    assert show(store_url)["balance"] == 8


def test_reimporting_changes_nothing(store_url: str, tmp_path: Path) -> None:
    """CONTRACT §3: ids are remembered: applied lines are skipped, refused ones reported again."""
    unknown = line(
        id="u1",
        at="2024-03-06",
        type="licence.return",
        neph="100000000002",
        returned_on="2024-03-06",
    )
    path = write(tmp_path, ISSUE, RECORD, ESTABLISH, unknown)
    assert permis(store_url, "import", path).returncode == 1
    before = show(store_url)
    again = permis(store_url, "import", path)
    assert again.returncode == 1
    assert "applied: 0, skipped: 3, refused: 1" in again.stdout and "u1" in again.stdout
    assert show(store_url) == before


def test_the_same_id_with_other_content_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    """CONTRACT §3: an id already seen with different content is refused."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE, RECORD)).returncode == 0
    changed = json.loads(RECORD) | {"offence": "stop_sign"}
    result = permis(sqlite_url, "import", "-", stdin=json.dumps(changed) + "\n")
    assert result.returncode == 1 and "different" in result.stdout


def test_new_lines_before_the_clock_are_malformed(sqlite_url: str, tmp_path: Path) -> None:
    """CONTRACT §1-2: `at` is never earlier than the store's clock (for new ids)."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE)).returncode == 0
    assert permis(sqlite_url, "tick", "--to", "2024-06-01").returncode == 0
    result = permis(sqlite_url, "import", "-", stdin=RECORD + "\n")
    assert result.returncode == 2 and "clock" in result.stderr


def test_tick_before_the_clock_and_as_of_after_it_are_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    """CONTRACT §2-3: tick to a date before the clock, or --as-of after it: exit 2."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE)).returncode == 0
    assert permis(sqlite_url, "tick", "--to", "2024-06-01").returncode == 0
    assert permis(sqlite_url, "tick", "--to", "2024-05-31").returncode == 2
    result = permis(sqlite_url, "licence", "show", "100000000001", "--as-of", "2024-06-02")
    assert result.returncode == 2
    assert permis(sqlite_url, "tick", "--to", "2024-13-01").returncode == 2


def test_an_unknown_neph_is_a_clear_message(sqlite_url: str, tmp_path: Path) -> None:
    """CONTRACT §3: exit 1 and a message naming the NEPH."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE)).returncode == 0
    result = permis(sqlite_url, "licence", "show", "999999999999")
    assert result.returncode == 1 and "999999999999" in result.stderr


def test_r10_19_a_view_before_the_first_issue_is_refused_like_an_unknown_neph(
    sqlite_url: str, tmp_path: Path
) -> None:
    """R-10.19, R-9.1: as of the day before the licence was issued: exit 1, a message naming the
    NEPH and the date; from the issue date on, the view."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE)).returncode == 0
    before = permis(sqlite_url, "licence", "show", "100000000001", "--as-of", "2009-05-03")
    assert before.returncode == 1
    assert "100000000001" in before.stderr and "2009-05-03" in before.stderr
    assert show(sqlite_url, "--as-of", "2009-05-04")["status"] == "valid"


def test_r9_1_audit_lists_every_event_with_dates_rule_and_reason(
    sqlite_url: str, tmp_path: Path
) -> None:
    """R-9.1, R-4.5: the audit trail gives legal and recording dates, rule, article and reason."""
    assert permis(sqlite_url, "import", write(tmp_path, ISSUE, RECORD, ESTABLISH)).returncode == 0
    assert permis(sqlite_url, "tick", "--to", "2027-03-01").returncode == 0
    result = permis(sqlite_url, "audit", "100000000001", "--json")
    trail = json.loads(result.stdout)
    assert [e["event"] for e in trail] == [
        "LicenceIssued",
        "InfractionRecorded",
        "PointsWithdrawn",
        "PointsRestored",
    ]
    restored = trail[-1]
    assert (restored["rule"], restored["effective_on"], restored["recorded_on"]) == (
        "R-4.2",
        "2027-03-01",
        "2027-03-01",
    )
    assert "L223-6" in restored["article"] and restored["details"]["points"] == 4
    assert trail[2]["command_id"] == "c3"
    assert trail[2]["actor"].startswith("cli")
    readable = permis(sqlite_url, "audit", "100000000001")
    assert "R-4.2" in readable.stdout and "L223-6" in readable.stdout


@pytest.mark.parametrize(
    "args",
    [("licence", "show", "100000000001"), ("tick", "--to", "2024-01-02"), ("users", "add", "bob")],
    ids=["licence show", "tick", "users add"],
)
def test_a_store_url_this_service_does_not_know_is_a_configuration_error(
    args: tuple[str, ...],
) -> None:
    """Every command, whether it opens the event store or only the users' table, says what is wrong
    with PERMIS_DATABASE_URL and exits 2 (CONTRACT §3), with no traceback."""
    extra = ("--role", "operator") if args[0] == "users" else ()
    result = permis("mysql://db/permis", *args, *extra, stdin="secret\n")
    assert result.returncode == 2
    assert (
        "configuration: 'mysql://db/permis': PERMIS_DATABASE_URL must start with" in result.stderr
    )
    assert "Traceback" not in result.stderr
