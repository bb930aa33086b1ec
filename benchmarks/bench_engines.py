"""Vectorized vs reference engine: time per replication on the same scenario, in one process,
and (with --paired) the size of the differences between the engines on shared parameters.

    python benchmarks/bench_engines.py                      # timing, default scenario
    python benchmarks/bench_engines.py --paired 48 --days 90  # approximation sizes
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from siegeline.city.queueing import mean_wait_hours
from siegeline.engines.reference import simulate_reference
from siegeline.engines.reference.agreement import AGREEMENT_SCENARIOS, headline_outputs
from siegeline.engines.reference.routes import Leg, build_routes
from siegeline.engines.reference.stations import station_day_wait
from siegeline.engines.vectorized import simulate_vectorized
from siegeline.model.parameters import compile_parameters
from siegeline.scenario import load_scenario


def timing(vec_reps: int, ref_reps: int, days: int, seed: int) -> None:
    sc = load_scenario("bamako-2025")
    vec_params = compile_parameters(sc, vec_reps, days, seed)
    ref_params = compile_parameters(sc, ref_reps, days, seed)
    simulate_vectorized(compile_parameters(sc, 10, 5, seed))  # warm caches and imports
    started = time.perf_counter()
    simulate_vectorized(vec_params)
    vec = (time.perf_counter() - started) / vec_reps
    started = time.perf_counter()
    simulate_reference(ref_params)
    ref = (time.perf_counter() - started) / ref_reps
    print(f"bamako-2025, {days} days, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"vectorized: {vec_reps} replications, {vec * 1e3:.2f} ms per replication")
    print(f"reference:  {ref_reps} replications, {ref * 1e3:.0f} ms per replication")
    print(f"ratio: vectorized is {ref / vec:.0f}x faster per replication")


def paired(reps: int, days: int, seed: int) -> None:
    """Same sampled parameters in both engines: the per-replication differences isolate what
    the engines do differently (dynamics noise and the vectorized engine's approximations)."""
    print(f"paired differences, {reps} replications x {days} days, reference - vectorized: "
          "mean [95% CI] (relative to the vectorized mean)")
    for name, overrides in AGREEMENT_SCENARIOS.items():
        params = compile_parameters(load_scenario("bamako-2025", overrides), reps, days, seed)
        vec = headline_outputs(simulate_vectorized(params), params.products)
        ref = headline_outputs(simulate_reference(params, workers=2), params.products)
        print(f"  {name}")
        for key in vec:
            diff = ref[key] - vec[key]
            half = 1.96 * diff.std(ddof=1) / np.sqrt(reps)
            base = vec[key].mean()
            rel = f"{diff.mean() / base:+.1%}" if base else "n/a"
            print(f"    {key:22s} vectorized {base:10.3f}   difference {diff.mean():+9.3f} "
                  f"[{diff.mean() - half:+.3f}, {diff.mean() + half:+.3f}]  ({rel})")


def attack_granularity(seed: int) -> None:
    """Expected attacks on a loaded convoy trip (60 tankers, 2 escorts, adaptation neutral):
    the vectorized engine allows one per cohort-day, the reference one per segment crossing."""
    print("expected attacks per loaded trip, reference / vectorized granularity")
    for name, overrides in AGREEMENT_SCENARIOS.items():
        if name == "no-adversary":
            continue
        params = compile_parameters(load_scenario("bamako-2025", overrides), 200, 10, seed)
        ratios, per_trip = [], []
        for r in range(params.replications):
            v = params.replication(r)
            scale = (v["intensity"] * 60 ** v["size_exponent"] * np.exp(-2 * v["deterrence"]))
            for c, route in enumerate(build_routes(params, r)):
                by_day = -np.expm1(-params.exposure_loaded[r, c] * scale).sum()
                by_segment = sum(-np.expm1(-s.hazard_per_km * s.km * scale)
                                 for s in route.stages if isinstance(s, Leg))
                if by_day > 0:
                    ratios.append(by_segment / by_day)
                    per_trip.append(by_day)
        print(f"  {name}: {np.mean(per_trip):.3f} attacks per trip (vectorized); ratio mean "
              f"{np.mean(ratios):.4f}, max {np.max(ratios):.4f}")


def station_days(seed: int) -> None:
    """One 14-hour station day (4 pumps, 12 fills/h each, balking beyond 10 h) simulated 200
    times against the vectorized engine's formula (Erlang C, or the fluid backlog)."""
    rng = np.random.default_rng(seed)
    print("station day: mean wait (h), formula vs simulated day (200 days)")
    for load in (0.5, 0.75, 0.9, 0.97, 1.1, 1.5, 3.0):
        rate = load * 48.0
        formula = float(mean_wait_hours(np.array(rate), 12.0, 4, 14.0, 10.0))
        days = [station_day_wait(rng, rate, 4, 12.0, 14.0, 10.0) for _ in range(200)]
        print(f"  load {load:4.2f}: formula {formula:6.3f}   simulated {np.mean(days):6.3f} "
              f"(day-to-day sd {np.std(days):.3f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectorized-reps", type=int, default=1000)
    ap.add_argument("--reference-reps", type=int, default=5)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--seed", type=int, default=20250903)
    ap.add_argument("--paired", type=int, default=0, metavar="REPS",
                    help="instead of timing, compare the engines on REPS shared replications")
    args = ap.parse_args()
    if args.paired:
        attack_granularity(args.seed)
        station_days(args.seed)
        paired(args.paired, args.days, args.seed)
    else:
        timing(args.vectorized_reps, args.reference_reps, args.days, args.seed)


if __name__ == "__main__":
    main()
