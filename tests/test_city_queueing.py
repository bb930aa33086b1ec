"""The station queue model against Erlang C's closed form, its long-day and infinite-load limits
and the reference engine's simulated station-days."""

import math

import numpy as np
import pytest

from siegeline.city.queueing import (
    LOAD_GRID,
    erlang_c,
    mean_wait_hours,
    station_capacity,
    wait_table,
)
from siegeline.city.rationing import allocate_by_priority, rationing_caps
from siegeline.engines.reference.stations import station_day_wait


def erlang_c_closed_form(lam: float, mu: float, c: int) -> float:
    """Textbook Erlang C: P(wait) = (a^c/c!)(c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!)(c/(c-a)))."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def simulate_mmc_wait(lam: float, mu: float, c: int, customers: int, seed: int) -> float:
    """Mean wait in a FCFS M/M/c queue by the Kiefer-Wolfowitz workload recursion."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, customers)
    services = rng.exponential(1 / mu, customers)
    free_at = np.zeros(c)  # time each server next becomes free, relative to now
    waits = np.empty(customers)
    for i in range(customers):
        free_at = np.maximum(free_at - gaps[i], 0.0)
        j = int(np.argmin(free_at))
        waits[i] = free_at[j]
        free_at[j] += services[i]
    return float(waits[customers // 10:].mean())  # drop the warm-up


# The default station (scenario bamako-2025, ``stations:``).
PUMPS, SERVICE, HOURS, MAX_WAIT = 4, 12.0, 14.0, 10.0


def default_wait(load: np.ndarray) -> np.ndarray:
    return mean_wait_hours(np.asarray(load) * PUMPS * SERVICE, SERVICE, PUMPS, HOURS, MAX_WAIT)


@pytest.mark.parametrize(("lam", "mu", "c"), [(40.0, 12.0, 4), (10.0, 12.0, 1), (90, 12.0, 8)])
def test_erlang_c_matches_closed_form(lam, mu, c):
    assert erlang_c(np.array(lam / mu), c) == pytest.approx(erlang_c_closed_form(lam, mu, c),
                                                            rel=1e-12)


def test_erlang_c_wait_within_two_percent_of_simulated_mmc():
    lam, mu, c = 40.0, 12.0, 4  # utilisation 0.83
    simulated = simulate_mmc_wait(lam, mu, c, customers=400_000, seed=3)
    steady = float(erlang_c(np.array(lam / mu), c)) / (c * mu - lam)
    assert steady == pytest.approx(simulated, rel=0.02)


@pytest.mark.parametrize("load", [0.3, 0.5, 0.8])
def test_long_days_tend_to_erlang_c(load):
    """Over a very long day the start from empty fades and the steady state (Erlang C) remains;
    a 2 h cap (96 vehicles of queue) is never reached at these loads."""
    lam, mu, c = load * 4 * 12.0, 12.0, 4
    steady = erlang_c_closed_form(lam, mu, c) / (c * mu - lam)
    long_day = float(mean_wait_hours(np.array(lam), mu, c, 400.0, 2.0))
    assert long_day == pytest.approx(steady, rel=5e-3)
    assert long_day < steady  # a day that starts empty waits less than the steady state


def test_wait_is_continuous_through_saturation():
    loads = np.linspace(0.9, 1.1, 401)
    waits = default_wait(loads)
    assert np.max(np.diff(waits) / waits[:-1]) < 0.01


def test_wait_is_non_decreasing_in_load_from_zero_and_bounded_by_the_cap():
    table = wait_table(PUMPS, SERVICE, HOURS, MAX_WAIT)
    assert table[0] == 0.0 and LOAD_GRID[0] == 0.0
    assert np.all(np.diff(table) >= 0) and table.max() <= MAX_WAIT
    waits = default_wait(np.linspace(0.0, 80.0, 8001))
    assert np.all(np.diff(waits) >= 0) and waits.max() <= MAX_WAIT


def test_wait_at_the_top_of_the_grid_has_converged_to_the_infinite_load_limit():
    """Infinite load: the station fills at time 0 (the n-th motorist waits max(0, n-c+1)/(c mu)),
    then each departure, c mu an hour, is replaced at once by a joiner who waits the full queue."""
    capacity = station_capacity(PUMPS, SERVICE, MAX_WAIT)
    drain = PUMPS * SERVICE
    first_fill = np.maximum(np.arange(capacity) - PUMPS + 1, 0).sum() / drain
    limit = (first_fill + drain * HOURS * (capacity - PUMPS) / drain) / (capacity + drain * HOURS)
    assert default_wait(LOAD_GRID[-1]) == pytest.approx(limit, rel=0.01)
    assert default_wait(1e6) == default_wait(LOAD_GRID[-1])  # held beyond the grid


def test_capacity_follows_the_reference_balking_rule():
    assert station_capacity(4, 12.0, 10.0) == 4 + 480
    assert station_capacity(4, 12.0, 1 / 3) == 4 + 16  # (1/3) * 48 rounds just below 16
    assert station_capacity(4, 12.0, 0.0) == 4


# Station-days simulated per load: more where the day-to-day spread is wide.
DAYS_AT_LOAD = {0.5: 400, 0.75: 400, 1.0: 600, 1.25: 200, 1.5: 200}


@pytest.mark.parametrize("load", list(DAYS_AT_LOAD))
def test_wait_is_the_expectation_of_the_reference_station_day(load):
    rng = np.random.default_rng(11)
    simulated = np.mean([station_day_wait(rng, load * PUMPS * SERVICE, PUMPS, SERVICE, HOURS,
                                          MAX_WAIT) for _ in range(DAYS_AT_LOAD[load])])
    assert float(default_wait(load)) == pytest.approx(simulated, rel=0.10)


def test_priority_allocation_serves_in_order_and_pro_rata():
    demand = np.array([[[10.0], [6.0], [4.0], [5.0]]])  # sectors x 1 product
    priority = np.array([1, 2, 2, 3])
    served = allocate_by_priority(demand, np.array([[15.0]]), priority)[0, :, 0]
    assert served.tolist() == pytest.approx([10.0, 3.0, 2.0, 0.0])
    assert served.sum() == pytest.approx(15.0)


def test_rationing_caps_apply_the_most_severe_level():
    thresholds = np.array([7.0, 3.0])
    caps = np.array([[1.0, 0.7], [1.0, 0.4]])
    got = rationing_caps(np.array([[8.0, 5.0, 1.0]]), thresholds, caps)
    assert got[0, 1].tolist() == [1.0, 0.7, 0.4]
    assert got[0, 0].tolist() == [1.0, 1.0, 1.0]
