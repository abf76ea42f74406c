"""The compliance dashboard (R-6): counts on a date, their trend, and the lists to act on.

Everything comes from the read models (`projections.queries.iter_obligations_and_flags`), the
same rows as `permis report compliance`; the counts are `services.reports.Summary`'s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import structlog

from domain.calendar import add_days
from projections.catch_up import catch_up
from projections.queries import ComplianceRow, iter_obligations_and_flags
from projections.search import holders
from services.reports import Summary, awaiting_notification
from services.web.chart import Series, lines_svg
from services.web.context import WebContext

log = structlog.get_logger("permis.web")

PAGE_SIZE = 20  # rows shown per page of a list; the CSV export has them all
SOON_DAYS = 30  # an open obligation due within this many days is listed to act on
TREND_WEEKS = 12
# The work queues whose items an operator marks handled (then they leave the queue).
QUEUES = ("licence_not_returned", "non_compliance", "attestation_overdue")


@dataclass
class ActList:
    """One list to act on: the rows of the page asked, how many there are, how many handled."""

    key: str
    title: str
    hint: str
    page: int = 1
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    handled: int = 0
    centres: Counter[str] = field(default_factory=Counter)  # overdue attestations by centre
    centre: str | None = None  # only this centre's rows

    @property
    def queue(self) -> bool:
        return self.key in QUEUES

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def add(self, row: dict[str, Any]) -> None:
        if self.key == "attestation_overdue":
            self.centres[row.get("centre") or "centre non renseigné"] += 1
            if self.centre is not None and (row.get("centre") or "") != self.centre:
                return
        start = (self.page - 1) * PAGE_SIZE
        if start <= self.total < start + PAGE_SIZE:
            self.rows.append(row)
        self.total += 1


@dataclass
class Dashboard:
    as_of: date
    counts: dict[str, Any]
    lists: list[ActList]
    trend: str
    behind: str | None  # why the read models could not be brought up to date, if so


def refresh(ctx: WebContext) -> str | None:
    """Bring the read models up to the store, as `permis report compliance` does first."""
    try:
        catch_up(ctx.service, ctx.read_models())
    except Exception as error:  # the page still shows what the read models hold, and says so
        log.warning("read_models.behind", error=f"{type(error).__name__}: {error}")
        return f"{type(error).__name__}: {error}"
    return None


def _counts(ctx: WebContext, on: date) -> Summary:
    summary = Summary(on)
    for row in iter_obligations_and_flags(ctx.read_models().engine, on):
        summary.add(row)
    return summary


def _lists(
    ctx: WebContext, as_of: date, pages: dict[str, int], centre: str | None
) -> tuple[Summary, list[ActList]]:
    lists = {
        "non_compliance": ActList(
            "non_compliance",
            "48N : stages obligatoires non effectués",
            "R-6.1 : saisir le parquet (amende jusqu'à 750 €, suspension)",
        ),
        "licence_not_returned": ActList(
            "licence_not_returned",
            "48SI : permis non restitués",
            "R-6.2 : relancer le titulaire, signaler le délit",
        ),
        "attestation_overdue": ActList(
            "attestation_overdue",
            "Attestations de stage en retard, par centre",
            "R-6.3 : relancer le centre de stage",
        ),
        "due_soon": ActList(
            "due_soon",
            f"Obligations à échéance sous {SOON_DAYS} jours",
            "suivre le stage obligatoire ou la restitution",
        ),
        "awaiting_48n": ActList(
            "awaiting_48n",
            "48N en attente d'accusé de réception",
            "R-3.3 : le délai de 4 mois court à la réception",
        ),
        "awaiting_48si": ActList(
            "awaiting_48si",
            "48SI en attente de notification",
            "R-7.1 : l'invalidation prend effet à la notification",
        ),
    }
    for key, act in lists.items():
        act.page = max(1, pages.get(key, 1))
    lists["attestation_overdue"].centre = centre
    handled = ctx.desk.handled_items(QUEUES, as_of)
    soon = add_days(as_of, SOON_DAYS)
    summary = Summary(as_of)
    row: ComplianceRow
    for row in iter_obligations_and_flags(ctx.read_models().engine, as_of):
        summary.add(row)
        item = row._asdict()
        if row.record == "flag" and row.kind in lists:
            if (row.kind, row.neph, row.ref) in handled:
                lists[row.kind].handled += 1
            else:
                lists[row.kind].add(item)
        elif row.record == "obligation" and row.status == "open":
            if row.due_on is None and row.kind == "mandatory_stage":
                lists["awaiting_48n"].add(item)
            elif row.due_on is not None and row.due_on <= soon:
                lists["due_soon"].add(item)
    for neph, sent_on in awaiting_notification(ctx.read_models().engine, as_of):
        summary.awaiting_notification += 1
        lists["awaiting_48si"].add(
            {
                "neph": neph,
                "record": "letter",
                "kind": "48SI",
                "status": "awaiting",
                "opened_on": sent_on,
                "raised_on": None,
                "due_on": None,
                "centre": None,
                "ref": None,
            }
        )
    named = holders(ctx.read_models().engine, [r["neph"] for a in lists.values() for r in a.rows])
    for act in lists.values():
        for r in act.rows:
            r["holder"] = named.get(r["neph"])
    return summary, list(lists.values())


def _trend(ctx: WebContext, as_of: date) -> str:
    days = [as_of - timedelta(weeks=w) for w in range(TREND_WEEKS, -1, -1)]
    counts = [_counts(ctx, day).as_dict() for day in days]
    series = [
        Series(
            "stages obligatoires en cours", "open", [c["mandatory_stages_open"] for c in counts]
        ),
        Series(
            "obligations non respectées",
            "breached",
            [c["mandatory_stages_breached"] + c["licences_not_returned"] for c in counts],
        ),
        Series(
            "signalements",
            "flags",
            [
                c["non_compliance_flags"] + c["licences_not_returned"] + c["attestations_overdue"]
                for c in counts
            ],
        ),
    ]
    return lines_svg(days, series, f"Évolution sur {TREND_WEEKS} semaines")


def dashboard(
    ctx: WebContext, as_of: date, pages: dict[str, int] | None = None, centre: str | None = None
) -> Dashboard:
    """The counts and lists on `as_of` (the page asked of each), and the weekly trend."""
    behind = refresh(ctx)
    summary, lists = _lists(ctx, as_of, pages or {}, centre)
    return Dashboard(as_of, summary.as_dict(), lists, _trend(ctx, as_of), behind)
