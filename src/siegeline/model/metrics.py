"""Per-replication summaries of a run's daily outputs: which output each one reduces, and how.

One definition serves ``SimulationResult.totals()``, the experiments' metrics (sensitivity,
sweeps) and the JAX backend, which applies the same reductions on the device so that large
designs never copy their daily outputs to the host.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# sum: over days and the output's own axes; days_any: days on which any entry is true; mean:
# over days (and the output's axes); last_max: largest entry on the last day; first_any: first
# day on which any entry is true, the horizon (number of days) if none is.
REDUCTIONS = ("sum", "days_any", "mean", "last_max", "first_any")


@dataclass(frozen=True)
class Metric:
    name: str
    output: str
    reduction: str
    unit: str  # "{currency}" stands for the scenario's currency

    def unit_in(self, currency: str) -> str:
        return self.unit.format(currency=currency)


METRICS: tuple[Metric, ...] = (
    Metric("loaded_litres", "loaded_litres", "sum", "L"),
    Metric("delivered_litres", "delivered_litres", "sum", "L"),
    Metric("destroyed_litres", "destroyed_litres", "sum", "L"),
    Metric("returned_litres", "returned_litres", "sum", "L"),
    Metric("tankers_lost", "tankers_lost", "sum", "tankers"),
    Metric("attacks", "attacks", "sum", "attacks"),
    Metric("drivers_kidnapped", "drivers_kidnapped", "sum", "drivers"),
    Metric("days_in_stockout", "stockout", "days_any", "days"),
    Metric("mean_queue_wait_hours", "queue_wait_hours", "mean", "h"),
    Metric("final_informal_price", "informal_price", "last_max", "{currency}/L"),
    Metric("first_stockout_day", "stockout", "first_any", "day (horizon if never)"),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}


def reduce_daily(reduction: str, values: np.ndarray) -> np.ndarray:
    """Reduce one output's (replication, day, ...) array to one number per replication."""
    reps, days = values.shape[:2]
    flat = values.reshape(reps, days, -1)
    if reduction == "sum":
        return flat.sum(axis=(1, 2))
    if reduction == "days_any":
        return flat.any(axis=2).sum(axis=1)
    if reduction == "mean":
        return flat.mean(axis=(1, 2))
    if reduction == "last_max":
        return flat[:, -1].max(axis=1)
    if reduction == "first_any":
        hit = flat.any(axis=2)
        return np.where(hit.any(axis=1), hit.argmax(axis=1), days)
    raise ValueError(f"unknown reduction {reduction!r}; choose from {', '.join(REDUCTIONS)}")
