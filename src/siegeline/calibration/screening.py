"""Which parameters the observations inform: a screen on the prior predictive sample.

Importance weights of ABC-SMC degenerate as the dimension grows (with the default scenario's
57 ranges the effective sample size of the second generation was 2 of 300), so only the
parameters whose value visibly moves a target are calibrated; the others keep their prior
(each replication draws them from their range, as in any run). A parameter's score is the
largest absolute Spearman correlation between it and any target's summary over generation 0
(a draw from the prior); it is kept when the score exceeds both ``threshold`` and three
standard errors of a null correlation (3 / sqrt(n)), at most ``max_params`` of them by score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def rank_correlations(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(d, K) Spearman correlations; 0 where a summary does not vary."""
    rt = rankdata(theta, axis=0)
    rx = rankdata(x, axis=0)
    rt = (rt - rt.mean(0)) / np.maximum(rt.std(0), 1e-12)
    sx = rx.std(0)
    rx = (rx - rx.mean(0)) / np.maximum(sx, 1e-12)
    rho = rt.T @ rx / len(theta)
    rho[:, sx == 0] = 0.0
    return rho


def screen(paths: Sequence[str], target_names: Sequence[str], theta: np.ndarray,
           x: np.ndarray, max_params: int = 10, threshold: float = 0.2
           ) -> tuple[list[int], pd.DataFrame]:
    """Indices of the parameters to calibrate and the screening table, by decreasing score."""
    rho = np.abs(rank_correlations(theta, x))
    score = rho.max(axis=1)
    best = rho.argmax(axis=1)
    floor = max(threshold, 3.0 / np.sqrt(len(theta)))
    order = np.argsort(-score, kind="stable")
    kept = [int(j) for j in order if score[j] > floor][:max_params]
    table = pd.DataFrame({
        "parameter": [paths[j] for j in order],
        "score": score[order],
        "most_informative_target": [target_names[best[j]] for j in order],
        "calibrated": [int(j) in kept for j in order],
    })
    return sorted(kept), table
