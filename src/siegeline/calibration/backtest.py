"""Rolling-origin backtests: calibrate to an origin, forecast the month after, score it.

For each origin the scenario is calibrated to the log up to the origin (``calibrate``), then
the posterior scenario and the uncalibrated prior scenario are run past the origin, and every
observation whose window starts after the origin and ends within the horizon is scored:

* the fair CRPS (``scoringrules.crps_ensemble``, its default estimator: unbiased for the
  distribution the replications sample) of the replications' window statistic against the
  reported value (the midpoint of a reported interval; censored reports have no CRPS but count
  in the coverage), divided by the reported magnitude so that kinds with different units can be
  averaged (a relative CRPS);
* whether the reported interval meets the 50% and 90% bands.

The persistence baseline forecasts the last report of the same kind and observable before the
origin (scaled by window length for totals), as a point: its CRPS is the absolute error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siegeline.calibration.smc import CalibrationSettings, calibrate, posterior_scenario
from siegeline.engines import simulate
from siegeline.observations.record import (
    RecordContext,
    Target,
    _overlaps,
    targets_for,
    window_values,
)
from siegeline.scenario.loader import validate_scenario
from siegeline.scenario.schema import Scenario

METHODS = ("calibrated", "prior", "persistence")


@dataclass
class BacktestResult:
    table: pd.DataFrame  # one row per (origin, scored observation)

    def summary(self) -> pd.DataFrame:
        """Per method: mean relative CRPS over rows scored by all three, and band coverage."""
        t = self.table
        both = t.dropna(subset=[f"crps_{m}" for m in METHODS])
        rows = []
        for m in METHODS:
            row = {"method": m, "scored": len(both),
                   "mean_relative_crps": float(both[f"crps_{m}"].mean()) if len(both) else np.nan}
            if m != "persistence":
                row["in_50"] = float(t[f"in_50_{m}"].mean())
                row["in_90"] = float(t[f"in_90_{m}"].mean())
            rows.append(row)
        return pd.DataFrame(rows)


def _point(t: Target) -> float:
    """The reported value scored by the CRPS: the value, or a finite interval's midpoint."""
    if np.isfinite(t.value):
        return float(t.value)
    if np.isfinite(t.low) and np.isfinite(t.high):
        return 0.5 * (t.low + t.high)
    return np.nan


def _persistence(target: Target, earlier: list[Target]) -> float:
    same = [e for e in earlier if e.kind == target.kind
            and e.observable.name == target.observable.name and np.isfinite(_point(e))]
    if not same:
        return np.nan
    last = max(same, key=lambda e: e.end)
    value = _point(last)
    if target.observable.how == "sum":  # a total: scaled to the window's length
        value *= ((target.end - target.start).days + 1) / ((last.end - last.start).days + 1)
    return value


def _bands(values: np.ndarray, t: Target) -> tuple[bool, bool]:
    """Whether the report meets the 50% and the 90% band (as `siegeline record` decides)."""
    q = np.quantile(values, [0.05, 0.25, 0.75, 0.95])
    return _overlaps(t.low, t.high, q[1], q[2]), _overlaps(t.low, t.high, q[0], q[3])


def backtest(scenario: Scenario, log: pd.DataFrame, origins: list[dt.date], horizon_days: int,
             settings: CalibrationSettings, state_root: Path, replications: int = 500,
             client: Any | None = None, progress=None) -> BacktestResult:
    """Score calibrated, prior and persistence forecasts from each origin (see module doc);
    a posterior the scenario carries is set aside: each origin calibrates from the ranges."""
    import scoringrules as sr

    # The prior baseline is the scenario's ranges, whatever posterior it ships with.
    scenario = validate_scenario({**scenario.model_dump(mode="json"), "posterior": None},
                                 "backtest")
    start = scenario.simulation.start_date
    ctx = RecordContext.from_scenario(scenario, settings.national_share)
    rows = []
    for origin in origins:
        res = calibrate(scenario, log, origin, settings, state_root / f"origin-{origin}",
                        client, progress)
        cal = validate_scenario(posterior_scenario(scenario, res, "log", origin, settings),
                                "calibrated")
        end = origin + dt.timedelta(horizon_days)
        days = (end - start).days + 1
        runs = {"calibrated": simulate(cal, replications=replications, days=days,
                                       seed=settings.seed),
                "prior": simulate(scenario, replications=replications, days=days,
                                  seed=settings.seed)}
        targets, _ = targets_for(log, runs["prior"], ctx)
        earlier = [t for t in targets if t.end.date() <= origin]
        ahead = [t for t in targets if t.start.date() > origin and t.end.date() <= end]
        for t in ahead:
            obs = _point(t)
            scale = abs(obs) if np.isfinite(obs) and obs != 0 else np.nan
            row = {"origin": origin, "kind": t.kind, "lines": ",".join(map(str, t.lines)),
                   "start": t.start.date(), "end": t.end.date(), "observed": obs,
                   "obs_low": t.low, "obs_high": t.high, "confidence": t.confidence}
            for m, run in runs.items():
                values = window_values(run, t)[0]
                row[f"median_{m}"] = float(np.median(values))
                row[f"crps_{m}"] = (float(sr.crps_ensemble(obs, values)) / scale
                                    if np.isfinite(scale) else np.nan)
                row[f"in_50_{m}"], row[f"in_90_{m}"] = _bands(values, t)
            guess = _persistence(t, earlier)
            row["median_persistence"] = guess
            row["crps_persistence"] = (abs(guess - obs) / scale
                                       if np.isfinite(scale) and np.isfinite(guess) else np.nan)
            rows.append(row)
    return BacktestResult(pd.DataFrame(rows))
