"""Hawkes fitting and simulation, Gamma–Poisson update, trend, hazard conversion, exposure
buffers and the CRPS, checked against closed forms, brute force and known parameters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from siegeline.events import backtest as bt
from siegeline.events import calibrate as cal
from siegeline.events import exposure, hawkes
from siegeline.scenario import load_scenario


def brute_loglik(mu: float, alpha: float, beta: float, t: np.ndarray, horizon: float) -> float:
    lam = [mu + alpha * beta * np.exp(-beta * (ti - t[t < ti])).sum() for ti in t]
    comp = mu * horizon + alpha * np.sum(1 - np.exp(-beta * (horizon - t)))
    return float(np.sum(np.log(lam)) - comp)


def test_loglik_recursion_equals_brute_force() -> None:
    t = np.sort(np.random.default_rng(3).uniform(0, 50, 40))
    assert hawkes.loglik(0.4, 0.6, 0.8, t, 50.0) == pytest.approx(
        brute_loglik(0.4, 0.6, 0.8, t, 50.0), rel=1e-10
    )


def test_hawkes_recovers_known_parameters_from_ogata_simulation() -> None:
    mu, alpha, beta = 0.3, 0.5, 1.2
    times = hawkes.simulate(mu, alpha, beta, 3000.0, np.random.default_rng(11))
    # Expected count mu T / (1 - alpha) = 1800.
    assert 1550 < len(times) < 2050
    fit = hawkes.fit(times, 3000.0)
    assert fit.mu == pytest.approx(mu, rel=0.2)
    assert fit.alpha == pytest.approx(alpha, abs=0.1)
    assert fit.beta == pytest.approx(beta, rel=0.3)
    se = np.sqrt(np.diag(fit.cov))
    assert abs(math.log(fit.mu / mu)) < 3 * se[0] and abs(math.log(fit.beta / beta)) < 3 * se[2]


def test_mean_rate_ahead_matches_simulation() -> None:
    rng = np.random.default_rng(5)
    mu, alpha, beta, excess, days = 0.2, 0.5, 0.5, 2.0, 20.0
    counts = [len(hawkes.simulate(mu, alpha, beta, days, rng, excess)) for _ in range(4000)]
    expected = hawkes.mean_rate_ahead(mu, alpha, beta, excess, days) * days
    assert np.mean(counts) == pytest.approx(expected, rel=0.04)


def test_gamma_poisson_update_by_hand() -> None:
    # Without decay (huge half-life): Gamma(0.5 + n, 30 + window).
    post = cal.gamma_poisson(np.array([1.0, 10.0, 100.0]), 200.0, 1e9)
    assert post.shape == pytest.approx(3.5) and post.rate == pytest.approx(230.0)
    # Half-life 10 days: ages 0 and 10 weigh 1 and 1/2.
    post = cal.gamma_poisson(np.array([0.0, 10.0]), 1000.0, 10.0)
    assert post.shape == pytest.approx(0.5 + 1.5)
    quad = integrate.quad(lambda a: 2 ** (-a / 10.0), 0, 1000.0)[0]
    assert post.rate == pytest.approx(30.0 + quad)
    assert post.quantile(0.95) == pytest.approx(stats.gamma.ppf(0.95, 2.0, scale=1 / post.rate))


def test_trend_recovers_doubling_and_hazard_conversion() -> None:
    months = pd.period_range("2024-01", periods=24, freq="M")
    series = pd.Series(np.round(100 * 2 ** (np.arange(24) / 12)), index=months)
    trend = cal.fit_trend(series)
    assert trend.growth_per_year == pytest.approx(2.0, rel=0.01)
    assert trend.low < 2.0 < trend.high
    # 0.06 events/day, 6 groups/day, 200 km: 0.06 / 6 / 2 = 0.005 per group per 100 km.
    assert cal.to_hazard(0.06, 6.0, 200.0) == pytest.approx(0.005)


def test_monthly_series_keeps_only_complete_months() -> None:
    events = pd.DataFrame(
        {"event_date": pd.to_datetime(["2024-01-15", "2024-02-03", "2024-04-30"])}
    )
    s = cal.monthly_series(events)
    assert [str(p) for p in s.index] == ["2024-02", "2024-03", "2024-04"]
    assert s.tolist() == [1, 0, 1]


def test_buffer_assigns_events_to_the_nearest_segment() -> None:
    sc = load_scenario("bamako-2025")
    nodes = {n.id: n for n in sc.nodes}
    kayes, kita = nodes["kayes"], nodes["kita"]
    mid_lat, mid_lon = (kayes.lat + kita.lat) / 2, (kayes.lon + kita.lon) / 2
    # kayes-kita runs SW-NE at ~35 degrees: 0.2 degrees of latitude north of the midpoint is
    # about 22 km * cos(35 degrees) = 18 km from the line.
    events = pd.DataFrame(
        {
            "latitude": [mid_lat, mid_lat + 0.2, 25.0],
            "longitude": [mid_lon, mid_lon, 0.0],
            "event_date": pd.to_datetime(["2025-01-01"] * 3),
        }
    )
    near = exposure.assign_segments(events, sc, 10.0)
    assert near["segment"].tolist() == ["kayes-kita"]
    assert near["distance_km"].iloc[0] < 1.0
    wide = exposure.assign_segments(events, sc, 25.0)
    assert wide["segment"].tolist() == ["kayes-kita", "kayes-kita"]
    assert 14 < wide["distance_km"].iloc[1] < 22


def _crps_discrete(pmf: np.ndarray, y: int) -> float:
    """Exact CRPS of a distribution on 0..K at integer outcome y: sum_k (F(k) - 1{y <= k})^2
    (the closed form the sample CRPS is checked against)."""
    cdf = np.cumsum(np.asarray(pmf, dtype=float))
    return float(np.sum((cdf - (np.arange(len(cdf)) >= y)) ** 2))


def test_crps_closed_forms() -> None:
    # Point mass: CRPS equals the absolute error.
    assert bt.crps_samples(np.full(100, 3.0), 5.0) == pytest.approx(2.0)
    assert _crps_discrete(np.eye(10)[3], 5) == pytest.approx(2.0)
    # Fair coin on {0, 1} at y = 0: (0.5 - 1)^2 = 0.25 = E|X| - E|X - X'| / 2.
    assert _crps_discrete(np.array([0.5, 0.5]), 0) == pytest.approx(0.25)
    assert bt.crps_samples(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25)
    # Sample-based CRPS of Poisson(20) draws approaches the exact discrete value.
    pmf = stats.poisson.pmf(np.arange(200), 20)
    draws = np.random.default_rng(2).poisson(20, 200_000)
    assert bt.crps_samples(draws, 27) == pytest.approx(_crps_discrete(pmf, 27), rel=0.01)


def test_backtest_uses_only_past_months() -> None:
    months = pd.period_range("2023-01", periods=20, freq="M")
    monthly = pd.Series([50] * 19 + [500], index=months)
    models = {"poisson-last": bt.forecast_poisson_last, "bootstrap-12": bt.forecast_bootstrap_12}
    res = bt.backtest(monthly, pd.Series(dtype="datetime64[ns]"), holdout=2, models=models)
    assert res.scores["observed"].tolist() == [50, 500]
    assert set(res.forecasts["bootstrap-12"]["2024-08"]) == {50}  # never sees the 500
    # Poisson(50) at 50: exact CRPS from the pmf; at 500, a point mass 50 scores 450.
    exact = _crps_discrete(stats.poisson.pmf(np.arange(400), 50), 50)
    assert res.scores.loc["2024-07", "poisson-last"] == pytest.approx(exact, rel=0.05)
    assert res.scores.loc["2024-08", "bootstrap-12"] == pytest.approx(450.0)
    with pytest.raises(ValueError, match="complete months"):
        bt.backtest(monthly.iloc[:10], pd.Series(dtype="datetime64[ns]"), holdout=2)


def test_events_at_a_town_are_shared_equally_by_the_segments_meeting_there() -> None:
    """Didieni joins diema-didieni and didieni-kolokani: an event at the town counts half on
    each (it went wholly to the first segment listed); one 5 km along the Kolokani road goes to
    that road alone; the shares of every event within the buffer sum to one."""
    sc = load_scenario("bamako-2025")
    nodes = {n.id: n for n in sc.nodes}
    town, kolokani = nodes["didieni"], nodes["kolokani"]
    step = 5.0 / 111.0 / math.hypot(kolokani.lat - town.lat, kolokani.lon - town.lon)
    events = pd.DataFrame({
        "latitude": [town.lat, town.lat + step * (kolokani.lat - town.lat)],
        "longitude": [town.lon, town.lon + step * (kolokani.lon - town.lon)],
        "event_date": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    })
    got = exposure.assign_segments(events, sc, 10.0)
    at_town = got.loc[0]
    assert sorted(at_town["segment"]) == ["didieni-kolokani", "diema-didieni"]
    assert at_town["share"].tolist() == [0.5, 0.5]
    assert got.loc[[1], "segment"].tolist() == ["didieni-kolokani"]
    table = exposure.segment_counts(got, sc, "month")
    assert table.loc["diema-didieni", "total"] == 0.5
    assert table.loc["didieni-kolokani", "total"] == 1.5
    assert table["total"].sum() == pytest.approx(2.0)


def test_weighted_hawkes_likelihood_matches_plain_and_removal() -> None:
    """Weights of one give the plain likelihood; a weight of zero is the event removed."""
    times = np.array([1.0, 2.5, 2.7, 6.0, 9.5])
    plain = hawkes.loglik(0.3, 0.4, 1.2, times, 12.0)
    assert hawkes.loglik(0.3, 0.4, 1.2, times, 12.0, np.ones(5)) == pytest.approx(plain)
    dropped = hawkes.loglik(0.3, 0.4, 1.2, np.delete(times, 2), 12.0)
    weights = np.array([1.0, 1.0, 0.0, 1.0, 1.0])
    assert hawkes.loglik(0.3, 0.4, 1.2, times, 12.0, weights) == pytest.approx(dropped)
    assert hawkes.excess_intensity(times, 0.4, 1.2, 12.0, weights) == pytest.approx(
        hawkes.excess_intensity(np.delete(times, 2), 0.4, 1.2, 12.0))
