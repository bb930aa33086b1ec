"""The results store as the web server reads it from many threads.

A stored run never changes, so what is read or computed from it is kept: the list of runs
(until the store's files change: a run saved by the server's workers or by `siegeline run`),
each run's record, the last few loaded results, and the JSON answers computed from them
(summaries, quantiles, charts). Under load nearly every read is answered from memory instead of
opening DuckDB and recomputing. The newest runs are read when the server starts (before it
answers) and after it stores a run. DuckDB reads still go through one lock: one process may not
hold differently configured connections to one file at once.
"""

from __future__ import annotations

import logging
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
PRELOAD_MAX_REPLICATION_DAYS = 100_000  # ~60 MB in memory on Bamako; larger runs on demand
log = logging.getLogger(__name__)


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
    def __init__(self, path: str | Path | None = None, cache_size: int = 4,
                 warm: Callable[[StoreAccess, str], None] | None = None) -> None:
        self.store = ResultStore(path)
        self.warm = warm  # computes a preloaded run's first answers
        self.lock = threading.RLock()  # DuckDB connections, one at a time
        self._cache_lock = threading.Lock()  # the caches below (never held while reading)
        self._results = _Lru(cache_size)
        self._records = _Lru(ANSWERS_CACHED)
        self._answers = _Lru(ANSWERS_CACHED)
        self._flights: dict[Hashable, threading.Lock] = {}
        self._runs: pd.DataFrame | None = None
        self._run_records: list[dict[str, Any]] = []
        self._signature: tuple[int, ...] | None = None

    @property
    def path(self) -> Path:
        return self.store.path

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            yield

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

    def size_bytes(self) -> int:
        """The store's size on disk, its write-ahead log included."""
        signature = self._files_signature()
        return signature[1] + signature[3]

    def invalidate(self) -> None:
        """Forget the list of runs (a run was just saved)."""
        with self._cache_lock:
            self._runs = None

    def _current_runs(self) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        signature = self._files_signature()
        with self._cache_lock:
            if self._runs is not None and signature == self._signature:
                return self._runs, self._run_records
        with self.lock:
            frame = self.store.list_runs()
        records = frame.assign(created=frame["created"].astype(str)).to_dict(orient="records")
        with self._cache_lock:
            self._runs, self._run_records, self._signature = frame, records, signature
        return frame, records

    def list_runs(self) -> pd.DataFrame:
        """Stored runs, newest first (a copy: callers may change it)."""
        return self._current_runs()[0].copy()

    def run_records(self) -> list[dict[str, Any]]:
        """Stored runs as JSON-ready rows, newest first (not to be modified)."""
        return self._current_runs()[1]

    def resolve(self, run_id: str) -> str:
        """Full run id from an id, a unique prefix or 'latest' (as ``ResultStore.resolve``)."""
        ids = [r["run_id"] for r in self.run_records()]
        if run_id == "latest" and ids:
            return str(ids[0])
        if run_id in ids:
            return run_id
        matches = [r for r in ids if r.startswith(run_id)]
        if len(matches) != 1 or run_id == "latest":
            raise RunNotFound(run_id)
        return str(matches[0])

    def label(self, run_id: str) -> str:
        full = self.resolve(run_id)
        return next(str(r["label"] or "") for r in self.run_records() if r["run_id"] == full)

    def _once(self, cache: _Lru, key: Hashable, compute: Callable[[], T]) -> T:
        """``cache[key]``, computed by one thread when many ask for it at once."""
        with self._cache_lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
            flight = self._flights.setdefault((id(cache), key), threading.Lock())
        with flight:
            with self._cache_lock:
                if key in cache:
                    return cache[key]
            value = compute()
            with self._cache_lock:
                cache.put(key, value)
                self._flights.pop((id(cache), key), None)
        return value

    def _read(self, method: Callable[[str], T], full: str) -> T:
        with self.lock:
            return method(full)

    def record(self, run_id: str) -> dict[str, Any]:
        full = self.resolve(run_id)
        return self._once(self._records, full, lambda: self._read(self.store.run_record, full))

    def load(self, run_id: str) -> SimulationResult:
        full = self.resolve(run_id)
        return self._once(self._results, full, lambda: self._read(self.store.load, full))

    def preload(self) -> None:
        """Read the newest stored runs (as many as the results cache keeps) and their records
        into memory, and compute their first answers (``warm``). Under load, the first requests
        for a run otherwise queue behind its DuckDB reads (~0.1 s each, one at a time) and its
        computations, and make the latency's tail. Large runs are left to be read when asked
        for, so that starting does not fill the server's memory; a run that cannot be read is
        left to the request that asks for it, which answers the error."""
        try:
            for row in self.run_records()[: self._results.size]:
                if row["replications"] * row["days"] <= PRELOAD_MAX_REPLICATION_DAYS:
                    self.record(row["run_id"])
                    self.load(row["run_id"])
                    if self.warm is not None:
                        self.warm(self, row["run_id"])
        except Exception:  # noqa: BLE001 - the requests report it; the server goes on
            log.exception("preloading the newest runs failed")

    def answer(self, run_ids: tuple[str, ...], key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per (runs, key): a stored run's data never change. Callers must
        not modify what they get."""
        full = (tuple(self.resolve(r) for r in run_ids), key)
        return self._once(self._answers, full, compute)
