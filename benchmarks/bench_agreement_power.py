"""Power of the paired agreement test: how often it flags an injected engine bug, and how often
it flags nothing at all.

Each experiment is one independent seed: both engines on the same sampled parameters (REPS
reference replications, each draw run COPIES times by the vectorized engine), as in
tests/test_reference_agreement.py. The vectorized engine also runs with two injected bugs:

  * mechanism: ``adversary.destroy_share`` x BIAS on every draw (a wrong destroy probability;
    its effect on tankers lost is damped by the drivers' fear and shows in other outputs too);
  * counting: its ``tankers_lost`` output x BIAS (a bookkeeping bug in that output alone).

The decision is the test suite's (agreement.paired_compare and agreement.ks_test at the
Bonferroni level of the suite's TESTS tests), evaluated on the first R pairs of every experiment
for each R in --evaluate, so one run gives the power curve. Per output it also reports how often
the plain paired t-test (no tolerance) rejects at 5% and 1% without a bug: the calibration of
the test, and any difference between the engines today.

    python benchmarks/bench_agreement_power.py            # 30 seeds x 48 pairs, ~12 min, 2 cores
    python benchmarks/bench_agreement_power.py --experiments 8 --reps 24  # quick look
    python benchmarks/bench_agreement_power.py --load power.npz      # re-evaluate a saved run
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from siegeline.engines.reference import simulate_reference
from siegeline.engines.reference.agreement import (
    ABS_TOLERANCE,
    AGREEMENT_SCENARIOS,
    copy_means,
    headline_outputs,
    ks_test,
    paired_compare,
    per_test_alpha,
    tiled_parameters,
)
from siegeline.engines.vectorized import simulate_vectorized
from siegeline.model.parameters import compile_parameters
from siegeline.scenario import load_scenario

# The test suite's tests: a paired and a KS test per scenario and output.
TESTS = 2 * len(AGREEMENT_SCENARIOS) * len(ABS_TOLERANCE)
ARMS = ("none", "mechanism", "counting")


def experiment(scenario: str, seed: int, reps: int, days: int, copies: int, bias: float
               ) -> dict[str, np.ndarray]:
    """One seed: per output, the reference replications, the vectorized copies under each arm
    (arm__output keys, shape (reps * copies,))."""
    params = compile_parameters(load_scenario("bamako-2025", AGREEMENT_SCENARIOS[scenario]),
                                reps, days, seed)
    ref = headline_outputs(simulate_reference(params), params.products)
    tiled = tiled_parameters(params, copies)
    vec = headline_outputs(simulate_vectorized(tiled), params.products)
    broken = tiled_parameters(params, copies, {
        "destroy_share": tiled.destroy_share * bias})
    mech = headline_outputs(simulate_vectorized(broken), params.products)
    counting = dict(vec, tankers_lost=vec["tankers_lost"] * bias)
    arrays = {f"reference__{k}": v for k, v in ref.items()}
    for arm, outs in zip(ARMS, (vec, mech, counting), strict=True):
        arrays.update({f"{arm}__{k}": v for k, v in outs.items()})
    return arrays


def run(args: argparse.Namespace) -> dict[str, np.ndarray]:
    """All experiments, stacked: key scenario__arm__output, shape (experiments, n)."""
    tasks = [(s, args.seed + i) for s in args.scenarios for i in range(args.experiments)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers,
                             mp_context=multiprocessing.get_context("forkserver")) as pool:
        futures = [pool.submit(experiment, s, seed, args.reps, args.days, args.copies, args.bias)
                   for s, seed in tasks]
        results = [f.result() for f in futures]
    print(f"{len(tasks)} experiments ({args.reps} reference replications x {args.days} days, "
          f"{args.copies} vectorized copies) in {time.perf_counter() - started:.0f} s "
          f"on {args.workers} workers")
    stacked: dict[str, list[np.ndarray]] = {}
    for (scenario, _), arrays in zip(tasks, results, strict=True):
        for key, value in arrays.items():
            stacked.setdefault(f"{scenario}__{key}", []).append(value)
    return {k: np.stack(v) for k, v in stacked.items()}


def flags(data: dict[str, np.ndarray], scenario: str, arm: str, e: int, reps: int, copies: int,
          alpha: float) -> list[str]:
    """Outputs the suite's tests flag in experiment ``e`` on its first ``reps`` pairs."""
    flagged = []
    for name, tol in ABS_TOLERANCE.items():
        ref = data[f"{scenario}__reference__{name}"][e, :reps]
        vec = data[f"{scenario}__{arm}__{name}"][e, :reps * copies]
        paired = paired_compare(name, copy_means({name: vec}, copies)[name], ref, alpha, tol)
        if not paired.agree or ks_test(vec, ref)[1] < alpha:
            flagged.append(name)
    return flagged


