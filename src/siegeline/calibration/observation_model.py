"""How far a simulated replication is from what was reported.

The targets are those of :mod:`siegeline.observations.record` (one per scored observation, with
its window, observable and observed interval: censored "at least" reports have an infinite
end, reports of one event by several outlets are one target, national figures are scaled by
the context's share). On top of that the observation model adds reporting error and trust:

* a reported value is known to within a relative error that grows as confidence falls
  (:data:`REPORTING_ERROR`): the observed interval is widened by that share on each side;
* a target's discrepancy is its distance outside that interval in units of the prior
  predictive spread (median absolute deviation of the target over the first generation);
* targets are weighted by confidence (:data:`CONFIDENCE_WEIGHT`): claims by either side and
  official series that conflict with others count less; both conflicting series are kept.

The distance of a replication is the weighted root mean square of its discrepancies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siegeline.observations.record import RecordContext, Target, targets_for
from siegeline.results.result import SimulationResult

REPORTING_ERROR = {"high": 0.05, "medium": 0.10, "low": 0.20}
CONFIDENCE_WEIGHT = {"high": 1.0, "medium": 0.6, "low": 0.3}


def observed_targets(log: pd.DataFrame, result: SimulationResult, ctx: RecordContext,
                     until: dt.date) -> list[Target]:
    """The log's targets whose window lies inside the run and ends by ``until``."""
    start = pd.Timestamp(result["date"].values[0])
    last = pd.Timestamp(until)
    targets, _ = targets_for(log, result, ctx)
    return [t for t in targets if t.start >= start and t.end <= last]


@dataclass(frozen=True)
class Discrepancy:
    """Observed intervals (widened by reporting error), scales and weights of K targets."""

    low: np.ndarray  # (K,)
    high: np.ndarray  # (K,)
    scale: np.ndarray  # (K,) prior predictive spread
    weight: np.ndarray  # (K,)

    @classmethod
    def build(cls, targets: list[Target], prior_summaries: np.ndarray) -> Discrepancy:
        """Scales from the prior predictive summaries (n, K) of the first generation."""
        err = np.array([REPORTING_ERROR.get(t.confidence, 0.2) for t in targets])
        low = np.array([t.low for t in targets], dtype=float)
        high = np.array([t.high for t in targets], dtype=float)
        low = np.where(np.isfinite(low), low - err * np.abs(low), low)
        high = np.where(np.isfinite(high), high + err * np.abs(high), high)
        med = np.median(prior_summaries, axis=0)
        mad = 1.4826 * np.median(np.abs(prior_summaries - med), axis=0)
        sd = prior_summaries.std(axis=0)
        magnitude = np.array([abs(t.value) if np.isfinite(t.value) else 1.0 for t in targets])
        scale = np.where(mad > 0, mad, np.where(sd > 0, sd, 0.1 * np.maximum(magnitude, 1e-9)))
        weight = np.array([CONFIDENCE_WEIGHT.get(t.confidence, 0.3) for t in targets])
        return cls(low, high, scale, weight)

    def components(self, x: np.ndarray) -> np.ndarray:
        """(n, K) distance of each summary outside its interval, in units of its scale."""
        outside = np.maximum(self.low - x, 0.0) + np.maximum(x - self.high, 0.0)
        return outside / self.scale

    def distance(self, x: np.ndarray) -> np.ndarray:
        """(n,) weighted root mean square discrepancy."""
        d = self.components(x)
        return np.sqrt((d**2 * self.weight).sum(axis=1) / self.weight.sum())
