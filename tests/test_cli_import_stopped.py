"""`permis import` stopped part way (a share failed, or another process moved the clock): the
saved batches stand, so it neither says "nothing applied" nor exits 2 (CONTRACT §2), and prints
the reason without a traceback."""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infrastructure import logging
from services import cli
from services.errors import ImportStopped, ShareFailed
from services.licensing import Licensing

JOURNAL = (
    '{"id": "c1", "at": "2024-01-02", "type": "licence.issue", "neph": "100000000001", '
    '"issued_on": "2009-05-04", "route": "traditional", "probationary": false}\n'
)


@pytest.mark.parametrize(
    "stopped",
    [
        ShareFailed("import stopped; the batches already saved stand:\nshare 2 of 2: disk full"),
        ImportStopped("another process moved the clock while this journal was imported", 1),
    ],
    ids=["share failed", "clock moved"],
)
def test_an_import_stopped_part_way_exits_1_with_its_reason(
    stopped: ImportStopped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stopping(self: Licensing, *args: Any, **kwargs: Any) -> Any:
        raise stopped

    monkeypatch.setattr(Licensing, "import_part", stopping)  # each chunk of `permis import`
    # Logs bound to the runner's captured stderr would outlive it, closed, in later tests.
    monkeypatch.setattr(logging, "configure_logging", lambda level=None: None)
    monkeypatch.setenv("PERMIS_DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.setenv("PERMIS_LOG_LEVEL", "WARNING")
    journal = tmp_path / "journal.jsonl"
    journal.write_text(JOURNAL)
    # In a context of its own: the command sets who acts (`acting_user`) for the rest of it.
    result = contextvars.copy_context().run(CliRunner().invoke, cli.app, ["import", str(journal)])
    assert result.exit_code == 1, result.output
    assert str(stopped).splitlines()[0] in result.output
    assert "nothing applied" not in result.output
    assert "Traceback" not in result.output
