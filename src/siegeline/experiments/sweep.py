"""Parameter sweeps at scale on Dask distributed, with every finished chunk stored durably.

A sweep is identified by a content hash of (scenario, design, metrics, replications, days, seed,
chunk size). Its design rows are cut into chunks; each chunk is one Dask task that runs the
engine on those points (seeded by the chunk's index only, so any worker gives the same numbers).
The client writes each chunk to the results store in one transaction as soon as it finishes, so
an interrupted sweep resumes by submitting only the chunks the store does not hold yet, and a
worker lost mid-sweep only costs its running chunk (Dask reschedules it).

Tables: ``sweeps`` (one row per sweep), ``sweep_chunks`` (one row per finished chunk, primary key
(sweep_id, chunk), so a chunk is never recorded twice) and ``sweep_results`` (one row per
replication of each design point, a column per metric).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from siegeline.engines import check_backend
from siegeline.experiments.evaluate import check_metrics, chunk_seed, evaluate_points
from siegeline.results import ResultStore
from siegeline.scenario.loader import scenario_hash, validate_scenario
from siegeline.scenario.schema import Scenario


def design_json(design: pd.DataFrame) -> str:
    """The design as JSON with every float exact (Python's repr round-trips; pandas' writer
    keeps at most 15 digits)."""
    return json.dumps({"columns": list(design.columns),
                       "data": design.to_numpy(dtype=float).tolist()})


def design_from_json(text: str) -> pd.DataFrame:
    blob = json.loads(text)
    return pd.DataFrame(blob["data"], columns=blob["columns"], dtype=float)


@dataclass(frozen=True)
class SweepSpec:
    """Everything that determines a sweep's numbers."""

    scenario: Scenario
    design: pd.DataFrame
    metrics: tuple[str, ...]
    reps: int = 1
    days: int | None = None
    seed: int = 0
    chunk_points: int = 16
    backend: str = "numpy"  # part of the identity: backends draw different random numbers

    @property
    def sweep_id(self) -> str:
        blob = json.dumps({
            "scenario": scenario_hash(self.scenario),
            "design": design_json(self.design),
            "metrics": list(self.metrics), "reps": self.reps, "days": self.days,
            "seed": self.seed, "chunk_points": self.chunk_points, "backend": self.backend,
        }, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    @property
    def n_chunks(self) -> int:
        return -(-len(self.design) // self.chunk_points)

    def chunk_rows(self, chunk: int) -> pd.DataFrame:
        start = chunk * self.chunk_points
        return self.design.iloc[start:start + self.chunk_points]


@dataclass
class SweepOutcome:
    sweep_id: str
    n_chunks: int
    computed: list[int]  # chunks computed by this call
    skipped: list[int]  # chunks already in the store
    complete: bool
    seconds: float


def compute_chunk(scenario_json: str, rows: pd.DataFrame, metrics: Sequence[str], reps: int,
                  days: int | None, seed: int, chunk: int, backend: str = "numpy"
                  ) -> dict[str, Any]:
    """Run on a Dask worker: one engine call for this chunk's points."""
    scenario = validate_scenario(json.loads(scenario_json), "sweep")
    started = time.perf_counter()
    frame = evaluate_points(scenario, rows, metrics, reps=reps, days=days,
                            seed=chunk_seed(seed, chunk), backend=backend)
    return {"chunk": chunk, "frame": frame, "seconds": time.perf_counter() - started,
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def _ensure_tables(con: duckdb.DuckDBPyConnection, metrics: Sequence[str]) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS sweeps (
        sweep_id VARCHAR PRIMARY KEY, created TIMESTAMP, scenario_name VARCHAR,
        scenario_hash VARCHAR, points INTEGER, reps INTEGER, days INTEGER, seed BIGINT,
        chunk_points INTEGER, n_chunks INTEGER, metrics JSON, design JSON)""")
    # Stores written before sweeps recorded their backend ran NumPy.
    con.execute("ALTER TABLE sweeps ADD COLUMN IF NOT EXISTS backend VARCHAR DEFAULT 'numpy'")
    con.execute("""CREATE TABLE IF NOT EXISTS sweep_chunks (
        sweep_id VARCHAR, chunk INTEGER, finished TIMESTAMP, seconds DOUBLE, worker VARCHAR,
        PRIMARY KEY (sweep_id, chunk))""")
    con.execute("""CREATE TABLE IF NOT EXISTS sweep_results (
        sweep_id VARCHAR, chunk INTEGER, point INTEGER, rep INTEGER)""")
    have = {r[0] for r in con.execute("DESCRIBE sweep_results").fetchall()}
    for m in metrics:
        if m not in have:
            con.execute(f'ALTER TABLE sweep_results ADD COLUMN "{m}" DOUBLE')


def register_sweep(store: ResultStore, spec: SweepSpec) -> set[int]:
    """Record the sweep (once) and return the chunks already finished."""
    sid = spec.sweep_id
    with store.connect() as con:
        _ensure_tables(con, spec.metrics)
        con.execute(
            "INSERT INTO sweeps (sweep_id, created, scenario_name, scenario_hash, points, reps, "
            "days, seed, chunk_points, n_chunks, metrics, design, backend) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [sid, dt.datetime.now(dt.UTC).replace(tzinfo=None), spec.scenario.name,
             scenario_hash(spec.scenario), len(spec.design), spec.reps,
             spec.days or spec.scenario.simulation.horizon_days, spec.seed, spec.chunk_points,
             spec.n_chunks, json.dumps(list(spec.metrics)),
             design_json(spec.design), spec.backend])
        done = con.execute("SELECT chunk FROM sweep_chunks WHERE sweep_id = ?", [sid]).fetchall()
    return {int(c) for (c,) in done}


def save_chunk(store: ResultStore, sweep_id: str, payload: dict[str, Any]) -> bool:
    """Write one finished chunk in one transaction; False if it was already stored."""
    frame = payload["frame"].copy()
    frame.insert(0, "chunk", payload["chunk"])
    frame.insert(0, "sweep_id", sweep_id)
    with store.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            seen = con.execute("SELECT count(*) FROM sweep_chunks WHERE sweep_id = ? AND chunk = ?",
                               [sweep_id, payload["chunk"]]).fetchone()[0]
            if seen:
                con.execute("ROLLBACK")
                return False
            con.execute("INSERT INTO sweep_chunks VALUES (?, ?, ?, ?, ?)",
                        [sweep_id, payload["chunk"], dt.datetime.now(dt.UTC).replace(tzinfo=None),
                         payload["seconds"], payload["worker"]])
            con.register("incoming", frame)
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            con.execute(f"INSERT INTO sweep_results ({cols}) SELECT {cols} FROM incoming")
            con.unregister("incoming")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return True


def run_sweep(
    spec: SweepSpec,
    *,
    store: ResultStore | None = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    max_chunks: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepOutcome:
    """Compute the chunks of ``spec`` the store lacks on a Dask cluster and store each as it
    finishes. Uses ``client`` if given, else connects to ``scheduler``, else starts a
    LocalCluster with ``workers`` processes. ``max_chunks`` stops after that many new chunks
    (the rest can be resumed later). ``progress(done, total)`` counts stored chunks."""
    from distributed import Client, LocalCluster, as_completed

    check_metrics(spec.metrics)
    check_backend(spec.backend)  # before any worker starts
    store = store or ResultStore()
    started = time.perf_counter()
    done = register_sweep(store, spec)
    todo = [c for c in range(spec.n_chunks) if c not in done]
    if max_chunks is not None:
        todo = todo[:max_chunks]
    total = spec.n_chunks
    if progress is not None:
        progress(len(done), total)
    computed: list[int] = []
    if todo:
        own_cluster = client is None and scheduler is None
        cluster = (LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                processes=True, dashboard_address=":0")
                   if own_cluster else None)
        active = client or Client(scheduler or cluster)
        try:
            sc_json = spec.scenario.model_dump_json()
            futures = [active.submit(compute_chunk, sc_json, spec.chunk_rows(c),
                                     list(spec.metrics), spec.reps, spec.days, spec.seed, c,
                                     spec.backend, key=f"sweep-{spec.sweep_id}-{c}", pure=False,
                                     retries=2)
                       for c in todo]
            for future in as_completed(futures):
                payload = future.result()
                if save_chunk(store, spec.sweep_id, payload):
                    computed.append(payload["chunk"])
                    done.add(payload["chunk"])
                future.release()
                if progress is not None:
                    progress(len(done), total)
        finally:
            if client is None:
                active.close()
            if cluster is not None:
                cluster.close()
    return SweepOutcome(spec.sweep_id, total, sorted(computed),
                        sorted(c for c in done if c not in computed),
                        len(done) == total, time.perf_counter() - started)


def load_sweep(store: ResultStore, sweep_id: str) -> pd.DataFrame:
    """All stored replications of a sweep joined to their design values."""
    with store.connect(read_only=True) as con:
        row = con.execute("SELECT design FROM sweeps WHERE sweep_id = ?", [sweep_id]).fetchone()
        if row is None:
            raise KeyError(f"no sweep {sweep_id!r}")
        results = con.execute("SELECT * EXCLUDE (sweep_id) FROM sweep_results WHERE sweep_id = ? "
                              "ORDER BY point, rep", [sweep_id]).df()
    design = design_from_json(row[0])
    return design.join(results.set_index("point"), how="inner").rename_axis("point")


def list_sweeps(store: ResultStore) -> pd.DataFrame:
    """Stored sweeps with how many chunks are finished."""
    if not store.path.exists():
        return pd.DataFrame()
    with store.connect(read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "sweeps" not in tables:
            return pd.DataFrame()
        return con.execute(
            "SELECT s.sweep_id, s.created, s.scenario_name, s.points, s.reps, s.n_chunks, "
            "count(c.chunk) AS finished FROM sweeps s LEFT JOIN sweep_chunks c USING (sweep_id) "
            "GROUP BY ALL ORDER BY s.created DESC").df()
