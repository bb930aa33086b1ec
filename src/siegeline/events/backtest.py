"""Backtest of monthly event-count forecasts scored with the CRPS.

Rolling origin: each held-back month is forecast from the months before it only. Models: the
calibration baseline (decayed Gamma–Poisson times the fitted trend), a Hawkes process, and two
naive baselines (Poisson around the last month; bootstrap of the last 12 months).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siegeline.events import hawkes
from siegeline.events.calibrate import fit_trend

N_SAMPLES = 2000


def crps_samples(samples: np.ndarray, y: float) -> float:
    """CRPS of the empirical distribution of ``samples`` at outcome ``y``, E|X - y| -
    E|X - X'| / 2, by scoringrules' quantile-decomposition estimator (O(n log n); equal to the
    energy form, which needs n x n memory)."""
    import scoringrules as sr

    x = np.asarray(samples, dtype=float)
    if x.size == 0:
        raise ValueError("no samples")
    return float(sr.crps_ensemble(float(y), x, estimator="qd"))


Forecaster = Callable[[pd.Series, pd.Series, np.random.Generator], np.ndarray]


def forecast_poisson_last(history: pd.Series, _days: pd.Series, rng: np.random.Generator):
    return rng.poisson(float(history.iloc[-1]), N_SAMPLES)


def forecast_bootstrap_12(history: pd.Series, _days: pd.Series, rng: np.random.Generator):
    return rng.choice(history.iloc[-12:].to_numpy(), N_SAMPLES, replace=True)


def make_gamma_trend(half_life_months: float = 6.0) -> Forecaster:
    """Decayed Gamma posterior of the monthly rate, carried one month ahead by the trend."""

    def forecast(history: pd.Series, _days: pd.Series, rng: np.random.Generator) -> np.ndarray:
        y = history.to_numpy(dtype=float)
        age = np.arange(len(y))[::-1]  # months before the forecast origin (0 = last month)
        w = 2.0 ** (-age / half_life_months)
        # Events of older months are scaled up to the level of the last month by the trend.
        growth = fit_trend(history).growth_per_year ** (1.0 / 12.0)
        shape = 0.5 + np.sum(w * y * growth**age)
        rate = 1.0 / 30.0 + np.sum(w)
        lam = rng.gamma(shape, 1.0 / rate, N_SAMPLES) * growth
        return rng.poisson(lam)

    return forecast


def make_hawkes(window_days: int = 365) -> Forecaster:
    """Hawkes fit on the last ``window_days`` of event times, simulated over the next month."""

    def forecast(history: pd.Series, days: pd.Series, rng: np.random.Generator) -> np.ndarray:
        origin = history.index[-1].to_timestamp(how="end").normalize() + pd.Timedelta(days=1)
        start = origin - pd.Timedelta(days=window_days)
        recent = days[(days >= start) & (days < origin)]
        t = (recent - start).dt.days.to_numpy(dtype=float) + rng.uniform(0, 1, len(recent))
        fit = hawkes.fit(np.sort(t), float(window_days))
        month_days = (origin + pd.offsets.MonthEnd(0) - origin).days + 1
        return np.array(
            [
                len(
                    hawkes.simulate(fit.mu, fit.alpha, fit.beta, month_days, rng, fit.excess_at_end)
                )
                for _ in range(N_SAMPLES // 4)
            ]
        )

    return forecast


def default_models() -> dict[str, Forecaster]:
    return {
        "gamma-poisson-trend": make_gamma_trend(),
        "hawkes": make_hawkes(),
        "poisson-last": forecast_poisson_last,
        "bootstrap-12": forecast_bootstrap_12,
    }


@dataclass
class BacktestResult:
    scores: pd.DataFrame  # month x model CRPS, plus the observed count
    forecasts: dict[str, dict[str, np.ndarray]]  # model -> month -> samples

    def summary(self) -> pd.DataFrame:
        models = [c for c in self.scores.columns if c != "observed"]
        mean = self.scores[models].mean()
        out = pd.DataFrame({"mean_crps": mean})
        for base in ("poisson-last", "bootstrap-12"):
            if base in mean:
                out[f"skill_vs_{base}"] = 1.0 - mean / mean[base]
        return out.sort_values("mean_crps")


def backtest(
    monthly: pd.Series,
    event_days: pd.Series,
    holdout: int = 6,
    models: dict[str, Forecaster] | None = None,
    seed: int = 20250903,
    min_train: int = 12,
) -> BacktestResult:
    """Forecast each of the last ``holdout`` months from the months before it."""
    if holdout < 1:
        raise ValueError("hold back at least one month")
    if len(monthly) < holdout + min_train:
        raise ValueError(
            f"need at least {holdout + min_train} complete months for a {holdout}-month "
            f"backtest with {min_train} training months, have {len(monthly)}"
        )
    models = models or default_models()
    rng = np.random.default_rng(seed)
    rows = []
    forecasts: dict[str, dict[str, np.ndarray]] = {m: {} for m in models}
    for pos in range(len(monthly) - holdout, len(monthly)):
        history, month = monthly.iloc[:pos], monthly.index[pos]
        observed = int(monthly.iloc[pos])
        row = {"month": str(month), "observed": observed}
        for name, model in models.items():
            samples = model(history, event_days, rng)
            forecasts[name][str(month)] = samples
            row[name] = crps_samples(samples, observed)
        rows.append(row)
    return BacktestResult(pd.DataFrame(rows).set_index("month"), forecasts)
