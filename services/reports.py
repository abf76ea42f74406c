"""The compliance report (CONTRACT §3, §6; R-6): every open obligation and flag on a legal date.

Rows stream from the read models in constant memory; only counts are kept, per kind and status and
per stage centre for overdue attestations, so a report over millions of licences fits any machine.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import Engine, func, or_, select

from projections.queries import ComplianceRow, iter_obligations_and_flags
from projections.schema import rm_flags, rm_letters, rm_licences, rm_obligations

COLUMNS = (
    "neph",
    "record",
    "kind",
    "status",
    "opened_on",
    "due_on",
    "raised_on",
    "centre",
    "fine_max_eur",
    "suspension_max_years",
    "ref",
)


@dataclass
class Summary:
    """Counts of a report, the only state kept while rows stream."""

    as_of: date
    by_kind: Counter[str] = field(default_factory=Counter)
    overdue_by_centre: Counter[str] = field(default_factory=Counter)
    awaiting_notification: int = 0
    licences: set[str] = field(default_factory=set)

    def add(self, row: ComplianceRow) -> None:
        self.by_kind[f"{row.record}:{row.kind}:{row.status}"] += 1
        if row.kind == "attestation_overdue":
            self.overdue_by_centre[row.centre or "unknown"] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "mandatory_stages_open": self.by_kind["obligation:mandatory_stage:open"],
            "mandatory_stages_breached": self.by_kind["obligation:mandatory_stage:breached"],
            "licences_not_returned": self.by_kind["flag:licence_not_returned:raised"],
            "licence_returns_open": self.by_kind["obligation:licence_return:open"],
            "non_compliance_flags": self.by_kind["flag:non_compliance:raised"],
            "attestations_overdue": self.by_kind["flag:attestation_overdue:raised"],
            "attestations_overdue_by_centre": dict(sorted(self.overdue_by_centre.items())),
            "invalidations_awaiting_notification": self.awaiting_notification,
            "rows": sum(self.by_kind.values()),
        }


def count_rows(engine: Engine, as_of: date) -> int:
    """How many obligation and flag rows the report will have (for the progress bar)."""
    total = 0
    for table, extra in (
        (rm_obligations, rm_obligations.c.status.in_(("open", "breached"))),
        (rm_flags, rm_flags.c.valid_from.is_not(None)),
    ):
        valid = (table.c.valid_from <= as_of) & or_(
            table.c.valid_to.is_(None), table.c.valid_to > as_of
        )
        with engine.connect() as connection:
            total += int(connection.execute(select(func.count()).where(valid & extra)).scalar_one())
    return total


def awaiting_notification(engine: Engine, as_of: date) -> Iterator[tuple[str, date]]:
    """Invalidations decided (48SI sent) and not yet notified on `as_of` (R-7.1), by NEPH."""
    letters, licences = rm_letters, rm_licences
    query = (
        select(letters.c.neph, letters.c.sent_on)
        .join(licences, licences.c.neph == letters.c.neph)
        .where(
            (letters.c.type == "48SI")
            & (letters.c.sent_on <= as_of)
            & or_(letters.c.delivered_on.is_(None), letters.c.delivered_on > as_of)
            & (licences.c.status != "valid")
        )
        .order_by(letters.c.neph, letters.c.sent_on)
    )
    with engine.connect() as connection:
        yield from connection.execution_options(yield_per=1000).execute(query).tuples()


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def write_csv(engine: Engine, as_of: date, out: IO[str], tick: Callable[[], None]) -> Summary:
    """CSV: a header row, then one row per open or breached obligation and per flag (CONTRACT §6)."""
    summary = Summary(as_of)
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in iter_obligations_and_flags(engine, as_of):
        summary.add(row)
        writer.writerow([_cell(getattr(row, c)) for c in COLUMNS])
        tick()
    for neph, sent_on in awaiting_notification(engine, as_of):
        summary.awaiting_notification += 1
        writer.writerow(
            [
                neph,
                "invalidation",
                "awaiting_notification",
                "pending",
                sent_on.isoformat(),
                None,
                None,
                None,
                None,
                None,
                "48SI",
            ]
        )
    return summary


def write_json(engine: Engine, as_of: date, out: IO[str], tick: Callable[[], None]) -> Summary:
    """JSON: the items, the invalidations awaiting notification and the summary, written as they come."""
    summary = Summary(as_of)
    out.write('{"as_of": ' + json.dumps(as_of.isoformat()) + ', "items": [')
    for n, row in enumerate(iter_obligations_and_flags(engine, as_of)):
        summary.add(row)
        item = {c: _cell(getattr(row, c)) for c in COLUMNS}
        out.write(("," if n else "") + "\n" + json.dumps(item, ensure_ascii=False))
        tick()
    out.write('\n], "invalidations_awaiting_notification": [')
    for n, (neph, sent_on) in enumerate(awaiting_notification(engine, as_of)):
        summary.awaiting_notification += 1
        entry = {"neph": neph, "letter": "48SI", "sent_on": sent_on.isoformat()}
        out.write(("," if n else "") + "\n" + json.dumps(entry))
    out.write('\n], "summary": ' + json.dumps(summary.as_dict(), ensure_ascii=False) + "}\n")
    return summary
