"""Import memory benchmark: the peak RSS of `permis import` against the size of its journal.

For each size (default 100,000 and 1,000,000 journal lines, from `journal.generate`, written to a
file), in the same run, each in a process of its own so that its peak (`ru_maxrss`, from `wait4`)
is its own:

- floor: `permis import` of an empty journal into an empty store: the command's own imports,
  settings and store, nothing read;
- raw: a bare Python loop reading the same file line by line and decoding each with `json.loads`
  (what any streaming reader costs);
- whole file: the file read and parsed at once (`parse_journal(path.read_text())`): what the
  import did before issue 17, for comparison;
- permis import: the real command into a fresh SQLite store, read-model update at the end
  included (`PERMIS_IMPORT_PROCESSES` as configured, default one a CPU: the peak of the largest
  process);
- permis export: the whole store's journal written back out (`permis export`).

The figure is the peak RSS at each size, and its growth from the small size to the large one:
flat (a few MB) for a streaming command, proportional to the file for the whole-file parse.

    nice -n 10 .venv/bin/python ops/bench/import_memory.py [--lines 100000 1000000]
        [--processes P]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO)]

from journal import generate  # noqa: E402

LINES_PER_LICENCE = 3.93  # 39,284 lines for 10,000 licences over 10 years (seed 1)
PERMIS = str(Path(sys.executable).parent / "permis")

RAW = """
import json, sys
count = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        count += 1
print(count)
"""
WHOLE = """
import sys
from pathlib import Path
from services.journal import parse_journal
lines, errors = parse_journal(Path(sys.argv[1]).read_text(encoding="utf-8"))
print(len(lines))
"""


def write_journal(path: Path, lines: int, seed: int = 1) -> int:
    """About `lines` journal lines of the realistic mix, written one at a time."""
    import json

    licences = max(1, round(lines / LINES_PER_LICENCE))
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for line in generate(licences, 10, seed):
            out.write(json.dumps(line) + "\n")
            written += 1
    return written


def peak(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit status) of a command and the processes it waited for."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - started, process.returncode


def measure(lines: int, folder: Path, processes: int | None) -> dict[str, tuple[float, float]]:
    journal = folder / f"journal-{lines}.jsonl"
    written = write_journal(journal, lines)
    empty = folder / "empty.jsonl"
    empty.write_text("")
    env = {**os.environ, "PERMIS_LOG_LEVEL": "WARNING", "PERMIS_REPLAY": "1"}
    if processes:
        env["PERMIS_IMPORT_PROCESSES"] = str(processes)
    figures: dict[str, tuple[float, float]] = {}

    def run(name: str, command: list[str], store: str | None = None) -> None:
        run_env = dict(env)
        if store:
            run_env["PERMIS_DATABASE_URL"] = f"sqlite:///{folder / store}"
        rss, seconds, code = peak(command, run_env)
        if code not in (0, 1):  # 1: some lines refused by the rules, as the generator warns
            raise SystemExit(f"{name}: exit {code}")
        figures[name] = (rss, seconds)

    run("floor (empty journal)", [PERMIS, "import", str(empty)], f"empty-{lines}.sqlite")
    run("raw json.loads loop", [sys.executable, "-c", RAW, str(journal)])
    run("whole-file parse (before)", [sys.executable, "-c", WHOLE, str(journal)])
    run("permis import", [PERMIS, "import", str(journal)], f"store-{lines}.sqlite")
    run(
        "permis export",
        [PERMIS, "export", "--from", "1900-01-01", "--to", "2100-01-01", "--output",
         str(folder / "export.jsonl")],
        f"store-{lines}.sqlite",
    )  # fmt: skip
    figures["lines"] = (float(written), 0.0)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--processes", type=int, help="PERMIS_IMPORT_PROCESSES (default: CPUs)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-import-memory-") as folder:
        for lines in args.lines:
            results[lines] = measure(lines, Path(folder), args.processes)
            load = Path("/proc/loadavg").read_text().split()[:3]
            print(f"{int(results[lines]['lines'][0]):,} lines done, load {' '.join(load)}: "
                  + ", ".join(f"{name} {rss:,.0f} MB ({s:,.1f} s)"
                              for name, (rss, s) in results[lines].items() if name != "lines"),
                  flush=True)  # fmt: skip
    sizes = list(results)
    names = [name for name in results[sizes[0]] if name != "lines"]
    header = " | ".join(f"{int(results[s]['lines'][0]):,} lines: MB (s)" for s in sizes)
    print(f"| measure | {header} | growth MB |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for name in names:
        cells = " | ".join(
            f"{results[s][name][0]:,.0f} ({results[s][name][1]:,.1f})" for s in sizes
        )
        growth = results[sizes[-1]][name][0] - results[sizes[0]][name][0]
        print(f"| {name} | {cells} | {growth:+,.0f} |")


if __name__ == "__main__":
    main()
