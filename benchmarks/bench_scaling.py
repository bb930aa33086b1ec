"""Scaling curve: replication-days per second of the vectorized engine against replications,
on the NumPy backend and the JAX backend (CPU here; GPU when JAX sees one).

    python benchmarks/bench_scaling.py [--reps 100 300 1000 3000 10000] [--days 180]
                                       [--backends numpy jax] [--all-cores] [--repeat 3]

Times the engine only (parameters are compiled beforehand); JAX is run once at each shape to
compile before timing, and its compile time is shown apart. For JAX, ``device s`` is the
simulation with its outputs left on the device (what the accelerator does); ``seconds`` adds
copying them to the host and assembling NumPy arrays (about 400 bytes per replication-day), which
bounds end-to-end throughput on a fast GPU. By default the process is pinned to
one CPU core with BLAS/OpenMP threads at one; ``--all-cores`` lifts that (for GPUs, where the
host's cores hardly matter).
"""

from __future__ import annotations

import os
import sys

if "--all-cores" not in sys.argv:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=false")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

from siegeline.model.parameters import compile_parameters  # noqa: E402
from siegeline.scenario import load_scenario  # noqa: E402


def runner(backend: str):
    if backend == "jax":
        from siegeline.engines.backends.jax_engine import simulate_jax

        return simulate_jax
    from siegeline.engines.vectorized import simulate_vectorized

    return simulate_vectorized


def timings(call, repeat: int) -> list[float]:
    """Wall times of ``repeat`` calls of ``call()``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def device_seconds(params, repeat: int) -> float:
    """Best time of the JAX simulation with its outputs kept on the device."""
    import jax

    from siegeline.engines.backends.jax_engine import simulate_jax_on_device

    return min(timings(lambda: jax.block_until_ready(simulate_jax_on_device(params)), repeat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, nargs="+", default=[100, 300, 1000, 3000, 10000])
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--backends", nargs="+", default=["numpy", "jax"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--all-cores", action="store_true")
    args = ap.parse_args()
    scenario = load_scenario("bamako-2025")
    device = "cpu"
    if "jax" in args.backends:
        import jax

        device = ", ".join(str(d) for d in jax.devices())
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
          f"pinned to one: {not args.all_cores}; JAX devices: {device}")
    print(f"{'backend':>8} {'reps':>7} {'days':>5} {'seconds':>9} {'rep-days/s':>12} "
          f"{'compile s':>9} {'device s':>9} {'device rep-days/s':>17}")
    for backend in args.backends:
        run = runner(backend)
        for reps in args.reps:
            params = compile_parameters(scenario, reps, args.days, args.seed)
            # JAX compiles on its first call at each shape: timed apart.
            call = partial(run, params)
            compile_s = timings(call, 1)[0] if backend == "jax" else float("nan")
            times = timings(call, args.repeat)
            best = min(times)
            device = (f"{(d := device_seconds(params, args.repeat)):>9.3f} "
                      f"{reps * args.days / d:>17,.0f}" if backend == "jax" else f"{'':>27}")
            print(f"{backend:>8} {reps:>7} {args.days:>5} {best:>9.3f} "
                  f"{reps * args.days / best:>12,.0f} {compile_s:>9.1f} {device}"
                  + (f"  (median {statistics.median(times):.3f})" if args.repeat > 1 else ""),
                  flush=True)


if __name__ == "__main__":
    main()
