"""`permis report compliance` on the public scenarios' stores (R-6.1, R-6.2, R-6.3, CONTRACT §6)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from conftest import SCENARIOS, ServiceFactory

from projections.catch_up import catch_up
from projections.view import ReadModels
from services.journal import parse_journal
from services.licensing import Licensing
from services.reports import write_csv, write_json


def load_scenario(service: Licensing, name: str, extra: str = "", to: str | None = None) -> None:
    journal = json.loads((SCENARIOS / f"{name}.json").read_text(encoding="utf-8"))["journal"]
    text = "\n".join(json.dumps(x) for x in journal) + "\n" + extra
    lines, errors = parse_journal(text)
    assert errors == []
    service.import_lines(lines)
    if to:
        service.tick(date.fromisoformat(to))


def report(service: Licensing, as_of: str, fmt: str = "csv") -> str:
    out = io.StringIO()
    with ReadModels.open(service.store.url) as view:
        catch_up(service, view)
        writer = write_csv if fmt == "csv" else write_json
        writer(view.engine, date.fromisoformat(as_of), out, lambda: None)
    return out.getvalue()


def test_r6_1_a_48n_left_unanswered_is_reported_breached_and_flagged(
    make_service: ServiceFactory,
) -> None:
    """R-6.1: the breached mandatory stage and its non-compliance flag (750 €, 3 years)."""
    service = make_service()
    load_scenario(service, "p05_probation_48N_missed", to="2022-09-01")
    rows = list(csv.DictReader(io.StringIO(report(service, "2022-09-01"))))
    assert [(r["kind"], r["status"], r["due_on"], r["raised_on"]) for r in rows] == [
        ("mandatory_stage", "breached", "2022-08-07", ""),
        ("non_compliance", "raised", "", "2022-08-22"),
    ]
    assert (rows[1]["fine_max_eur"], rows[1]["suspension_max_years"]) == ("750", "3")
    before = list(csv.DictReader(io.StringIO(report(service, "2022-08-21"))))
    assert [(r["kind"], r["status"]) for r in before] == [("mandatory_stage", "open")]


def test_r6_2_a_licence_not_returned_is_reported(make_service: ServiceFactory) -> None:
    """R-6.2: without the return line, the licence_return obligation is breached and flagged."""
    service = make_service()
    journal = json.loads((SCENARIOS / "p06_invalidation_and_return.json").read_text())["journal"]
    lines, _ = parse_journal("\n".join(json.dumps(x) for x in journal[:-1]))
    service.import_lines(lines)
    service.tick(date(2024, 6, 1))
    parsed = json.loads(report(service, "2024-06-01", "json"))
    assert [(i["kind"], i["status"]) for i in parsed["items"]] == [
        ("licence_return", "breached"),
        ("licence_not_returned", "raised"),
    ]
    assert parsed["summary"]["licences_not_returned"] == 1
    pending = json.loads(report(service, "2024-05-08", "json"))
    assert pending["invalidations_awaiting_notification"] == [
        {"neph": "100000000001", "letter": "48SI", "sent_on": "2024-05-06"}
    ]


def test_r6_3_overdue_attestations_are_counted_by_centre(make_service: ServiceFactory) -> None:
    """R-6.3: an attestation overdue is listed against its stage centre."""
    service = make_service()
    stage = json.dumps(
        {
            "id": "x1",
            "at": "2023-06-06",
            "type": "stage.complete",
            "neph": "100000000001",
            "stage_id": "s9",
            "kind": "voluntary",
            "first_day": "2023-05-30",
            "last_day": "2023-05-31",
            "centre": "CENTRE-75",
        }
    )
    load_scenario(service, "p02_one_point_back_after_6_months", extra=stage, to="2023-07-01")
    parsed = json.loads(report(service, "2023-07-01", "json"))
    assert parsed["summary"]["attestations_overdue_by_centre"] == {"CENTRE-75": 1}


def test_the_report_command_writes_csv_to_a_pipe(tmp_path: Path) -> None:
    """CONTRACT §6: header row with neph, kind, status, due_on, raised_on; no progress bar when piped."""
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    env = dict(os.environ, PERMIS_DATABASE_URL=url, PERMIS_LOG_LEVEL="WARNING")
    journal = json.loads((SCENARIOS / "p05_probation_48N_missed.json").read_text())["journal"]
    path = tmp_path / "j.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in journal))
    run = [sys.executable, "-m", "services"]
    assert subprocess.run([*run, "import", str(path)], env=env).returncode == 0
    assert subprocess.run([*run, "tick", "--to", "2022-09-01"], env=env).returncode == 0
    result = subprocess.run(
        [*run, "report", "compliance", "--as-of", "2022-09-01"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert {"neph", "kind", "status", "due_on", "raised_on"} <= set(header)
    assert "non_compliance" in result.stdout and "\r" not in result.stderr
    late = subprocess.run(
        [*run, "report", "compliance", "--as-of", "2022-09-02"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert late.returncode == 2
