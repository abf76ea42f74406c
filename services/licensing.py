"""The application service: import a journal, tick the clock, show a licence, audit its history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import structlog
from eventsourcing.persistence import IntegrityError

from domain.errors import CommandRefused, LawNotInForce
from domain.law import Law
from domain.licence import Context, Licence, licence_id
from domain.policy import Policy
from domain.view import licence_view
from infrastructure.recorders import Receipt
from infrastructure.store import LicenceStore
from services.errors import ImportStopped
from services.parallel_import import clock_after, import_in_shares, processes_for, share_of
from services.recent_views import RecentViews
from services.unit_of_work import UnitOfWork, no_cyclic_collection

if TYPE_CHECKING:  # the journal's pydantic models are built on import: not for a query (issue 17)
    from services.journal import JournalLine, LineError

log = structlog.get_logger("permis")

CONFLICT_ATTEMPTS = 5
"""Times an import starts again when another process saved one of its licences first."""


class UsageError(Exception):
    """A request that cannot be carried out as asked (exit 2): nothing was changed."""


class UnknownLicence(Exception):
    """No licence is recorded for this NEPH (on that date, as known then)."""

    def __init__(self, neph: str, when: str = "") -> None:
        super().__init__(f"no licence is recorded for NEPH {neph}{when}")
        self.neph = neph


@dataclass(frozen=True)
class Refusal:
    number: int
    command_id: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.number}: {self.command_id} refused: {self.reason}"


@dataclass
class ImportReport:
    applied: int = 0
    skipped: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    processes: int = 1  # how many processes applied the journal (`services.parallel_import`)

    @property
    def refused(self) -> int:
        return len(self.refusals)


class Licensing:
    """What operators and batch jobs do with the store (CONTRACT §2, §3)."""

    def __init__(
        self,
        store: LicenceStore,
        law: Law,
        policy: Policy,
        batch_size: int = 500,
        import_processes: int = 1,
    ) -> None:
        self.store = store
        self.law = law
        self.policy = policy
        self.batch_size = batch_size
        self.import_processes = import_processes
        self.recent_views = RecentViews()
        # When this process imports one share of a journal (`services.parallel_import`): which.
        self._share: tuple[int, int] | None = None

    def for_share(self, share: int, shares: int) -> Licensing:
        """The service for another process importing share `share` of `shares`."""
        other = Licensing(self.store.reopened(), self.law, self.policy, self.batch_size)
        other._share = (share, shares)
        return other

    def _owns(self, neph: str) -> bool:
        return self._share is None or share_of(neph, self._share[1]) == self._share[0]

    # --- the clock -----------------------------------------------------------------------------

    def clock(self) -> date | None:
        """The date up to which time-driven rules were applied (CONTRACT §2)."""
        return self.store.permis.select_clock()

    @no_cyclic_collection()
    def tick(self, to: date) -> int:
        """Apply every time-driven effect due on or before `to`, in date order; set the clock."""
        clock = self.clock()
        if clock is not None and to < clock:
            raise UsageError(f"tick --to {to}: the clock is already at {clock}")
        uow = self._uow()
        effects = self._advance_all(uow, to)
        uow.commit(clock=to)
        log.info("tick", to=to.isoformat(), effects=effects)
        return effects

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.store, self.law, self.policy)

    def _ctx(self, on: date, command_id: str | None = None) -> Context:
        return Context(on, command_id, self.law, self.policy)

    def _advance_all(self, uow: UnitOfWork, to: date) -> int:
        """Effects due by `to`: the batch's licences, then those the due-date index names."""
        effects, saved = 0, False
        for licence in uow.due_in_memory(to):
            effects += self._advance(uow, licence, to)
        while True:
            entries = uow.due_in_index(to, self.batch_size)
            if not entries:
                if saved:  # rows saved during the pass may be due before where it read to
                    uow.reread_index()
                return effects
            for entry in entries:
                if entry.neph in uow.licences:
                    continue  # already advanced from memory; the index row is stale until commit
                if not self._owns(entry.neph):
                    continue  # another process's licence
                indexed = uow.get(entry.neph)
                if indexed is not None:
                    effects += self._advance(uow, indexed, to)
            if len(uow) >= self.batch_size:
                uow.commit(clock=None, index_read_on=True)
                saved = True

    def _advance(self, uow: UnitOfWork, licence: Licence, to: date) -> int:
        applied = licence.advance(self._ctx(to), to)
        uow.touched(licence)  # when nothing applied, its index row may still be stale: rewrite it
        return applied

    # --- the journal ---------------------------------------------------------------------------

    def check(self, lines: Sequence[JournalLine]) -> tuple[dict[str, Receipt], list[LineError]]:
        """The receipts already known, and the lines that break the clock rule (CONTRACT §1)."""
        from services.journal import LineError

        receipts = self.store.permis.select_receipts([line.command.id for line in lines])
        clock = self.clock()
        errors = []
        seen: set[str] = set()
        for line in lines:
            command = line.command
            if command.id in receipts or command.id in seen:
                continue
            seen.add(command.id)
            if clock is not None and command.at < clock:
                errors.append(
                    LineError(
                        line.number, f"at: {command.at} is earlier than the store's clock ({clock})"
                    )
                )
        return receipts, errors

    @no_cyclic_collection()
    def import_lines(
        self,
        lines: Sequence[JournalLine],
        processes: int = 1,
    ) -> ImportReport:
        """Apply valid lines in order, in atomic batches, refusing line by line (CONTRACT §3);
        a large journal in up to `processes` processes (`services.parallel_import`)."""
        receipts, errors = self.check(lines)
        if errors:
            raise UsageError("\n".join(str(e) for e in errors))
        shares = processes_for(lines, receipts, processes)
        if shares > 1:
            return import_in_shares(self, lines, receipts, shares)
        return self._import(lines, receipts, until=clock_after(lines, self.clock()))

    def import_share(
        self, lines: Sequence[JournalLine], receipts: dict[str, Receipt], until: date | None
    ) -> ImportReport:
        """One process's share of a journal: its lines, then its licences' effects due by
        `until`, the clock the whole journal reaches, which the caller sets when all are done."""
        return self._import(lines, receipts, until=until, clock_writes=False)

    def import_part(
        self, lines: Sequence[JournalLine], receipts: dict[str, Receipt], until: date | None = None
    ) -> ImportReport:
        """A part of a journal checked whole beforehand (`services.streaming_import`): its lines,
        with the receipts of their ids, the clock moved with them, then to `until`."""
        return self._import(lines, receipts, until=until)

    def _import(
        self,
        lines: Sequence[JournalLine],
        receipts: dict[str, Receipt],
        until: date | None = None,
        clock_writes: bool = True,
    ) -> ImportReport:
        """The lines in order, in batches; started again from what was saved when another process
        (a worker's tick, say) saved one of the batch's licences first (optimistic concurrency)."""
        saved: dict[str, Receipt] = {}  # receipts this import saved before it had to start again
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            uow = self._uow()
            try:
                return self._import_once(uow, lines, dict(receipts), saved, until, clock_writes)
            except IntegrityError:
                saved.update((receipt.command_id, receipt) for receipt in uow.saved)
                if attempt == CONFLICT_ATTEMPTS:
                    raise ImportStopped(
                        f"other processes saved this journal's licences first {attempt} times; "
                        f"{len(saved)} line(s) were saved, and importing it again resumes",
                        saved=len(saved),
                    ) from None
                log.warning("import.conflict", attempt=attempt, saved=len(saved))
                receipts, errors = self.check(lines)
                if errors:  # the other process moved the clock past lines not yet applied
                    raise ImportStopped(
                        "another process moved the clock while this journal was imported; "
                        f"{len(saved)} line(s) were saved, these were not:\n"
                        + "\n".join(str(e) for e in errors),
                        saved=len(saved),
                    ) from None
        raise AssertionError("unreachable")

    def _import_once(
        self,
        uow: UnitOfWork,
        lines: Sequence[JournalLine],
        receipts: dict[str, Receipt],
        saved: dict[str, Receipt],
        until: date | None,
        clock_writes: bool,
    ) -> ImportReport:
        report = ImportReport()
        reported: set[str] = set()
        clock = self.clock()
        for done, line in enumerate(lines, start=1):
            if (done - 1) % self.batch_size == 0:  # which licences of the next lines are new
                uow.expect(ahead.command.neph for ahead in lines[done - 1 : done + self.batch_size])
            command = line.command
            known = receipts.get(command.id)
            if known is not None and command.id in saved and command.id not in reported:
                reported.add(command.id)  # applied by this import before it started again
                self._report(report, line, known)
            elif known is not None:
                self._replay_receipt(line, known, report)
            else:
                if clock is None or command.at > clock:
                    self._advance_all(uow, command.at)
                    clock = command.at
                receipt = self._apply(uow, line)
                receipts[command.id] = receipt
                reported.add(command.id)
                uow.receipts.append(receipt)
                self._report(report, line, receipt)
            if len(uow) >= self.batch_size:
                uow.commit(clock=clock if clock_writes else None)
        if until is not None and (clock is None or until > clock):
            self._advance_all(uow, until)
            clock = until
        uow.commit(clock=clock if clock_writes else None)
        return report

    @staticmethod
    def _report(report: ImportReport, line: JournalLine, receipt: Receipt) -> None:
        if receipt.outcome == "applied":
            report.applied += 1
        else:
            report.refusals.append(Refusal(line.number, line.command.id, receipt.reason))

    def _replay_receipt(self, line: JournalLine, known: Receipt, report: ImportReport) -> None:
        command = line.command
        if known.digest != line.digest:
            reason = f"id {command.id} was already used for a different line"
            report.refusals.append(Refusal(line.number, command.id, reason))
            log.warning("command.refused", id=command.id, line=line.number, reason=reason)
        elif known.outcome == "refused":
            report.refusals.append(Refusal(line.number, command.id, known.reason))
        else:
            report.skipped += 1

    def _apply(self, uow: UnitOfWork, line: JournalLine) -> Receipt:
        from services import handlers  # with the journal's models: only for a write (issue 17)

        command = line.command
        ctx = self._ctx(command.at, command.id)
        licence = uow.get(command.neph)
        mark = None
        try:
            if licence is not None:
                licence.advance(ctx, command.at)  # effects due today come first
                mark = licence.mark()
            created = handlers.handle(command, licence, ctx)
            changed = created or licence
            assert changed is not None
            # Effects this line made due today or earlier are the day's too: the service shows
            # them at once, so "as of D, known at D" is what was shown on D.
            changed.advance(ctx, command.at)
        except CommandRefused as refusal:
            if licence is not None:
                if mark is not None:
                    licence.undo(mark)  # nothing of a refused line stays (CONTRACT §3)
                uow.touched(licence)  # what the day's effects changed, and its index row
            log.info(
                "command.refused",
                id=command.id,
                line=line.number,
                type=command.type,
                neph=command.neph,
                reason=refusal.reason,
                rule=refusal.rule,
            )
            return Receipt(
                command.id, line.digest, "refused", str(refusal), command.neph, command.at, line.raw
            )
        if created is not None:
            uow.add(created)
        else:
            uow.touched(changed)
        log.info(
            "command.applied", id=command.id, line=line.number, type=command.type, neph=command.neph
        )
        return Receipt(command.id, line.digest, "applied", "", command.neph, command.at, line.raw)

    # --- queries -------------------------------------------------------------------------------

    def licence(self, neph: str) -> Licence:
        licence = self._uow().get(neph)
        if licence is None:
            raise UnknownLicence(neph)
        return licence

    def view(
        self, neph: str, as_of: date | None = None, known_at: date | None = None
    ) -> dict[str, Any]:
        """The licence view on `as_of` (default: the clock), as known at `known_at` (CONTRACT §4).

        Recent views are kept (`RecentViews`), each under the licence's version: one query for
        the version, and a view is served again only while no event was added to it."""
        clock = self.clock()
        if as_of is not None and clock is not None and as_of > clock:
            raise UsageError(f"--as-of {as_of} is later than the clock ({clock})")
        on_clock = as_of or clock
        if on_clock is None:
            return self._view(neph, as_of, known_at, clock)
        version = self.store.stored_version(licence_id(neph))
        key = (neph, on_clock, known_at, version)
        hit = self.recent_views.get(key)
        if hit is not None:
            return hit
        found = self._view(neph, as_of, known_at, clock)
        self.recent_views.put(key, found)
        return found

    def _view(
        self, neph: str, as_of: date | None, known_at: date | None, clock: date | None
    ) -> dict[str, Any]:
        licence = self.licence(neph)
        on = as_of or clock or licence.last_recorded_on
        try:
            state = licence.state(self.law, on, known_at)
            if not state.issued:  # issued later, or recorded later than `known_at`
                known = f" as known at {known_at}" if known_at else ""
                raise UnknownLicence(neph, f" on {on}{known}")
            return licence_view(state)
        except LawNotInForce as error:
            raise UsageError(f"{on}: {error.reason}") from None

    def audit(self, neph: str) -> list[dict[str, Any]]:
        """Every event of the licence, in recording order, with its dates, rule and reason."""
        return self.audit_trail(self.licence(neph).history)

    @staticmethod
    def audit_trail(history: Sequence[Any]) -> list[dict[str, Any]]:
        """The audit trail of a history (positions from 0), as `audit` gives it (R-9.1)."""
        from domain.rules.citations import article_of

        trail = []
        for position, event in enumerate(history):
            own = {
                k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in event.__dict__.items()
                if k not in _COMMON
            }
            trail.append(
                {
                    "position": position,
                    "event": type(event).__name__,
                    "effective_on": event.effective_on.isoformat(),
                    "recorded_on": event.recorded_on.isoformat(),
                    "rule": event.rule,
                    "article": article_of(event.rule),
                    "reason": event.reason,
                    "command_id": event.command_id,
                    "actor": event.actor,
                    "policy": event.policy,
                    "timestamp": event.timestamp.isoformat(),
                    "details": own,
                }
            )
        return trail


_COMMON = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "effective_on",
        "recorded_on",
        "rule",
        "reason",
        "command_id",
        "actor",
        "policy",
        "previous_hash",
    }
)

__all__ = [
    "ImportReport",
    "ImportStopped",
    "Licensing",
    "UnknownLicence",
    "UsageError",
    "licence_id",
]
