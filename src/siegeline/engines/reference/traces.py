"""Per-convoy and per-attack event records of reference runs, exportable as CSV or Parquet."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

CONVOY_COLUMNS = (
    "replication", "convoy", "corridor", "mode", "warm_start", "departure_day", "tankers",
    "escorts", "arrival_time", "unload_day", "home_day", "destroyed", "turned_back",
    "drivers_kidnapped", "attacks",
)  # plus one "tankers_<product>" column per product
ATTACK_COLUMNS = (
    "replication", "day", "time", "corridor", "segment", "loaded", "convoy", "group_size",
    "escorts", "tankers_destroyed", "drivers_kidnapped", "litres_destroyed",
)


@dataclass
class ReferenceTraces:
    """Event traces of the reference engine: one row per convoy (or free-running tanker) trip and
    one per attack. Times are in days since the start (day ``d`` is the interval [d, d+1))."""

    convoy_rows: list[dict[str, Any]] = field(default_factory=list)
    attack_rows: list[dict[str, Any]] = field(default_factory=list)

    def convoys(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.convoy_rows)
        if frame.empty:
            return pd.DataFrame(columns=list(CONVOY_COLUMNS))
        return frame.sort_values(["replication", "departure_day", "convoy"], kind="stable",
                                 ignore_index=True)

    def attacks(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.attack_rows, columns=list(ATTACK_COLUMNS))
        return frame.sort_values(["replication", "time"], kind="stable", ignore_index=True)

    def write(self, folder: str | Path, formats: tuple[str, ...] = ("csv", "parquet")
              ) -> list[Path]:
        """Write ``convoys`` and ``attacks`` tables in each format; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in (("convoys", self.convoys()), ("attacks", self.attacks())):
            for fmt in formats:
                path = folder / f"{name}.{fmt}"
                if fmt == "csv":
                    frame.to_csv(path, index=False)
                elif fmt == "parquet":
                    frame.to_parquet(path, index=False)
                else:
                    raise ValueError(f"unknown trace format {fmt!r} (csv or parquet)")
                written.append(path)
        return written


_ACTIVE: contextvars.ContextVar[ReferenceTraces | None] = contextvars.ContextVar(
    "siegeline_reference_traces", default=None)


@contextlib.contextmanager
def record_traces() -> Iterator[ReferenceTraces]:
    """Collect the traces of every reference run inside the block, including runs started through
    :func:`siegeline.engines.simulate` (which has no traces argument)."""
    traces = ReferenceTraces()
    token = _ACTIVE.set(traces)
    try:
        yield traces
    finally:
        _ACTIVE.reset(token)


def active_traces() -> ReferenceTraces | None:
    return _ACTIVE.get()
