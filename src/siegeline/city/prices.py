"""Informal fuel price and goods price index."""

from __future__ import annotations

import numpy as np


def informal_price(
    official: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    elasticity: np.ndarray,
    cap_multiple: np.ndarray,
) -> np.ndarray:
    """Price that clears retail demand with constant elasticity, between official and the cap.

    P = P0 * (D/S)**(1/elasticity), capped at cap_multiple * P0; with no supply, the cap.
    """
    ratio = np.where(supply > 0, demand / np.maximum(supply, 1e-300), np.inf)
    multiple = np.where(ratio > 1.0, np.power(np.maximum(ratio, 1.0), 1.0 / elasticity), 1.0)
    return official * np.minimum(multiple, cap_multiple)


def goods_price_index(price_multiple: np.ndarray, pass_through: np.ndarray) -> np.ndarray:
    """Goods price index (1 = normal) from the mean informal/official fuel price multiple."""
    return 1.0 + pass_through * (price_multiple - 1.0)
