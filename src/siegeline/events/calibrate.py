"""Per-segment hazard estimates and the overall intensity trend, written into a scenario.

Gamma–Poisson with time decay (baseline) or a Hawkes process (stronger option) gives each
segment's event rate per day with a 90% interval; the rate becomes a hazard per traffic group and
100 km (see docs/monitor.md for the conversion and its traffic assumption).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely
from scipy import optimize, stats

from siegeline.events import hawkes
from siegeline.network.geometry import segment_lines
from siegeline.network.outlines import country_geometry
from siegeline.scenario import load_raw, validate_scenario
from siegeline.scenario.schema import Scenario

LN2 = math.log(2.0)


@dataclass(frozen=True)
class GammaPosterior:
    """Gamma(shape, rate) posterior of an event rate (events/day)."""

    shape: float
    rate: float

    @property
    def mean(self) -> float:
        return self.shape / self.rate

    def quantile(self, q: float) -> float:
        return float(stats.gamma.ppf(q, self.shape, scale=1.0 / self.rate))


def decayed_exposure(window_days: float, half_life_days: float) -> float:
    """Integral of the decay weight 2^(-age/h) over ages 0..window: the effective days observed."""
    return half_life_days / LN2 * (1.0 - 2.0 ** (-window_days / half_life_days))


def gamma_poisson(
    ages_days: np.ndarray,
    window_days: float,
    half_life_days: float,
    prior_shape: float = 0.5,
    prior_rate_days: float = 30.0,
    shares: np.ndarray | None = None,
) -> GammaPosterior:
    """Conjugate update with exponentially down-weighted events.

    Each event of age ``a`` (days before the end of the data) counts ``2^(-a/h)`` times its
    share of the segment (default 1; 1/k for an event shared by k segments); the exposure is
    the equally weighted observation time. Prior Gamma(prior_shape, prior_rate_days).
    """
    ages = np.asarray(ages_days, dtype=float)
    if half_life_days <= 0 or window_days <= 0:
        raise ValueError("half-life and window must be positive")
    share = np.ones_like(ages) if shares is None else np.asarray(shares, dtype=float)
    weight = float(np.sum(share * 2.0 ** (-ages / half_life_days)))
    return GammaPosterior(
        prior_shape + weight, prior_rate_days + decayed_exposure(window_days, half_life_days)
    )


@dataclass(frozen=True)
class Trend:
    """Log-linear trend of monthly counts: growth per year with a 90% interval."""

    growth_per_year: float
    low: float
    high: float
    months: int
    dispersion: float


def monthly_series(
    events: pd.DataFrame, span: tuple[pd.Timestamp, pd.Timestamp] | None = None
) -> pd.Series:
    """Counts per complete calendar month of ``span``: the days the data cover (first and last
    day of the whole file or store, not of the filtered events, which may start late in a
    month the data cover fully); default the events' own date range."""
    if events.empty:
        raise ValueError("no events to build a monthly series from")
    dates = events["event_date"]
    first, last = span if span is not None else (dates.min(), dates.max())
    months = pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")
    if first.day != 1:
        months = months[1:]
    if last != last.to_period("M").to_timestamp(how="end").normalize():
        months = months[:-1]
    counts = dates.dt.to_period("M").value_counts()
    return counts.reindex(months, fill_value=0).sort_index()


