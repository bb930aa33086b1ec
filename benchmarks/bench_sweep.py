"""Sweep throughput against the number of Dask workers (LocalCluster processes, one thread each).

    python benchmarks/bench_sweep.py [--workers 1 2] [--points 64] [--reps 20] [--days 180]
                                     [--chunk 8]

Each worker count runs the same Latin hypercube sweep (a fresh results store each time, so
nothing is resumed) and reports chunks, wall time from submission to the last stored chunk
(cluster start-up excluded and shown apart) and replication-days per second.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from siegeline.experiments.designs import ParamRange, sample_design
from siegeline.experiments.sweep import SweepSpec, run_sweep
from siegeline.results import ResultStore
from siegeline.scenario import load_scenario

RANGES = [ParamRange("adversary.intensity", 0.3, 2.0), ParamRange("escorts.pool_size", 0, 40),
          ParamRange("drivers.willingness_max", 0.5, 1.0)]
METRICS = ("days_in_stockout", "tankers_lost", "delivered_litres")


def main() -> None:
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--points", type=int, default=64)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--chunk", type=int, default=8)
    args = ap.parse_args()
    scenario = load_scenario("bamako-2025")
    design = sample_design(RANGES, args.points, seed=1)
    spec = SweepSpec(scenario, design, METRICS, reps=args.reps, days=args.days, seed=1,
                     chunk_points=args.chunk)
    rep_days = args.points * args.reps * args.days
    print(f"# {os.cpu_count()} cores; {args.points} points × {args.reps} reps × {args.days} days "
          f"= {rep_days:,} replication-days in {spec.n_chunks} chunks")
    print(f"{'workers':>7} {'startup s':>9} {'sweep s':>8} {'rep-days/s':>11}")
    for n in args.workers:
        started = time.perf_counter()
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=":0", env={"OMP_NUM_THREADS": "1"}) as cluster, \
                Client(cluster) as client, tempfile.TemporaryDirectory() as tmp:
            client.wait_for_workers(n)
            startup = time.perf_counter() - started
            out = run_sweep(spec, store=ResultStore(Path(tmp) / "s.duckdb"), client=client)
            assert out.complete and len(out.computed) == spec.n_chunks
        print(f"{n:>7} {startup:>9.1f} {out.seconds:>8.1f} {rep_days / out.seconds:>11,.0f}",
              flush=True)


if __name__ == "__main__":
    main()
