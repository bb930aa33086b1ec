"""Solve time of the planning models against network size on road-like random graphs.

    python benchmarks/bench_planning.py [--sizes 100 250 500 1000 2000 3000] [--seed 1]

Each size is a Delaunay road network (``siegeline.planning.road_like_graph``) with 4 ports on its
edge and the city at its centre. Times are HiGHS' own run time (max-flow and shortest-path
interdiction MILPs, min-cost flow LP) and the wall time of the escort decomposition; every
result is re-checked with NetworkX (brute force is switched off: these networks are too big).
"load s" reads the network back from a network file (``siegeline.network.roads.read_network``
and ``network_planning_graph``); "maxflow-int wall s" is the wall time of the max-flow
interdiction from that file: loading, MILP, pruning and the NetworkX re-check.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import highspy

from siegeline.network.roads import read_network, write_network
from siegeline.planning import (
    escort_placement,
    max_flow_after,
    max_flow_interdiction,
    network_planning_graph,
    risk_aware_routing,
    road_like_graph,
    shortest_path_interdiction,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 250, 500, 1000, 2000, 3000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=3)
    ap.add_argument("--escorts", type=int, default=2)
    ap.add_argument("--escort-max-nodes", type=int, default=1000)
    ap.add_argument("--delay-km", type=float, default=200.0)
    ap.add_argument("--closure-max-nodes", type=int, default=250)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--maxflow-only", action="store_true",
                    help="Only loading and max-flow interdiction (e.g. --sizes 6000).")
    args = ap.parse_args()
    h = highspy.Highs()
    print(
        f"# HiGHS {h.version()}, threads=1, Python {platform.python_version()}, "
        f"{platform.machine()}; budget {args.budget:g}, {args.escorts} escorts"
    )
    cols = (
        "nodes",
        "edges",
        "load s",
        "maxflow-int wall s",
        "maxflow-int s",
        "sp-int delay s",
        "sp-int closure s",
        "route LP s",
        "escorts s",
        "iters",
        "all optimal & checked",
    )
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for n in args.sizes:
        g = road_like_graph(n, seed=args.seed)
        kw = {"time_limit": args.time_limit, "brute_force_limit": 0}
        with tempfile.TemporaryDirectory() as tmp:
            path = write_network(g, Path(tmp) / "network.geojson")
            t0 = time.perf_counter()
            loaded = network_planning_graph(read_network(path))
            load_t = time.perf_counter() - t0
            mf = max_flow_interdiction(
                loaded, args.budget, sources=g.graph["ports"], sink=g.graph["city"], **kw
            )
            mf_wall = time.perf_counter() - t0
        if args.maxflow_only:
            ok = "ok" if mf.check.ok and mf.status == "Optimal" else "FAIL"
            row = (n, g.number_of_edges(), f"{load_t:.2f}", f"{mf_wall:.2f}",
                   f"{mf.time_s:.3f}", *["-"] * 5, ok)
            print("| " + " | ".join(map(str, row)) + " |", flush=True)
            continue
        sp = shortest_path_interdiction(g, args.budget, delay=args.delay_km, **kw)
        results = [mf, sp]
        closure_t = "-"
        if n <= args.closure_max_nodes:
            spc = shortest_path_interdiction(g, args.budget, **kw)
            closure_t = f"{spc.time_s:.3f}"
            results.append(spc)
        demand = round(0.5 * max_flow_after(g))
        rt = risk_aware_routing(g, demand, time_limit=args.time_limit)
        results.append(rt)
        checks = [r.check.ok and r.status == "Optimal" for r in results]
        esc_t, iters = "-", "-"
        if n <= args.escort_max_nodes:
            t0 = time.perf_counter()
            es = escort_placement(g, args.escorts, args.budget, **kw)
            esc_t, iters = f"{time.perf_counter() - t0:.2f}", str(es.details["iterations"])
            checks.append(es.check.ok and es.status == "Optimal")
        row = (
            n,
            g.number_of_edges(),
            f"{load_t:.2f}",
            f"{mf_wall:.2f}",
            f"{mf.time_s:.3f}",
            f"{sp.time_s:.3f}",
            closure_t,
            f"{rt.time_s:.3f}",
            esc_t,
            iters,
            "ok" if all(checks) else "FAIL",
        )
        print("| " + " | ".join(map(str, row)) + " |", flush=True)


if __name__ == "__main__":
    main()
