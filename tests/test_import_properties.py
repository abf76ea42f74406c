"""Properties of `import` over random journals of several licences, on the embedded store."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.law import current_law
from infrastructure.settings import Settings
from services.bootstrap import build
from services.journal import JournalLine, parse_journal
from services.licensing import Licensing

NEPHS = ["100000000001", "100000000002", "100000000003"]
OFFENCES = sorted(current_law().offences)


def random_journal(seed: int, days: int = 900) -> list[dict[str, Any]]:
    """A journal of three licences with infractions, letters and stages, sorted by `at`."""
    rng = random.Random(seed)
    lines: list[dict[str, Any]] = []
    start = date(2021, 1, 4)
    for n, neph in enumerate(NEPHS):
        lines.append(
            {
                "id": f"{neph}-issue",
                "at": start.isoformat(),
                "type": "licence.issue",
                "neph": neph,
                "issued_on": (start - timedelta(days=n * 2000)).isoformat(),
                "route": rng.choice(["traditional", "aac"]),
                "probationary": n == 0,
            }
        )
    for k in range(rng.randint(3, 14)):
        at = start + timedelta(days=rng.randint(1, days))
        neph = rng.choice(NEPHS)
        kind = rng.random()
        base = {"id": f"l{k}", "at": at.isoformat(), "neph": neph}
        if kind < 0.5:
            lines.append(
                base
                | {
                    "type": "infraction.record",
                    "infraction_id": f"i{k}",
                    "offence": rng.choice(OFFENCES),
                    "committed_on": (at - timedelta(days=rng.randint(0, 30))).isoformat(),
                }
            )
            lines.append(
                base
                | {
                    "id": f"e{k}",
                    "type": "infraction.establish",
                    "infraction_id": f"i{k}",
                    "established_on": at.isoformat(),
                    "basis": "fine_paid",
                }
            )
        elif kind < 0.7:
            lines.append(
                base
                | {
                    "type": "letter.delivered",
                    "letter": rng.choice(["48N", "48SI", "48M"]),
                    "delivered_on": at.isoformat(),
                }
            )
        else:
            first = at - timedelta(days=3)
            lines.append(
                base
                | {
                    "type": "stage.complete",
                    "stage_id": f"s{k}",
                    "kind": "voluntary",
                    "first_day": first.isoformat(),
                    "last_day": (first + timedelta(days=1)).isoformat(),
                }
            )
            lines.append(
                base
                | {
                    "id": f"a{k}",
                    "type": "attestation.receive",
                    "stage_id": f"s{k}",
                    "received_on": at.isoformat(),
                }
            )
    return sorted(lines, key=lambda x: x["at"])


def parse(lines: list[dict[str, Any]]) -> list[JournalLine]:
    parsed, errors = parse_journal("\n".join(json.dumps(x) for x in lines))
    assert errors == []
    return parsed


def views(service: Licensing) -> dict[str, dict[str, Any]]:
    return {neph: service.view(neph) for neph in NEPHS}


def fresh(tmp: Path, name: str) -> Licensing:
    return build(Settings(database_url=f"sqlite:///{tmp / name}.sqlite"))


SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(st.integers(0, 10_000), st.integers(1, 6))
def test_r0_5_one_file_or_several_give_the_same_views(
    tmp_path: Path, seed: int, parts: int
) -> None:
    """R-0.5, CONTRACT §2: importing a journal whole or in pieces (with ticks) gives the same views."""
    lines = random_journal(seed)
    end = date.fromisoformat(lines[-1]["at"])
    whole = fresh(tmp_path, f"whole{seed}-{parts}")
    whole.import_lines(parse(lines))
    whole.tick(end)
    pieces = fresh(tmp_path, f"pieces{seed}-{parts}")
    size = max(1, len(lines) // parts)
    for start in range(0, len(lines), size):
        chunk = lines[start : start + size]
        pieces.import_lines(parse(chunk))
        pieces.tick(date.fromisoformat(chunk[-1]["at"]))
    pieces.tick(end)
    assert views(whole) == views(pieces)


@SETTINGS
@given(st.integers(0, 10_000))
def test_r0_5_same_day_lines_of_different_licences_commute(tmp_path: Path, seed: int) -> None:
    """R-0.5: within a day, lines of different licences may come in any order."""
    lines = random_journal(seed)
    rng = random.Random(seed)
    shuffled: list[dict[str, Any]] = []
    for day in sorted({x["at"] for x in lines}):
        same_day = [x for x in lines if x["at"] == day]
        by_licence = {neph: [x for x in same_day if x["neph"] == neph] for neph in NEPHS}
        order = list(by_licence)
        rng.shuffle(order)
        shuffled += [x for neph in order for x in by_licence[neph]]
    first, second = fresh(tmp_path, f"a{seed}"), fresh(tmp_path, f"b{seed}")
    first.import_lines(parse(lines))
    second.import_lines(parse(shuffled))
    assert views(first) == views(second)
