"""Comparing the two engines: the scenarios, the outputs and the statistics the agreement tests
and the benchmark share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

# Overrides (``--set`` syntax) of the default scenario for the three agreement scenarios.
AGREEMENT_SCENARIOS: dict[str, list[str]] = {
    "default": [],
    "no-adversary": ["adversary.intensity=0", "adversary.bans=[]"],
    "heavy-blockade": ["adversary.intensity=0.6", "escorts.pool_size=4"]
    + [f"corridors.{i}.policy.wait_for_escorts=true" for i in range(6)],
}


def headline_outputs(out: dict[str, np.ndarray], products: list[str]) -> dict[str, np.ndarray]:
    """Per replication: the outputs the engines must agree on."""
    days = out["stockout"].shape[1]
    flags = out["stockout"].any(axis=2)
    first = np.where(flags.any(axis=1), np.argmax(flags, axis=1), days)  # censored at horizon
    gasoline = products.index("gasoline") if "gasoline" in products else 0
    return {
        "total_delivered_ML": out["delivered_litres"].sum(axis=(1, 2)) / 1e6,
        "total_destroyed_ML": out["destroyed_litres"].sum(axis=(1, 2)) / 1e6,
        "tankers_lost": out["tankers_lost"].sum(axis=(1, 2)).astype(float),
        "first_stockout_day": first.astype(float),
        "mean_queue_wait_h": out["queue_wait_hours"].mean(axis=1),
        "final_informal_price": out["informal_price"][:, -1, gasoline],
    }


@dataclass(frozen=True)
class Comparison:
    name: str
    mean_a: float
    mean_b: float
    ci_half_width: float  # of the difference of means, at the chosen level
    ks_statistic: float
    ks_pvalue: float

    @property
    def means_agree(self) -> bool:
        return abs(self.mean_a - self.mean_b) <= self.ci_half_width


def compare(name: str, a: np.ndarray, b: np.ndarray, level: float = 0.999) -> Comparison:
    """Two independent samples: two-sample KS, and the difference of means against its
    (Welch, normal) confidence interval."""
    z = stats.norm.ppf(0.5 + level / 2)
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        ks = (0.0, 1.0) if a[0] == b[0] else (1.0, 0.0)
    else:
        res = stats.ks_2samp(a, b)
        ks = (float(res.statistic), float(res.pvalue))
    return Comparison(name, float(a.mean()), float(b.mean()), float(z * se), *ks)
