"""Evaluate design points with the vectorized engine: each point becomes ``reps`` replications
with its parameter values as per-replication overrides, so a chunk of the design is one call."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from siegeline.engines import check_backend, jax_backend, simulate
from siegeline.model.metrics import METRICS as MODEL_METRICS
from siegeline.model.metrics import Metric, reduce_daily
from siegeline.model.parameters import compile_parameters
from siegeline.results import SimulationResult
from siegeline.scenario.loader import ScenarioError
from siegeline.scenario.schema import Scenario


def _metric(metric: Metric) -> Callable[[SimulationResult], np.ndarray]:
    return lambda result: reduce_daily(metric.reduction,
                                       result[metric.output].values).astype(float)


# Scalar outputs per replication that experiments can analyse (the first stockout day is
# censored at the horizon: a replication that never runs out counts as running out on the day
# after the last simulated day).
METRICS: dict[str, Callable[[SimulationResult], np.ndarray]] = {
    m.name: _metric(m) for m in MODEL_METRICS
    if m.name not in ("loaded_litres", "returned_litres")
}


def check_metrics(metrics: Sequence[str]) -> list[str]:
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ScenarioError([("--metric", f"unknown metric(s) {', '.join(unknown) or '(none)'}; "
                                          f"choose from {', '.join(METRICS)}")], "experiment")
    return list(metrics)


def chunk_seed(seed: int, chunk: int) -> int:
    """Seed of one chunk: depends only on the root seed and the chunk's index, never on which
    process or worker runs it."""
    return int(np.random.SeedSequence([seed, chunk]).generate_state(1, np.uint64)[0] >> 1)


def evaluate_points(
    scenario: Scenario,
    design: pd.DataFrame,
    metrics: Sequence[str],
    *,
    reps: int = 1,
    days: int | None = None,
    seed: int = 0,
    backend: str = "numpy",
) -> pd.DataFrame:
    """One engine call for all points of ``design`` × ``reps``; returns one row per replication
    with columns ``point`` (the design's index), ``rep`` and the metrics."""
    overrides = {path: np.repeat(design[path].to_numpy(dtype=float), reps)
                 for path in design.columns}
    frame = pd.DataFrame({"point": np.repeat(design.index.to_numpy(), reps),
                          "rep": np.tile(np.arange(reps), len(design))})
    if check_backend(backend) == "jax":
        # Reduced on the device: the daily outputs never travel to the host.
        params = compile_parameters(scenario, len(design) * reps, days, seed, overrides)
        values = jax_backend().simulate_jax_metrics(params, metrics)
    else:
        result = simulate(scenario, replications=len(design) * reps, days=days, seed=seed,
                          overrides=overrides)
        values = {name: METRICS[name](result) for name in metrics}
    for name in metrics:
        frame[name] = values[name]
    return frame


def evaluate_design(
    scenario: Scenario,
    design: pd.DataFrame,
    metrics: Sequence[str],
    *,
    reps: int = 1,
    days: int | None = None,
    seed: int = 0,
    chunk_points: int = 5000,
    backend: str = "numpy",
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Evaluate a design in chunks of ``chunk_points`` points (to bound memory: the engine holds
    about replications × days × 60 numbers); chunk ``i`` is seeded by ``chunk_seed(seed, i)``."""
    metrics = check_metrics(metrics)
    design = design.reset_index(drop=True)
    parts = []
    starts = range(0, len(design), max(1, chunk_points))
    for i, start in enumerate(starts):
        part = design.iloc[start:start + chunk_points]
        parts.append(evaluate_points(scenario, part, metrics, reps=reps, days=days,
                                     seed=chunk_seed(seed, i), backend=backend))
        if progress is not None:
            progress(min(start + chunk_points, len(design)), len(design))
    return pd.concat(parts, ignore_index=True)
