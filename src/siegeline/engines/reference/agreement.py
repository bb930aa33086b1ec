"""Comparing the two engines: the scenarios, the outputs and the statistics the agreement tests
and the benchmarks share.

Paired design. Both engines read one :class:`ModelParameters`, so replication ``r`` of each runs
on the same sampled parameters and only the dynamics' random streams differ (the vectorized
engine's come from ``SeedSequence([seed, 2])``, the reference engine's from
``SeedSequence([seed, 3, r])``). The vectorized engine is cheap, so it runs every parameter draw
``copies`` times (:func:`tiled_parameters`) and its mean over the copies is paired with the one
reference replication of that draw: ``d_r = mean_k vectorized_{r,k} - reference_r``. The
between-draw variance (most of an output's spread) cancels in ``d_r``, and averaging copies
shrinks the vectorized engine's share of the dynamics noise, so a bias shows against
``sd(d) / sqrt(R)`` rather than against the outputs' whole spread.

Decision rule (:func:`paired_compare`): an output disagrees when the two-sided
``1 - alpha`` Student-t interval of ``mean(d)`` lies wholly outside ``[-tol, +tol]``; ``tol``
(:data:`ABS_TOLERANCE`, in the output's unit) is a difference too small to matter, which also
keeps degenerate cases from failing on rounding: zero variance, or every replication pinned at a
bound (a price at its cap, an empty depot). The two-sample KS test (:func:`ks_test`) stays as a
check of distribution shape; the vectorized sample (all copies) shares its parameter draws with
the reference sample, which makes the KS test conservative.

Family-wise error rate: a suite of ``m`` tests (paired and KS, over scenarios and outputs), each
at ``alpha = FAMILY_WISE_ERROR / m`` (:func:`per_test_alpha`), falsely flags an agreeing pair of
engines with probability at most ``FAMILY_WISE_ERROR`` = 1% (Bonferroni). Measured power and
false-alarm rates: docs/performance.md, ``benchmarks/bench_agreement_power.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from siegeline.model.parameters import SHARED_ARRAYS, ModelParameters, tile_parameters

# Overrides (``--set`` syntax) of the default scenario for the three agreement scenarios.
AGREEMENT_SCENARIOS: dict[str, list[str]] = {
    "default": [],
    "no-adversary": ["adversary.intensity=0", "adversary.bans=[]"],
    "heavy-blockade": ["adversary.intensity=0.6", "escorts.pool_size=4"]
    + [f"corridors.{i}.policy.wait_for_escorts=true" for i in range(6)],
}

FAMILY_WISE_ERROR = 0.01

# Differences below these (unit of each output) are not worth a failing test whatever the noise.
ABS_TOLERANCE: dict[str, float] = {
    "total_delivered_ML": 0.1,
    "total_destroyed_ML": 0.1,
    "tankers_lost": 0.5,
    "attacks": 0.5,
    "first_stockout_day": 0.5,
    "stock_mid_horizon_ML": 0.1,
    "mean_queue_wait_h": 0.05,
    "mean_informal_price": 10.0,
    "final_informal_price": 10.0,
}


def headline_outputs(out: Mapping[str, np.ndarray], products: list[str]) -> dict[str, np.ndarray]:
    """Per replication: the outputs the engines must agree on (keys of ABS_TOLERANCE)."""
    days = out["stockout"].shape[1]
    flags = out["stockout"].any(axis=2)
    first = np.where(flags.any(axis=1), np.argmax(flags, axis=1), days)  # censored at horizon
    gasoline = products.index("gasoline") if "gasoline" in products else 0
    price = out["informal_price"][:, :, gasoline]
    return {
        "total_delivered_ML": out["delivered_litres"].sum(axis=(1, 2)) / 1e6,
        "total_destroyed_ML": out["destroyed_litres"].sum(axis=(1, 2)) / 1e6,
        "tankers_lost": out["tankers_lost"].sum(axis=(1, 2)).astype(float),
        "attacks": out["attacks"].sum(axis=(1, 2)).astype(float),
        "first_stockout_day": first.astype(float),
        "stock_mid_horizon_ML": out["stock_litres"][:, days // 2].sum(axis=1) / 1e6,
        "mean_queue_wait_h": out["queue_wait_hours"].mean(axis=1),
        "mean_informal_price": price.mean(axis=1),
        "final_informal_price": price[:, -1],
    }


def tiled_parameters(params: ModelParameters, copies: int,
                     overrides: Mapping[str, np.ndarray] | None = None) -> ModelParameters:
    """``params`` with every replication repeated ``copies`` times in a row (replication
    ``r * copies + k`` is copy ``k`` of draw ``r``) in every timeline phase, for the vectorized
    engine. ``overrides`` (ModelParameters field -> values per tiled replication) replace
    arrays in every phase, e.g. to inject a bias."""
    return tile_parameters(params, copies, overrides)


def unpaired_fields(params: ModelParameters, tiled: ModelParameters, copies: int) -> list[str]:
    """Per-replication arrays of ``tiled`` that are not ``params``' repeated ``copies`` times
    (empty when the pairing holds: every sampled parameter is shared)."""
    R = params.replications
    return [name for name in params.__dataclass_fields__
            if isinstance(a := getattr(params, name), np.ndarray) and a.ndim and len(a) == R
            and name not in SHARED_ARRAYS
            and not np.array_equal(getattr(tiled, name), np.repeat(a, copies, axis=0))]


def copy_means(outputs: Mapping[str, np.ndarray], copies: int) -> dict[str, np.ndarray]:
    """Per draw: the mean of each output over its ``copies`` tiled replications."""
    return {name: x.reshape(-1, copies).mean(axis=1) for name, x in outputs.items()}


def per_test_alpha(tests: int, family_wise_error: float = FAMILY_WISE_ERROR) -> float:
    """Bonferroni: the per-test level that keeps ``tests`` tests' family-wise error rate."""
    return family_wise_error / tests


