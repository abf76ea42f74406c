"""An import while another process writes the same licences (optimistic concurrency).

The loser of a race on a licence's version starts again from what it saved, with the licences as
the store now has them; its report is that of an import that never had to, and a line that the
other process made late (the clock moved past it) stops the import with a clear message.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ServiceFactory
from eventsourcing.persistence import IntegrityError

from services.journal import JournalLine, parse_journal
from services.licensing import ImportReport, ImportStopped, Licensing


def journal(*raw: dict[str, Any]) -> list[JournalLine]:
    parsed, errors = parse_journal("".join(json.dumps(line) + "\n" for line in raw))
    assert not errors
    return parsed


def issue(n: str, neph: str, at: str) -> dict[str, Any]:
    return {
        "id": n,
        "at": at,
        "type": "licence.issue",
        "neph": neph,
        "issued_on": "2009-05-04",
        "route": "traditional",
        "probationary": False,
    }


def record(n: str, neph: str, at: str, infraction: str) -> dict[str, Any]:
    return {
        "id": n,
        "at": at,
        "type": "infraction.record",
        "neph": neph,
        "infraction_id": infraction,
        "offence": "seat_belt",
        "committed_on": at,
    }


A, B = "100000000001", "100000000002"
LINES = [
    issue("a1", A, "2024-01-02"),
    issue("b1", B, "2024-01-02"),
    record("a2", A, "2024-01-03", "i1"),
    record("b2", B, "2024-01-04", "i1"),
    record("a3", A, "2024-01-05", "i2"),
]


def meddle_after_first_save(service: Licensing, other: Licensing, line: dict[str, Any]) -> None:
    """After `service` saves its first batch, `other` saves `line` (a licence `service` holds)."""
    save = service.store.save
    done: list[ImportReport] = []

    def saving(*licences: Any, **kwargs: Any) -> Any:
        result = save(*licences, **kwargs)
        if not done:
            done.append(other.import_lines(journal(line)))
        return result

    service.store.save = saving  # type: ignore[method-assign]


def test_an_import_that_loses_a_race_starts_again_and_reports_once(
    make_service: ServiceFactory,
) -> None:
    """The other process's line stands; every line of the journal is applied once, reported
    once as applied (none as skipped), and the licences hold both."""
    importing, other = make_service(batch_size=1), make_service()
    meddle_after_first_save(importing, other, record("x1", A, "2024-01-02", "ix"))
    report = importing.import_lines(journal(*LINES))
    assert (report.applied, report.skipped, report.refusals) == (5, 0, [])
    ids = [e.command_id for e in importing.licence(A).history]
    assert ids == ["a1", "x1", "a2", "a3"]
    assert [e.command_id for e in importing.licence(B).history] == ["b1", "b2"]
    assert str(importing.clock()) == "2024-01-05"
    again = importing.import_lines(journal(*LINES))
    assert (again.applied, again.skipped) == (0, 5)


def test_an_import_overtaken_by_the_clock_stops_and_says_which_lines_are_left(
    make_service: ServiceFactory,
) -> None:
    """If the other process moved the clock past lines not yet applied, they are not applied out
    of order (R-0.5): the import stops, naming them; what it saved stands."""
    importing, other = make_service(batch_size=1), make_service()
    meddle_after_first_save(importing, other, record("x1", A, "2024-01-04", "ix"))
    with pytest.raises(ImportStopped, match="another process moved the clock") as stopped:
        importing.import_lines(journal(*LINES))
    assert "line 3: at: 2024-01-03 is earlier than the store's clock (2024-01-04)" in str(
        stopped.value
    )
    assert [e.command_id for e in importing.licence(A).history] == ["a1", "x1"]
    assert stopped.value.saved == 2  # a1 and b1, saved before the race was lost


def test_an_import_that_keeps_losing_races_stops_with_what_it_saved(
    make_service: ServiceFactory,
) -> None:
    """A licence saved first by another process at every attempt: after the last one the import
    stops with a reason (exit 1 from the command line), not the store's error."""
    importing = make_service(batch_size=1)
    save = importing.store.save

    def losing(*licences: Any, **kwargs: Any) -> Any:
        if any(licence.neph == A and licence.version > 1 for licence in licences):
            raise IntegrityError("another process saved this licence first")
        return save(*licences, **kwargs)

    importing.store.save = losing  # type: ignore[method-assign]
    with pytest.raises(ImportStopped, match="first 5 times; 2 line") as stopped:
        importing.import_lines(journal(*LINES))
    assert stopped.value.saved == 2  # a1 and b1