def fit_trend(monthly: pd.Series) -> Trend:
    """Poisson regression log E[n_m] = a + b m, with quasi-Poisson (Pearson) dispersion."""
    y = monthly.to_numpy(dtype=float)
    if len(y) < 4:
        raise ValueError(f"a trend needs at least 4 complete months, got {len(y)}")
    t = np.arange(len(y), dtype=float)
    x = np.column_stack([np.ones_like(t), t])

    def nll(beta: np.ndarray) -> float:
        eta = x @ beta
        return float(np.sum(np.exp(eta) - y * eta))

    def grad(beta: np.ndarray) -> np.ndarray:
        return x.T @ (np.exp(x @ beta) - y)

    start = np.array([math.log(max(y.mean(), 0.5)), 0.0])
    res = optimize.minimize(nll, start, jac=grad, method="BFGS")
    mu = np.exp(x @ res.x)
    dispersion = max(1.0, float(np.sum((y - mu) ** 2 / mu) / (len(y) - 2)))
    cov = np.linalg.inv(x.T @ (mu[:, None] * x)) * dispersion
    slope, se = res.x[1], math.sqrt(cov[1, 1])
    z = stats.norm.ppf(0.95)
    return Trend(
        growth_per_year=math.exp(12 * slope),
        low=math.exp(12 * (slope - z * se)),
        high=math.exp(12 * (slope + z * se)),
        months=len(y),
        dispersion=dispersion,
    )


@dataclass
class SegmentEstimate:
    segment: str
    length_km: float
    events: float  # events tied to the segment; one shared with k segments counts 1/k
    rate_mean: float  # events/day
    rate_low: float
    rate_high: float
    method: str
    hazard_low: float = 0.0
    hazard_high: float = 0.0
    note: str = ""


@dataclass
class Calibration:
    segments: list[SegmentEstimate]
    trend: Trend
    uncovered: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


def covered_segments(scenario: Scenario, countries: set[str]) -> set[str]:
    """Segments whose midpoint (halfway along the road as drawn) lies in a country the event data
    cover (by country name, :func:`siegeline.network.outlines.find_countries`)."""
    shapes = [g for g in (country_geometry(c) for c in countries) if g is not None]
    out = set()
    for seg_id, line in segment_lines(scenario).items():
        mid = line.interpolate(0.5, normalized=True)
        if any(shapely.contains(poly, mid) for poly in shapes):
            out.add(seg_id)
    return out


def to_hazard(rate_per_day: float, groups_per_day: float, length_km: float) -> float:
    """Events/day on a segment → hazard per traffic group per 100 km (see docs/monitor.md)."""
    return rate_per_day / groups_per_day / (length_km / 100.0)


def calibrate(
    assigned: pd.DataFrame,
    all_matched: pd.DataFrame,
    scenario: Scenario,
    *,
    method: Literal["gamma", "hawkes"] = "gamma",
    half_life_days: float = 180.0,
    groups_per_day: float = 6.0,
    horizon_days: float | None = None,
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    seed: int = 20250903,
) -> Calibration:
    """Estimate each covered segment's hazard from the events tied to it (``assigned``) and the
    intensity trend from all matched events (``all_matched``), over ``span``: the first and last
    day the data cover (default: the matched events' own range)."""
    if groups_per_day <= 0:
        raise ValueError("--groups-per-day must be positive")
    if all_matched.empty:
        raise ValueError("no events match the filters; nothing to calibrate from")
    dates = all_matched["event_date"]
    start, end = span if span is not None else (dates.min(), dates.max())
    window = float((end - start).days + 1)
    horizon = float(horizon_days or scenario.simulation.horizon_days)
    countries = set(all_matched["country"].dropna().unique())
    covered = covered_segments(scenario, countries)
    rng = np.random.default_rng(seed)
    estimates = []
    for seg in scenario.segments:
        if seg.id not in covered:
            continue
        mine = assigned[assigned["segment"] == seg.id]
        ages = ((end - mine["event_date"]).dt.days + 0.5).to_numpy(dtype=float)
        shares = mine["share"].to_numpy(dtype=float)
        est = None
        if method == "hawkes":
            est = _hawkes_estimate(seg.id, seg.length_km, ages, shares, window, horizon, rng)
        if est is None:
            post = gamma_poisson(ages, window, half_life_days, shares=shares)
            est = SegmentEstimate(
                seg.id,
                seg.length_km,
                float(shares.sum()),
                post.mean,
                post.quantile(0.05),
                post.quantile(0.95),
                "gamma-poisson",
                note="" if method == "gamma" else "too few events for Hawkes; Gamma-Poisson used",
            )
        est.hazard_low = to_hazard(est.rate_low, groups_per_day, seg.length_km)
        est.hazard_high = to_hazard(est.rate_high, groups_per_day, seg.length_km)
        estimates.append(est)
    trend = fit_trend(monthly_series(all_matched, (start, end)))
    return Calibration(
        segments=estimates,
        trend=trend,
        uncovered=[s.id for s in scenario.segments if s.id not in covered],
        settings={
            "method": method,
            "half_life_days": half_life_days,
            "groups_per_day": groups_per_day,
            "data_from": start.date().isoformat(),
            "data_to": end.date().isoformat(),
            "events": len(all_matched),
        },
    )


