"""Bounded load test of `siegeline serve` on loopback: 50 concurrent clients, 20 requests each.

    python benchmarks/bench_server_load.py [--clients 50] [--requests 20] [--mix reads]

Starts the server in a separate process (so the clients do not share its interpreter), stores two
small runs for the run endpoints, and prints errors and latency percentiles per endpoint mix.
The ``reads`` mix is issue #15's: runs list, summary, quantiles, comparison, OpenAPI schema
(target: at least 150 req/s, p99 at most 1 s on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from loadtest import run_load  # benchmarks/loadtest.py, beside this script
from siegeline.engines import simulate
from siegeline.results.store import ResultStore
from siegeline.scenario import load_scenario

TOKEN = "benchmark-token-0123456789abcdef"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--mix", action="append", choices=["health", "mixed", "reads"],
                        help="endpoint mixes to run (default: all)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    store = folder / "store.duckdb"
    scenario = load_scenario("bamako-2025")
    run_id, other = (ResultStore(store).save(
        simulate(scenario, replications=100, days=180, seed=seed), scenario.model_dump_json())
        for seed in (1, 2))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "siegeline.cli.main", "serve", "--port", str(port),
         "--store", str(store)], env={**os.environ, "SIEGELINE_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/health", headers=headers).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        mixes = {
            "health": ("health only", ["/api/health"]),
            "mixed": ("mixed (health, scenarios, runs list, run summary, stockout curve)", [
                "/api/health", "/api/scenarios", "/api/runs", f"/api/runs/{run_id}/summary",
                f"/api/runs/{run_id}/stockout"]),
            "reads": ("reads (runs list, summary, quantiles, compare, openapi)", [
                "/api/runs", f"/api/runs/{run_id}/summary",
                f"/api/runs/{run_id}/quantiles/cover_days", f"/api/compare?a={run_id}&b={other}",
                "/openapi.json"]),
        }
        for key in args.mix or list(mixes):
            name, paths = mixes[key]
            report = run_load(base, paths, args.clients, args.requests, headers=headers)
            print(f"{name}: {report.describe()}", flush=True)
            print(f"  {report.tail()}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
