"""Differential test of `permis` against the reference reading of the rule book (issue 11 item 2).

    nice -n 10 .venv/bin/python ops/differential.py --journals 200 --seed 1000 [--out var/differential]

Each generated journal (tests/reference/generator.py) is played through the `permis` command
(CONTRACT §3, in this process through Typer's runner: the same code as the console script, without
a process start per view) on a temporary SQLite store with PERMIS_REPLAY=1: at each checkpoint D,
the lines recorded by D are imported and the clock ticked to D, and every licence is shown (what
the service shows on D). At the end every checkpoint is asked again `--as-of D --known-at D` (must
equal what was shown on D, R-9.1) and `--as-of D` (everything known), and the whole journal is
imported again (must change nothing). The reference (tests/reference/rulebook.py) answers the same
views; every field of CONTRACT §4 is compared. Prints the figures and each disagreement with a
minimal reproduction (the journal lines of that licence up to the view's knowledge date), and
writes them under --out as JSON for shrinking into tests/scenarios/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from reference.generator import generate  # noqa: E402
from reference.rulebook import Reference  # noqa: E402

FIELDS = (
    "status",
    "balance",
    "ceiling",
    "probationary",
    "probation_ends_on",
    "letters",
    "obligations",
    "flags",
    "stages",
    "new_licence_possible_on",
)
REFUSED = re.compile(r"^line \d+: (\S+) refused: ")


CORRECTIONS = False  # R-11 and R-12 lines in the journals, suspensions compared (--corrections)


def comparable(view: dict[str, Any] | None) -> dict[str, Any] | None:
    """The fields of CONTRACT §4 both sides must agree on; a refusal's wording is the engine's
    own, so only whether there is one is compared."""
    if view is None:
        return None
    out = {k: view.get(k) for k in FIELDS}
    out["letters"] = [
        {k: x.get(k) for k in ("type", "sent_on", "delivered_on")} for x in view.get("letters", [])
    ]
    out["obligations"] = [
        {k: x.get(k) for k in ("kind", "due_on", "status")} for x in view.get("obligations", [])
    ]
    out["flags"] = [{k: x.get(k) for k in ("kind", "raised_on")} for x in view.get("flags", [])]
    out["stages"] = [
        {
            "stage_id": x.get("stage_id"),
            "kind": x.get("kind"),
            "last_day": x.get("last_day"),
            "points_credited": x.get("points_credited"),
            "refused": x.get("refusal") is not None,
        }
        for x in view.get("stages", [])
    ]
    if CORRECTIONS:
        out["suspensions"] = [
            {k: x.get(k) for k in ("kind", "first_day", "last_day")}
            for x in view.get("suspensions", [])
        ]
    return out


def differences(engine: dict[str, Any] | None, ref: dict[str, Any] | None) -> dict[str, Any]:
    a, b = comparable(engine), comparable(ref)
    if a is None or b is None:
        return {} if a == b else {"view": {"engine": a is not None, "reference": b is not None}}
    found = {k: {"engine": a[k], "reference": b[k]} for k in a if a[k] != b[k]}
    same_day = sorted(a["letters"], key=_day_type) == sorted(b["letters"], key=_day_type)
    if "letters" in found and same_day:
        # The rule book orders letters by sent_on only ("oldest first"): letters sent the same day
        # in another order are reported apart, as the rule book's silence, not as a finding.
        found["letters sent the same day, in another order"] = found.pop("letters")
    return found


def _day_type(letter: dict[str, Any]) -> tuple[str, str]:
    return (letter["sent_on"], letter["type"])


class Permis:
    """The `permis` command on a store of its own (CONTRACT §3)."""

    def __init__(self, directory: Path) -> None:
        from typer.testing import CliRunner

        from services.cli import app

        self.app = app
        self.runner = CliRunner()
        self.env = {
            "PERMIS_DATABASE_URL": f"sqlite:///{directory / 'store.sqlite'}",
            "PERMIS_REPLAY": "1",
            "PERMIS_LOG_LEVEL": "WARNING",
        }
        self.directory = directory
        self.calls = 0

    def run(self, *args: str) -> tuple[int, str]:
        self.calls += 1
        result = self.runner.invoke(self.app, list(args), env=self.env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise RuntimeError(f"permis {' '.join(args)} crashed: {result.exception!r}")
        return result.exit_code, result.output

    def load(self, lines: list[dict[str, Any]]) -> tuple[int, set[str]]:
        path = self.directory / "part.jsonl"
        path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        code, output = self.run("import", str(path))
        refused = {m.group(1) for m in map(REFUSED.match, output.splitlines()) if m}
        if code not in (0, 1):
            raise RuntimeError(f"import exit {code}: {output}")
        return code, refused

    def show(self, neph: str, *options: str) -> dict[str, Any] | None:
        code, output = self.run("licence", "show", neph, "--json", *options)
        if code == 1:
            return None
        if code != 0:
            raise RuntimeError(f"show {neph} {options} exit {code}: {output}")
        view: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
        return view


def checkpoints(lines: list[dict[str, Any]], rng: random.Random, most: int) -> list[date]:
    """Days on which the service is looked at: some line days, days just after, month ends."""
    days = sorted({date.fromisoformat(x["at"]) for x in lines})
    chosen = set(rng.sample(days, min(len(days), most // 2)))
    chosen.add(days[-1])
    for _ in range(most // 2):
        day = rng.choice(days) + timedelta(days=rng.choice([1, 16, 40, 100, 200, 400]))
        chosen.add(day)
    return sorted(chosen)


def play(seed: int, most: int, workdir: Path) -> dict[str, Any]:
    lines = generate(seed, corrections=CORRECTIONS)
    rng = random.Random(seed * 31 + 7)
    days = checkpoints(lines, rng, most)
    nephs = sorted({x["neph"] for x in lines})
    found: list[dict[str, Any]] = []
    views = 0
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        permis = Permis(Path(tmp))
        done = 0
        live: dict[tuple[date, str], dict[str, Any] | None] = {}
        refused_engine: set[str] = set()
        for day in days:
            batch = []
            while done < len(lines) and date.fromisoformat(lines[done]["at"]) <= day:
                batch.append(lines[done])
                done += 1
            if batch:
                refused_engine |= permis.load(batch)[1]
            permis.run("tick", "--to", day.isoformat())
            ref = Reference(lines[:done], corrections=CORRECTIONS)
            for neph in nephs:
                live[day, neph] = shown = permis.show(neph)
                views += 1
                diff = differences(shown, ref.view(neph, day, day))
                if diff:
                    found.append({"kind": "shown on D", "on": day, "neph": neph, "diff": diff})
        final = days[-1]
        ref = Reference(lines, corrections=CORRECTIONS)
        refused_ref = set(ref.refused)
        if refused_engine != refused_ref:
            found.append(
                {
                    "kind": "refusals",
                    "on": final,
                    "neph": "",
                    "diff": {
                        "refused": {
                            "engine only": sorted(refused_engine - refused_ref),
                            "reference only": {
                                k: ref.refused[k] for k in refused_ref - refused_engine
                            },
                        }
                    },
                }
            )
        for day in days:
            for neph in nephs:
                replay = permis.show(
                    neph, "--as-of", day.isoformat(), "--known-at", day.isoformat()
                )
                views += 1
                if comparable(replay) != comparable(live[day, neph]):
                    found.append(
                        {
                            "kind": "property: as of D known at D differs from what was shown on D (R-9.1)",
                            "on": day,
                            "neph": neph,
                            "diff": differences(replay, live[day, neph]),
                        }
                    )
                now = permis.show(neph, "--as-of", day.isoformat())
                views += 1
                diff = differences(now, ref.view(neph, day, final))
                if diff:
                    found.append(
                        {"kind": "as of D, known now", "on": day, "neph": neph, "diff": diff}
                    )
                found.extend(_properties(now, day, neph))
        before = {neph: permis.show(neph) for neph in nephs}
        _, again = permis.load(lines)
        after = {neph: permis.show(neph) for neph in nephs}
        views += 2 * len(nephs)
        if before != after or again != refused_engine:
            found.append(
                {
                    "kind": "property: re-import changed something (CONTRACT §3)",
                    "on": final,
                    "neph": "",
                    "diff": {},
                }
            )
    for item in found:
        item["seed"] = seed
        item["reproduction"] = [
            x
            for x in lines
            if (not item["neph"] or x["neph"] == item["neph"])
            and x["at"]
            <= max(
                item["on"], final if item["kind"].startswith("as of D") else item["on"]
            ).isoformat()
        ]
        item["on"] = item["on"].isoformat()
    return {"seed": seed, "lines": len(lines), "views": views, "found": found}


def _properties(view: dict[str, Any] | None, day: date, neph: str) -> Iterator[dict[str, Any]]:
    """Properties of one view that need no reference (R-10.12, R-7.1)."""
    if view is None:
        return
    iso = day.isoformat()
    late = [x for x in view["letters"] if x["sent_on"] > iso] + [
        x for x in view["flags"] if x["raised_on"] > iso
    ]
    if late:
        yield {
            "kind": "property: an as-of-D view lists a letter or flag after D (R-10.12)",
            "on": day,
            "neph": neph,
            "diff": {"late": late},
        }
    if view["balance"] == 0 and view["status"] == "valid":
        yield {
            "kind": "property: a balance of 0 is not an invalidation (R-7.1, R-10.9)",
            "on": day,
            "neph": neph,
            "diff": {},
        }


def signature(item: dict[str, Any]) -> str:
    return item["kind"] + ": " + ", ".join(sorted(item["diff"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journals", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--views", type=int, default=16, help="checkpoints per journal")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--corrections",
        action="store_true",
        help="R-11 and R-12 lines too (infraction.cancel, suspension.*)",
    )
    args = parser.parse_args(argv)
    global CORRECTIONS
    CORRECTIONS = args.corrections
    os.environ.setdefault("PERMIS_LOG_LEVEL", "WARNING")
    shm = Path("/dev/shm")  # SQLite syncs cost more than the checks on a disk
    workdir = Path(tempfile.mkdtemp(prefix="differential-", dir=shm if shm.is_dir() else None))
    totals = Counter()  # type: Counter[str]
    kinds = Counter()  # type: Counter[str]
    disagreeing = 0
    for seed in range(args.seed, args.seed + args.journals):
        result = play(seed, args.views, workdir)
        totals["journals"] += 1
        totals["lines"] += result["lines"]
        totals["views"] += result["views"]
        totals["disagreements"] += len(result["found"])
        disagreeing += bool(result["found"])
        for item in result["found"]:
            kinds[signature(item)] += 1
            if not args.quiet:
                print(f"seed {seed} {item['neph']} on {item['on']}: {item['kind']}")
                for key, value in item["diff"].items():
                    print(f"    {key}: {json.dumps(value, default=str)}")
        if totals["journals"] % 10 == 0:
            print(
                f"... {totals['journals']} journals, {totals['views']} views, "
                f"{disagreeing} disagreeing",
                file=sys.stderr,
                flush=True,
            )
        if args.out and result["found"]:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"seed-{seed}.json").write_text(
                json.dumps(result, indent=1, default=str), encoding="utf-8"
            )
    print(
        f"journals: {totals['journals']}, lines: {totals['lines']}, views compared: {totals['views']}, "
        f"journals disagreeing: {disagreeing}, disagreements: {totals['disagreements']}"
    )
    for kind, count in kinds.most_common():
        print(f"  {count:6d}  {kind}")
    return 1 if disagreeing else 0


if __name__ == "__main__":
    sys.exit(main())
