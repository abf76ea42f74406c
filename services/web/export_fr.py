"""The compliance report as a French spreadsheet opens it (issue 14 item 5).

The machine CSV of CONTRACT §6 (`services.reports.write_csv`: `,`, English keys, ISO dates) stays
as it is for programs. This one is for people: `;` between cells (a French spreadsheet reads `,` as
the decimal mark), a UTF-8 byte order mark (without it Excel reads the accents as Windows-1252),
French headers, French words for the codes and dates as JJ/MM/AAAA. Rows stream from the same
query, a chunk at a time for the holders' names: memory does not grow with the report.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date
from itertools import islice
from typing import IO, Any

from sqlalchemy import Engine

from projections.queries import iter_obligations_and_flags
from projections.search import holders
from services.reports import Summary, awaiting_notification
from services.web import labels

BOM = "\ufeff"
CHUNK = 500
HEADERS = (
    "NEPH",
    "Nom",
    "Prénoms",
    "Nature",
    "Objet",
    "Statut",
    "Ouverte le",
    "Échéance",
    "Signalé le",
    "Centre de stage",
    "Amende maximale (€)",
    "Suspension maximale (ans)",
    "Référence",
)
RECORD = {"obligation": "obligation", "flag": "signalement", "invalidation": "lettre"}
STATUS = {**labels.OBLIGATION_STATUS, "raised": "en cours", "pending": "en attente"}


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _rows(engine: Engine, as_of: date, summary: Summary) -> Iterator[dict[str, Any]]:
    for row in iter_obligations_and_flags(engine, as_of):
        summary.add(row)
        table = labels.FLAG_KIND if row.record == "flag" else labels.OBLIGATION_KIND
        yield {
            "neph": row.neph,
            "record": RECORD.get(row.record, row.record),
            "kind": labels.label(table, row.kind),
            "status": STATUS.get(row.status, row.status),
            "opened_on": row.opened_on,
            "due_on": row.due_on,
            "raised_on": row.raised_on,
            "centre": row.centre,
            "fine": row.fine_max_eur,
            "suspension": row.suspension_max_years,
            "ref": row.ref,
        }
    for neph, sent_on in awaiting_notification(engine, as_of):
        summary.awaiting_notification += 1
        yield {
            "neph": neph,
            "record": RECORD["invalidation"],
            "kind": "48SI en attente de notification",
            "status": STATUS["pending"],
            "opened_on": sent_on,
            "due_on": None,
            "raised_on": None,
            "centre": None,
            "fine": None,
            "suspension": None,
            "ref": "48SI",
        }


def write_csv_fr(
    engine: Engine, as_of: date, out: IO[str], tick: Callable[[], None] = lambda: None
) -> Summary:
    """Every row of the compliance report on `as_of`, for a French spreadsheet."""
    summary = Summary(as_of)
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    rows = _rows(engine, as_of, summary)
    while chunk := list(islice(rows, CHUNK)):
        named = holders(engine, sorted({r["neph"] for r in chunk}))
        for r in chunk:
            holder = named.get(r["neph"]) or {}
            writer.writerow(
                [
                    r["neph"],
                    (holder.get("surname") or "").upper(),
                    holder.get("given_names") or "",
                    r["record"],
                    r["kind"],
                    r["status"],
                    _day(r["opened_on"]),
                    _day(r["due_on"]),
                    _day(r["raised_on"]),
                    r["centre"] or "",
                    "" if r["fine"] is None else r["fine"],
                    "" if r["suspension"] is None else r["suspension"],
                    r["ref"] or "",
                ]
            )
            tick()
    return summary