def evaluate(data: dict[str, np.ndarray], copies: int, reps_list: list[int], bias: float) -> None:
    scenarios = sorted({k.split("__")[0] for k in data})
    experiments = len(data[next(iter(data))])
    alpha = per_test_alpha(TESTS)
    print(f"suite: {TESTS} tests at alpha = {alpha:.2g} each (family-wise 1%); "
          f"{experiments} seeds per scenario ({', '.join(scenarios)}); bias x{bias}")
    for scenario in scenarios:
        ref = data[f"{scenario}__reference__tankers_lost"].mean()
        for arm in ARMS[1:]:
            vec = data[f"{scenario}__{arm}__tankers_lost"].mean()
            base = data[f"{scenario}__none__tankers_lost"].mean()
            print(f"  {scenario}, {arm} bug: tankers lost {vec / base - 1:+.1%} "
                  f"(vectorized {vec:.1f} against {base:.1f}; reference {ref:.1f})")
    print(f"{'pairs':>5} {'arm':>10}  {'flagged':>8}  {'tankers_lost':>12}  by output")
    for reps in reps_list:
        for arm in ARMS:
            any_flag, lost_flag, counts = 0, 0, {}
            for e in range(experiments):
                names = [n for s in scenarios
                         for n in flags(data, s, arm, e, reps, copies, alpha)]
                any_flag += bool(names)
                lost_flag += "tankers_lost" in names
                for n in set(names):
                    counts[n] = counts.get(n, 0) + 1
            detail = ", ".join(f"{n} {c}" for n, c in sorted(counts.items())) or "-"
            print(f"{reps:5d} {arm:>10}  {any_flag:3d}/{experiments:<4d}  "
                  f"{lost_flag:5d}/{experiments:<6d}  {detail}")
    calibration(data, scenarios, copies, experiments)


def calibration(data: dict[str, np.ndarray], scenarios: list[str], copies: int,
                experiments: int) -> None:
    """Without a bug: share of seeds where the plain paired t-test (no tolerance) rejects."""
    print("no bug, all pairs, plain paired t-test: rejections at 5% / 1% and the mean relative "
          "difference over all seeds")
    for scenario in scenarios:
        for name in ABS_TOLERANCE:
            ref = data[f"{scenario}__reference__{name}"]
            vec = data[f"{scenario}__none__{name}"]
            rejected = {0.05: 0, 0.01: 0}
            for e in range(experiments):
                means = copy_means({name: vec[e]}, copies)[name]
                for level in rejected:
                    c = paired_compare(name, means, ref[e], level, 0.0)
                    rejected[level] += not c.agree and c.half_width > 0
            d = vec.mean() - ref.mean()
            rel = f"{d / ref.mean():+.2%}" if ref.mean() else "n/a"
            print(f"  {scenario:15s} {name:22s} {rejected[0.05]:3d} / {rejected[0.01]:3d} "
                  f"of {experiments}   vectorized - reference {d:+.4g} ({rel})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", type=int, default=30, help="independent seeds")
    ap.add_argument("--reps", type=int, default=48, help="reference replications per seed")
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--copies", type=int, default=16, help="vectorized runs per draw")
    ap.add_argument("--bias", type=float, default=1.15)
    ap.add_argument("--scenarios", nargs="+", default=["default", "heavy-blockade"],
                    choices=list(AGREEMENT_SCENARIOS))
    ap.add_argument("--evaluate", type=int, nargs="+", default=[24, 32, 40, 48],
                    help="pairs per seed to evaluate the suite on (at most --reps)")
    ap.add_argument("--seed", type=int, default=1000, help="first seed")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--save", help="write the per-replication outputs to this .npz")
    ap.add_argument("--load", help="evaluate a run saved with --save instead of simulating")
    args = ap.parse_args()
    if args.load:
        data = dict(np.load(args.load))
        args.copies, args.bias, args.reps = int(data.pop("copies")), float(data.pop("bias")), \
            int(data.pop("reps"))
    else:
        data = run(args)
        if args.save:
            np.savez_compressed(args.save, copies=args.copies, bias=args.bias, reps=args.reps,
                                **data)
    evaluate(data, args.copies, [r for r in args.evaluate if r <= args.reps], args.bias)


if __name__ == "__main__":
    main()
