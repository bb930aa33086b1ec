"""A bounded load test: N concurrent HTTP clients, each sending a fixed number of requests."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import numpy as np


@dataclass
class LoadReport:
    clients: int
    requests: int
    seconds: float
    latencies_ms: np.ndarray
    starts_ms: np.ndarray = field(default_factory=lambda: np.zeros(0))  # from the clock's start
    paths: list[str] = field(default_factory=list)  # of each request, as latencies_ms
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # transport errors (timeouts, resets)

    @property
    def errors(self) -> int:
        """Transport failures plus responses that are not 2xx."""
        return len(self.failures) + sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q))

    def describe(self) -> str:
        return (f"{self.requests} requests from {self.clients} concurrent clients in "
                f"{self.seconds:.1f} s ({self.requests / self.seconds:,.0f} req/s), "
                f"{self.errors} errors; latency ms p50 {self.percentile(50):.1f}, "
                f"p95 {self.percentile(95):.1f}, p99 {self.percentile(99):.1f}, "
                f"max {self.latencies_ms.max():.1f}")

    def tail(self, q: float = 99) -> str:
        """Where the slowest requests were: per path, how many are above the q-th percentile
        and when they started (a cold start shows as slow requests sent in the first moments)."""
        limit = self.percentile(q)
        slow = self.latencies_ms > limit
        parts = []
        for path in sorted(set(self.paths)):
            mine = np.array([p == path for p in self.paths])
            if (slow & mine).any():
                parts.append(f"{path.split('?')[0]}: {(slow & mine).sum()} "
                             f"(sent at {self.starts_ms[slow & mine].min():.0f}–"
                             f"{self.starts_ms[slow & mine].max():.0f} ms)")
        return f"above p{q:g} ({limit:.0f} ms): " + "; ".join(parts)


async def _client(client: httpx.AsyncClient, paths: list[str], n: int, offset: int,
                  report: LoadReport, samples: list[tuple[str, float, float]],
                  clock: float) -> None:
    for i in range(n):
        path = paths[(offset + i) % len(paths)]
        start = time.perf_counter()
        try:
            response = await client.get(path)
            report.statuses[response.status_code] += 1
        except httpx.HTTPError as exc:
            report.failures.append(f"{path}: {type(exc).__name__}")
        samples.append((path, (start - clock) * 1000, (time.perf_counter() - start) * 1000))


def run_load(base_url: str, paths: list[str], clients: int = 50, requests_per_client: int = 20,
             headers: dict[str, str] | None = None, timeout: float = 60.0) -> LoadReport:
    """Send ``clients * requests_per_client`` GET requests, cycling through ``paths``."""
    report = LoadReport(clients, clients * requests_per_client, 0.0, np.zeros(0))
    samples: list[tuple[str, float, float]] = []

    async def main() -> float:
        # One connection pool per client, so the server sees as many concurrent connections.
        # All are made before the clock starts: making one takes the client process ~30 ms
        # (its TLS context), which would otherwise count in the first requests' latency.
        pools = [httpx.AsyncClient(base_url=base_url, headers=headers or {}, timeout=timeout)
                 for _ in range(clients)]
        start = time.perf_counter()
        try:
            await asyncio.gather(*[_client(pool, paths, requests_per_client, c, report,
                                           samples, start) for c, pool in enumerate(pools)])
        finally:
            seconds = time.perf_counter() - start
            await asyncio.gather(*[pool.aclose() for pool in pools])
        return seconds

    report.seconds = asyncio.run(main())
    report.paths = [s[0] for s in samples]
    report.starts_ms = np.array([s[1] for s in samples])
    report.latencies_ms = np.array([s[2] for s in samples])
    return report
