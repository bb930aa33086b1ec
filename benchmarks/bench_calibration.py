"""Calibration wall time in one process and on Dask LocalClusters (processes, one thread each).

    python benchmarks/bench_calibration.py [--workers 1 2] [--budget 6000] [--population 500]

Each setting calibrates the default scenario to the packaged log up to 31 October 2025 from a
fresh state folder (nothing resumed), with the same seed, so every setting simulates the same
replications and gives the same posterior (checked). Cluster start-up is timed apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np

from siegeline.calibration import CalibrationSettings, calibrate
from siegeline.observations.log import load_log
from siegeline.scenario import load_scenario


def main() -> None:
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--budget", type=int, default=6000)
    ap.add_argument("--population", type=int, default=500)
    args = ap.parse_args()
    scenario, log = load_scenario("bamako-2025"), load_log("bamako-2025")
    settings = CalibrationSettings(population=args.population, budget=args.budget, seed=1)
    until = dt.date(2025, 10, 31)
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        base = calibrate(scenario, log, until, settings, Path(tmp) / "local")
        runs["in-process"] = (time.perf_counter() - t0, 0.0, base)
        for n in args.workers:
            t0 = time.perf_counter()
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                client.wait_for_workers(n)
                started = time.perf_counter() - t0
                t1 = time.perf_counter()
                res = calibrate(scenario, log, until, settings, Path(tmp) / f"w{n}", client)
                runs[f"{n} worker(s)"] = (time.perf_counter() - t1, started, res)
    ref = runs["in-process"][0]
    print(f"{'setting':>12} {'wall s':>8} {'start-up s':>10} {'sims/s':>8} {'vs 1 process':>12}"
          " same posterior")
    for name, (wall, startup, res) in runs.items():
        sims = res.simulated
        same = np.array_equal(res.posterior, base.posterior)
        print(f"{name:>12} {wall:8.1f} {startup:10.1f} {sims / wall:8.0f} {ref / wall:12.2f}x"
              f" {same}")


if __name__ == "__main__":
    main()