def _hawkes_estimate(
    seg_id: str,
    length_km: float,
    ages: np.ndarray,
    shares: np.ndarray,
    window: float,
    horizon: float,
    rng: np.random.Generator,
    min_events: int = 15,
) -> SegmentEstimate | None:
    if shares.sum() < min_events:
        return None
    # Event days have day resolution; spread each event uniformly within its day.
    times = np.clip(window - ages + rng.uniform(-0.5, 0.5, len(ages)), 0.0, window)
    fit = hawkes.fit(times, window, weights=shares)
    draws = fit.sample_params(rng, 400)
    rates = np.array(
        [
            hawkes.mean_rate_ahead(
                mu,
                alpha,
                beta,
                fit.excess_at_end * (alpha * beta) / (fit.alpha * fit.beta),
                horizon,
            )
            for mu, alpha, beta in draws
        ]
    )
    return SegmentEstimate(
        seg_id,
        length_km,
        float(shares.sum()),
        fit.mean_rate_ahead(horizon),
        float(np.quantile(rates, 0.05)),
        float(np.quantile(rates, 0.95)),
        "hawkes",
        note=f"mu={fit.mu:.4f}/day, branching={fit.alpha:.2f}, decay={fit.beta:.2f}/day",
    )


def write_scenario_data(
    scenario_name: str, calib: Calibration, label: str = "siegeline events calibrate"
) -> dict[str, Any]:
    """The raw scenario with calibrated hazards, trend and a source entry per changed path;
    validated before it is returned."""
    data = load_raw(scenario_name)
    by_id = {s["id"]: s for s in data["segments"]}
    settings = calib.settings
    when = dt.date.today().isoformat()
    sources = data.setdefault("sources", {})
    for est in calib.segments:
        by_id[est.segment]["hazard_per_100km"] = {
            "low": _round(est.hazard_low),
            "high": _round(max(est.hazard_high, est.hazard_low)),
        }
        sources[f"segments.{est.segment}.hazard_per_100km"] = {
            "source": f"{label} ({when})",
            "confidence": "medium" if est.events >= 10 else "low",
            "note": (
                f"{est.method}: {est.events:g} events within buffer, {settings['data_from']} to "
                f"{settings['data_to']}; rate {est.rate_low:.4g}-{est.rate_high:.4g}/day (90%), "
                f"{settings['groups_per_day']:g} traffic groups/day assumed. {est.note}"
            ).strip(),
        }
    t = calib.trend
    data.setdefault("adversary", {})["growth_per_year"] = {
        "low": _round(max(t.low, 1e-6)),
        "high": _round(max(t.high, t.low, 1e-6)),
    }
    sources["adversary.growth_per_year"] = {
        "source": f"{label} ({when})",
        "confidence": "medium" if t.months >= 12 else "low",
        "note": (
            f"log-linear Poisson trend of {settings['events']} events over {t.months} months: "
            f"x{t.growth_per_year:.2f}/year (90% interval {t.low:.2f}-{t.high:.2f}, "
            f"dispersion {t.dispersion:.2f})"
        ),
    }
    validate_scenario(data, "calibrated scenario")
    return data


def _round(x: float) -> float:
    return float(f"{x:.4g}")
