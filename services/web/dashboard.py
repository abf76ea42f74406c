"""The compliance dashboard (R-6): counts on a date, their trend, and the lists to act on.

Everything comes from the read models (`projections.queries.iter_obligations_and_flags`), the
same rows as `permis report compliance`; the counts are `services.reports.Summary`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import structlog

from domain.calendar import add_days
from projections.catch_up import catch_up
from projections.queries import ComplianceRow, iter_obligations_and_flags
from services.reports import Summary, awaiting_notification
from services.web.chart import Series, lines_svg
from services.web.context import WebContext

log = structlog.get_logger("permis.web")

LIST_LIMIT = 100  # rows shown per list; the CSV export has them all
SOON_DAYS = 30  # an open obligation due within this many days is listed to act on
TREND_WEEKS = 12


@dataclass
class ActList:
    """One list to act on: its rows (at most LIST_LIMIT) and how many there are in all."""

    key: str
    title: str
    hint: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.total += 1
        if len(self.rows) < LIST_LIMIT:
            self.rows.append(row)


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


def _lists(ctx: WebContext, as_of: date) -> tuple[Summary, list[ActList]]:
    lists = {
        "non_compliance": ActList(
            "non_compliance",
            "Stages obligatoires non effectués",
            "R-6.1 : saisir le parquet (amende jusqu'à 750 €, suspension)",
        ),
        "licence_not_returned": ActList(
            "licence_not_returned",
            "Permis non restitués",
            "R-6.2 : relancer le titulaire, signaler le délit",
        ),
        "attestation_overdue": ActList(
            "attestation_overdue",
            "Attestations de stage en retard",
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
    soon = add_days(as_of, SOON_DAYS)
    summary = Summary(as_of)
    row: ComplianceRow
    for row in iter_obligations_and_flags(ctx.read_models().engine, as_of):
        summary.add(row)
        item = row._asdict()
        if row.record == "flag" and row.kind in lists:
            lists[row.kind].add(item)
        elif row.record == "obligation" and row.status == "open":
            if row.due_on is None and row.kind == "mandatory_stage":
                lists["awaiting_48n"].add(item)
            elif row.due_on is not None and row.due_on <= soon:
                lists["due_soon"].add(item)
    for neph, sent_on in awaiting_notification(ctx.read_models().engine, as_of):
        summary.awaiting_notification += 1
        lists["awaiting_48si"].add({"neph": neph, "kind": "48SI", "opened_on": sent_on})
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


def dashboard(ctx: WebContext, as_of: date) -> Dashboard:
    """The counts and lists on `as_of`, and the weekly trend of the counts before it."""
    behind = refresh(ctx)
    summary, lists = _lists(ctx, as_of)
    return Dashboard(as_of, summary.as_dict(), lists, _trend(ctx, as_of), behind)
