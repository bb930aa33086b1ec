"""The results store as the web server reads it from many threads.

A stored run never changes, so what is read or computed from it is kept: the list of runs
(until the store's files change: a run saved by the server's workers or by `siegeline run`),
each run's record, the last few loaded results, and the JSON answers computed from them
(summaries, quantiles, charts). Under load nearly every read is answered from memory instead of
opening DuckDB and recomputing. DuckDB reads still go through one lock: one process may not hold
differently configured connections to one file at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from siegeline.results.result import SimulationResult
from siegeline.results.store import ResultStore, RunNotFound

T = TypeVar("T")
ANSWERS_CACHED = 512


class _Lru(OrderedDict[Hashable, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Hashable, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class StoreAccess:
    def __init__(self, path: str | Path | None = None, cache_size: int = 4) -> None:
        self.store = ResultStore(path)
        self.lock = threading.RLock()
        self._results = _Lru(cache_size)
        self._records = _Lru(ANSWERS_CACHED)
        self._answers = _Lru(ANSWERS_CACHED)
        self._runs: pd.DataFrame | None = None
        self._signature: tuple[int, ...] | None = None

    @property
    def path(self) -> Path:
        return self.store.path

    def _files_signature(self) -> tuple[int, ...]:
        """Size and modification time of the store and its write-ahead log."""
        out: list[int] = []
        for f in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = f.stat()
                out += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                out += [0, 0]
        return tuple(out)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            yield

    def invalidate(self) -> None:
        """Forget the list of runs (a run was just saved)."""
        with self.lock:
            self._runs = None

    def list_runs(self) -> pd.DataFrame:
        """Stored runs, newest first (a copy: callers may change it)."""
        signature = self._files_signature()
        with self.lock:
            if self._runs is None or signature != self._signature:
                self._runs = self.store.list_runs()
                self._signature = signature
            return self._runs.copy()

    def resolve(self, run_id: str) -> str:
        """Full run id from an id, a unique prefix or 'latest' (as ``ResultStore.resolve``)."""
        ids = list(self.list_runs()["run_id"])
        if run_id == "latest" and ids:
            return str(ids[0])
        if run_id in ids:
            return run_id
        matches = [r for r in ids if r.startswith(run_id)]
        if len(matches) != 1 or run_id == "latest":
            raise RunNotFound(run_id)
        return str(matches[0])

    def label(self, run_id: str) -> str:
        runs = self.list_runs()
        labels = runs.loc[runs["run_id"] == self.resolve(run_id), "label"]
        return str(labels.iloc[0] or "") if len(labels) else ""

    def record(self, run_id: str) -> dict[str, Any]:
        full = self.resolve(run_id)
        with self.lock:
            if full not in self._records:
                self._records.put(full, self.store.run_record(full))
            return self._records[full]

    def load(self, run_id: str) -> SimulationResult:
        full = self.resolve(run_id)
        with self.lock:
            if full in self._results:
                self._results.move_to_end(full)
                return self._results[full]
            result = self.store.load(full)
            self._results.put(full, result)
            return result

    def answer(self, run_ids: tuple[str, ...], key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per (runs, key): a stored run's data never change. Callers must
        not modify what they get."""
        full = (tuple(self.resolve(r) for r in run_ids), key)
        with self.lock:
            if full in self._answers:
                self._answers.move_to_end(full)
                return self._answers[full]
        value = compute()
        with self.lock:
            self._answers.put(full, value)
        return value
