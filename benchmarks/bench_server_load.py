"""Bounded load test of `siegeline serve` on loopback: 50 concurrent clients, 20 requests each.

    python benchmarks/bench_server_load.py [--clients 50] [--requests 20]

Starts the server in a separate process (so the clients do not share its interpreter), stores one
small run for the run endpoints, and prints errors and latency percentiles per endpoint mix.
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

from siegeline.engines import simulate
from siegeline.reliability.loadtest import run_load
from siegeline.results.store import ResultStore
from siegeline.scenario import load_scenario

TOKEN = "benchmark-token-0123456789abcdef"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    store = folder / "store.duckdb"
    scenario = load_scenario("bamako-2025")
    run_id = ResultStore(store).save(simulate(scenario, replications=100, days=180, seed=1),
                                     scenario.model_dump_json())
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
            "health only": ["/api/health"],
            "mixed (health, scenarios, runs list, run summary, stockout curve)": [
                "/api/health", "/api/scenarios", "/api/runs", f"/api/runs/{run_id}/summary",
                f"/api/runs/{run_id}/stockout"],
        }
        for name, paths in mixes.items():
            report = run_load(base, paths, args.clients, args.requests, headers=headers)
            print(f"{name}: {report.describe()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
