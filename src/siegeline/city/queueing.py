"""Waiting time at filling stations: the expected wait of one station-day, tabulated once.

The model is the reference engine's station (``engines/reference/stations.py``): Poisson arrivals
at rate lambda over the opening hours H, starting from an empty station; c pumps with exponential
fills at rate mu; a motorist who finds n vehicles at the station joins unless the expected wait
ahead, (n - c + 1)/(c mu), exceeds ``max_wait_hours``, i.e. joins iff n < N with
N = c + floor(max_wait_hours * c * mu); everyone who joined is served, even after closing.

The number of vehicles at the station is then a birth-death chain on 0..N (an M/M/c/N queue).
A day is short against the time this queue takes to settle near saturation, and it starts
empty, so the steady state (Erlang C) is wrong exactly where waits matter, and a fluid backlog
above saturation jumps away from it at load 1. Instead the chain is integrated over [0, H] from
the empty state (uniformization). By PASTA an arrival at time t sees n with probability p_n(t),
joins if n < N and then waits max(0, n - c + 1)/(c mu) in expectation, so

    mean wait = integral_0^H sum_{n<N} p_n(t) w_n dt / integral_0^H sum_{n<N} p_n(t) dt,

the expected total wait of the day's joiners over their expected number. The reference engine
reports each day's mean over its joiners; the mean of that ratio is lower than this ratio of
means because days with more arrivals also wait longer (about 1% at loads 0.75-1.25 for the
default station, by a simulation of 40,000 days). For long days and load < 1 the result tends
to Erlang C's steady-state wait; it is continuous and non-decreasing in load, bounded by the cap.

The expectation depends on the load rho = lambda/(c mu) for given (c, mu, H, max_wait_hours):
it is computed once on a grid of loads (cached) and interpolated, so a call costs one np.interp.
Beyond the grid's top load the value is held; it is then within a few percent of the infinite-
load limit, where the station fills at once and every later joiner waits the full cap.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

# Loads tabulated: dense where waits turn from negligible to large, sparse where they saturate.
LOAD_GRID = np.unique(np.concatenate([np.linspace(0.0, 0.3, 31), np.linspace(0.3, 3.0, 136),
                                      np.geomspace(3.0, 60.0, 41)]))
MAX_STATES = 20_000  # beyond this the chain's integration gets too slow for a cached table
CHUNK = 24  # loads integrated together, sharing one uniformization rate
STEADY_TOL = 1e-14  # a step that moves no probability more than this ends the integration


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


def station_capacity(servers: int, service_rate: float, max_wait_hours: float) -> int:
    """N: a motorist joins when fewer than N vehicles are at the station."""
    drain = servers * service_rate
    ahead = int(np.floor(max_wait_hours * drain))
    # The longest acceptable queue ahead, by the reference's own test (ahead / drain <= max
    # wait), so a product like (1/3) * 48 that rounds below 16 still admits 16 ahead.
    while (ahead + 1) / drain <= max_wait_hours:
        ahead += 1
    while ahead > 0 and ahead / drain > max_wait_hours:
        ahead -= 1
    return servers + ahead


def _chunk_integrals(rates: np.ndarray, servers: int, service_rate: float,
                     opening_hours: float, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Integrals over the day of the arrivals' join probability and of their expected wait, for
    arrival rates ``rates`` (up to a common factor, the uniformization rate)."""
    n = np.arange(capacity + 1)
    deaths = np.minimum(n, servers) * service_rate
    births = np.where(n < capacity, 1.0, 0.0) * rates[:, None]
    joins = (n < capacity).astype(float)
    waits = joins * np.maximum(n - servers + 1, 0) / (servers * service_rate)
    uniform = rates.max() + servers * service_rate
    stay = 1.0 - (births + deaths) / uniform
    up, down = births[:, :-1] / uniform, deaths[1:] / uniform
    # Time in state after k jumps of the uniformized chain: integral of Poisson(k; uniform*t)
    # over [0, H] is P(Poisson(uniform*H) > k)/uniform; the common 1/uniform cancels later.
    mean_jumps = uniform * opening_hours
    tails = stats.poisson.sf(np.arange(int(mean_jumps + 12 * np.sqrt(mean_jumps) + 30)),
                             mean_jumps)
    p = np.zeros_like(births)
    p[:, 0] = 1.0
    joined, waited = np.zeros(len(rates)), np.zeros(len(rates))
    for k, tail in enumerate(tails):
        joined += tail * (p @ joins)
        waited += tail * (p @ waits)
        step = p * stay
        step[:, 1:] += p[:, :-1] * up
        step[:, :-1] += p[:, 1:] * down
        settled = np.abs(step - p).sum(axis=1).max() < STEADY_TOL
        p = step
        if settled:  # the chain has reached its stationary law: the rest of the day is closed form
            rest = tails[k + 1:].sum()
            joined += rest * (p @ joins)
            waited += rest * (p @ waits)
            break
    return joined, waited


@lru_cache(maxsize=64)
def wait_table(servers: int, service_rate: float, opening_hours: float,
               max_wait_hours: float) -> np.ndarray:
    """Expected wait (h) of a station-day's joiners at each load of ``LOAD_GRID``."""
    capacity = station_capacity(servers, service_rate, max_wait_hours)
    if capacity + 1 > MAX_STATES:
        raise ValueError(f"max_wait_hours * servers * service_rate = {capacity - servers} "
                         f"vehicles of queue is more than the tabulated model handles")
    rates = LOAD_GRID * servers * service_rate
    table = np.empty_like(rates)
    for start in range(0, len(rates), CHUNK):
        part = slice(start, start + CHUNK)
        joined, waited = _chunk_integrals(rates[part], servers, service_rate, opening_hours,
                                          capacity)
        table[part] = waited / joined
    table.setflags(write=False)  # shared by every caller through the cache
    return table


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
    table = wait_table(int(servers), float(service_rate), float(opening_hours),
                       float(max_wait_hours))
    load = np.asarray(arrival_rate, dtype=float) / (servers * service_rate)
    return np.interp(load, LOAD_GRID, table)
