"""Recent licence views kept in memory, bounded (issue 17 item 5: the API's licence answers).

A view is kept under (NEPH, legal date, known-at date, the licence's version): a new event changes
the version, so a kept view is never served once the licence has changed; the clock is part of the
date. Views are kept as orjson bytes and decoded for each caller, who may change its copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import orjson

SIZE = 10_000
"""Views kept at most (a few kB each): the least recently served go first."""


class RecentViews:
    """A least-recently-used map of views, safe across the web server's threads."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._views: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> dict[str, Any] | None:
        with self._lock:
            kept = self._views.get(key)
            if kept is None:
                return None
            self._views.move_to_end(key)
        found: dict[str, Any] = orjson.loads(kept)
        return found

    def put(self, key: Hashable, view: dict[str, Any]) -> None:
        kept = orjson.dumps(view)
        with self._lock:
            self._views[key] = kept
            self._views.move_to_end(key)
            while len(self._views) > self.size:
                self._views.popitem(last=False)
