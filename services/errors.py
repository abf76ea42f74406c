"""How an import can stop part way: what the command line, the API and the web each report."""

from __future__ import annotations


class ImportStopped(Exception):
    """An import stopped part way (exit 1): the batches it saved stand, the rest was not applied.

    `saved` is how many lines were saved, when it is known.
    """

    def __init__(self, message: str, saved: int | None = None) -> None:
        super().__init__(message)
        self.saved = saved


class ShareFailed(ImportStopped):
    """A process importing a share of the journal failed; the others' batches are saved."""
