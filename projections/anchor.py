"""An anchor of the events recorded so far: one digest that an auditor keeps outside the service.

`permis verify --chain` finds an event altered or removed, unless whoever altered it also wrote
every later hash of the licence again and rebuilt the read models: the chain and its heads are in
the same database. An anchor taken earlier and kept elsewhere (a letter, another system, a
published register) cannot be rewritten with them: taken again over the same notifications, it
differs as soon as one stored byte of one of them changed, or an event was removed or slipped in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

PAGE = 5_000
FORM = "permis-anchor-1"  # how the digest is taken: a new form gets a new name


@dataclass(frozen=True)
class Anchor:
    """The digest of the stored events up to a notification id (R-9.2)."""

    notification_id: int
    events: int
    sha256: str
    form: str = FORM

    def line(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """An anchor as `line` printed it; ValueError with the reason if it is not one."""
        try:
            fields: Any = json.loads(text)
            anchor = cls(**fields)
        except (ValueError, TypeError) as error:
            raise ValueError(f"not an anchor printed by `permis anchor`: {error}") from None
        if anchor.form != FORM:
            raise ValueError(f"an anchor of the form {anchor.form!r}; this service takes {FORM!r}")
        return anchor


def take(recorder: ApplicationRecorder, upto: int | None = None) -> Anchor:
    """The anchor of every stored event with a notification id up to `upto` (default: all)."""
    digest = hashlib.sha256(FORM.encode())
    last, count = 0, 0
    while True:
        page = recorder.select_notifications(last, PAGE, stop=upto, inclusive_of_start=False)
        for n in page:
            # Each field delimited, the state by its length: no two event lists give one input.
            head = f"\n{n.id} {n.originator_id} {n.originator_version} {n.topic} {len(n.state)}\n"
            digest.update(head.encode())
            digest.update(n.state)
            last, count = n.id, count + 1
        if len(page) < PAGE:
            break
    return Anchor(upto if upto is not None else last, count, digest.hexdigest())
