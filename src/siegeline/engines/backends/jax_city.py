"""The city's daily functions (src/siegeline/city) in jax.numpy, for the JAX engine.

Same formulas as the NumPy versions, written for fixed shapes inside ``jit``; the tests check
both agree on the same inputs.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from siegeline.city.queueing import LOAD_GRID, wait_table

TINY = 1e-30  # guards divisions (float32: NumPy's 1e-300 would underflow to 0)


def rationing_caps(cover: jnp.ndarray, thresholds: jnp.ndarray, caps: jnp.ndarray
                   ) -> jnp.ndarray:
    """(…, P) cover → (…, S, P) share of normal demand each sector may draw."""
    result = jnp.ones(cover.shape[:-1] + (caps.shape[1], cover.shape[-1]), jnp.float32)
    for v in range(thresholds.shape[0]):
        below = cover < thresholds[v]
        result = jnp.minimum(result, jnp.where(below[..., None, :], caps[v][:, None], 1.0))
    return result


def allocate_by_priority(demand: jnp.ndarray, available: jnp.ndarray,
                         priority: tuple[int, ...]) -> jnp.ndarray:
    """Serve sectors in priority order (static ``priority`` per sector), pro rata within a level."""
    served = jnp.zeros_like(demand)
    remaining = available
    for level in sorted(set(priority)):
        members = jnp.array([p == level for p in priority])
        want = demand * members[:, None]
        total = want.sum(axis=-2)
        frac = jnp.where(total > 0, jnp.minimum(1.0, remaining / jnp.maximum(total, TINY)), 0.0)
        give = want * frac[..., None, :]
        served = served + give
        remaining = jnp.maximum(remaining - give.sum(axis=-2), 0.0)
    return served


def mean_wait_hours(arrival_rate: jnp.ndarray, service_rate: jnp.ndarray, servers: int,
                    table: jnp.ndarray) -> jnp.ndarray:
    """The NumPy model's expected wait (city/queueing.py), interpolated on load in float32 from
    ``table`` = ``wait_table(servers, service_rate, opening_hours, max_wait_hours)`` (the station
    parameters are structural, so the engine tabulates it once on the host)."""
    load = arrival_rate / (servers * service_rate)
    return jnp.interp(load, jnp.asarray(LOAD_GRID, jnp.float32), table)


def station_wait_table(servers: int, service_rate: float, opening_hours: float,
                       max_wait_hours: float) -> np.ndarray:
    """``wait_table`` in float32, for the constants of a compiled run."""
    return wait_table(int(servers), float(service_rate), float(opening_hours),
                      float(max_wait_hours)).astype(np.float32)


def informal_price(official: jnp.ndarray, demand: jnp.ndarray, supply: jnp.ndarray,
                   elasticity: jnp.ndarray, cap_multiple: jnp.ndarray) -> jnp.ndarray:
    ratio = jnp.where(supply > 0, demand / jnp.maximum(supply, TINY), jnp.inf)
    multiple = jnp.where(ratio > 1.0, jnp.power(jnp.maximum(ratio, 1.0), 1.0 / elasticity), 1.0)
    return official * jnp.minimum(multiple, cap_multiple)
