"""Sobol sensitivity over 20 parameters of the default scenario with at least 40,000 model runs.

    python benchmarks/bench_sensitivity.py [--n 2048] [--days 180] [--chunk 5000]
                                           [--backend numpy] [--out bench-sensitivity]

Saltelli's design without second-order terms has N·(D+2) rows: N = 2048 and D = 20 give 45,056
runs, evaluated by the vectorized engine in chunks of ``--chunk`` replications (each chunk is
one engine call). Prints the time of each phase and the top indices of each metric, and writes
the indices (CSV) and charts (PNG) to ``--out``. Pinned to one CPU core.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from siegeline.experiments.designs import ParamRange  # noqa: E402
from siegeline.experiments.sensitivity import run_sensitivity, sensitivity_chart  # noqa: E402
from siegeline.scenario import load_scenario  # noqa: E402

PARAMETERS = [
    ParamRange("adversary.intensity", 0.3, 2.0),
    ParamRange("adversary.growth_per_year", 1.0, 3.0),
    ParamRange("adversary.adaptation", 0.0, 1.0),
    ParamRange("adversary.size_visibility_exponent", 0.1, 0.9),
    ParamRange("adversary.deterrence_per_escort", 0.0, 0.6),
    ParamRange("adversary.protection_per_escort", 0.0, 0.6),
    ParamRange("adversary.destroy_share", 0.1, 0.9),
    ParamRange("adversary.bans.0.compliance", 0.0, 0.9),
    ParamRange("drivers.willingness_max", 0.5, 1.0),
    ParamRange("drivers.fear_sensitivity", 0.0, 0.2),
    ParamRange("drivers.fear_memory_days", 5.0, 60.0),
    ParamRange("drivers.kidnap_probability", 0.0, 0.6),
    ParamRange("escorts.pool_size", 0, 40),
    ParamRange("city.demand_multiplier", 0.7, 1.3),
    ParamRange("city.order_target_cover_days", 5.0, 30.0),
    ParamRange("city.panic_cover_days", 3.0, 15.0),
    ParamRange("city.depots.ONAP.initial_fill", 0.1, 0.9),
    ParamRange("prices.elasticity", 0.1, 0.8),
    ParamRange("segments.diema-didieni.hazard_per_100km", 0.01, 0.2),
    ParamRange("corridors.abidjan-zegoua.policy.interval_days", 1, 7),
]
METRICS = ["days_in_stockout", "tankers_lost", "delivered_litres", "final_informal_price"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--chunk", type=int, default=5000)
    ap.add_argument("--backend", default="numpy")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("bench-sensitivity"))
    args = ap.parse_args()
    scenario = load_scenario("bamako-2025")
    started = time.perf_counter()
    res = run_sensitivity(scenario, PARAMETERS, METRICS, n=args.n, days=args.days,
                          seed=args.seed, chunk_points=args.chunk, backend=args.backend,
                          progress=lambda d, t: print(f"  {d:,}/{t:,} runs "
                                                      f"{time.perf_counter() - started:.0f} s",
                                                      flush=True))
    total = time.perf_counter() - started
    rows = res.engine_rows
    print(f"Sobol, {len(PARAMETERS)} parameters, N={args.n}: {rows:,} runs × {args.days} days "
          f"in {total:.1f} s ({rows * args.days / total:,.0f} replication-days/s, "
          f"sampling + engine + analysis, backend {args.backend})")
    args.out.mkdir(parents=True, exist_ok=True)
    res.indices.to_csv(args.out / "sobol-indices.csv", index=False)
    for metric, frame in res.indices.groupby("metric", sort=False):
        top = frame.sort_values("ST", ascending=False).head(5)
        print(f"{metric}: " + "; ".join(f"{r.parameter} ST={r.ST:.2f}±{r.ST_conf:.2f} "
                                        f"S1={r.S1:.2f}±{r.S1_conf:.2f}"
                                        for r in top.itertuples()))
        sensitivity_chart(res, str(metric), args.out / f"sobol-{metric}.png")


if __name__ == "__main__":
    main()
