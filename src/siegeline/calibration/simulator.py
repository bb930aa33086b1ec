"""Simulated summaries for a batch of parameter vectors, in-process or on a Dask cluster.

A batch is cut into chunks of a fixed size, each chunk one vectorized run whose replications
carry the chunk's parameter vectors (per-replication overrides) and a seed derived from the
calibration's seed, the generation and the chunk's index: the summaries are a function of
(scenario, seed) whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from siegeline.engines import simulate
from siegeline.observations.record import Target, window_values
from siegeline.scenario.loader import validate_scenario

CHUNK = 250  # particles per vectorized run: large enough to amortise the per-run overhead


@dataclass(frozen=True)
class SummaryModel:
    """What a worker needs to turn parameter vectors into target summaries."""

    scenario_data: dict[str, Any]
    targets: tuple[Target, ...]
    days: int

    def __call__(self, paths: Sequence[str], theta: np.ndarray, seed: int) -> np.ndarray:
        """(n, K) summaries of the targets for the rows of ``theta`` (n, d): the parameters
        ``paths`` set per replication, the scenario's other ranges drawn as in any run."""
        scenario = self.__dict__.get("_scenario")
        if scenario is None:  # validated once per process (each Dask worker holds one copy)
            scenario = validate_scenario(self.scenario_data, "calibration")
            object.__setattr__(self, "_scenario", scenario)
        overrides = {p: theta[:, j] for j, p in enumerate(paths)}
        result = simulate(scenario, replications=len(theta), days=self.days, seed=seed,
                          overrides=overrides)
        columns = []
        for target in self.targets:
            window = window_values(result, target)
            assert window is not None  # targets were chosen inside the simulated days
            columns.append(window[0])
        return np.column_stack(columns)


def chunk_seed(seed: int, generation: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, 7, generation, index]).generate_state(1,
                                                                                   np.uint64)[0]
               % (2**63))


class Executor:
    """Runs chunks in this process, or on a Dask cluster given a ``distributed.Client``."""

    def __init__(self, model: SummaryModel, client: Any | None = None) -> None:
        self.model = model
        self.client = client
        self.simulated = 0  # replications simulated through this executor
        self._remote_model = client.scatter(model, broadcast=True) if client else None

    def summaries(self, paths: Sequence[str], theta: np.ndarray, seed: int, generation: int,
                  first_chunk: int, done: Callable[[int], None] | None = None) -> np.ndarray:
        """(n, K) summaries of ``theta``, chunk ``first_chunk + i`` seeded by its index;
        ``done(n_rows)`` is called as each chunk finishes."""
        self.simulated += len(theta)
        starts = list(range(0, len(theta), CHUNK))
        seeds = [chunk_seed(seed, generation, first_chunk + i) for i in range(len(starts))]
        parts = [theta[s:s + CHUNK] for s in starts]
        if self.client is None:
            out = []
            for part, s in zip(parts, seeds, strict=True):
                out.append(self.model(paths, part, s))
                if done:
                    done(len(part))
            return np.vstack(out)
        from distributed import as_completed

        futures = [self.client.submit(_run, self._remote_model, list(paths), part, s,
                                      pure=False)
                   for part, s in zip(parts, seeds, strict=True)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[np.ndarray | None] = [None] * len(futures)
        for fut in as_completed(futures):
            results[index[fut.key]] = fut.result()
            if done:
                done(len(parts[index[fut.key]]))
        return np.vstack(results)


def _run(model: SummaryModel, paths: list[str], theta: np.ndarray, seed: int) -> np.ndarray:
    return model(paths, theta, seed)


def n_chunks(n: int) -> int:
    return -(-n // CHUNK)


def summary_names(targets: Sequence[Target]) -> list[str]:
    return [f"{t.kind} {t.start.date()}..{t.end.date()} (line {','.join(map(str, t.lines))})"
            for t in targets]
