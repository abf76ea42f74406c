"""Licences issued before the law's first date (1992-07-01) in the read models (issue 17 item 1).

A licence taken over from before the points-based licence (R-1.2) has its issue on a legal date
where no value of the engine's law is in force (R-9.3). Its history is folded on that date by the
read models' stretches of obligations and flags (`projections.rows`, from the issue date when an
invalidation was annulled, R-5.5): the fold must hold there without asking the law for a value, in
the rebuild, in the read-model update at the end of an import and in `permis report compliance`.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from conftest import SCENARIOS, bench_journal, passing_public_scenarios

from domain import events as ev
from domain.law import current_law
from domain.view import licence_view
from infrastructure.settings import Settings
from projections.catch_up import catch_up, rebuild
from projections.rows import rows_for
from projections.verify import verify
from projections.view import ReadModels
from services.bootstrap import build
from services.journal import parse_journal
from services.reports import write_csv

LAW_STARTS_ON = date(1992, 7, 1)
OLD_ISSUE = "1987-10-16"  # the issue date of the licence named in issue 17

# Events a licence first issued before 1992 cannot have in any journal these tests replay: the
# journals carry no correction of a new-licence date, nor an invalidation decided by a court.
NOT_REACHED = {"NewLicenceDateRevised", "InvalidationDecided", "OperatorAlerted"}


def before_the_law(journal: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The journal with each licence first issued on 1987-10-16 (R-1.2): a full licence's issue
    moved there; before a probationary licence, a first licence of 1987 invalidated and returned
    in 2010 (R-7.1, R-7.2), so that the journal's own licence is the new one (R-7.3)."""
    first: set[str] = set()
    before: list[dict[str, Any]] = []
    moved = []
    for line in journal:
        line = dict(line)
        if line["type"] == "licence.issue" and line["neph"] not in first:
            first.add(line["neph"])
            if line.get("probationary", True) and line["at"] >= "2012-01-01":
                before += _invalidated_in_2010(line["neph"])
            else:
                line.update(issued_on=OLD_ISSUE, probationary=False)
                line.pop("points", None)
        moved.append(line)
    return sorted(before, key=lambda line: line["at"]) + moved


def _invalidated_in_2010(neph: str) -> list[dict[str, Any]]:
    """A licence of 1987 that loses its 12 points in 2010 (R-2.2), then is handed back (R-7.2)."""
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("2010-01-04", "licence.issue", {"issued_on": OLD_ISSUE, "route": "traditional",
                                         "probationary": False}),
        ("2010-01-10", "infraction.record", {"infraction_id": "old-1", "offence": "alcohol_delit",
                                             "committed_on": "2010-01-05"}),
        ("2010-02-05", "infraction.establish", {"infraction_id": "old-1",
                                                "established_on": "2010-02-01",
                                                "basis": "final_conviction"}),
        ("2010-03-05", "infraction.record", {"infraction_id": "old-2", "offence": "drugs",
                                             "committed_on": "2010-03-01"}),
        ("2010-03-22", "infraction.establish", {"infraction_id": "old-2",
                                                "established_on": "2010-03-20",
                                                "basis": "final_conviction"}),
        ("2010-04-13", "letter.delivered", {"letter": "48SI", "delivered_on": "2010-04-10"}),
        ("2010-04-17", "licence.return", {"returned_on": "2010-04-17"}),
    ]  # fmt: skip
    return [
        {"id": f"{neph}-before-{n}", "at": at, "type": kind, "neph": neph, **fields}
        for n, (at, kind, fields) in enumerate(steps, start=1)
    ]


def generated_before_the_law(licences: int, seed: int) -> list[dict[str, Any]]:
    """The benchmark's journal (`ops/bench/journal.py`), every licence first issued in 1987."""
    return before_the_law(list(bench_journal().generate(licences, 10, seed)))


def journals() -> list[list[dict[str, Any]]]:
    scenarios = [
        before_the_law(json.loads(p.read_text())["journal"]) for p in passing_public_scenarios()
    ]
    # The mandatory stage of p05 done in time, its attestation received after the breach: the
    # non-compliance flag cleared (FlagsCleared, R-6.1).
    late = [
        {"id": "late-stage", "at": "2022-07-25", "type": "stage.complete", "neph": "100000000001",
         "stage_id": "s-late", "kind": "mandatory", "first_day": "2022-07-20",
         "last_day": "2022-07-21"},
        {"id": "late-attestation", "at": "2022-08-25", "type": "attestation.receive",
         "neph": "100000000001", "stage_id": "s-late", "received_on": "2022-08-25"},
    ]  # fmt: skip
    p05 = json.loads((SCENARIOS / "p05_probation_48N_missed.json").read_text())["journal"]
    return [*scenarios, before_the_law(p05 + late), generated_before_the_law(500, 17)]


def compliance(view: ReadModels, on: date) -> list[dict[str, str]]:
    out = io.StringIO()
    write_csv(view.engine, on, out, lambda: None)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_issue_17_licences_issued_before_the_law_fold_in_every_read_model(tmp_path: Path) -> None:
    """Issue 17 item 1, R-9.3, R-1.2, R-5.5: licences issued before 1992-07-01, with every event
    type the journals reach, are projected by the import's read-model update and by a rebuild,
    verify against their events, and are reported by `report compliance`, on any date."""
    law = current_law()
    seen: set[str] = set()
    folded_on_issue = 0
    for number, journal in enumerate(journals()):
        service = build(Settings(database_url=f"sqlite:///{tmp_path / f'{number}.sqlite'}"))
        lines, errors = parse_journal("".join(json.dumps(line) + "\n" for line in journal))
        assert not errors
        service.import_lines(lines)
        clock = max(line.command.at for line in lines) + timedelta(days=400)
        service.tick(clock)
        with ReadModels.open(service.store.url) as view:
            catch_up(service, view)  # what `permis import` and `tick` run after their write
            issued = [line for line in lines if line.command.type == "licence.issue"]
            nephs = sorted({line.command.neph for line in issued})
            projected = set(view.iter_nephs())
            for neph in nephs:
                history = service.licence(neph).history
                assert history[0].effective_on < LAW_STARTS_ON
                seen.update(type(event).__name__ for event in history)
                assert neph in projected
                if any(isinstance(e, ev.InvalidationAnnulled) for e in history):
                    # the stretches fold from the issue date (`_first_possible`)
                    folded_on_issue += 1
                rows = rows_for(neph, history, law, clock)
                assert rows.licence["status"] == licence_view(service.licence(neph).state(
                    law, clock, None))["status"]  # fmt: skip
            assert list(verify(service, view, chain=True)) == []
            rebuild(service, view)
            assert list(verify(service, view, chain=True)) == []
            for on in (date(1990, 1, 1), LAW_STARTS_ON, min(line.command.at for line in lines),
                       clock):  # fmt: skip
                reported = compliance(view, on)
                assert all(row["neph"] in nephs for row in reported)
        service.store.close()
    every = {cls.__name__ for cls in vars(ev).values() if _is_event_type(cls)}
    assert every - NOT_REACHED <= seen, sorted(every - NOT_REACHED - seen)
    assert folded_on_issue >= 2  # the case of issue 17: an annulled invalidation


def _is_event_type(value: object) -> bool:
    return (
        isinstance(value, type)
        and issubclass(value, ev.LicenceEvent)
        and value is not ev.LicenceEvent
        and value.__module__ == ev.__name__
    )
