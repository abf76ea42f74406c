"""Queries on the read models, for the CLI and the reports (faster than loading aggregates).

`iter_obligations_and_flags` is what `permis report compliance` is built on (CONTRACT §3, §6).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    Engine,
    Integer,
    Text,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)

from projections.rows import audit_item
from projections.schema import rm_audit, rm_flags, rm_obligations

STREAM_ROWS = 1000  # rows fetched at a time: memory stays constant however many licences


class ComplianceRow(NamedTuple):
    """One open or breached obligation, or one standing flag, of one licence on a legal date.

    The rows are what `licence show NEPH --as-of DATE` shows under `obligations` (those not
    fulfilled) and `flags`, for every licence, with everything known now (R-6, CONTRACT §4):

    - `neph`: the licence;
    - `record`: `"obligation"` or `"flag"`;
    - `kind`: for an obligation `mandatory_stage` (R-5.6) or `licence_return` (R-6.2); for a flag
      `non_compliance` (R-6.1), `licence_not_returned` (R-6.2) or `attestation_overdue` (R-6.3);
    - `status`: an obligation's `open` or `breached` on that date; `"raised"` for a flag;
    - `opened_on`: the legal date an obligation began (None for a flag);
    - `due_on`: an obligation's deadline (None while a 48N waits for its notification, R-3.3;
      None for a flag);
    - `raised_on`: the date a flag was raised (R-0.6; None for an obligation);
    - `centre`: for an `attestation_overdue` flag, the stage's organiser when the journal named
      it (R-6.3); None otherwise;
    - `fine_max_eur`, `suspension_max_years`: for a `non_compliance` flag, the maximum fine and
      suspension incurred (R-6.1, 750 and 3); None otherwise;
    - `ref`: the obligation's or flag's id within the licence (e.g. `48N:<infraction id>`,
      `stage:<stage id>`), stable across reports, to tell two rows of one licence apart.

    Rows come ordered by NEPH, then obligations before flags, then by date and id.
    """

    neph: str
    record: str
    kind: str
    status: str
    opened_on: date | None
    due_on: date | None
    raised_on: date | None
    centre: str | None
    fine_max_eur: int | None
    suspension_max_years: int | None
    ref: str


def _none(type_: Any, name: str) -> Any:
    """A NULL column typed like its counterpart, so that dates come back as dates on SQLite."""
    return type_coerce(null(), type_).label(name)


def _valid_on(table: Any, as_of: date) -> Any:
    return (table.c.valid_from <= as_of) & or_(table.c.valid_to.is_(None), table.c.valid_to > as_of)


def iter_obligations_and_flags(engine: Engine, as_of: date) -> Iterator[ComplianceRow]:
    """Every open or breached obligation and every standing flag on `as_of`, streamed.

    The read models hold each obligation and flag as stretches of legal dates, so the rows are
    those of the stretch covering `as_of`: exact for any date up to the clock (the read models'
    `as_of`); a later date sees the state on the clock. Iterate to the end, or close the
    generator, to give the connection back.
    """
    o, f = rm_obligations, rm_flags
    obligations = select(
        o.c.neph,
        literal("obligation").label("record"),
        o.c.kind,
        o.c.status,
        o.c.opened_on,
        o.c.due_on,
        _none(Date, "raised_on"),
        _none(Text, "centre"),
        _none(Integer, "fine_max_eur"),
        _none(Integer, "suspension_max_years"),
        o.c.obligation_id.label("ref"),
        literal(0).label("sort_record"),
        o.c.opened_on.label("sort_on"),
    ).where(_valid_on(o, as_of) & o.c.status.in_(("open", "breached")))
    flags = select(
        f.c.neph,
        literal("flag").label("record"),
        f.c.kind,
        literal("raised").label("status"),
        _none(Date, "opened_on"),
        _none(Date, "due_on"),
        f.c.raised_on,
        f.c.centre,
        f.c.fine_max_eur,
        f.c.suspension_max_years,
        f.c.flag_id.label("ref"),
        literal(1).label("sort_record"),
        f.c.raised_on.label("sort_on"),
    ).where(_valid_on(f, as_of))
    both = union_all(obligations, flags).subquery()
    query = select(*[both.c[name] for name in ComplianceRow._fields]).order_by(
        both.c.neph, both.c.sort_record, both.c.sort_on, both.c.ref
    )
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=STREAM_ROWS).execute(query)
        for row in result:
            yield ComplianceRow(*row)


def audit_trail(engine: Engine, neph: str) -> list[dict[str, Any]]:
    """The licence's audit trail from `rm_audit`, as `permis audit --json` prints it (R-9.1)."""
    query = select(rm_audit).where(rm_audit.c.neph == neph).order_by(rm_audit.c.position)
    with engine.connect() as connection:
        return [audit_item(dict(row._mapping)) for row in connection.execute(query)]
