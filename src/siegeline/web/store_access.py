"""The results store as the web server uses it from many threads.

DuckDB refuses a read-only and a read-write connection to the same file open at once in one
process, so every access goes through one lock. Loaded results are cached (a few, least recently
used first out) because every chart of a run would otherwise re-read the whole run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from siegeline.results.result import SimulationResult
from siegeline.results.store import ResultStore


class StoreAccess:
    def __init__(self, path: str | Path | None = None, cache_size: int = 4) -> None:
        self.store = ResultStore(path)
        self.lock = threading.RLock()
        self._cache: OrderedDict[str, SimulationResult] = OrderedDict()
        self._cache_size = cache_size

    @property
    def path(self) -> Path:
        return self.store.path

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            yield

    def list_runs(self) -> pd.DataFrame:
        with self.lock:
            return self.store.list_runs()

    def resolve(self, run_id: str) -> str:
        with self.lock:
            return self.store.resolve(run_id)

    def record(self, run_id: str) -> dict[str, Any]:
        with self.lock:
            return self.store.run_record(run_id)

    def load(self, run_id: str) -> SimulationResult:
        with self.lock:
            full = self.store.resolve(run_id)
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
            result = self.store.load(full)
            self._cache[full] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return result

    def save(self, result: SimulationResult, scenario_json: str, label: str) -> str:
        with self.lock:
            return self.store.save(result, scenario_json, label=label)
