"""Waiting time at filling stations: each open station is an M/M/c queue with c pumps.

Below saturation the steady-state mean wait is Erlang C's; above it the queue grows through the
day (a fluid approximation: mean wait is half the backlog built over the opening hours), and
motorists give up beyond a maximum wait.
"""

from __future__ import annotations

import numpy as np


def erlang_b(offered_load: np.ndarray, servers: int) -> np.ndarray:
    """Erlang B blocking probability by the stable recursion B_k = a B_{k-1} / (k + a B_{k-1})."""
    a = np.asarray(offered_load, dtype=float)
    b = np.ones_like(a)
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(offered_load: np.ndarray, servers: int) -> np.ndarray:
    """Probability that an arrival waits in an M/M/c queue (offered load a = lambda/mu < c)."""
    a = np.asarray(offered_load, dtype=float)
    rho = a / servers
    b = erlang_b(a, servers)
    return b / (1.0 - rho * (1.0 - b))


def mean_wait_hours(
    arrival_rate: np.ndarray,
    service_rate: float,
    servers: int,
    opening_hours: float,
    max_wait_hours: float,
) -> np.ndarray:
    """Mean wait (h) before service at one station with ``servers`` pumps.

    ``arrival_rate`` is vehicles/h at the station, ``service_rate`` vehicles/h per pump.
    """
    lam = np.asarray(arrival_rate, dtype=float)
    capacity = servers * service_rate
    a = lam / service_rate
    stable = lam < capacity * (1.0 - 1e-9)
    safe_a = np.where(stable, a, 0.0)
    wq = erlang_c(safe_a, servers) / np.maximum(capacity - np.where(stable, lam, 0.0), 1e-12)
    # Saturated: backlog grows at (lam - capacity) per hour; mean wait over the day is half the
    # final backlog divided by the service capacity.
    backlog_wait = (lam - capacity) * opening_hours / (2.0 * capacity)
    wait = np.where(stable, wq, np.maximum(backlog_wait, wq * 0))
    return np.minimum(wait, max_wait_hours)
