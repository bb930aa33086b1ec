"""Rationing and priority allocation of depot stock to demand sectors."""

from __future__ import annotations

import numpy as np


def rationing_caps(cover_days: np.ndarray, thresholds: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Share of normal demand each sector may draw, given cover (days) per product.

    ``cover_days`` has shape (..., P); ``thresholds`` (V,) descending; ``caps`` (V, S).
    Returns (..., S, P): the most severe level whose threshold exceeds the cover applies.
    """
    result = np.ones(cover_days.shape[:-1] + (caps.shape[1], cover_days.shape[-1]))
    for v in range(len(thresholds)):
        below = cover_days < thresholds[v]  # (..., P)
        level = np.where(below[..., None, :], caps[v][:, None], 1.0)
        result = np.minimum(result, level)
    return result


def allocate_by_priority(
    demand: np.ndarray, available: np.ndarray, priority: np.ndarray
) -> np.ndarray:
    """Serve sectors in priority order (1 first); sectors of equal priority share pro rata.

    ``demand`` (..., S, P) litres, ``available`` (..., P) litres, ``priority`` (S,).
    Returns served litres (..., S, P); never more than demand, never more than available.
    """
    served = np.zeros_like(demand)
    remaining = np.array(available, dtype=float, copy=True)
    for level in np.unique(priority):
        members = np.flatnonzero(priority == level)
        if members.size == 1:  # the common case: plain views, no gathering
            want = demand[..., members[0], :]
            give = np.minimum(want, remaining)
            served[..., members[0], :] = give
            remaining = remaining - give
            continue
        want = demand[..., members, :]
        total = want.sum(axis=-2)
        frac = np.where(total > 0, np.minimum(1.0, remaining / np.maximum(total, 1e-300)), 0.0)
        give = want * frac[..., None, :]
        served[..., members, :] = give
        remaining = np.maximum(remaining - give.sum(axis=-2), 0.0)
    return served
