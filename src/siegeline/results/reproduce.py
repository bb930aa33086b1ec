"""Re-simulate a stored run from its record and check that the numbers are bit-identical."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

import siegeline
from siegeline.engines import ProgressCallback, simulate
from siegeline.results.result import SimulationResult
from siegeline.results.store import ResultStore
from siegeline.scenario import scenario_hash, validate_scenario


def result_digest(result: SimulationResult) -> str:
    """SHA-256 of every output array (name, dtype, shape and raw bytes, in name order)."""
    h = hashlib.sha256()
    for name in sorted(result.dataset.data_vars):
        values = np.ascontiguousarray(result.dataset[name].values)
        h.update(f"{name}|{values.dtype.str}|{values.shape}|".encode())
        h.update(values.tobytes())
    return h.hexdigest()


@dataclass
class RerunReport:
    """What a rerun found: digests, provenance then and now, and the variables that differ."""

    run_id: str
    stored_digest: str
    rerun_digest: str
    stored_scenario_hash: str | None
    scenario_hash: str
    stored_version: str | None
    version: str
    engine: str
    seed: int
    replications: int
    days: int
    scenario_json: str
    differing: list[str] = field(default_factory=list)
    overrides_from_samples: bool = False
    result: SimulationResult | None = None

    @property
    def identical(self) -> bool:
        return self.stored_digest == self.rerun_digest and not self.differing


def rerun(store: ResultStore, run_id: str,
          progress: ProgressCallback | None = None) -> RerunReport:
    """Simulate again the run ``run_id`` (id, prefix or 'latest') from its stored record."""
    record = store.run_record(run_id)
    meta = record["metadata"]
    scenario = validate_scenario(record["scenario"], f"scenario stored with run {run_id}")
    stored = store.load(record["run_id"])
    names = json.loads(meta.get("overrides") or "[]")
    # Per-replication override values are kept only as the run's parameter samples.
    overrides = {n: stored.samples[n].to_numpy() for n in names} if names else None
    fresh = simulate(
        scenario,
        engine=meta.get("engine", "vectorized"),
        backend=meta.get("backend", "numpy"),
        replications=int(meta["replications"]),
        days=int(meta["days"]),
        seed=int(meta["seed"]),
        overrides=overrides,
        progress=progress,
    )
    differing = [
        name for name in sorted(fresh.dataset.data_vars)
        if name not in stored.dataset
        or stored.dataset[name].values.dtype != fresh.dataset[name].values.dtype
        or not np.array_equal(stored.dataset[name].values, fresh.dataset[name].values)
    ]
    return RerunReport(
        run_id=record["run_id"],
        stored_digest=result_digest(stored),
        rerun_digest=result_digest(fresh),
        stored_scenario_hash=meta.get("scenario_hash"),
        scenario_hash=scenario_hash(scenario),
        stored_version=meta.get("version"),
        version=siegeline.__version__,
        engine=fresh.metadata["engine"],
        seed=int(fresh.metadata["seed"]),
        replications=fresh.replications,
        days=fresh.days,
        scenario_json=scenario.model_dump_json(),
        differing=differing,
        overrides_from_samples=bool(names),
        result=fresh,
    )