@dataclass(frozen=True)
class PairedComparison:
    """Vectorized minus reference over paired replications, at level ``1 - alpha``."""

    name: str
    replications: int
    mean_vectorized: float
    mean_reference: float
    mean_difference: float
    half_width: float  # of the Student-t interval of mean_difference
    tolerance: float
    relative_bias: float  # mean_difference / mean_reference (nan when that is 0)
    relative_half_width: float  # of relative_bias, delta method (nan when undefined)

    @property
    def agree(self) -> bool:
        """The interval of the mean difference reaches into [-tolerance, +tolerance]."""
        return abs(self.mean_difference) - self.half_width <= self.tolerance

    def describe(self) -> str:
        rel = (f"{self.relative_bias:+.1%} +/- {self.relative_half_width:.1%}"
               if math.isfinite(self.relative_bias) else "n/a")
        return (f"{self.name}: vectorized {self.mean_vectorized:.4g}, reference "
                f"{self.mean_reference:.4g}, difference {self.mean_difference:+.4g} +/- "
                f"{self.half_width:.3g} (tolerance {self.tolerance:g}; relative {rel}; "
                f"{self.replications} pairs)")


def paired_compare(name: str, vectorized: np.ndarray, reference: np.ndarray, alpha: float,
                   tolerance: float) -> PairedComparison:
    """Paired t interval of mean(vectorized - reference), and of the relative bias
    mean(d) / mean(reference) by the delta method (linearised per pair)."""
    d = np.asarray(vectorized, dtype=float) - np.asarray(reference, dtype=float)
    n = len(d)
    crit = float(stats.t.ppf(1 - alpha / 2, n - 1))
    mean_d, mean_ref = float(d.mean()), float(np.mean(reference))
    half = crit * float(d.std(ddof=1)) / math.sqrt(n)
    if mean_ref != 0:
        bias = mean_d / mean_ref
        z = (d - bias * np.asarray(reference, dtype=float)) / mean_ref
        rel_half = crit * float(z.std(ddof=1)) / math.sqrt(n)
    else:
        bias = rel_half = math.nan
    return PairedComparison(name, n, float(np.mean(vectorized)), mean_ref, mean_d, half,
                            tolerance, bias, rel_half)


def ks_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic and p-value; two constant samples are equal or not, exactly."""
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return (0.0, 1.0) if a[0] == b[0] else (1.0, 0.0)
    res = stats.ks_2samp(a, b)
    return float(res.statistic), float(res.pvalue)
