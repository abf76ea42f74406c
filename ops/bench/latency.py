"""Latency benchmark: `permis licence show` and the API's licence answer, beside raw baselines.

In one run, on a store of `--licences` generated licences (SQLite):

- CLI: `permis licence show NEPH` against `python -c "import eventsourcing.sqlite"` (the library's
  own start-up), `--runs` runs each, interleaved, medians;
- API: `GET /api/licences/{neph}` against a hello-world route added to the same FastAPI app, with
  the same token, through the same test client: with the recent views kept
  (`services.recent_views`, the default) and without (every answer computed from the events).
  Medians over `--requests` requests, cycling through the licences with the longest histories.

The figures are the ratios: hello-world requests per second over the licence route's, and the
library's start-up over `licence show`'s.

    nice -n 10 .venv/bin/python ops/bench/latency.py [--licences 1000] [--runs 5] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PERMIS_LOG_LEVEL", "WARNING")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO), str(REPO / "tests")]

from journal import generate  # noqa: E402

from infrastructure.logging import configure_logging  # noqa: E402
from infrastructure.settings import Settings  # noqa: E402
from services.bootstrap import build  # noqa: E402
from services.journal import parse_journal  # noqa: E402
from services.recent_views import RecentViews  # noqa: E402


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    configure_logging()
    from fastapi.testclient import TestClient
    from web_support import OPERATOR, backoffice

    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder:
        url = f"sqlite:///{Path(folder) / 'store.sqlite'}"
        service = build(Settings(database_url=url))
        raw = list(generate(args.licences, 10, 1))
        lines, _ = parse_journal("".join(json.dumps(x) + "\n" for x in raw))
        service.import_lines(lines)
        counts: dict[str, int] = {}
        for line in lines:
            counts[line.command.neph] = counts.get(line.command.neph, 0) + 1
        busiest = sorted(counts, key=lambda n: -counts[n])[:20]

        env = {**os.environ, "PERMIS_DATABASE_URL": url}
        permis = str(Path(sys.executable).parent / "permis")
        show, library = [], []
        for _ in range(args.runs):
            show.append(wall([permis, "licence", "show", busiest[0]], env))
            library.append(wall([sys.executable, "-c", "import eventsourcing.sqlite"], env))

        office = backoffice(service, url)
        office.app.get("/bench/hello")(lambda: {"hello": "world"})
        with TestClient(office.app) as client:
            token = client.post(
                "/api/token", data={"username": OPERATOR[0], "password": OPERATOR[1]}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}

            def timed(path: str) -> float:
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                assert response.status_code == 200, response.text
                return time.perf_counter() - started

            hello, kept, computed = [], [], []
            for number in range(args.requests):
                neph = busiest[number % len(busiest)]
                hello.append(timed("/bench/hello"))
                service.recent_views = RecentViews()
                kept.append(timed(f"/api/licences/{neph}"))
                kept[-1] = min(kept[-1], timed(f"/api/licences/{neph}"))  # the second: kept
                service.recent_views = RecentViews(size=0)
                computed.append(timed(f"/api/licences/{neph}"))
        service.store.close()

    load = Path("/proc/loadavg").read_text().split()[:3]
    med = {k: statistics.median(v) for k, v in {"show": show, "library": library, "hello": hello,
                                                "kept": kept, "computed": computed}.items()}  # fmt: skip
    print(f"load average {' '.join(load)}; {args.licences} licences, busiest has {counts[busiest[0]]} lines")  # fmt: skip
    print(f"  permis licence show              {med['show'] * 1000:8.1f} ms")
    print(f"  python -c 'import eventsourcing.sqlite' {med['library'] * 1000:8.1f} ms"
          f"   ratio library / show {med['library'] / med['show']:.2f}")  # fmt: skip
    print(f"  GET hello-world                  {med['hello'] * 1000:8.2f} ms")
    print(f"  GET /api/licences (views kept)   {med['kept'] * 1000:8.2f} ms"
          f"   ratio {med['hello'] / med['kept']:.2f} of hello-world")  # fmt: skip
    print(f"  GET /api/licences (computed)     {med['computed'] * 1000:8.2f} ms"
          f"   ratio {med['hello'] / med['computed']:.2f} of hello-world")  # fmt: skip


if __name__ == "__main__":
    main()
