"""Every pass over the due-date index leaves nothing due (R-0.5): after `_advance_all(to)`, each
licence the index names as due on or before `to` has been brought past it, also when the pass or
the journal saved batches part way (the index is read ahead in pages)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from conftest import ServiceFactory, bench_journal

from services.journal import parse_journal
from services.licensing import Licensing
from services.unit_of_work import UnitOfWork


def test_r0_5_a_pass_over_the_index_leaves_nothing_due_before_its_date(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service(batch_size=20)  # batches saved within the passes and between them
    raw = list(bench_journal().generate(300, 6, 5))
    lines, errors = parse_journal("".join(json.dumps(line) + "\n" for line in raw))
    assert not errors
    advance_all = Licensing._advance_all
    late: list[tuple[date, str]] = []
    passes = []

    def checked(self: Licensing, uow: UnitOfWork, to: date) -> Any:
        effects = advance_all(self, uow, to)
        passes.append(to)
        for row in self.store.permis.select_due(to, 100_000):
            licence = uow.get(row.neph)
            assert licence is not None
            due = licence.next_due(self.law, self.policy)
            if due is not None and due <= to:
                late.append((to, row.neph))
        return effects

    monkeypatch.setattr(Licensing, "_advance_all", checked)
    service.import_lines(lines)
    assert len(passes) > 100
    assert late == []
