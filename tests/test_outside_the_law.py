"""Dates outside what the engine knows: before its law, before a licence was issued or recorded.

R-9.3: the law applies by date, and the engine's dated law starts on 1992-07-01 (the points-based
licence) or later for some parameters. A line that needs a value before then is refused with that
reason, and nothing of it stays; a view on such a date is a usage error. R-9.1: a view before the
licence was issued, or as known before it was recorded, names no licence.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from conftest import ServiceFactory

from domain.law import current_law
from domain.licence import Context, Licence
from domain.policy import Policy
from services.journal import parse_journal
from services.licensing import Licensing, UnknownLicence, UsageError

NEPH = "100000000001"


def lines(*raw: dict[str, Any]) -> Any:
    parsed, errors = parse_journal(
        "".join(
            json.dumps({"id": f"c{n}", "neph": NEPH, **line}) + "\n"
            for n, line in enumerate(raw, start=1)
        )
    )
    assert not errors
    return parsed


TAKEN_OVER = {
    "at": "2024-01-02",
    "type": "licence.issue",
    "issued_on": "1990-05-04",
    "route": "traditional",
    "probationary": False,
}


def test_r9_3_a_line_needing_law_before_the_engines_is_refused_and_the_rest_applies(
    make_service: ServiceFactory,
) -> None:
    """R-9.3: an infraction committed in 1980 cannot be established (no simultaneous cap then):
    refused with the reason, its licence unchanged, the other lines applied."""
    service: Licensing = make_service()
    report = service.import_lines(
        lines(
            TAKEN_OVER,
            {
                "at": "2024-01-03",
                "type": "infraction.record",
                "infraction_id": "old",
                "offence": "red_light",
                "committed_on": "1980-01-01",
            },
            {
                "at": "2024-01-04",
                "type": "infraction.establish",
                "infraction_id": "old",
                "established_on": "2024-01-04",
                "basis": "fine_paid",
            },
            {
                "at": "2024-01-05",
                "type": "infraction.record",
                "infraction_id": "new",
                "offence": "seat_belt",
                "committed_on": "2024-01-05",
            },
        )
    )
    assert report.applied == 3
    assert [r.command_id for r in report.refusals] == ["c3"]
    assert "no value of simultaneous_cap in force on 1980-01-01" in report.refusals[0].reason
    assert "(R-9.3)" in report.refusals[0].reason
    history = service.licence(NEPH).history
    assert [type(e).__name__ for e in history] == [
        "LicenceIssued",
        "InfractionRecorded",
        "InfractionRecorded",
    ]
    assert service.view(NEPH)["balance"] == 12


def test_r9_3_a_probationary_licence_before_probation_existed_is_refused(
    make_service: ServiceFactory,
) -> None:
    """R-9.3, R-1.2: probation starts with a value in force on the issue date, or not at all."""
    service: Licensing = make_service()
    report = service.import_lines(
        lines({**TAKEN_OVER, "issued_on": "1991-05-04", "probationary": True})
    )
    assert report.applied == 0
    assert "no value of probation_initial_points" in report.refusals[0].reason
    with pytest.raises(UnknownLicence):
        service.view(NEPH)


def test_undo_drops_what_a_refused_command_recorded() -> None:
    """Events recorded since the mark, not yet saved, are dropped; the next ones chain on."""
    ctx = Context(date(2024, 1, 2), "c1", current_law(), Policy())
    licence = Licence.issue(ctx, NEPH, date(2009, 5, 4), "traditional", False, 12, None)
    mark = licence.mark()
    before = licence.state(ctx.law, date(2024, 1, 2))
    licence.record_infraction(ctx, "i1", "red_light", date(2024, 1, 1), None, None, None)
    licence.undo(mark)
    assert len(licence.history) == 1 and licence.version == 1
    assert licence.state(ctx.law, date(2024, 1, 2)) == before
    licence.record_infraction(ctx, "i2", "seat_belt", date(2024, 1, 1), None, None, None)
    assert licence.history[-1].previous_hash == licence.history[0].digest()
    assert "i1" not in licence.state(ctx.law, date(2024, 1, 2)).infractions


def test_r9_1_no_licence_before_it_was_issued_nor_as_known_before_it_was_recorded(
    make_service: ServiceFactory,
) -> None:
    """R-9.1: as of a date before its issue, or as known before its first line, no licence."""
    service: Licensing = make_service()
    service.import_lines(lines({**TAKEN_OVER, "issued_on": "2009-05-04"}))
    assert service.view(NEPH)["status"] == "valid"
    with pytest.raises(UnknownLicence, match="on 2009-05-03"):
        service.view(NEPH, as_of=date(2009, 5, 3))
    with pytest.raises(UnknownLicence, match="as known at 2024-01-01"):
        service.view(NEPH, as_of=date(2024, 1, 1), known_at=date(2024, 1, 1))
    assert service.view(NEPH, as_of=date(2009, 5, 4))["status"] == "valid"


def test_r9_3_a_view_before_the_engines_law_is_a_usage_error(make_service: ServiceFactory) -> None:
    """R-9.3: a licence taken over from 1990 has no view in 1991, before the points existed."""
    service: Licensing = make_service()
    service.import_lines(lines(TAKEN_OVER))
    with pytest.raises(UsageError, match="no value of capital_max in force on 1991-01-01"):
        service.view(NEPH, as_of=date(1991, 1, 1))
    assert service.view(NEPH, as_of=date(1992, 7, 1))["balance"] == 12
