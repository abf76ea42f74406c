"""The process's Prometheus counters: journal imports and ticks (`/metrics` shows them).

They count what this process did; the store's own figures (its clock and how far behind it is, the
read models' lag) are read when `/metrics` is scraped (`services.web.observability`).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "permis_http_requests",
    "HTTP requests answered, by method, route and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "permis_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
IMPORTS = Counter(
    "permis_journal_imports",
    "Journals imported (the API or a form), by outcome: applied, refused, malformed, stopped",
    ["outcome"],
    registry=REGISTRY,
)
IMPORT_LINES = Counter(
    "permis_journal_lines",
    "Journal lines imported, by result: applied, skipped (already applied), refused",
    ["result"],
    registry=REGISTRY,
)
TICKS = Counter(
    "permis_ticks", "Days the clock was moved over by this process (tick)", registry=REGISTRY
)
TICK_EFFECTS = Counter(
    "permis_tick_effects",
    "Time-driven effects (restorations, deadlines…) applied by this process's ticks",
    registry=REGISTRY,
)
