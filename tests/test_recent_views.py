"""Recent licence views (issue 17 item 5): served again only while the licence is unchanged."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from conftest import ServiceFactory

from services.journal import JournalLine, parse_journal
from services.recent_views import RecentViews

NEPH = "100000000001"
ISSUE = {"at": "2024-01-02", "type": "licence.issue", "neph": NEPH, "issued_on": "2009-05-04",
         "route": "traditional", "probationary": False}  # fmt: skip
RECORD = {"at": "2024-01-10", "type": "infraction.record", "neph": NEPH, "infraction_id": "i1",
          "offence": "red_light", "committed_on": "2024-01-05"}  # fmt: skip
ESTABLISH = {"at": "2024-02-05", "type": "infraction.establish", "neph": NEPH,
             "infraction_id": "i1", "established_on": "2024-02-01", "basis": "fine_paid"}  # fmt: skip


def lines(*raw: dict[str, Any], start: int = 1) -> list[JournalLine]:
    text = "".join(json.dumps({"id": f"c{n}", **x}) + "\n" for n, x in enumerate(raw, start))
    parsed, errors = parse_journal(text)
    assert not errors
    return parsed


def test_issue_17_a_kept_view_is_the_view_and_a_new_event_replaces_it(
    make_service: ServiceFactory,
) -> None:
    """R-9.1, CONTRACT §4: the view served from memory equals the one computed; after a new event
    (a withdrawal, R-2.2) the licence's new view is served, not the kept one."""
    service = make_service()
    service.import_lines(lines(ISSUE, RECORD))
    first = service.view(NEPH)
    again = service.view(NEPH)
    assert again == first and again is not first
    again["balance"] = -1  # a caller's copy is its own
    assert service.view(NEPH) == first
    other = make_service()  # another process's service on the same store writes
    other.import_lines(lines(ESTABLISH, start=3))
    changed = service.view(NEPH)
    assert changed["balance"] == first["balance"] - 4
    assert changed == other.view(NEPH)
    before = service.view(NEPH, as_of=date(2024, 1, 20))  # another date: a view of its own
    assert before == other.view(NEPH, as_of=date(2024, 1, 20))
    assert before["balance"] == first["balance"]


def test_issue_17_recent_views_are_bounded() -> None:
    """The least recently served view goes first once the bound is reached."""
    views = RecentViews(size=2)
    views.put("a", {"n": 1})
    views.put("b", {"n": 2})
    assert views.get("a") == {"n": 1}
    views.put("c", {"n": 3})
    assert views.get("b") is None and views.get("a") == {"n": 1} and views.get("c") == {"n": 3}
